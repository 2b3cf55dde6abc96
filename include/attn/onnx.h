// ONNX files outside a model: run graphs in the ONNX backend-test layout
// (`model.onnx` + `test_data_set_N/input_K.pb`, `output_K.pb`) through the
// primitive interpreter. Models load with attn::Model::load like any other.
#pragma once

#include "attn/export.h"

#include <filesystem>
#include <string>
#include <vector>

namespace attn ATTN_API {

struct OnnxTolerance {
  double rtol = 1e-3;  // ONNX's backend-test tolerances
  double atol = 1e-7;
};

struct OnnxTestResult {
  std::string name;     // "<dir name>/test_data_set_0"
  bool passed = false;
  std::string message;  // why it failed
};

// One result per data set in `dir`; a model that cannot be loaded gives one
// failed result naming the problem. Never throws for bad test contents.
std::vector<OnnxTestResult> run_onnx_backend_test(const std::filesystem::path& dir,
                                                  const OnnxTolerance& tolerance = {});

}  // namespace attn

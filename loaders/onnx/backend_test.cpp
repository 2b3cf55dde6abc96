// The ONNX backend-test runner behind `attn onnx-test`.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "attn/error.h"
#include "attn/onnx.h"
#include "engine/interpreter/program.h"
#include "loaders/onnx/onnx_reader.h"

namespace attn {
namespace {

namespace fs = std::filesystem;
using interpreter::Array;

// Empty when `actual` matches `expected` within the tolerance, else why not.
std::string compare(const Array& actual, const Array& expected, const OnnxTolerance& tolerance) {
  if (actual.type() != expected.type() || actual.shape() != expected.shape()) {
    return "got " + actual.describe() + ", expected " + expected.describe();
  }
  for (int64_t i = 0; i < actual.numel(); ++i) {
    const double a = actual.element_as_double(i), e = expected.element_as_double(i);
    if (std::isnan(e) ? std::isnan(a) : a == e) continue;
    const bool floating = interpreter::is_floating(actual.type());
    if (!floating || std::isinf(e) || std::fabs(a - e) > tolerance.atol + tolerance.rtol * std::fabs(e)) {
      char message[128];
      std::snprintf(message, sizeof message, "element %lld is %.9g, expected %.9g", static_cast<long long>(i), a, e);
      return message;
    }
  }
  return {};
}

std::vector<fs::path> numbered_files(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> files;
  for (int i = 0; fs::exists(dir / (prefix + std::to_string(i) + ".pb")); ++i) {
    files.push_back(dir / (prefix + std::to_string(i) + ".pb"));
  }
  return files;
}

OnnxTestResult run_data_set(const interpreter::Program& program, const fs::path& data_dir, const std::string& name,
                            const OnnxTolerance& tolerance) {
  OnnxTestResult result{name, false, {}};
  try {
    const auto input_files = numbered_files(data_dir, "input_");
    const auto output_files = numbered_files(data_dir, "output_");
    const auto& graph_inputs = program.graph().inputs;
    if (input_files.size() > graph_inputs.size()) {
      result.message = std::to_string(input_files.size()) + " inputs for a graph with " +
                       std::to_string(graph_inputs.size());
      return result;
    }
    std::map<std::string, Array> inputs;
    for (size_t i = 0; i < input_files.size(); ++i) inputs[graph_inputs[i].name] = read_onnx_tensor(input_files[i]);
    const std::vector<Array> outputs = program.run(inputs);
    if (output_files.size() != outputs.size()) {
      result.message = "the graph gives " + std::to_string(outputs.size()) + " outputs, the data set expects " +
                       std::to_string(output_files.size());
      return result;
    }
    for (size_t i = 0; i < outputs.size(); ++i) {
      const std::string mismatch = compare(outputs[i], read_onnx_tensor(output_files[i]), tolerance);
      if (!mismatch.empty()) {
        result.message = "output " + std::to_string(i) + " (" + program.graph().outputs[i].name + "): " + mismatch;
        return result;
      }
    }
    result.passed = true;
  } catch (const std::exception& e) {
    result.message = e.what();
  }
  return result;
}

}  // namespace

std::vector<OnnxTestResult> run_onnx_backend_test(const fs::path& dir, const OnnxTolerance& tolerance) {
  const std::string name = dir.filename().empty() ? dir.parent_path().filename().string() : dir.filename().string();
  std::unique_ptr<interpreter::Program> program;
  try {
    const auto model = read_onnx_model(dir / "model.onnx");
    program = std::make_unique<interpreter::Program>(std::shared_ptr<const interpreter::GraphIR>(model, &model->graph),
                                                   model->opset(), (dir / "model.onnx").string());
  } catch (const std::exception& e) {
    return {OnnxTestResult{name, false, e.what()}};
  }
  std::vector<fs::path> data_sets;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_directory() && entry.path().filename().string().starts_with("test_data_set_")) {
      data_sets.push_back(entry.path());
    }
  }
  std::sort(data_sets.begin(), data_sets.end());
  if (data_sets.empty()) return {OnnxTestResult{name, false, "no test_data_set_N directories"}};
  std::vector<OnnxTestResult> results;
  for (const fs::path& data : data_sets) {
    results.push_back(run_data_set(*program, data, name + "/" + data.filename().string(), tolerance));
  }
  return results;
}

}  // namespace attn

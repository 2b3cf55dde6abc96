// attn onnx-test: run directories in the ONNX backend-test layout.
#include <cstdio>

#include "attn/error.h"
#include "attn/onnx.h"
#include "commands.h"

namespace attn::cli {
namespace {

struct OnnxTestArgs {
  std::vector<std::string> dirs;
  OnnxTolerance tolerance;
};

}  // namespace

void add_onnx_test_command(CLI::App& app) {
  auto args = std::make_shared<OnnxTestArgs>();
  CLI::App* cmd = app.add_subcommand("onnx-test", "Run ONNX backend-test directories (model.onnx + test_data_set_N)");
  cmd->add_option("dirs", args->dirs, "test directories")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--rtol", args->tolerance.rtol, "relative tolerance")->capture_default_str();
  cmd->add_option("--atol", args->tolerance.atol, "absolute tolerance")->capture_default_str();
  cmd->callback([args] {
    int passed = 0, failed = 0;
    for (const std::string& dir : args->dirs) {
      for (const OnnxTestResult& r : run_onnx_backend_test(dir, args->tolerance)) {
        if (r.passed) {
          std::printf("pass %s\n", r.name.c_str());
        } else {
          std::printf("FAIL %s: %s\n", r.name.c_str(), r.message.c_str());
        }
        (r.passed ? passed : failed)++;
      }
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    std::fflush(stdout);
    if (failed > 0) throw Error(std::to_string(failed) + " ONNX test case" + (failed > 1 ? "s" : "") + " failed");
  });
}

}  // namespace attn::cli

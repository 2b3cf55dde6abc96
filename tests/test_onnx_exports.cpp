// torch.onnx exports of tiny GPT-2 (with and without past, and an
// optimum-style merged If decoder), Llama (GQA, with past) and BERT at
// opsets 14 and 17, run op by op against ONNX Runtime's outputs
// (tests/fixtures/onnx/gen_onnx_fixtures.py writes them).
#include <doctest/doctest.h>

#include "test_support.h"

using namespace attn::test;

TEST_CASE("torch.onnx exports match ONNX Runtime's outputs") {
  const std::filesystem::path exports = fixtures_dir() / "onnx/exports";
  std::string command = quote(cli_path()) + " onnx-test";
  int cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(exports)) {
    command += " " + quote(entry.path());
    ++cases;
  }
  REQUIRE(cases == 10);
  const CommandResult result = run_command(command);
  INFO(result.out);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("10 passed, 0 failed") != std::string::npos);
}

// torch.onnx exports of tiny GPT-2 (with and without past, and an
// optimum-style merged If decoder), Llama (GQA, with past) and BERT at
// opsets 14 and 17, the same as ONNX Runtime's optimizer rewrites them
// (contrib ops), and with external data, run op by op against ONNX Runtime's
// outputs (tests/fixtures/onnx/gen_onnx_fixtures.py writes them).
#include <doctest/doctest.h>

#include "test_support.h"

using namespace attn::test;

TEST_CASE("torch.onnx exports match ONNX Runtime's outputs") {
  const std::filesystem::path exports = fixtures_dir() / "onnx/exports";
  // ONNX's atol 1e-7 is below float32 resolution for logits of magnitude ~10
  // that cancel to ~1e-6: ORT and attn sum in different orders. 1e-5 absolute
  // (rtol stays 1e-3) is what float32 summation order allows here.
  std::string command = quote(cli_path()) + " onnx-test --atol 1e-5";
  int cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(exports)) {
    command += ' ';
    command += quote(entry.path());
    ++cases;
  }
  REQUIRE(cases == 14);
  const CommandResult result = run_command(command);
  INFO(result.out);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("14 passed, 0 failed") != std::string::npos);
}

TEST_CASE("ONNX Runtime's FusedMatMul with transBatchA/transBatchB matches ONNX Runtime") {
  // ORT's optimizer folded rank-3 and rank-4 Transposes into the products
  // (tests/fixtures/onnx/gen_contrib_fixtures.py, which also checks ORT against numpy).
  const CommandResult result =
      run_command(quote(cli_path()) + " onnx-test " + quote(fixtures_dir() / "onnx/contrib/fused_matmul_trans_batch"));
  INFO(result.out);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find("1 passed, 0 failed") != std::string::npos);
}

// ComputeType::BF16 (LoadOptions::compute_type, --compute-type): the fixture
// models against the float64 references the exact suites use, with a
// tolerance bf16 justifies; logits that do not depend on threads or batch;
// the CLI flag; and the fallback to f32 where oneDNN has no native bf16
// (ctest runs this suite again with ONEDNN_MAX_CPU_ISA capping it).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "engine/dnnl_linear.h"
#include "model_logits.h"
#include "test_support.h"

using namespace attn;
using attn::test::max_abs_diff;
using attn::test::read_f32;
using attn::test::read_file;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kStories = attn::test::shared_dir() / "models" / "stories260K-hf";
const fs::path kLlamaFixtures = attn::test::fixtures_dir() / "llama";
const fs::path kFamily = attn::test::fixtures_dir() / "family";

// bf16 keeps 8 significant bits: each product's inputs are rounded by up to
// 2^-9 relative, and the errors of a few layers add up. Logits may move by
// this fraction of the largest |logit| of their sequence (measured: at most
// 0.6 % on these fixtures), where f32 compute stays within 1e-4.
constexpr double kRelativeTolerance = 0.02;

std::shared_ptr<const Model> load(const fs::path& path, ComputeType compute_type) {
  LoadOptions options;
  options.compute_type = compute_type;
  return Model::load(path, options);
}

// What the option gives on this CPU: bf16 where oneDNN multiplies bf16
// natively, f32 elsewhere.
ComputeType expected_compute_type() { return onednn_has_native_bf16() ? ComputeType::BF16 : ComputeType::F32; }

// Every token's rows by one packed pass: packed batches always take the
// matmul path, even for prompts shorter than the GEMV's row limit.
std::vector<float> packed_rows(const std::shared_ptr<const Model>& model, const std::vector<TokenId>& ids) {
  Session session(model);
  const auto rows = session.forward_packed(std::vector<Encoding>{{ids, {}}});
  return {rows.begin(), rows.end()};
}

struct Agreement {
  double max_difference = 0;  // max |Δ| over every value
  double scale = 0;           // max |reference|
  int rows = 0, top1_checked = 0, top1_agree = 0;
};

// `got` against `reference`, both [rows, width]. Top-1 is checked only on
// rows whose reference leads its runner-up by more than the tolerance: a
// closer race may go either way within it.
Agreement compare(std::span<const float> got, std::span<const float> reference, size_t width) {
  REQUIRE(got.size() == reference.size());
  Agreement a;
  for (float r : reference) a.scale = std::max(a.scale, std::abs(double{r}));
  const double tolerance = kRelativeTolerance * a.scale;
  for (size_t row = 0; row * width < got.size(); ++row) {
    const auto g = got.subspan(row * width, width), r = reference.subspan(row * width, width);
    for (size_t i = 0; i < width; ++i) a.max_difference = std::max(a.max_difference, std::abs(double{g[i]} - r[i]));
    std::vector<float> sorted(r.begin(), r.end());
    std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<>());
    ++a.rows;
    if (width < 2 || sorted[0] - sorted[1] <= tolerance) continue;
    ++a.top1_checked;
    a.top1_agree += attn::test::argmax(g.data(), width) == attn::test::argmax(r.data(), width) ? 1 : 0;
  }
  return a;
}

void check_within_tolerance(const Agreement& a) {
  MESSAGE("max |Δ| " << a.max_difference << " (" << 100 * a.max_difference / a.scale << " % of max |reference| "
                     << a.scale << "), top-1 " << a.top1_agree << "/" << a.top1_checked << " of " << a.rows << " rows");
  CHECK(a.max_difference <= kRelativeTolerance * a.scale);
  CHECK(a.top1_agree == a.top1_checked);
}

std::vector<TokenId> ids_of(const json& array) { return array.get<std::vector<TokenId>>(); }

std::string cli(const std::string& arguments) {
  return attn::test::quote(attn::test::cli_path()) + " " + arguments;
}

}  // namespace

TEST_CASE("bf16 compute: the Llama fixtures (f32, f16, bf16 weights; Qwen2's biases) stay near the float64 reference") {
  const json reference = json::parse(read_file(kLlamaFixtures / "reference.json"));
  for (const auto& fixture : reference["fixtures"]) {
    CAPTURE(fixture["name"].get<std::string>());
    const auto model = load(kLlamaFixtures / fixture["dir"].get<std::string>(), ComputeType::BF16);
    CHECK(model->info().compute_type == expected_compute_type());
    for (const auto& c : fixture["cases"]) {
      CAPTURE(c["text"].get<std::string>());
      const auto ids = ids_of(c["input_ids"]);
      const auto expected = read_f32(kLlamaFixtures / c["logits_file"].get<std::string>());
      check_within_tolerance(compare(packed_rows(model, ids), expected, model->info().vocab_size));
    }
  }
}

TEST_CASE("bf16 compute: stories260K and GPT-2 (biases, Conv1D weights) stay near their references") {
  const json stories = json::parse(read_file(attn::test::shared_dir() / "models/stories260K/reference/reference.json"));
  const auto model = load(kStories, ComputeType::BF16);
  for (const auto& c : stories["cases"]) {
    const auto ids = ids_of(c["tokens_runc"]);
    const auto expected = read_f32(kStories.parent_path() / "stories260K/reference" / c["logits_file"].get<std::string>());
    check_within_tolerance(compare(attn::test::all_logits(model, ids), expected, model->info().vocab_size));
    check_within_tolerance(compare(packed_rows(model, ids), expected, model->info().vocab_size));
  }
  const json family = json::parse(read_file(kFamily / "reference.json"));
  const auto gpt2 = load(kFamily / "gpt2", ComputeType::BF16);
  const auto logit_ids = family["gpt2"]["logit_ids"].get<std::vector<int>>();
  for (const auto& c : family["gpt2"]["cases"]) {
    const auto rows = packed_rows(gpt2, ids_of(c["ids"]));
    const auto sampled = attn::test::columns(rows, gpt2->info().vocab_size, logit_ids);
    const Agreement a = compare(sampled, read_f32(kFamily / c["logits_file"].get<std::string>()), logit_ids.size());
    MESSAGE("gpt2: max |Δ| " << a.max_difference << " of max |reference| " << a.scale);
    CHECK(a.max_difference <= kRelativeTolerance * a.scale);
    // Only the argmax of the full rows is known: where ours leads by more
    // than twice the tolerance, logits within it cannot have another.
    const auto reference_argmax = ids_of(c["argmax"]);
    const size_t vocab = gpt2->info().vocab_size;
    int checked = 0;
    for (size_t p = 0; p < reference_argmax.size(); ++p) {
      std::vector<float> row(rows.begin() + p * vocab, rows.begin() + (p + 1) * vocab);
      std::partial_sort(row.begin(), row.begin() + 2, row.end(), std::greater<>());
      if (row[0] - row[1] <= 2 * kRelativeTolerance * a.scale) continue;
      ++checked;
      CHECK(attn::test::argmax(rows.data() + p * vocab, vocab) == reference_argmax[p]);
    }
    MESSAGE("gpt2: top-1 checked on " << checked << " of " << reference_argmax.size() << " rows");
  }
}

TEST_CASE("bf16 compute: BERT's hidden states stay near the float64 reference") {
  const json family = json::parse(read_file(kFamily / "reference.json"));
  const auto model = load(kFamily / "bert", ComputeType::BF16);
  for (const auto& c : family["bert"]["cases"]) {
    const auto hidden = packed_rows(model, ids_of(c["ids"]));
    const Agreement a = compare(hidden, c["last_hidden_state"].get<std::vector<float>>(), model->info().hidden_size);
    MESSAGE("bert: max |Δ| " << a.max_difference << " of max |reference| " << a.scale);
    CHECK(a.max_difference <= kRelativeTolerance * a.scale);
  }
}

TEST_CASE("bf16 compute: prefill differs from f32 only where bf16 runs; decoding keeps the exact GEMV") {
  const auto exact = load(kStories, ComputeType::F32);
  const auto bf16 = load(kStories, ComputeType::BF16);
  std::vector<TokenId> ids{1};
  for (int i = 0; i < 40; ++i) ids.push_back(static_cast<TokenId>(100 + 7 * i % 400));
  CHECK((max_abs_diff(attn::test::all_logits(exact, ids), attn::test::all_logits(bf16, ids)) > 0) ==
        (bf16->info().compute_type == ComputeType::BF16));
  CHECK(max_abs_diff(attn::test::incremental_logits(exact, ids), attn::test::incremental_logits(bf16, ids)) == 0);
}

TEST_CASE("bf16 compute: logits do not depend on the thread count or on the rest of the batch") {
  const auto model = load(kStories, ComputeType::BF16);
  std::vector<TokenId> ids{1}, other{1};
  for (int i = 0; i < 60; ++i) ids.push_back(static_cast<TokenId>(30 + 11 * i % 450));
  for (int i = 0; i < 37; ++i) other.push_back(static_cast<TokenId>(200 + 5 * i % 300));
  set_num_threads(1);
  const auto one = attn::test::all_logits(model, ids);
  const auto greedy_one = attn::test::greedy(model, ids, 24);
  set_num_threads(2);
  const auto two = attn::test::all_logits(model, ids);
  const auto greedy_two = attn::test::greedy(model, ids, 24);
  CHECK(max_abs_diff(one, two) == 0.f);
  CHECK(greedy_one == greedy_two);
  // Packed after another sequence, its rows fall elsewhere in the 48-row tiles.
  Session session(model);
  const auto packed = session.forward_packed(std::vector<Encoding>{{other, {}}, {ids, {}}});
  const std::span<const float> tail(packed.data() + other.size() * model->info().vocab_size, one.size());
  CHECK(max_abs_diff(tail, one) == 0.f);
  set_num_threads(0);
}

TEST_CASE("bf16 compute: without AVX512_BF16 the option falls back to f32 and warns") {
  if (onednn_has_native_bf16()) {
    // This CPU has it: ask the CLI in a process whose oneDNN is capped below it.
    const auto r = attn::test::run_command("ONEDNN_MAX_CPU_ISA=AVX512_CORE_VNNI " +
                                           cli("inspect -m " + attn::test::quote(kStories) + " --compute-type bf16 --json"));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(json::parse(r.out)["compute_type"] == "f32");
    CHECK(r.err.find("--compute-type bf16 needs AVX512_BF16") != std::string::npos);
    return;
  }
  std::vector<std::string> warnings;
  set_log_handler([&](LogLevel level, std::string_view message) {
    if (level == LogLevel::Warning) warnings.emplace_back(message);
  });
  const auto bf16 = load(kStories, ComputeType::BF16);
  set_log_handler({});
  CHECK(bf16->info().compute_type == ComputeType::F32);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("compute type bf16 needs AVX512_BF16") != std::string::npos);
  std::vector<TokenId> ids{1};
  for (int i = 0; i < 30; ++i) ids.push_back(static_cast<TokenId>(50 + 3 * i));
  CHECK(max_abs_diff(attn::test::all_logits(bf16, ids), attn::test::all_logits(load(kStories, ComputeType::F32), ids)) == 0);
}

TEST_CASE("--compute-type: every command with --dtype takes it; bench and inspect report it; a bad value is refused") {
  for (const char* command : {"generate", "chat", "score", "embed", "translate", "serve", "inspect", "bench"}) {
    CAPTURE(command);
    const auto help = attn::test::run_command(cli(std::string(command) + " --help"));
    CHECK(help.out.find("--compute-type") != std::string::npos);
  }
  const std::string model = " -m " + attn::test::quote(kStories);
  const auto bench = attn::test::run_command(cli("bench" + model + " --compute-type bf16 -p 16 -n 2 -r 1 -t 1 --no-probe --json"));
  INFO(bench.err);
  REQUIRE(bench.exit_code == 0);
  const std::string expected(compute_type_name(expected_compute_type()));
  CHECK(json::parse(bench.out.substr(0, bench.out.find('\n')))["compute_type"] == expected);
  const auto inspect = attn::test::run_command(cli("inspect" + model + " --compute-type bf16"));
  CHECK(inspect.out.find("compute type:  " + expected) != std::string::npos);
  const auto bad = attn::test::run_command(cli("score" + model + " --compute-type f16"));
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.empty());
  CHECK(bad.err.find("--compute-type") != std::string::npos);
  CHECK(bad.err.find("'f16' is not a compute type: must be f32 or bf16") != std::string::npos);
}

TEST_CASE("LoadOptions::compute_type: a value outside the enum is a clear error") {
  LoadOptions options;
  options.compute_type = static_cast<ComputeType>(9);
  CHECK_THROWS_WITH_AS(Model::load(kStories, options), "LoadOptions::compute_type: not a ComputeType value", Error);
  CHECK(parse_compute_type("bf16") == ComputeType::BF16);
  CHECK(parse_compute_type("f16") == std::nullopt);
}

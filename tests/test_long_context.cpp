// Long-context models cost what their sequence holds, not their context:
// the KV cache grows in pages, sliding-window layers keep a ring of their
// window, RoPE needs no table, and a session's context defaults to 4096.
// stories260K (llama2.c's reference outputs) stands in for a model whose
// config allows 2^30 positions.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include <nlohmann/json.hpp>

#include "attn/attn.h"
#include "attn/machine.h"
#include "engine/kv_cache.h"
#include "model_logits.h"
#include "test_support.h"

using namespace attn;
using attn::test::greedy;
using attn::test::max_abs_diff;
using attn::test::quote;
using attn::test::read_f32;
using attn::test::read_file;
using attn::test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kStories = attn::test::shared_dir() / "models" / "stories260K";
const fs::path kStoriesHf = attn::test::shared_dir() / "models" / "stories260K-hf";
constexpr int kHugeContext = 1 << 30;
// stories260K: 5 layers of 4 KV heads of 8 floats, keys and values.
constexpr int64_t kBytesPerPosition = 5 * 2 * 4 * 8 * sizeof(float);

// stories260K-hf with config.json changed by `changes`.
void link_with_config(const TempDir& dir, const json& changes) {
  for (const auto& entry : fs::directory_iterator(kStoriesHf)) {
    if (entry.path().filename() != "config.json") fs::create_symlink(entry.path(), dir / entry.path().filename());
  }
  json config = json::parse(read_file(kStoriesHf / "config.json"));
  config.update(changes);
  attn::test::write_file(dir / "config.json", config.dump(2));
}

std::vector<TokenId> ids_of(const json& array) { return array.get<std::vector<TokenId>>(); }

std::vector<float> copy(std::span<const float> values) { return {values.begin(), values.end()}; }

std::vector<TokenId> random_ids(size_t count, int vocab) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<TokenId> id(3, vocab - 1);
  std::vector<TokenId> ids{1};
  while (ids.size() < count) ids.push_back(id(rng));
  return ids;
}

std::vector<float> incremental_logits(Session& session, const std::vector<TokenId>& ids, size_t chunk) {
  std::vector<float> rows;
  for (size_t first = 0; first < ids.size(); first += chunk) {
    const auto part = std::span(ids).subspan(first, std::min(chunk, ids.size() - first));
    const auto logits = session.forward(part, true);
    rows.insert(rows.end(), logits.begin(), logits.end());
  }
  return rows;
}

}  // namespace

TEST_CASE("a config allowing 2^30 positions loads and generates in the memory of what the sequence holds") {
  TempDir dir;
  link_with_config(dir, {{"max_position_embeddings", kHugeContext}});
  const auto model = Model::load(dir.path());
  CHECK(model->info().context_length == kHugeContext);

  const json reference = json::parse(read_file(kStories / "reference" / "reference.json"));
  for (const auto& c : reference["cases"]) {
    CAPTURE(c["text"].get<std::string>());
    Session session(model);
    CHECK(session.context_length() == SessionOptions::kDefaultContextLength);
    CHECK(session.stats().kv_cache_bytes == 0);  // nothing is allocated before it is needed
    const auto ids = ids_of(c["tokens_runc"]);
    const auto logits = copy(session.forward(ids, true));
    CHECK(max_abs_diff(logits, read_f32(kStories / "reference" / c["logits_file"].get<std::string>())) < 1e-4f);
    session.reset();
    CHECK(greedy(session, ids, 32) == ids_of(c["greedy_continuation_32"]));
    // One page of positions per layer holds them all.
    CHECK(session.stats().kv_cache_bytes == kBytesPerPosition * KvCacheLayer::kPagePositions);
  }

  // The whole context on request, still allocated as it fills; beyond it, an error.
  Session whole(model, SessionOptions{kHugeContext});
  CHECK(whole.context_length() == kHugeContext);
  CHECK(whole.stats().kv_cache_bytes == 0);
  whole.forward(ids_of(reference["cases"][0]["tokens_runc"]));
  CHECK(whole.stats().kv_cache_bytes == kBytesPerPosition * KvCacheLayer::kPagePositions);
  CHECK_THROWS_WITH_AS(Session(model, SessionOptions{kHugeContext + 1}), doctest::Contains("context length"), Error);

  // Before, a session allocated every position up front: 1.5 GB of cache for
  // 2^20 positions, all memory for 2^30. Now the process stays small.
  const int64_t peak = peak_resident_bytes();
  if (peak > 0) CHECK(peak < 300 * 1048576LL);
}

TEST_CASE("attn generate on a 2^30-position config: default context, -c up to the model's maximum, an error beyond") {
  TempDir dir;
  link_with_config(dir, {{"max_position_embeddings", kHugeContext}});
  const std::string command = quote(attn::test::cli_path()) + " generate -m " + quote(dir.path()) +
                              " -p 'Once upon a time' --temp 0 -n 16 -t 1";
  const auto plain = attn::test::run_command(command);
  INFO(plain.err);
  CHECK(plain.exit_code == 0);
  CHECK(plain.out.starts_with("Once upon a time"));
  const auto whole = attn::test::run_command(command + " -c " + std::to_string(kHugeContext));
  CHECK(whole.exit_code == 0);
  CHECK(whole.out == plain.out);
  const auto beyond = attn::test::run_command(command + " -c " + std::to_string(kHugeContext + 1));
  CHECK(beyond.exit_code != 0);
  CHECK(beyond.err.find("context length " + std::to_string(kHugeContext + 1)) != std::string::npos);
}

TEST_CASE("the KV-cached path across several pages equals the packed path, which reads no cache") {
  TempDir dir;
  link_with_config(dir, {{"max_position_embeddings", kHugeContext}});
  const auto model = Model::load(dir.path());
  const auto ids = random_ids(3 * KvCacheLayer::kPagePositions - 50, model->info().vocab_size);
  Session packed_session(model);
  const auto packed = copy(packed_session.forward_packed(std::vector<Encoding>{{ids, {}}}));
  Session session(model);
  CHECK(max_abs_diff(copy(session.forward(ids, true)), packed) < 1e-4f);
  CHECK(session.stats().kv_cache_bytes == 3 * kBytesPerPosition * KvCacheLayer::kPagePositions);
  session.reset();
  CHECK(max_abs_diff(incremental_logits(session, ids, 100), packed) < 1e-4f);
}

TEST_CASE("sliding-window layers keep a ring of their window, over prompts of many windows") {
  constexpr int kWindow = 16;
  TempDir dir;
  link_with_config(dir, {{"architectures", {"MistralForCausalLM"}}, {"model_type", "mistral"},
                         {"sliding_window", kWindow}, {"max_position_embeddings", kHugeContext}});
  const auto model = Model::load(dir.path());
  const auto ids = random_ids(300, model->info().vocab_size);
  // The packed path masks the window over the step's own rows: no cache.
  Session packed_session(model);
  const auto packed = copy(packed_session.forward_packed(std::vector<Encoding>{{ids, {}}}));

  Session session(model);
  const auto full = copy(session.forward(ids, true));  // a prefill of many ring chunks
  CHECK(max_abs_diff(full, packed) < 1e-4f);
  // The ring: the window and one chunk of new rows, 31 positions, not 300.
  CHECK(session.stats().kv_cache_bytes == kBytesPerPosition * (2 * kWindow - 1));
  session.reset();
  CHECK(max_abs_diff(incremental_logits(session, ids, 1), packed) < 1e-4f);
  session.reset();
  CHECK(max_abs_diff(incremental_logits(session, ids, 37), packed) < 1e-4f);

  // Going back within the ring keeps the cache; further back, the sequence
  // starts over (what the window needed there is overwritten).
  const int64_t vocab = model->info().vocab_size;
  session.truncate(290);
  CHECK(session.position() == 290);
  const auto rest = copy(session.forward(std::span(ids).subspan(290), true));
  CHECK(max_abs_diff(rest, std::span(packed).subspan(290 * vocab)) < 1e-4f);
  session.truncate(200);
  CHECK(session.position() == 0);
}

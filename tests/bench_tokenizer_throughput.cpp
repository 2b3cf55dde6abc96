// Tokenizer throughput (MB/s, one thread) on a large text: GPT-2 byte-level
// BPE and BERT WordPiece. A benchmark, not a ctest test: scripts/bench_tokenizers.sh
// runs it with ATTN_BENCH_TEXT naming the text file (paragraphs separated by
// blank lines, each encoded in one call).
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>

#include "test_support.h"
#include "tokenizer/hf_tokenizer.h"

namespace {

std::vector<std::string> paragraphs(const std::string& text) {
  std::vector<std::string> out;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find("\n\n", start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 2;
  }
  return out;
}

void bench(const std::string& name, const std::filesystem::path& tokenizer_path, const std::vector<std::string>& texts,
           size_t bytes) {
  const auto tokenizer = attn::load_hf_tokenizer(tokenizer_path);
  const auto start = std::chrono::steady_clock::now();
  size_t tokens = 0;
  for (const std::string& text : texts) tokens += tokenizer->encode(text, false).size();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE(name << ": " << bytes / 1e6 / seconds << " MB/s (" << tokens << " tokens, " << seconds << " s)");
  CHECK(tokens > 0);
}

}  // namespace

TEST_CASE("tokenizer throughput") {
  const char* path = std::getenv("ATTN_BENCH_TEXT");
  REQUIRE_MESSAGE(path, "set ATTN_BENCH_TEXT to a UTF-8 text file");
  const std::string text = attn::test::read_file(path);
  const auto texts = paragraphs(text);
  const auto tokenizers = attn::test::shared_dir() / "tokenizers";
  bench("gpt2 (byte-level BPE)", tokenizers / "gpt2", texts, text.size());
  bench("bert-base-uncased (WordPiece)", tokenizers / "bert-base-uncased", texts, text.size());
}

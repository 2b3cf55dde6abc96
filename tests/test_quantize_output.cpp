// attn quantize writes its output folder and nothing else: input files that
// are symlinks (a Hugging Face cache) are copied as their targets' contents
// under their own names, subfolders keep their config.json, and a failed
// run leaves no folder behind (the output is staged and renamed into place).
#include <doctest/doctest.h>

#include <set>

#include "attn/attn.h"
#include "test_support.h"

using namespace attn;
using attn::test::read_file;
using attn::test::TempDir;
using attn::test::write_file;
namespace fs = std::filesystem;

namespace {

const fs::path kStoriesHf = attn::test::shared_dir() / "models" / "stories260K-hf";
const fs::path kBert = attn::test::fixtures_dir() / "family" / "bert";

// Every path under `root` (not following links), relative to it.
std::set<std::string> tree(const fs::path& root) {
  std::set<std::string> paths;
  for (const auto& entry : fs::recursive_directory_iterator(root)) paths.insert(entry.path().lexically_relative(root).string());
  return paths;
}

std::vector<float> embedding_of(const std::shared_ptr<const Model>& model, const std::string& text) {
  Session session(model);
  return attn::embed(session, std::vector<std::string>{text}).front().vector;
}

}  // namespace

TEST_CASE("a Hugging Face cache snapshot (files are symlinks into blobs/) is copied into the output only") {
  TempDir dir;
  // hub/models--x/snapshots/<rev>/NAME -> ../../blobs/<sha>, as huggingface_hub lays it out.
  const fs::path repo = dir / "hub" / "models--x";
  const fs::path snapshot = repo / "snapshots" / "abc123";
  fs::create_directories(repo / "blobs");
  fs::create_directories(snapshot);
  int blob = 0;
  for (const auto& entry : fs::directory_iterator(kStoriesHf)) {
    const std::string sha = "sha" + std::to_string(blob++);
    fs::copy_file(entry.path(), repo / "blobs" / sha);
    fs::create_symlink(fs::path("..") / ".." / "blobs" / sha, snapshot / entry.path().filename());
  }
  const std::set<std::string> before = tree(dir.path());

  const fs::path out = dir / "out" / "int8";
  quantize_model(snapshot, out, {DType::I8, std::nullopt});

  std::set<std::string> after = tree(dir.path());
  for (const std::string& path : tree(out)) after.erase((fs::path("out") / "int8" / path).string());
  after.erase("out");
  after.erase((fs::path("out") / "int8").string());
  CHECK(after == before);  // nothing written anywhere else (the review found OUT/../../blobs/...)
  for (const char* name : {"tokenizer.model", "tokenizer_config.json", "LICENSE.llama2.c"}) {
    CAPTURE(name);
    CHECK_FALSE(fs::is_symlink(out / name));
    CHECK(read_file(out / name) == read_file(kStoriesHf / name));
  }
  CHECK(Model::load(out)->info().parameters_by_dtype.count("I8") == 1);
}

TEST_CASE("a quantized sentence-transformers folder keeps 1_Pooling/config.json and embeds as the original does") {
  TempDir dir;
  const fs::path out = dir / "bert-int8";
  quantize_model(kBert, out, {DType::I8, std::nullopt});
  REQUIRE(fs::is_regular_file(out / "1_Pooling" / "config.json"));
  CHECK(read_file(out / "1_Pooling" / "config.json") == read_file(kBert / "1_Pooling" / "config.json"));
  CHECK(read_file(out / "modules.json") == read_file(kBert / "modules.json"));
  LoadOptions int8;
  int8.dtype = DType::I8;
  const std::string text = "The quick brown fox jumps over the lazy dog.";
  CHECK(embedding_of(Model::load(out), text) == embedding_of(Model::load(kBert, int8), text));
}

TEST_CASE("quantize: a write error leaves no output folder, and a non-empty output is refused") {
  TempDir dir;
  const fs::path out = dir / "out";
  // A file-size limit below model.safetensors' size makes the write fail
  // (EFBIG; SIGXFSZ is ignored so the process sees the error).
  const auto failed = attn::test::run_command("trap '' XFSZ; ulimit -f 64; " + attn::test::quote(attn::test::cli_path()) +
                                              " quantize -m " + attn::test::quote(kStoriesHf) + " -o " +
                                              attn::test::quote(out) + " --type bf16");
  INFO(failed.err);
  CHECK(failed.exit_code == 1);
  CHECK(failed.err.find("model.safetensors") != std::string::npos);
  CHECK(failed.err.find("internal error") == std::string::npos);
  CHECK_FALSE(fs::exists(out));
  CHECK(tree(dir.path()).empty());  // nor any staging folder

  fs::create_directories(out);
  write_file(out / "keep.txt", "mine");
  CHECK_THROWS_WITH_AS(quantize_model(kStoriesHf, out, {DType::BF16, std::nullopt}),
                       doctest::Contains("not empty"), Error);
  CHECK(read_file(out / "keep.txt") == "mine");
}

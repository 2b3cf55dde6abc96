// `attn embed` end to end: JSON lines and raw f32 rows in input order,
// overrides, and errors.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace attn::test;
using nlohmann::json;

namespace {

const std::filesystem::path kBert = fixtures_dir() / "family" / "bert";

const json& cases() {
  static const json value = json::parse(read_file(fixtures_dir() / "family" / "reference.json"))["bert"]["cases"];
  return value;
}

std::string input_text() {
  std::string text;
  for (const auto& c : cases()) text += c["text"].get<std::string>() + "\n";
  return text;
}

std::string embed_command(const std::string& options) {
  return quote(cli_path()) + " embed -m " + quote(kBert) + " " + options;
}

std::vector<json> json_lines(const std::string& out) {
  std::vector<json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) ab += double{a[i]} * b[i], aa += double{a[i]} * a[i], bb += double{b[i]} * b[i];
  return ab / std::sqrt(aa * bb);
}

}  // namespace

TEST_CASE("attn embed: one JSON line per input line, in order, as the directory asks (mean, normalised)") {
  TempDir dir;
  write_file(dir / "input.txt", input_text());
  const auto result = run_command(embed_command("-i " + quote(dir / "input.txt") + " --batch-size 3"));
  REQUIRE(result.exit_code == 0);
  const auto lines = json_lines(result.out);
  REQUIRE(lines.size() == cases().size());
  for (size_t i = 0; i < lines.size(); ++i) {
    CAPTURE(i);
    CHECK(cosine(lines[i]["embedding"].get<std::vector<float>>(), cases()[i]["embedding"].get<std::vector<float>>()) >=
          0.99999);
  }
  CHECK(result.err.find("sentences/s") != std::string::npos);
}

TEST_CASE("attn embed: --format f32 writes raw rows; --pooling and --no-normalize override the directory") {
  const auto result = run_command(embed_command("--format f32 --pooling cls --no-normalize"), input_text());
  REQUIRE(result.exit_code == 0);
  const size_t width = cases()[0]["pooled"]["cls"].size();
  REQUIRE(result.out.size() == cases().size() * width * sizeof(float));
  for (size_t i = 0; i < cases().size(); ++i) {
    std::vector<float> row(width);
    std::memcpy(row.data(), result.out.data() + i * width * sizeof(float), width * sizeof(float));
    const auto expected = cases()[i]["pooled"]["cls"].get<std::vector<float>>();
    for (size_t j = 0; j < width; ++j) CHECK(std::fabs(row[j] - expected[j]) < 1e-4f);
  }
}

TEST_CASE("attn embed: a bad line gets {\"error\"} in place, the rest still embed, exit non-zero") {
  const auto result = run_command(embed_command("--batch-size 8"), "Hello world\n\xff\xfe\nHello, world!\n");
  CHECK(result.exit_code != 0);
  const auto lines = json_lines(result.out);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].contains("embedding"));
  CHECK(lines[1].contains("error"));
  CHECK(lines[2].contains("embedding"));
  CHECK(result.err.find("line 2") != std::string::npos);
}

TEST_CASE("attn embed: over-long lines are truncated and marked, or with --no-truncate an error line") {
  std::string long_line;
  for (int i = 0; i < 100; ++i) long_line += "word ";
  const std::string input = "Hello world\n" + long_line + "\n";
  const auto lines = json_lines(run_command(embed_command(""), input).out);
  REQUIRE(lines.size() == 2);
  CHECK_FALSE(lines[0].contains("truncated"));
  CHECK(lines[1]["truncated"] == true);
  CHECK(lines[1].contains("embedding"));

  const auto strict = run_command(embed_command("--no-truncate"), input);
  CHECK(strict.exit_code != 0);
  const auto strict_lines = json_lines(strict.out);
  REQUIRE(strict_lines.size() == 2);
  CHECK(strict_lines[0].contains("embedding"));
  CHECK(strict_lines[1]["error"].get<std::string>().find("at most 64") != std::string::npos);
}

TEST_CASE("attn embed: a decoder model is refused with a clear error") {
  const auto result = run_command(quote(cli_path()) + " embed -m " + quote(fixtures_dir() / "family" / "gpt2"), "hi\n");
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("not an encoder") != std::string::npos);
}

TEST_CASE("attn generate refuses an encoder; attn inspect describes it") {
  const auto generated = run_command(quote(cli_path()) + " generate -m " + quote(kBert) + " -p hello");
  CHECK(generated.exit_code == 1);
  CHECK(generated.err.find("is an encoder") != std::string::npos);
  const auto inspected = run_command(quote(cli_path()) + " inspect --json -m " + quote(kBert));
  REQUIRE(inspected.exit_code == 0);
  const json info = json::parse(inspected.out);
  CHECK(info["architecture"] == "BertModel");
  CHECK(info["graph_ops"]["LayerNorm"] == 5);  // embeddings + 2 per layer
  CHECK(info["graph_ops"]["GELU"] == 2);
}

TEST_CASE("attn embed reads input as score does: JSON lines keep their other fields, texts may hold newlines") {
  const auto plain = run_command(embed_command(""), "Hello world\na\nb\n");
  const auto records =
      run_command(embed_command(""), "{\"id\": 1, \"text\": \"Hello world\"}\n{\"text\": \"a\\nb\", \"k\": \"v\"}\n");
  INFO(records.err);
  REQUIRE(records.exit_code == 0);
  const auto plain_lines = json_lines(plain.out);
  const auto lines = json_lines(records.out);
  REQUIRE(lines.size() == 2);
  CHECK(records.out.rfind("{\"id\":1,\"embedding\":[", 0) == 0);  // the record's fields come first
  CHECK(lines[0]["id"] == 1);
  // Batches are packed differently, so equal up to rounding.
  CHECK(cosine(lines[0]["embedding"], plain_lines[0]["embedding"]) > 0.99999);
  CHECK(lines[1]["k"] == "v");
  CHECK(cosine(lines[1]["embedding"], plain_lines[1]["embedding"]) < 0.9999);  // "a\nb" is one text, not "a"
}

TEST_CASE("attn embed: -o, --resume after a partial output, and --shard, as score does them") {
  TempDir dir;
  std::string input;
  for (int i = 0; i < 7; ++i) input += "sentence number " + std::to_string(i) + " about cats\n";
  write_file(dir / "input.txt", input);
  const std::string base = embed_command("-i " + quote(dir / "input.txt") + " --batch-size 2 ");
  REQUIRE(run_command(base + "-o " + quote(dir / "full.jsonl")).exit_code == 0);
  const std::string full = read_file(dir / "full.jsonl");
  REQUIRE(json_lines(full).size() == 7);

  // Embeddings do not depend on the batch size, bit for bit.
  for (const char* batch_size : {"1", "3", "7"}) {
    CAPTURE(batch_size);
    const auto other = run_command(embed_command("-i " + quote(dir / "input.txt") + " --batch-size " + batch_size));
    REQUIRE(other.exit_code == 0);
    CHECK(other.out == full);
  }

  // A killed run left three lines and half of the fourth (and its resume
  // log): --resume keeps the whole batches (two lines) and finishes
  // byte-identical, with the same batch size or another one.
  size_t cut = 0;
  for (int i = 0; i < 3; ++i) cut = full.find('\n', cut) + 1;
  for (const char* batch_size : {"2", "3"}) {
    CAPTURE(batch_size);
    write_file(dir / "partial.jsonl", full.substr(0, cut + 10));
    std::filesystem::copy_file(dir / "full.jsonl.resume.jsonl", dir / "partial.jsonl.resume.jsonl",
                               std::filesystem::copy_options::overwrite_existing);
    const auto resumed = run_command(embed_command("-i " + quote(dir / "input.txt") + " --batch-size " + batch_size +
                                                   " -o " + quote(dir / "partial.jsonl") + " --resume"));
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(read_file(dir / "partial.jsonl") == full);
  }
  // Other embedding options are another job.
  write_file(dir / "partial.jsonl", full.substr(0, cut));
  const auto other_pooling = run_command(base + "-o " + quote(dir / "partial.jsonl") + " --resume --pooling cls");
  CHECK(other_pooling.exit_code == 1);
  CHECK(other_pooling.err.find("options.pooling: was \"as the directory says\", now \"cls\"") != std::string::npos);

  const auto shard = run_command(base + "--shard 2/3");
  REQUIRE(shard.exit_code == 0);
  const auto all = json_lines(full), part = json_lines(shard.out);
  REQUIRE(part.size() == 2);  // lines 1 and 4
  CHECK(cosine(part[0]["embedding"], all[1]["embedding"]) > 0.99999);
  CHECK(cosine(part[1]["embedding"], all[4]["embedding"]) > 0.99999);
}

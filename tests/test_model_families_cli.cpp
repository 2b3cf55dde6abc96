// The new architectures through the command line: generate (greedy ids and
// EOS lists), score, bench and inspect, with converted weights.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "test_support.h"

using attn::test::quote;
using attn::test::read_file;
using attn::test::run_command;
using nlohmann::json;

namespace {

const std::filesystem::path kDir = attn::test::fixtures_dir() / "families";

const json& reference() {
  static const json r = json::parse(read_file(kDir / "reference.json"));
  return r;
}

attn::test::CommandResult attn_cli(const std::string& args, const std::string& stdin_text = "") {
  return run_command(quote(attn::test::cli_path()) + " " + args, stdin_text);
}

std::string model(const std::string& name) { return "-m " + quote(kDir / name); }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

// One run per architecture and command (each loads a real tokenizer of up to
// 33 MB); the library suite covers every --dtype on every architecture.
TEST_CASE("generate --dtype f16: the greedy ids of every architecture") {
  for (const auto& [name, fixture] : reference()["fixtures"].items()) {
    const json& c = fixture["cases"][0];
    const auto greedy = c["greedy"].get<std::vector<int>>();
    const auto r = attn_cli("generate " + model(name) + " --dtype f16 -p " + quote(c["text"].get<std::string>()) +
                            " --max-new-tokens " + std::to_string(greedy.size()) + " --temperature 0 -t 1 --json");
    INFO(name << "\n" << r.err);
    REQUIRE(r.exit_code == 0);
    const json out = json::parse(r.out);
    CHECK(out["prompt_tokens"] == c["ids"]);
    // f16 holds these bf16/f16 weights exactly (or within the argmax margins).
    CHECK(out["tokens"].get<std::vector<int>>() == greedy);
  }
}

TEST_CASE("generate stops at any id of the EOS list in generation_config.json, else config.json") {
  const json& c = reference()["fixtures"]["llama3"]["cases"][0];
  const auto greedy = c["greedy"].get<std::vector<int>>();
  size_t stop = 1;  // the first token of the greedy continuation not seen before it
  while (std::find(greedy.begin(), greedy.begin() + stop, greedy[stop]) != greedy.begin() + stop) ++stop;
  for (const std::string file : {"generation_config.json", "config.json"}) {
    INFO(file);
    attn::test::TempDir dir;
    std::filesystem::copy(kDir / "llama3", dir.path(), std::filesystem::copy_options::recursive);
    if (file == "config.json") std::filesystem::remove(dir / "generation_config.json");
    json config = json::parse(read_file(dir / file));
    config["eos_token_id"] = {128001, greedy[stop], 128009};  // a list, as Llama 3 writes it
    attn::test::write_file(dir / file, config.dump());
    const auto r = attn_cli("generate -m " + quote(dir.path()) + " -p " + quote(c["text"].get<std::string>()) +
                            " --max-new-tokens 8 --temperature 0 -t 1 --json");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const json out = json::parse(r.out);
    CHECK(out["stop_reason"] == "eos");
    // The EOS token ends the continuation without being part of it.
    CHECK(out["tokens"].get<std::vector<int>>() == std::vector<int>(greedy.begin(), greedy.begin() + stop));
  }
}

TEST_CASE("score --dtype bf16 and bench --dtype int8 run every architecture") {
  for (const auto& [name, fixture] : reference()["fixtures"].items()) {
    INFO(name);
    const auto scored = attn_cli("score " + model(name) + " --dtype bf16 -t 1", "Hello world\n");
    INFO(scored.err);
    REQUIRE(scored.exit_code == 0);
    const double logprob = json::parse(scored.out)["logprob"].get<double>();
    CHECK(std::abs(logprob - fixture["cases"][1]["logprob"].get<double>()) < 0.5);  // bf16-rounded weights
    const auto bench = attn_cli("bench " + model(name) + " --dtype int8 -p 8 -n 4 -t 1 -r 1 --json");
    INFO(bench.err);
    REQUIRE(bench.exit_code == 0);
    CHECK(json::parse(lines_of(bench.out).front())["architecture"] == fixture["architecture"]);
  }
}

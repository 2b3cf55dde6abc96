// The new architectures through the command line: generate (greedy ids and
// EOS lists), score, bench and inspect, with converted weights.
#include <doctest/doctest.h>

#include <algorithm>

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

}  // namespace

TEST_CASE("generate: greedy ids of every architecture, with each --dtype") {
  for (const auto& [name, fixture] : reference()["fixtures"].items()) {
    const json& c = fixture["cases"][0];
    const auto greedy = c["greedy"].get<std::vector<int>>();
    for (const std::string dtype : {"", "--dtype f16"}) {
      const auto r = attn_cli("generate " + model(name) + " " + dtype + " -p " +
                              quote(c["text"].get<std::string>()) + " --max-new-tokens " +
                              std::to_string(greedy.size()) + " --temperature 0 -t 1 --json");
      INFO(name << " " << dtype << "\n" << r.err);
      REQUIRE(r.exit_code == 0);
      const json out = json::parse(r.out);
      CHECK(out["prompt_tokens"] == c["ids"]);
      // f16 of these bf16/f16 weights is exact or within the argmax margins.
      CHECK(out["tokens"].get<std::vector<int>>() == greedy);
    }
    for (const std::string dtype : {"bf16", "int8"}) {
      const auto r = attn_cli("generate " + model(name) + " --dtype " + dtype + " -p 'Hello world' -n 8 --temperature 0 -t 1 --json");
      INFO(name << " " << dtype << "\n" << r.err);
      CHECK(r.exit_code == 0);
    }
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

TEST_CASE("score, bench and inspect run every architecture") {
  for (const auto& [name, fixture] : reference()["fixtures"].items()) {
    INFO(name);
    const auto scored = attn_cli("score " + model(name) + " --dtype bf16", "Hello world\nThe quick brown fox\n");
    INFO(scored.err);
    CHECK(scored.exit_code == 0);
    const auto bench = attn_cli("bench " + model(name) + " --dtype int8 -p 8 -n 4 -t 1 -r 1 --json");
    INFO(bench.err);
    CHECK(bench.exit_code == 0);
    const auto inspect = attn_cli("inspect " + model(name) + " --json");
    REQUIRE(inspect.exit_code == 0);
    CHECK(json::parse(inspect.out)["architecture"] == fixture["architecture"]);
  }
}

// attn translate: text and --json output against the float64 reference of
// tests/fixtures/gen_translation_fixtures.py, one line per input line in
// order, per-line errors, --resume and --shard.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace attn::test;
using nlohmann::json;

namespace {

const json& reference() {
  static const json r = json::parse(read_file(fixtures_dir() / "translation" / "marian_reference.json"));
  return r;
}

std::string translate_command(const std::string& extra) {
  return quote(cli_path()) + " translate -m " + quote(fixtures_dir() / "translation" / "marian") + " -t 1 -n " +
         std::to_string(reference()["max_new_tokens"].get<int>()) + " " + extra;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("attn translate: stdin to stdout, text and --json, beam sizes 1, 2 and 4") {
  std::string input;
  for (const json& c : reference()["cases"]) input += c["text"].get<std::string>() + "\n";
  for (size_t setting : {0, 1, 2}) {  // {"num_beams": 1}, 2, 4 in the reference
    const json& first = reference()["cases"][0]["beam"][setting]["settings"];
    const std::string beams = std::to_string(first["num_beams"].get<int>());
    CAPTURE(beams);
    const auto text = run_command(translate_command("--beam-size " + beams), input);
    REQUIRE(text.exit_code == 0);
    const auto as_json = run_command(translate_command("--beam-size " + beams + " --json"), input);
    REQUIRE(as_json.exit_code == 0);
    const auto text_lines = lines_of(text.out), json_lines = lines_of(as_json.out);
    REQUIRE(text_lines.size() == reference()["cases"].size());
    REQUIRE(json_lines.size() == reference()["cases"].size());
    for (size_t i = 0; i < text_lines.size(); ++i) {
      const json& expected = reference()["cases"][i]["beam"][setting];
      CHECK(text_lines[i] == expected["text"].get<std::string>());
      const json line = json::parse(json_lines[i]);
      CHECK(line["text"] == expected["text"]);
      CHECK(line["tokens"] == expected["tokens"]);
      CHECK(line["score"].get<double>() == doctest::Approx(expected["score"].get<double>()).epsilon(1e-4));
    }
  }
}

TEST_CASE("attn translate: bad lines get an error in their place and the job goes on") {
  std::string too_long;
  for (int i = 0; i < 40; ++i) too_long += "the cat sits ";
  const std::string input = "a bird\n\nbad \xff line\n" + too_long + "\nthe cat sits on the mat\n";
  const auto text = run_command(translate_command("--beam-size 2"), input);
  CHECK(text.exit_code == 1);
  const auto lines = lines_of(text.out);
  REQUIRE(lines.size() == 5);
  CHECK(lines[1].empty());
  CHECK(lines[2].empty());
  CHECK(lines[3].empty());
  CHECK(text.err.find("line 2: empty line") != std::string::npos);
  CHECK(text.err.find("line 3: invalid UTF-8") != std::string::npos);
  CHECK(text.err.find("line 4: the source is") != std::string::npos);

  const std::string jsonl = "{\"text\": \"a bird\", \"id\": 1}\n{\"text\": \"a bird\", \"id\": 2, \"tgt_lang\": \"fr\"}\n";
  const auto as_json = run_command(translate_command("--json"), jsonl);
  CHECK(as_json.exit_code == 1);
  const auto json_lines = lines_of(as_json.out);
  REQUIRE(json_lines.size() == 2);
  CHECK(json::parse(json_lines[0])["id"] == 1);
  CHECK(json::parse(json_lines[0]).contains("tokens"));
  CHECK(json::parse(json_lines[1])["id"] == 2);
  CHECK(json::parse(json_lines[1])["error"].get<std::string>().find("unknown language code 'fr'") != std::string::npos);

  CHECK(run_command(translate_command("--tgt-lang de"), "a bird\n").err.find("unknown language code 'de'") !=
        std::string::npos);
  CHECK(run_command(translate_command("--beam-size 0"), "a bird\n").exit_code != 0);
  const auto decoder = run_command(quote(cli_path()) + " translate -m " + quote(shared_dir() / "models" / "stories260K-hf"), "a\n");
  CHECK(decoder.exit_code != 0);
  CHECK(decoder.err.find("not an encoder-decoder") != std::string::npos);
}

TEST_CASE("attn translate -i/-o: shards merge to the whole output, --resume finishes a partial one") {
  TempDir dir;
  std::string input;
  for (int i = 0; i < 10; ++i) input += reference()["cases"][i % 4]["text"].get<std::string>() + "\n";
  write_file(dir / "input.txt", input);
  const std::string in = "-i " + quote(dir / "input.txt") + " --batch-size 3 --json";
  const auto whole = run_command(translate_command(in));
  REQUIRE(whole.exit_code == 0);
  for (int i = 1; i <= 2; ++i) {
    REQUIRE(run_command(translate_command(in + " --shard " + std::to_string(i) + "/2 -o " +
                                          quote(dir / ("part" + std::to_string(i) + ".jsonl")))).exit_code == 0);
  }
  const auto merged = run_command("(cd " + quote(dir.path()) + " && paste -d '\\n' part1.jsonl part2.jsonl | sed '/^$/d')");
  CHECK(merged.out == whole.out);

  // A run killed after its first batch: the output holds 3 whole lines (and
  // its resume log, out.jsonl.resume.jsonl); --resume adds the rest.
  REQUIRE(run_command(translate_command(in + " -o " + quote(dir / "out.jsonl"))).exit_code == 0);
  const auto first_lines = lines_of(whole.out);
  write_file(dir / "out.jsonl", first_lines[0] + "\n" + first_lines[1] + "\n" + first_lines[2] + "\n");
  REQUIRE(run_command(translate_command(in + " -o " + quote(dir / "out.jsonl") + " --resume")).exit_code == 0);
  CHECK(read_file(dir / "out.jsonl") == whole.out);
  // Another batch size continues the job (beam search does not depend on it); other options do not.
  write_file(dir / "out.jsonl", first_lines[0] + "\n" + first_lines[1] + "\n" + first_lines[2] + "\n");
  const std::string other = "-i " + quote(dir / "input.txt") + " --json -o " + quote(dir / "out.jsonl") + " --resume";
  REQUIRE(run_command(translate_command(other + " --batch-size 4")).exit_code == 0);
  CHECK(read_file(dir / "out.jsonl") == whole.out);
  write_file(dir / "out.jsonl", first_lines[0] + "\n");
  const auto refused = run_command(translate_command(other + " --batch-size 3 --beam-size 1"));
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("options.beam_size") != std::string::npos);
}

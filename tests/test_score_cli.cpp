// `attn score` end to end: values against the torch references, JSON lines
// with pass-through fields, one output line per input line whatever the
// input, byte-identical resumes after SIGKILL, SIGTERM, and shards.
#include <doctest/doctest.h>

#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "test_support.h"

extern char** environ;

using namespace attn::test;
using nlohmann::json;

namespace {

const std::filesystem::path kModel = shared_dir() / "models" / "stories260K-hf";
const std::filesystem::path kScoreFixtures = fixtures_dir() / "score";

const json& reference() {
  static const json value = json::parse(read_file(kScoreFixtures / "reference.json"))["models"]["stories260K-hf"];
  return value;
}

// One thread: the machine running the tests may be busy, and OpenMP barriers
// on a tiny model then cost more than the work.
std::string score_command(const std::string& options) {
  return quote(cli_path()) + " score -t 1 -m " + quote(kModel) + " " + options;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A few thousand lines of varied length from the corpus, for long runs.
std::string long_input() {
  const auto& texts = reference()["texts"];
  std::mt19937 random(7);
  std::string input;
  for (int i = 0; i < 3000; ++i) {
    const std::string text = texts[random() % texts.size()]["text"];
    input += std::to_string(i) + " " + text.substr(0, 5 + random() % 80) + "\n";
  }
  return input;
}

pid_t spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0);
  return pid;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<std::string> score_args(const TempDir& dir, const std::string& batch_size) {
  return {cli_path().string(), "score", "-t", "1", "-m", kModel.string(), "-i", (dir / "input.txt").string(),
          "-o", (dir / "out.jsonl").string(), "--batch-size", batch_size, "--resume"};
}

}  // namespace

TEST_CASE("attn score: log-probabilities of each line match the torch reference; JSON fields pass through") {
  TempDir dir;
  std::string input;
  for (const auto& c : reference()["texts"]) input += json{{"id", input.size()}, {"text", c["text"]}}.dump() + "\n";
  write_file(dir / "input.jsonl", input);
  const auto result = run_command(score_command("-i " + quote(dir / "input.jsonl") + " --batch-size 4"));
  REQUIRE(result.exit_code == 0);
  const auto lines = lines_of(result.out);
  const auto inputs = lines_of(input);
  REQUIRE(lines.size() == reference()["texts"].size());
  for (size_t k = 0; k < lines.size(); ++k) {
    const json out = json::parse(lines[k]);
    const auto expected = reference()["texts"][k]["token_logprobs"].get<std::vector<double>>();
    double sum = 0;
    for (double v : expected) sum += v;
    CHECK(out["id"] == json::parse(inputs[k])["id"]);
    CHECK(nlohmann::ordered_json::parse(lines[k]).begin().key() == "id");  // input fields first
    CHECK_FALSE(out.contains("text"));
    CHECK(out["tokens"].get<size_t>() == expected.size());
    CHECK(std::fabs(out["logprob"].get<double>() - sum) < 1e-4 * expected.size());
    CHECK(out["nll"].get<double>() == doctest::Approx(-sum / expected.size()).epsilon(1e-4));
    CHECK(out["ppl"].get<double>() == doctest::Approx(std::exp(-sum / expected.size())).epsilon(1e-4));
  }
}

TEST_CASE("attn score --perplexity matches the reference loops") {
  for (const auto& run : reference()["perplexity"]) {
    CAPTURE(run.dump());
    std::string options = "--perplexity -i " + quote(kScoreFixtures / "corpus.txt") + " --ctx " + run["ctx"].dump() +
                          " --ppl-method " + run["method"].get<std::string>();
    if (run["stride"] != 0) options += " --stride " + run["stride"].dump();
    const auto result = run_command(score_command(options));
    REQUIRE(result.exit_code == 0);
    const json out = json::parse(result.out);
    CHECK(out["ppl"].get<double>() == doctest::Approx(run["ppl"].get<double>()).epsilon(1e-4));
    CHECK(out["tokens"] == run["tokens"]);
    CHECK(out["chunks"] == run["chunks"]);
  }
  CHECK(run_command(score_command("--perplexity --resume -o x")).err.find("do not apply") != std::string::npos);
}

TEST_CASE("attn score: every input line gets exactly one output line, bad ones an error") {
  std::string garbage(4096, '\0');
  std::mt19937 random(3);
  for (char& c : garbage) c = static_cast<char>(random());
  const std::string megabyte_line(1 << 20, 'a');
  const std::string input = "Once upon a time\n\n\xc3\x28 invalid\n" + megabyte_line + "\n" + garbage + "\nLily smiled.\n";
  const size_t input_lines = lines_of(input).size();

  TempDir dir;
  write_file(dir / "input.txt", input);
  for (const std::string extra : {"", " --truncate"}) {
    CAPTURE(extra);
    const auto result = run_command(score_command("-i " + quote(dir / "input.txt") + " --batch-size 3" + extra));
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("could not be scored") != std::string::npos);
    const auto lines = lines_of(result.out);
    REQUIRE(lines.size() == input_lines);
    std::vector<json> out;
    for (const auto& line : lines) out.push_back(json::parse(line));  // all valid JSON
    CHECK(out[0].contains("logprob"));
    CHECK(out[1]["error"].get<std::string>().find("empty") != std::string::npos);
    CHECK(out[2]["error"].get<std::string>().find("UTF-8") != std::string::npos);
    if (extra.empty()) {
      CHECK(out[3]["error"].get<std::string>().find("context holds 512") != std::string::npos);
    } else {
      CHECK(out[3]["tokens"] == 511);
      CHECK(out[3]["truncated_tokens"].get<int>() > 0);
    }
    CHECK(out.back().contains("logprob"));
  }

  // A JSON-lines input with a line that is not a record.
  const auto jsonl = run_command(score_command(""), "{\"text\":\"Hi\",\"id\":1}\nnot json\n{\"id\":3}\n");
  const auto lines = lines_of(jsonl.out);
  REQUIRE(lines.size() == 3);
  CHECK(json::parse(lines[1])["error"].get<std::string>().find("not a JSON object") != std::string::npos);
  CHECK(json::parse(lines[2])["id"] == 3);
}

TEST_CASE("attn score: files that cannot be read or written get a clear message before any work") {
  const auto missing = run_command(score_command("-i /nonexistent/input.txt"));
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("/nonexistent/input.txt: cannot read the input file") != std::string::npos);
  const auto unwritable = run_command(score_command("-o /nonexistent/dir/out.jsonl"), "Hello\n");
  CHECK(unwritable.exit_code == 1);
  CHECK(unwritable.err.find("/nonexistent/dir/out.jsonl: cannot write the output file") != std::string::npos);
  CHECK(run_command(score_command("--resume"), "Hello\n").err.find("-o FILE") != std::string::npos);
  CHECK(run_command(score_command("--shard 4/3"), "Hello\n").err.find("I/N") != std::string::npos);
}

TEST_CASE("attn score --resume: killed at random points, the final output is byte-identical") {
  TempDir dir;
  write_file(dir / "input.txt", long_input());
  const auto complete = run_command(score_command("-i " + quote(dir / "input.txt") + " --batch-size 7"));
  REQUIRE(complete.exit_code == 0);
  const std::string expected = complete.out;

  // A torn last batch and half a line, as a kill in the middle of a write
  // leaves them (the resume log holds every batch's checkpoint).
  auto fresh = score_args(dir, "7");
  fresh.pop_back();
  REQUIRE(wait_exit_code(spawn(fresh)) == 0);
  CHECK(read_file(dir / "out.jsonl") == expected);
  write_file(dir / "out.jsonl", expected.substr(0, expected.size() / 3));
  REQUIRE(wait_exit_code(spawn(score_args(dir, "7"))) == 0);
  CHECK(read_file(dir / "out.jsonl") == expected);

  std::filesystem::remove(dir / "out.jsonl");
  std::filesystem::remove(dir / "out.jsonl.resume.jsonl");
  std::mt19937 random(11);
  int kills = 0;
  for (int attempt = 0; attempt < 20; ++attempt) {
    const pid_t pid = spawn(score_args(dir, "7"));
    std::this_thread::sleep_for(std::chrono::milliseconds(40 + random() % 200));
    kill(pid, SIGKILL);
    const int code = wait_exit_code(pid);
    const std::string partial = std::filesystem::exists(dir / "out.jsonl") ? read_file(dir / "out.jsonl") : "";
    CHECK(expected.compare(0, partial.size(), partial) == 0);  // always a prefix of the full output
    if (code == 0) break;
    ++kills;
    if (kills == 4) break;
  }
  CHECK(kills >= 1);
  // Scores do not depend on the batch size, so another one continues the job.
  REQUIRE(wait_exit_code(spawn(score_args(dir, "3"))) == 0);
  CHECK(read_file(dir / "out.jsonl") == expected);
}

TEST_CASE("attn score: SIGTERM finishes the batch in hand, flushes and exits with a message") {
  TempDir dir;
  write_file(dir / "input.txt", long_input());
  auto args = score_args(dir, "5");
  args.pop_back();  // no --resume: a fresh run
  write_file(dir / "out.jsonl", "");
  const pid_t pid = spawn(args);
  // Signal once the first batch is out (so the run is past loading).
  for (int i = 0; i < 1000 && std::filesystem::file_size(dir / "out.jsonl") == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, SIGTERM);
  const int code = wait_exit_code(pid);
  if (code == 0) return;  // finished before the signal arrived: nothing more to check
  CHECK(code == 1);
  const std::string out = read_file(dir / "out.jsonl");
  CHECK(!out.empty());
  CHECK(out.back() == '\n');
  CHECK(lines_of(out).size() % 5 == 0);
}

TEST_CASE("attn score --shard: shards 1/3, 2/3, 3/3 merged with the README recipe equal the unsharded output") {
  TempDir dir;
  std::string input;
  for (int i = 0; i < 40; ++i) input += (i % 9 == 4 ? std::string() : "Line " + std::to_string(i) + " of the story.") + "\n";
  write_file(dir / "input.txt", input);
  const auto whole = run_command(score_command("-i " + quote(dir / "input.txt") + " --batch-size 4"));
  REQUIRE(whole.exit_code == 1);  // the empty lines
  for (int i = 1; i <= 3; ++i) {
    const std::string shard = std::to_string(i) + "/3";
    run_command(score_command("-i " + quote(dir / "input.txt") + " --batch-size 4 --shard " + shard + " -o " +
                              quote(dir / ("part" + std::to_string(i) + ".jsonl"))));
  }
  const auto merged =
      run_command("(cd " + quote(dir.path()) + " && paste -d '\\n' part1.jsonl part2.jsonl part3.jsonl | sed '/^$/d')");
  CHECK(merged.out == whole.out);
}

TEST_CASE("attn score with a sequence classifier: label scores by name, sentence pairs from tab-separated columns") {
  const json classifiers = json::parse(read_file(fixtures_dir() / "family" / "reference.json"))["classifiers"];
  for (const auto& item : classifiers.items()) {
    const std::string name = item.key();
    const auto& reference = item.value();
    CAPTURE(name);
    std::string tsv, jsonl;
    for (const auto& c : reference["cases"]) {
      tsv += c["text"].get<std::string>();
      if (c.contains("pair")) {
        tsv += '\t';
        tsv += c["pair"].get<std::string>();
      }
      tsv += '\n';
      json record{{"text", c["text"]}, {"n", jsonl.size()}};
      if (c.contains("pair")) record["text_pair"] = c["pair"];
      jsonl += record.dump() + "\n";
    }
    tsv.insert(tsv.find('\n') + 1, "\xff bad\n");  // an error in the middle of a batch
    const std::string model = quote(fixtures_dir() / "family" / (name + "_classifier"));
    const auto from_tsv = run_command(quote(cli_path()) + " score -t 1 --batch-size 4 -m " + model, tsv);
    const auto from_jsonl = run_command(quote(cli_path()) + " score -t 1 -m " + model, jsonl);
    CHECK(from_tsv.exit_code == 1);
    REQUIRE(from_jsonl.exit_code == 0);
    auto lines = lines_of(from_tsv.out);
    REQUIRE(lines.size() == reference["cases"].size() + 1);
    CHECK(json::parse(lines[1])["error"].get<std::string>().find("UTF-8") != std::string::npos);
    lines.erase(lines.begin() + 1);
    const auto jsonl_lines = lines_of(from_jsonl.out);
    const auto labels = reference["labels"].get<std::vector<std::string>>();
    for (size_t k = 0; k < lines.size(); ++k) {
      CAPTURE(k);
      const json out = json::parse(lines[k]);
      const auto expected = reference["cases"][k]["scores"].get<std::vector<double>>();
      for (size_t c = 0; c < labels.size(); ++c) CHECK(std::fabs(out["scores"][labels[c]].get<double>() - expected[c]) < 1e-4);
      const bool multi_label = name == "roberta";
      CHECK(out.contains("label") == !multi_label);
      if (!multi_label) CHECK(out["label"] == labels[std::max_element(expected.begin(), expected.end()) - expected.begin()]);
      const json from_record = json::parse(jsonl_lines[k]);
      CHECK(nlohmann::ordered_json::parse(jsonl_lines[k]).begin().key() == "n");  // input fields first
      CHECK_FALSE(from_record.contains("text_pair"));
      for (const auto& label : labels) {
        CHECK(std::fabs(from_record["scores"][label].get<double>() - out["scores"][label].get<double>()) < 1e-6);
      }
    }
  }
  const auto plain_encoder = run_command(quote(cli_path()) + " score -m " + quote(fixtures_dir() / "family" / "bert"), "Hi\n");
  CHECK(plain_encoder.exit_code == 1);
  CHECK(plain_encoder.err.find("without a classification head") != std::string::npos);
}

TEST_CASE("attn score --resume refuses what it cannot continue, saying what changed") {
  TempDir dir;
  std::string input;
  for (int i = 0; i < 30; ++i) input += "Line " + std::to_string(i) + " of the story.\n";
  write_file(dir / "input.txt", input);
  const std::string base = "-i " + quote(dir / "input.txt") + " -o " + quote(dir / "out.jsonl") + " --batch-size 4";
  REQUIRE(run_command(score_command(base)).exit_code == 0);
  const std::string complete = read_file(dir / "out.jsonl");
  const std::string half = complete.substr(0, complete.find('\n', complete.size() / 2) + 1);
  auto resume_error = [&](const std::string& options) {
    write_file(dir / "out.jsonl", half);
    const auto result = run_command(score_command(base + " --resume " + options));
    CHECK(result.exit_code == 1);
    const std::string kept = read_file(dir / "out.jsonl");  // at most cut back to its last whole batch
    CHECK(half.compare(0, kept.size(), kept) == 0);
    return result.err;
  };
  CHECK(resume_error("--token-logprobs").find("token_logprobs: was false, now true") != std::string::npos);
  CHECK(resume_error("--truncate").find("truncate: was false, now true") != std::string::npos);
  CHECK(resume_error("--dtype bf16").find("dtype") != std::string::npos);
  write_file(dir / "out.jsonl", half);
  const auto other_model = run_command(quote(cli_path()) + " score -t 1 -m " + quote(fixtures_dir() / "llama" / "qwen2") +
                                       " " + base + " --resume");
  CHECK(other_model.exit_code == 1);
  CHECK(other_model.err.find("model.architecture: was \"LlamaForCausalLM\", now \"Qwen2ForCausalLM\"") != std::string::npos);

  std::string edited = input;
  edited.replace(edited.find("Line 3"), 6, "Line X");
  write_file(dir / "input.txt", edited);
  CHECK(resume_error("").find("the input was edited") != std::string::npos);
  write_file(dir / "input.txt", input.substr(0, input.find("Line 5")));
  CHECK(resume_error("").find("the input shrank") != std::string::npos);

  // Not refused: another batch size (scores do not depend on it) and a longer input.
  write_file(dir / "input.txt", input + "One more line.\n");
  write_file(dir / "out.jsonl", half);
  const auto other_batch = run_command(score_command("-i " + quote(dir / "input.txt") + " -o " + quote(dir / "out.jsonl") +
                                                     " --batch-size 5 --resume"));
  CHECK(other_batch.exit_code == 0);
  const auto longer = run_command(score_command("-i " + quote(dir / "input.txt") + " --batch-size 4"));
  CHECK(read_file(dir / "out.jsonl") == longer.out);

  write_file(dir / "input.txt", input);
  std::filesystem::remove(dir / "out.jsonl.resume.jsonl");
  CHECK(resume_error("").find("no resume log") != std::string::npos);
}

TEST_CASE("attn score: a full disk keeps the whole batches and says how to continue") {
  TempDir dir;
  write_file(dir / "input.txt", long_input());
  const auto complete = run_command(score_command("-i " + quote(dir / "input.txt") + " --batch-size 16"));
  REQUIRE(complete.exit_code == 0);
  const std::string command = score_command("-i " + quote(dir / "input.txt") + " -o " + quote(dir / "out.jsonl") +
                                            " --batch-size 16");
  // A file-size limit stands in for the full disk (EFBIG instead of ENOSPC).
  const auto full = run_command("trap '' XFSZ; ulimit -f 100; " + command);
  CHECK(full.exit_code == 1);
  CHECK(full.err.find("--resume") != std::string::npos);
  const std::string partial = read_file(dir / "out.jsonl");
  CHECK(complete.out.compare(0, partial.size(), partial) == 0);
  REQUIRE(run_command(command + " --resume").exit_code == 0);
  CHECK(read_file(dir / "out.jsonl") == complete.out);
}

// attn embed: input lines -> sentence embeddings, one JSON line
// {"embedding":[...]} per line in input order, or raw float32 rows.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <utility>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "job_output.h"
#include "json_text.h"
#include "line_input.h"
#include "model_options.h"
#include "validators.h"

namespace attn::cli {
namespace {

struct EmbedArgs {
  ModelOptions model;
  std::string input;   // empty: stdin
  std::string output;  // empty: stdout
  bool resume = false;
  std::string pooling;
  std::optional<bool> normalize;  // unset: as the directory says
  int batch_size = 32;
  bool truncate = true;
  std::string format = "json";
};

// One batch's output, written to the JobOutput once complete.
class Writer {
 public:
  explicit Writer(bool raw) : raw_(raw) {}
  void embedding(const Embedding& e) {
    if (raw_) {
      // x86-64 floats are little-endian.
      text_.append(reinterpret_cast<const char*>(e.vector.data()), e.vector.size() * sizeof(float));
      return;
    }
    nlohmann::json line{{"embedding", e.vector}};
    if (e.truncated) line["truncated"] = true;
    text_ += json_text(line) + "\n";
  }
  // Raw rows cannot carry an error, so the caller stops at the first one.
  void error(const std::string& message) { text_ += json_text(nlohmann::json{{"error", message}}) + "\n"; }
  bool raw() const { return raw_; }
  // The batch's bytes; the writer starts the next batch empty.
  std::string take() { return std::exchange(text_, {}); }

 private:
  bool raw_;
  std::string text_;
};

// What --resume must find unchanged: the model and the options that change
// the output, the batch size included (batched results differ from single
// ones in the last digits).
nlohmann::ordered_json job_identity(const EmbedArgs& args, const Model& model, const EmbedOptions& options) {
  const ModelInfo& info = model.info();
  std::error_code ignored;
  return {{"command", "embed"},
          {"model", {{"path", std::filesystem::weakly_canonical(args.model.model, ignored).string()},
                     {"architecture", info.architecture},
                     {"parameters", info.parameter_count},
                     {"weight_bytes", info.weight_bytes}}},
          {"options", {{"dtype", args.model.dtype.empty() ? "as stored" : args.model.dtype},
                       {"tokenizer", args.model.tokenizer},
                       {"pooling", args.pooling.empty() ? "as the directory says" : args.pooling},
                       {"normalize", options.normalize ? (*options.normalize ? "yes" : "no") : "as the directory says"},
                       {"batch_size", args.batch_size},
                       {"truncate", args.truncate},
                       {"format", args.format}}}};
}

// Embeds one batch of lines; if it fails, retries line by line so the bad
// line is named and, in JSON, the output stays one line per input line.
bool embed_batch(Session& session, const std::vector<std::string>& lines, size_t first_line,
                 const EmbedOptions& options, Writer& out) {
  try {
    for (const Embedding& e : embed(session, lines, options)) out.embedding(e);
    return true;
  } catch (const Error&) {
    if (lines.size() == 1 && !out.raw()) throw;
  }
  bool ok = true;
  for (size_t i = 0; i < lines.size(); ++i) {
    try {
      out.embedding(embed(session, std::span<const std::string>(&lines[i], 1), options).front());
    } catch (const Error& e) {
      std::fprintf(stderr, "attn: line %zu: %s\n", first_line + i, e.what());
      if (out.raw()) throw Error("line " + std::to_string(first_line + i) + ": " + e.what());
      out.error(e.what());
      ok = false;
    }
  }
  return ok;
}

bool run(const EmbedArgs& args) {
  JobOutput output(args.output, args.resume);  // fail on an unwritable path before loading
  const auto model = args.model.load();
  EmbedOptions options;
  if (!args.pooling.empty()) options.pooling = parse_pooling(args.pooling);  // validated by CLI11
  options.normalize = args.normalize;
  options.batch_size = args.batch_size;
  options.truncate = args.truncate;

  std::ifstream file;
  if (!args.input.empty()) {
    file.open(args.input, std::ios::binary);
    if (!file) throw Error(args.input + ": cannot read the input file");
  }
  std::istream& in = args.input.empty() ? std::cin : file;
  output.start(job_identity(args, *model, options));
  const size_t done = output.input_lines_done();
  Session session(model);
  Writer out(args.format == "f32");
  bool ok = true;
  size_t count = 0;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> lines;
  InputDigest digest;
  size_t index = 0;  // input lines read
  for (std::string line; ;) {
    const bool more = read_line(in, line);
    if (more) {
      digest.add(line);
      if (index++ < done) {
        if (index == done) output.check_input(digest, index);
        continue;
      }
      lines.push_back(line);
    }
    if (lines.size() == static_cast<size_t>(args.batch_size) || (!more && !lines.empty())) {
      ok = embed_batch(session, lines, index - lines.size() + 1, options, out) && ok;
      output.write_batch(out.take(), index, digest);
      count += lines.size();
      lines.clear();
    }
    if (!more) break;
  }
  if (index < done) output.check_input(digest, index);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "attn: embedded %zu lines in %.3f s (%.1f sentences/s, %d threads)\n", count, seconds,
               count / std::max(seconds, 1e-9), num_threads());
  return ok;
}

}  // namespace

void add_embed_command(CLI::App& app) {
  auto args = std::make_shared<EmbedArgs>();
  CLI::App* cmd = app.add_subcommand("embed", "Sentence embeddings of input lines (encoder models)");
  args->model.add_to(*cmd);
  args->model.add_dtype_to(*cmd);
  cmd->add_option("-i,--input", args->input, "text file, one sentence per line (default: stdin)");
  cmd->add_option("-o,--output", args->output, "output file (default: stdout)");
  cmd->add_flag("--resume", args->resume, "continue an interrupted run on the same -o file");
  cmd->add_option("--pooling", args->pooling, "override the directory's pooling")
      ->check(CLI::IsMember({"mean", "cls", "max", "last"}));
  // CLI11 fills an optional<bool> flag even when absent, so the option's count decides.
  auto normalize = std::make_shared<bool>(false);
  CLI::Option* normalize_flag =
      cmd->add_flag("--normalize,!--no-normalize", *normalize, "L2-normalise (default: as the directory says)");
  cmd->add_option("--batch-size", args->batch_size, "sentences per forward pass")->check(number_in(1, 1e9, ">= 1"));
  cmd->add_flag("!--no-truncate", args->truncate,
                "fail on lines longer than the model's maximum length instead of truncating them "
                "(truncated lines get \"truncated\":true)");
  cmd->add_option("--format", args->format, "json: {\"embedding\":[...]} lines; f32: raw little-endian float32 rows")
      ->check(CLI::IsMember({"json", "f32"}));
  cmd->callback([args, normalize, normalize_flag] {
    if (normalize_flag->count() > 0) args->normalize = *normalize;
    if (!run(*args)) throw Error("some lines could not be embedded (see above)");
  });
}

}  // namespace attn::cli

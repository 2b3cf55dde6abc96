// attn embed: input records -> sentence embeddings, one JSON line
// {"embedding":[...]} per record in input order (with the record's other
// JSON fields first), or raw float32 rows. Long jobs run like `attn score`:
// -o, --resume, --shard, a progress bar, SIGINT/SIGTERM after a whole batch.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "batch_job.h"
#include "commands.h"
#include "model_options.h"
#include "validators.h"

namespace attn::cli {
namespace {

struct EmbedArgs {
  ModelOptions model;
  BatchJobOptions job;
  std::string pooling;
  std::optional<bool> normalize;  // unset: as the directory says
  int batch_size = 32;
  bool truncate = true;
  std::string format = "json";
};

// One output record: raw little-endian float32 (x86-64 floats are) or a JSON line.
std::string embedding_output(const InputRecord& record, const Embedding& e, bool raw) {
  if (raw) return std::string(reinterpret_cast<const char*>(e.vector.data()), e.vector.size() * sizeof(float));
  nlohmann::ordered_json line = record.fields;
  line["embedding"] = e.vector;
  if (e.truncated) line["truncated"] = true;
  return json_line(line);
}

std::string error_output(const InputRecord& record, const std::string& message) {
  nlohmann::ordered_json line = record.fields;
  line["error"] = message;
  return json_line(line);
}

// Embeds one batch; if it fails, retries record by record so the bad one is
// named and, in JSON, the output stays one line per input record. Raw rows
// cannot carry an error, so f32 output stops at the first one.
std::string embed_batch(Session& session, std::vector<InputRecord>& batch, const EmbedOptions& options, bool raw,
                        BatchJobTotals& totals) {
  std::vector<std::string> texts;
  bool readable = true;
  for (const InputRecord& record : batch) {
    texts.push_back(record.text);
    readable = readable && record.error.empty();
  }
  std::string out;
  if (readable) {
    try {
      const auto embeddings = embed(session, texts, options);
      for (size_t i = 0; i < batch.size(); ++i) out += embedding_output(batch[i], embeddings[i], raw);
      return out;
    } catch (const Error&) {
      out.clear();
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    const size_t line = totals.resumed_after + totals.lines + i + 1;
    try {
      if (!batch[i].error.empty()) throw Error(batch[i].error);
      out += embedding_output(batch[i], embed(session, std::span<const std::string>(&texts[i], 1), options).front(), raw);
    } catch (const Error& e) {
      std::fprintf(stderr, "attn: line %zu: %s\n", line, e.what());
      if (raw) throw Error("line " + std::to_string(line) + ": " + e.what());
      out += error_output(batch[i], e.what());
      ++totals.errors;
    }
  }
  return out;
}

void run(const EmbedArgs& args) {
  const bool raw = args.format == "f32";
  if (raw && args.job.resume) throw Error("--resume works on JSON output; raw f32 rows have no lines to count");
  BatchJobOptions job_options = args.job;
  job_options.batch_size = static_cast<size_t>(args.batch_size);
  BatchJob job(job_options);  // fails on a bad input or output path before loading
  Session session(args.model.load());
  const ModelInfo& info = session.model().info();
  if (!info.encoder) {
    throw Error(info.path.string() + ": " + info.architecture +
                " is not an encoder; attn embed needs a BERT-style model (attn score scores text with a decoder)");
  }
  EmbedOptions options;
  if (!args.pooling.empty()) options.pooling = parse_pooling(args.pooling);  // validated by CLI11
  options.normalize = args.normalize;
  options.batch_size = args.batch_size;
  options.truncate = args.truncate;
  nlohmann::ordered_json identity = job_identity("embed", args.model, session.model());
  identity["options"]["pooling"] = args.pooling.empty() ? "as the directory says" : args.pooling;
  identity["options"]["normalize"] = !args.normalize ? "as the directory says" : *args.normalize ? "yes" : "no";
  identity["options"]["truncate"] = args.truncate;
  identity["options"]["format"] = args.format;
  const BatchJobTotals& totals = job.run(identity, [&](std::vector<InputRecord>& batch, BatchJobTotals& t) {
    return embed_batch(session, batch, options, raw, t);
  });
  job.print_summary("sentences", "embedded");
  if (totals.errors > 0) throw Error("some lines could not be embedded (see above)");
}

}  // namespace

void add_embed_command(CLI::App& app) {
  auto args = std::make_shared<EmbedArgs>();
  CLI::App* cmd = app.add_subcommand("embed", "Sentence embeddings of input lines (encoder models)");
  args->model.add_to(*cmd);
  args->model.add_dtype_to(*cmd);
  add_batch_job_options(*cmd, args->job);
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
    run(*args);
  });
}

}  // namespace attn::cli

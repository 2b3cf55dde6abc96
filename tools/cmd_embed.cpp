// attn embed: input records -> sentence embeddings, one JSON line
// {"embedding":[...]} per record in input order (with the record's other
// JSON fields first), or raw float32 rows. Long jobs run like `attn score`:
// -o, --resume, --shard, a progress bar, SIGINT/SIGTERM after a whole batch.
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

void run(const EmbedArgs& args) {
  const bool raw = args.format == "f32";
  if (raw && args.job.resume) throw Error("--resume works on JSON output; raw f32 rows have no lines to count");
  BatchJobOptions job_options = args.job;
  job_options.batch_size = static_cast<size_t>(args.batch_size);
  BatchJob job(job_options);  // fails on a bad input or output path before loading
  Session session(args.model.load());
  require_record_task(session.model(), RecordTask::Embed);
  RecordOptions options;
  if (!args.pooling.empty()) options.embed.pooling = parse_pooling(args.pooling);  // validated by CLI11
  options.embed.normalize = args.normalize;
  options.embed.batch_size = args.batch_size;
  options.embed.truncate = args.truncate;
  options.embed_f32 = raw;
  nlohmann::ordered_json identity = job_identity("embed", args.model, session.model());
  identity["options"]["pooling"] = args.pooling.empty() ? "as the directory says" : args.pooling;
  identity["options"]["normalize"] = !args.normalize ? "as the directory says" : *args.normalize ? "yes" : "no";
  identity["options"]["truncate"] = args.truncate;
  identity["options"]["format"] = args.format;
  const BatchJobTotals& totals = job.run(identity, [&](std::span<const std::string> lines, RecordFormat format) {
    options.format = format;
    return process_records(session, RecordTask::Embed, lines, options);
  });
  job.print_summary("sentences", "embedded");
  if (totals.errors > 0) throw Error("some lines could not be embedded (see above)");
}

}  // namespace

void add_embed_command(CLI::App& app) {
  auto args = std::make_shared<EmbedArgs>();
  CLI::App* cmd = app.add_subcommand("embed", "Sentence embeddings of input lines (encoder models)");
  args->model.add_to(*cmd);
  args->model.add_precision_options_to(*cmd);
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

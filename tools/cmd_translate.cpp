// attn translate: one translation per input line, in input order, as text or
// (--json) as {"text", "tokens", "score"} with the record's other JSON fields
// first. Long jobs run like `attn score`: -o, --resume, --shard, a progress
// bar, SIGINT/SIGTERM after a whole batch. A line that cannot be translated
// (empty, invalid UTF-8, an unknown language, longer than the encoder's
// positions) gets an error on stderr and, in its place in the output, an
// empty line (text) or {"error": ...} (JSON); the other lines go on.
#include "batch_job.h"
#include "commands.h"
#include "model_options.h"
#include "validators.h"

namespace attn::cli {
namespace {

struct TranslateArgs {
  ModelOptions model;
  BatchJobOptions job;
  TranslateOptions options;
  bool json = false;
};

void run(TranslateArgs& args) {
  args.job.batch_size = static_cast<size_t>(args.options.batch_size);
  BatchJob job(args.job);  // fails on a bad input or output path before loading
  const auto model = args.model.load();
  Translator translator(model);
  // Bad options fail before any line is read.
  translator.translate(std::span<const std::string>(), args.options);
  // What a resume must find unchanged (not the batch size: beam search does not depend on it).
  const TranslateOptions& o = args.options;
  nlohmann::ordered_json identity = job_identity("translate", args.model, *model);
  identity["options"]["beam_size"] = o.beam_size;
  identity["options"]["max_new_tokens"] = o.max_new_tokens;
  identity["options"]["length_penalty"] = o.length_penalty ? nlohmann::ordered_json(*o.length_penalty) : "the model's";
  identity["options"]["early_stopping"] = o.early_stopping.value_or("the model's");
  identity["options"]["no_repeat_ngram_size"] =
      o.no_repeat_ngram_size ? nlohmann::ordered_json(*o.no_repeat_ngram_size) : "the model's";
  identity["options"]["source_language"] = o.source_language;
  identity["options"]["target_language"] = o.target_language;
  identity["options"]["json"] = args.json;
  RecordOptions options;
  options.translate = args.options;
  options.translate_json = args.json;
  const BatchJobTotals& totals = job.run(identity, [&](std::span<const std::string> lines, RecordFormat format) {
    options.format = format;
    return process_records(translator, lines, options);
  });
  job.print_summary("sentences", "generated");
  if (totals.errors > 0) throw Error("some lines could not be translated (see above)");
}

}  // namespace

void add_translate_command(CLI::App& app) {
  auto args = std::make_shared<TranslateArgs>();
  CLI::App* cmd = app.add_subcommand("translate", "Translate input lines (encoder-decoder models: MarianMTModel, T5, M2M-100, NLLB)");
  args->model.add_to(*cmd);
  args->model.add_precision_options_to(*cmd);
  add_batch_job_options(*cmd, args->job);
  TranslateOptions& o = args->options;
  cmd->add_option("--src-lang", o.source_language, "source language code (M2M-100: e.g. en, NLLB: eng_Latn; default: the tokenizer's src_lang)");
  cmd->add_option("--tgt-lang", o.target_language, "target language code (Marian's >>fra<< as fra; M2M-100, NLLB, required: e.g. de, deu_Latn)");
  cmd->add_option("--beam-size", o.beam_size, "beams (1: greedy; default: the model's num_beams)")->check(number_in(1, 1e6, ">= 1"));
  cmd->add_option("-n,--max-new-tokens", o.max_new_tokens, "target tokens at most (default: the model's max_length)")
      ->check(number_in(1, 1e9, ">= 1"));
  cmd->add_option("--batch-size", o.batch_size, "sentences decoded together")->check(number_in(1, 1e9, ">= 1"));
  cmd->add_option("--length-penalty", o.length_penalty, "exponent of the length dividing beam scores (default: the model's)");
  cmd->add_option("--early-stopping", o.early_stopping, "true, false or never (default: the model's)")
      ->check(CLI::IsMember({"true", "false", "never"}));
  cmd->add_option("--no-repeat-ngram-size", o.no_repeat_ngram_size, "never repeat an n-gram of this size")
      ->check(number_in(0, 1e6, ">= 0"));
  cmd->add_flag("--json", args->json, "JSON lines {\"text\", \"tokens\", \"score\"} instead of text");
  cmd->callback([args] { run(*args); });
}

}  // namespace attn::cli

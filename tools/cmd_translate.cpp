// attn translate: one translation per input line, in input order, as text or
// (--json) as {"text", "tokens", "score"} with the record's other JSON fields
// first. Long jobs run like `attn score`: -o, --resume, --shard, a progress
// bar, SIGINT/SIGTERM after a whole batch. A line that cannot be translated
// (empty, invalid UTF-8, an unknown language, longer than the encoder's
// positions) gets an error on stderr and, in its place in the output, an
// empty line (text) or {"error": ...} (JSON); the other lines go on.
#include <cstdio>

#include <nlohmann/json.hpp>

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

// JSON-lines records may name their own languages ("src_lang", "tgt_lang"; the flags are the default).
TranslateOptions record_options(const InputRecord& record, const TranslateOptions& defaults) {
  TranslateOptions options = defaults;
  for (const auto& [key, target] : {std::pair{"src_lang", &options.source_language}, std::pair{"tgt_lang", &options.target_language}}) {
    if (record.fields.contains(key) && record.fields[key].is_string()) *target = record.fields[key].get<std::string>();
  }
  return options;
}

std::string output_line(const InputRecord& record, const Translation& t, bool json) {
  if (json) {
    nlohmann::ordered_json line = record.fields;
    if (!t.ok()) {
      line["error"] = t.error;
    } else {
      line["text"] = t.text;
      line["tokens"] = t.tokens;
      line["score"] = t.score;
    }
    return json_line(line);
  }
  std::string text = t.text;  // one output line per input line, whatever the text holds
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text + "\n";
}

std::string translate_batch(Translator& translator, std::vector<InputRecord>& batch, const TranslateArgs& args,
                            BatchJobTotals& totals) {
  // Records are grouped by their options (languages), each group one batch.
  std::vector<Translation> results(batch.size());
  std::vector<std::vector<TokenId>> sources;
  std::vector<size_t> readable;
  std::vector<TranslateOptions> options;
  for (size_t i = 0; i < batch.size(); ++i) {
    options.push_back(record_options(batch[i], args.options));
    try {
      if (!batch[i].error.empty()) throw Error(batch[i].error);
      sources.push_back(translator.encode_source(batch[i].text, options[i]));
      readable.push_back(i);
    } catch (const Error& e) {
      results[i].error = e.what();
    }
  }
  if (!sources.empty()) {
    auto translated = translator.translate_ids(sources, args.options);
    for (size_t j = 0; j < readable.size(); ++j) results[readable[j]] = std::move(translated[j]);
  }
  std::string out;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!results[i].ok()) {
      std::fprintf(stderr, "attn: line %zu: %s\n", totals.resumed_after + totals.lines + i + 1, results[i].error.c_str());
      ++totals.errors;
    }
    totals.tokens += static_cast<int64_t>(results[i].tokens.size());
    out += output_line(batch[i], results[i], args.json);
  }
  return out;
}

void run(TranslateArgs& args) {
  args.job.batch_size = static_cast<size_t>(args.options.batch_size);
  BatchJob job(args.job);  // fails on a bad input or output path before loading
  Translator translator(args.model.load());
  // Bad options fail before any line is read.
  translator.translate(std::span<const std::string>(), args.options);
  const BatchJobTotals& totals = job.run([&](std::vector<InputRecord>& batch, BatchJobTotals& t) {
    return translate_batch(translator, batch, args, t);
  });
  job.print_summary("sentences", "generated");
  if (totals.errors > 0) throw Error("some lines could not be translated (see above)");
}

}  // namespace

void add_translate_command(CLI::App& app) {
  auto args = std::make_shared<TranslateArgs>();
  CLI::App* cmd = app.add_subcommand("translate", "Translate input lines (encoder-decoder models: MarianMTModel)");
  args->model.add_to(*cmd);
  args->model.add_dtype_to(*cmd);
  add_batch_job_options(*cmd, args->job);
  TranslateOptions& o = args->options;
  cmd->add_option("--src-lang", o.source_language, "source language code (models that take one)");
  cmd->add_option("--tgt-lang", o.target_language, "target language code (multilingual models, e.g. Marian's >>fra<<)");
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

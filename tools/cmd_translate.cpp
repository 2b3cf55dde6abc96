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
TranslateOptions record_options(const nlohmann::ordered_json& fields, const TranslateOptions& defaults) {
  TranslateOptions options = defaults;
  for (const auto& [key, target] : {std::pair{"src_lang", &options.source_language}, std::pair{"tgt_lang", &options.target_language}}) {
    if (fields.contains(key) && fields[key].is_string()) *target = fields[key].get<std::string>();
  }
  return options;
}

std::string output_line(const TextRecord& record, const Translation& t, bool json) {
  if (!t.ok()) return json ? record_error_line(record, t.error) : "\n";
  if (json) {
    auto line = nlohmann::ordered_json::parse(record.fields);
    line["text"] = t.text;
    line["tokens"] = t.tokens;
    line["score"] = t.score;
    return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  }
  std::string text = t.text;  // one output line per input line, whatever the text holds
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text + "\n";
}

RecordBatch translate_batch(Translator& translator, std::span<const std::string> lines, RecordFormat format,
                            const TranslateArgs& args) {
  std::vector<TextRecord> records;
  std::vector<Translation> results(lines.size());
  std::vector<std::vector<TokenId>> sources;
  std::vector<size_t> readable;
  for (size_t i = 0; i < lines.size(); ++i) {
    records.push_back(parse_text_record(lines[i], format, false));
    try {
      if (!records[i].error.empty()) throw Error(records[i].error);
      const auto options = record_options(nlohmann::ordered_json::parse(records[i].fields), args.options);
      sources.push_back(translator.encode_source(records[i].text, options));
      readable.push_back(i);
    } catch (const Error& e) {
      results[i].error = e.what();
    }
  }
  if (!sources.empty()) {
    auto translated = translator.translate_ids(sources, args.options);
    for (size_t j = 0; j < readable.size(); ++j) results[readable[j]] = std::move(translated[j]);
  }
  RecordBatch batch;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!results[i].ok()) batch.errors.push_back({i, results[i].error});
    batch.tokens += static_cast<int64_t>(results[i].tokens.size());
    batch.output += output_line(records[i], results[i], args.json);
  }
  return batch;
}

void run(TranslateArgs& args) {
  args.job.batch_size = static_cast<size_t>(args.options.batch_size);
  BatchJob job(args.job);  // fails on a bad input or output path before loading
  Translator translator(args.model.load());
  // Bad options fail before any line is read.
  translator.translate(std::span<const std::string>(), args.options);
  const BatchJobTotals& totals = job.run([&](std::span<const std::string> lines, RecordFormat format) {
    return translate_batch(translator, lines, format, args);
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

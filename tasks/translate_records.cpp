// RecordTask::Translate: input lines -> the lines `attn translate` writes.
#include <nlohmann/json.hpp>

#include "attn/error.h"
#include "attn/records.h"
#include "record_json.h"

namespace attn {
namespace {

using records::Json;

// JSON-lines records may name their own languages ("src_lang", "tgt_lang"; the options are the default).
TranslateOptions record_options(const Json& fields, const TranslateOptions& defaults) {
  TranslateOptions options = defaults;
  for (const auto& [key, target] :
       {std::pair{"src_lang", &options.source_language}, std::pair{"tgt_lang", &options.target_language}}) {
    if (fields.contains(key) && fields[key].is_string()) *target = fields[key].get<std::string>();
  }
  return options;
}

std::string output_line(const TextRecord& record, const Translation& t, bool json) {
  if (!t.ok()) return json ? record_error_line(record, t.error) : "\n";
  if (json) {
    Json line = records::output_of(record);
    line["text"] = t.text;
    line["tokens"] = t.tokens;
    line["score"] = t.score;
    return records::json_line(line);
  }
  std::string text = t.text;  // one output line per input line, whatever the text holds
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text + "\n";
}

}  // namespace

RecordBatch process_records(Translator& translator, std::span<const std::string> lines,
                            const RecordOptions& options) {
  require_record_task(translator.model(), RecordTask::Translate);
  std::vector<TextRecord> records;
  std::vector<Translation> results(lines.size());
  std::vector<std::vector<TokenId>> sources;
  std::vector<size_t> readable;
  for (size_t i = 0; i < lines.size(); ++i) {
    records.push_back(parse_text_record(lines[i], options.format, false));
    try {
      if (!records[i].error.empty()) throw Error(records[i].error);
      const auto own = record_options(records::output_of(records[i]), options.translate);
      // M2M-100 forces the target's code while decoding the whole batch.
      if (translator.model().info().seq2seq->languages == Seq2SeqConfig::Languages::SourceCodeAndForcedTarget &&
          own.target_language != options.translate.target_language) {
        throw Error("a record's own tgt_lang ('" + own.target_language + "') is not supported by " +
                    translator.model().info().architecture + "; run each target language with its --tgt-lang");
      }
      sources.push_back(translator.encode_source(records[i].text, own));
      readable.push_back(i);
    } catch (const Error& e) {
      results[i].error = e.what();
    }
  }
  if (!sources.empty()) {
    auto translated = translator.translate_ids(sources, options.translate);
    for (size_t j = 0; j < readable.size(); ++j) results[readable[j]] = std::move(translated[j]);
  }
  RecordBatch batch;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!results[i].ok()) batch.errors.push_back({i, results[i].error});
    batch.tokens += static_cast<int64_t>(results[i].tokens.size());
    batch.output += output_line(records[i], results[i], options.translate_json);
  }
  return batch;
}

}  // namespace attn

// Record jobs: input lines -> one JSON output line each (see attn/records.h).
#include "attn/records.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "attn/classify.h"
#include "attn/error.h"
#include "record_json.h"

namespace attn {
namespace {

using records::Json;
using records::json_line;
using records::output_of;

bool has_text(const Json& json) { return json.is_object() && json.contains("text") && json["text"].is_string(); }

// The records that parsed, as the library's inputs (owner: their index);
// the others get their parse error at once.
template <typename Input, typename MakeInput>
std::vector<Input> readable(const std::vector<TextRecord>& records, std::vector<Json>& out, RecordBatch& batch,
                            std::vector<size_t>& owner, MakeInput make_input) {
  std::vector<Input> inputs;
  for (size_t i = 0; i < records.size(); ++i) {
    out.push_back(output_of(records[i]));
    if (!records[i].error.empty()) {
      out.back()["error"] = records[i].error;
      batch.errors.push_back({i, records[i].error});
      continue;
    }
    inputs.push_back(make_input(records[i]));
    owner.push_back(i);
  }
  return inputs;
}

std::string joined(const std::vector<Json>& out) {
  std::string text;
  for (const Json& line : out) text += json_line(line);
  return text;
}

void likelihoods(Session& session, const std::vector<TextRecord>& records, const ScoreOptions& options,
                 RecordBatch& batch) {
  std::vector<Json> out;
  std::vector<size_t> owner;
  const auto texts = readable<std::string>(records, out, batch, owner, [](const TextRecord& r) { return r.text; });
  const std::vector<TextScore> scores = score_texts(session, texts, options);
  for (size_t i = 0; i < scores.size(); ++i) {
    const TextScore& score = scores[i];
    Json& line = out[owner[i]];
    if (!score.ok()) {
      line["error"] = score.error;
      batch.errors.push_back({owner[i], score.error});
      continue;
    }
    line["logprob"] = score.logprob;
    line["tokens"] = score.tokens;
    line["nll"] = score.nll();
    line["ppl"] = score.ppl();
    if (score.truncated_tokens > 0) line["truncated_tokens"] = score.truncated_tokens;
    if (options.token_logprobs) line["token_logprobs"] = score.token_logprobs;
    batch.tokens += score.tokens;
  }
  batch.output = joined(out);
}

// classify() stops at the first bad input; then each input goes alone, so
// the bad ones get their error and the rest their scores.
std::vector<std::optional<Classification>> classify_each(Session& session, std::span<const ClassifyInput> inputs,
                                                         const ClassifyOptions& options,
                                                         std::vector<std::string>& errors) {
  std::vector<std::optional<Classification>> out(inputs.size());
  errors.assign(inputs.size(), "");
  try {
    const auto all = classify(session, inputs, options);
    std::copy(all.begin(), all.end(), out.begin());
    return out;
  } catch (const Error&) {
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    try {
      out[i] = classify(session, inputs.subspan(i, 1), options).front();
    } catch (const Error& e) {
      errors[i] = e.what();
    }
  }
  return out;
}

void classifications(Session& session, const std::vector<TextRecord>& records, const ClassifyOptions& options,
                     RecordBatch& batch) {
  std::vector<Json> out;
  std::vector<size_t> owner;
  const auto inputs = readable<ClassifyInput>(records, out, batch, owner, [](const TextRecord& r) {
    return ClassifyInput{r.text, r.pair};
  });
  std::vector<std::string> errors;
  const auto classes = classify_each(session, inputs, options, errors);
  const ModelInfo& info = session.model().info();
  for (size_t i = 0; i < classes.size(); ++i) {
    Json& line = out[owner[i]];
    if (!classes[i]) {
      line["error"] = errors[i];
      batch.errors.push_back({owner[i], errors[i]});
      continue;
    }
    const std::vector<float>& scores = classes[i]->scores;
    if (!info.multi_label && scores.size() > 1) {
      line["label"] = info.class_labels[std::max_element(scores.begin(), scores.end()) - scores.begin()];
    }
    Json& by_label = line["scores"] = Json::object();
    for (size_t c = 0; c < scores.size(); ++c) by_label[info.class_labels[c]] = scores[c];
    if (classes[i]->truncated) line["truncated"] = true;
  }
  batch.output = joined(out);
}

std::string embedding_output(const TextRecord& record, const Embedding& e, bool raw) {
  if (raw) return std::string(reinterpret_cast<const char*>(e.vector.data()), e.vector.size() * sizeof(float));
  Json line = output_of(record);
  line["embedding"] = e.vector;
  if (e.truncated) line["truncated"] = true;
  return json_line(line);
}

// Embeds all records at once; if that fails, record by record, so the bad
// one is named and, in JSON, the output stays one line per record.
void embeddings(Session& session, const std::vector<TextRecord>& records, const EmbedOptions& options, bool raw,
                RecordBatch& batch) {
  std::vector<std::string> texts;
  bool readable_all = true;
  for (const TextRecord& record : records) {
    texts.push_back(record.text);
    readable_all = readable_all && record.error.empty();
  }
  if (readable_all) {
    try {
      const auto all = embed(session, texts, options);
      for (size_t i = 0; i < records.size(); ++i) batch.output += embedding_output(records[i], all[i], raw);
      return;
    } catch (const Error&) {
      batch.output.clear();
    }
  }
  for (size_t i = 0; i < records.size(); ++i) {
    try {
      if (!records[i].error.empty()) throw Error(records[i].error);
      const auto one = embed(session, std::span<const std::string>(&texts[i], 1), options);
      batch.output += embedding_output(records[i], one.front(), raw);
    } catch (const Error& e) {
      if (raw) throw Error("record " + std::to_string(i + 1) + ": " + e.what());
      batch.output += record_error_line(records[i], e.what());
      batch.errors.push_back({i, e.what()});
    }
  }
}

}  // namespace

RecordFormat detect_record_format(std::string_view first_line) {
  return has_text(Json::parse(first_line, nullptr, false)) ? RecordFormat::JsonLines : RecordFormat::Text;
}

TextRecord parse_text_record(std::string_view line, RecordFormat format, bool pairs) {
  TextRecord record;
  if (format == RecordFormat::Text) {
    const size_t tab = pairs ? line.find('\t') : std::string_view::npos;
    record.text = std::string(line.substr(0, tab));
    if (tab != std::string_view::npos) record.pair = std::string(line.substr(tab + 1));
    return record;
  }
  Json json = Json::parse(line, nullptr, false);
  if (!has_text(json)) {
    record.error = "not a JSON object with a \"text\" string (the input is JSON lines, from its first line)";
  } else {
    record.text = json["text"].get<std::string>();
    json.erase("text");
    if (pairs && json.contains("text_pair") && json["text_pair"].is_string()) {
      record.pair = json["text_pair"].get<std::string>();
      json.erase("text_pair");
    }
  }
  if (json.is_object()) record.fields = json.dump();  // an id still passes through with an error
  return record;
}

std::string record_error_line(const TextRecord& record, std::string_view message) {
  Json line = output_of(record);
  line["error"] = std::string(message);
  return json_line(line);
}

void require_record_task(const Model& model, RecordTask task) {
  const ModelInfo& info = model.info();
  if (task == RecordTask::Score && info.seq2seq) {
    throw Error(info.path.string() + ": " + info.architecture +
                " is an encoder-decoder; scoring needs a decoder or a sequence classifier (translate with it)");
  }
  if (task == RecordTask::Score && info.encoder && info.class_labels.empty()) {
    throw Error(info.path.string() + ": " + info.architecture +
                " is an encoder without a classification head; scoring needs a decoder (log-likelihood) or a "
                "*ForSequenceClassification model (for sentence embeddings, embed)");
  }
  if (task == RecordTask::Embed && (!info.encoder || info.seq2seq)) {
    throw Error(info.path.string() + ": " + info.architecture +
                " is not an encoder; embedding needs a BERT-style model (a decoder scores text instead)");
  }
  if (task == RecordTask::Translate && !info.seq2seq) {
    throw Error(info.path.string() + ": " + info.architecture +
                " is not an encoder-decoder; translation needs one (e.g. MarianMTModel)");
  }
}

RecordBatch process_records(Session& session, RecordTask task, std::span<const std::string> lines,
                            const RecordOptions& options) {
  require_record_task(session.model(), task);
  if (task == RecordTask::Translate) throw Error("translation records run on a Translator, not a Session");
  const ModelInfo& info = session.model().info();
  const bool classifier = info.encoder && !info.class_labels.empty();
  std::vector<TextRecord> records;
  records.reserve(lines.size());
  for (const std::string& line : lines) records.push_back(parse_text_record(line, options.format, classifier));

  RecordBatch batch;
  if (task == RecordTask::Embed) {
    embeddings(session, records, options.embed, options.embed_f32, batch);
  } else if (classifier) {
    classifications(session, records, ClassifyOptions{options.score.batch_size, options.score.truncate}, batch);
  } else {
    likelihoods(session, records, options.score, batch);
  }
  return batch;
}

}  // namespace attn

#include "record_results.h"

#include <algorithm>
#include <optional>

namespace attn::cli {
namespace {

// The records that parsed, as the library's inputs; results start as their
// fields, with the parse errors already in place.
template <typename Input, typename MakeInput>
std::vector<Input> readable_inputs(std::vector<InputRecord>& batch, Results& results, std::vector<size_t>& owner,
                                   MakeInput make_input) {
  std::vector<Input> inputs;
  for (size_t i = 0; i < batch.size(); ++i) {
    results.push_back(std::move(batch[i].fields));
    if (!batch[i].error.empty()) {
      results.back()["error"] = batch[i].error;
      continue;
    }
    inputs.push_back(make_input(batch[i]));
    owner.push_back(i);
  }
  return inputs;
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

}  // namespace

Results likelihood_results(Session& session, std::vector<InputRecord>& batch, const ScoreOptions& options,
                           int64_t& tokens_scored) {
  Results results;
  std::vector<size_t> owner;
  const auto texts = readable_inputs<std::string>(batch, results, owner, [](InputRecord& r) { return std::move(r.text); });
  const std::vector<TextScore> scores = score_texts(session, texts, options);
  for (size_t i = 0; i < scores.size(); ++i) {
    const TextScore& score = scores[i];
    nlohmann::ordered_json& out = results[owner[i]];
    if (!score.ok()) {
      out["error"] = score.error;
      continue;
    }
    out["logprob"] = score.logprob;
    out["tokens"] = score.tokens;
    out["nll"] = score.nll();
    out["ppl"] = score.ppl();
    if (score.truncated_tokens > 0) out["truncated_tokens"] = score.truncated_tokens;
    if (options.token_logprobs) out["token_logprobs"] = score.token_logprobs;
    tokens_scored += score.tokens;
  }
  return results;
}

Results classification_results(Session& session, std::vector<InputRecord>& batch, const ClassifyOptions& options) {
  Results results;
  std::vector<size_t> owner;
  const auto inputs = readable_inputs<ClassifyInput>(batch, results, owner, [](InputRecord& r) {
    return ClassifyInput{std::move(r.text), std::move(r.pair)};
  });
  std::vector<std::string> errors;
  const auto classes = classify_each(session, inputs, options, errors);
  const ModelInfo& info = session.model().info();
  for (size_t i = 0; i < classes.size(); ++i) {
    nlohmann::ordered_json& out = results[owner[i]];
    if (!classes[i]) {
      out["error"] = errors[i];
      continue;
    }
    const std::vector<float>& scores = classes[i]->scores;
    if (!info.multi_label && scores.size() > 1) {
      out["label"] = info.class_labels[std::max_element(scores.begin(), scores.end()) - scores.begin()];
    }
    nlohmann::ordered_json& by_label = out["scores"] = nlohmann::ordered_json::object();
    for (size_t c = 0; c < scores.size(); ++c) by_label[info.class_labels[c]] = scores[c];
    if (classes[i]->truncated) out["truncated"] = true;
  }
  return results;
}

}  // namespace attn::cli

// attn::classify: inputs -> packed encoder batches -> the "logits" head ->
// label scores, as transformers' text-classification pipeline turns them.
#include "attn/classify.h"

#include <algorithm>
#include <cmath>

#include "attn/error.h"
#include "tasks/encoder_batches.h"

namespace attn {
namespace {

void softmax(std::vector<float>& x) {
  const float top = *std::max_element(x.begin(), x.end());
  double sum = 0;
  for (float& v : x) sum += (v = std::exp(v - top));
  for (float& v : x) v = static_cast<float>(v / sum);
}

void sigmoid(std::vector<float>& x) {
  for (float& v : x) v = 1.0f / (1.0f + std::exp(-v));
}

}  // namespace

std::vector<Classification> classify(Session& session, std::span<const ClassifyInput> inputs,
                                     const ClassifyOptions& options) {
  const ModelInfo& info = session.model().info();
  if (info.class_labels.empty()) {
    throw Error(info.path.string() + ": " + info.architecture +
                " has no classification head; classifying needs a *ForSequenceClassification model");
  }
  const size_t labels = info.class_labels.size();
  std::vector<EncoderText> texts;
  texts.reserve(inputs.size());
  for (const ClassifyInput& input : inputs) texts.push_back({input.text, input.pair});

  std::vector<Classification> results(inputs.size());
  run_encoder_batches(session, texts, {options.batch_size, 0, options.truncate},
                      [&](size_t text, size_t in_batch, std::span<const float>, bool truncated) {
                        const float* logits = session.head_output("logits").data() + in_batch * labels;
                        Classification& out = results[text];
                        out.scores.assign(logits, logits + labels);
                        out.truncated = truncated;
                        if (info.multi_label) {
                          sigmoid(out.scores);
                        } else if (labels > 1) {
                          softmax(out.scores);
                        }
                      });
  return results;
}

}  // namespace attn

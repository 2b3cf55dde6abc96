// Sequence classification with encoder models (BertForSequenceClassification,
// RobertaForSequenceClassification, XLMRobertaForSequenceClassification):
// one score per label for each text or text pair.
#pragma once

#include "attn/export.h"

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "attn/model.h"

namespace attn ATTN_API {

struct ClassifyInput {
  std::string text;
  std::optional<std::string> pair;  // the second text of a sentence pair
};

struct ClassifyOptions {
  int batch_size = 32;    // inputs per forward pass
  bool truncate = false;  // cut over-long inputs to the context (longest text first) instead of failing
};

struct Classification {
  // By class index, named by ModelInfo::class_labels: softmax probabilities,
  // independent sigmoids for multi-label models, or the raw value for a
  // one-label (regression) model.
  std::vector<float> scores;
  bool truncated = false;
};

// One classification per input, in input order. Throws attn::Error when the
// model has no classification head, or naming the input (1-based) for
// invalid UTF-8, no tokens, or (without truncate) an input too long.
std::vector<Classification> classify(Session& session, std::span<const ClassifyInput> inputs,
                                     const ClassifyOptions& options = {});

}  // namespace attn

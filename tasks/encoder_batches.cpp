#include "tasks/encoder_batches.h"

#include <algorithm>
#include <string>
#include <vector>

#include "attn/error.h"

namespace attn {

void run_encoder_batches(
    Session& session, std::span<const EncoderText> texts, const EncoderBatching& batching,
    const std::function<void(size_t text, size_t in_batch, std::span<const float> hidden, bool truncated)>& visit) {
  const Model& model = session.model();
  if (!model.info().encoder) {
    throw Error(model.info().path.string() + ": " + model.info().architecture +
                " is not an encoder; this needs a BERT-style model");
  }
  if (batching.batch_size < 1) throw Error("batch size must be at least 1");
  const int max_length = batching.max_length > 0 ? std::min(batching.max_length, session.context_length())
                                                 : session.context_length();
  const size_t width = static_cast<size_t>(model.info().hidden_size);

  std::vector<Encoding> batch;
  std::vector<bool> truncated;
  // Packing sequences back to back means no work on padding, so batches can
  // keep the input order: there is nothing to gain from sorting by length.
  for (size_t first = 0; first < texts.size(); first += batching.batch_size) {
    const size_t count = std::min(texts.size() - first, static_cast<size_t>(batching.batch_size));
    batch.clear();
    truncated.assign(count, false);
    for (size_t i = 0; i < count; ++i) {
      const EncoderText& text = texts[first + i];
      const std::string where = texts.size() > 1 ? "text " + std::to_string(first + i + 1) + ": " : "";
      bool cut = false;
      try {
        batch.push_back(encode_for_model(model.tokenizer(), text.first, text.second,
                                         batching.truncate ? max_length : 0, &cut));
      } catch (const Error& e) {
        throw Error(where + e.what());
      }
      truncated[i] = cut;
      const size_t length = batch.back().ids.size();
      if (length == 0) throw Error(where + "the text has no tokens");
      if (length > static_cast<size_t>(max_length)) {
        throw Error(where + "the text is " + std::to_string(length) + " tokens but the model takes at most " +
                    std::to_string(max_length) + "; shorten it or let attn truncate it");
      }
    }
    const float* rows = session.forward_packed(batch).data();
    for (size_t i = 0; i < count; ++i) {
      const size_t length = batch[i].ids.size();
      visit(first + i, i, std::span<const float>(rows, length * width), truncated[i]);
      rows += length * width;
    }
  }
}

}  // namespace attn

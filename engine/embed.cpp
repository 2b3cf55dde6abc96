// attn::embed: texts -> token ids -> packed encoder batches -> pooled vectors.
#include "attn/embed.h"

#include <algorithm>

#include "attn/error.h"
#include "engine/model_impl.h"
#include "engine/pooling.h"

namespace attn {
namespace {

constexpr std::pair<std::string_view, Pooling> kPoolingNames[] = {
    {"mean", Pooling::Mean}, {"cls", Pooling::Cls}, {"max", Pooling::Max}, {"last", Pooling::Last}};

}  // namespace

std::optional<Pooling> parse_pooling(std::string_view name) {
  for (const auto& [text, pooling] : kPoolingNames) {
    if (text == name) return pooling;
  }
  return std::nullopt;
}

std::string_view pooling_name(Pooling pooling) {
  for (const auto& [text, value] : kPoolingNames) {
    if (value == pooling) return text;
  }
  return "mean";
}

const EmbeddingConfig& embedding_config(const Model& model) { return model.impl().embedding; }

std::vector<std::vector<float>> embed(Session& session, std::span<const std::string> texts,
                                      const EmbedOptions& options) {
  const Model& model = session.model();
  if (!model.info().encoder) {
    throw Error(model.info().path.string() + ": " + model.info().architecture +
                " is not an encoder; embeddings need a BERT-style model");
  }
  if (options.batch_size < 1) throw Error("embed: batch size must be at least 1");
  const Pooling pooling = options.pooling.value_or(embedding_config(model).pooling);
  const bool normalize = options.normalize.value_or(embedding_config(model).normalize);
  const int64_t width = model.impl().graph.output_width();

  std::vector<std::vector<float>> vectors;
  vectors.reserve(texts.size());
  std::vector<std::vector<TokenId>> batch;
  // Packing sentences back to back means no work on padding, so batches can
  // keep the input order: there is nothing to gain from sorting by length.
  for (size_t first = 0; first < texts.size(); first += options.batch_size) {
    const size_t count = std::min(texts.size() - first, static_cast<size_t>(options.batch_size));
    batch.clear();
    for (size_t i = first; i < first + count; ++i) {
      batch.push_back(model.tokenizer().encode(texts[i]));
      if (batch.back().empty()) throw Error("embed: text " + std::to_string(i + 1) + " has no tokens");
    }
    const float* rows = session.forward_packed(batch).data();
    for (const std::vector<TokenId>& ids : batch) {
      std::vector<float>& vector = vectors.emplace_back(width);
      pool_rows(pooling, rows, static_cast<int64_t>(ids.size()), width, vector.data());
      if (normalize) l2_normalize(vector.data(), width);
      rows += ids.size() * width;
    }
  }
  return vectors;
}

}  // namespace attn

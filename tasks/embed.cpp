// attn::embed: texts -> token ids -> packed encoder batches -> pooled vectors.
#include "attn/embed.h"

#include "attn/error.h"
#include "tasks/encoder_batches.h"
#include "tasks/pooling.h"

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

EmbeddingConfig embedding_config(const Model& model) {
  const auto& metadata = model.info().metadata;
  EmbeddingConfig config;
  if (auto it = metadata.find(kPoolingKey); it != metadata.end()) {
    const auto pooling = parse_pooling(it->second);
    if (!pooling) throw Error(model.info().path.string() + ": unknown pooling '" + it->second + "'");
    config.pooling = *pooling;
  }
  if (auto it = metadata.find(kNormalizeKey); it != metadata.end()) config.normalize = it->second == "true";
  if (auto it = metadata.find(kMaxSeqLengthKey); it != metadata.end()) config.max_length = std::stoi(it->second);
  return config;
}

std::vector<Embedding> embed(Session& session, std::span<const std::string> texts, const EmbedOptions& options) {
  const Model& model = session.model();
  const EmbeddingConfig config = embedding_config(model);
  const Pooling pooling = options.pooling.value_or(config.pooling);
  const bool normalize = options.normalize.value_or(config.normalize);
  const int64_t width = model.info().hidden_size;

  std::vector<EncoderText> inputs;
  inputs.reserve(texts.size());
  for (const std::string& text : texts) inputs.push_back({text, std::nullopt});
  std::vector<Embedding> embeddings(texts.size());
  run_encoder_batches(session, inputs, {options.batch_size, config.max_length, options.truncate},
                      [&](size_t text, size_t, std::span<const float> hidden, bool truncated) {
                        Embedding& out = embeddings[text];
                        out.vector.resize(width);
                        out.truncated = truncated;
                        pool_rows(pooling, hidden.data(), static_cast<int64_t>(hidden.size()) / width, width,
                                  out.vector.data());
                        if (normalize) l2_normalize(out.vector.data(), width);
                      });
  return embeddings;
}

}  // namespace attn

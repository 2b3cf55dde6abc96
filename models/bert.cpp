// BERT encoder (BertModel, and the same encoder inside BertForMaskedLM /
// BertForSequenceClassification under "bert."; RobertaModel and
// XLMRobertaModel, which differ only in where positions start): word +
// position + token-type embeddings, post-LayerNorm blocks of bidirectional
// attention and a GELU FFN. The graph's output is last_hidden_state (pooling
// for sentence embeddings happens in attn::embed); the pooler and sequence
// classifier are heads, one row per sequence.
#include <optional>
#include <vector>
#include <string>

#include "models/activation.h"
#include "models/architectures.h"
#include "models/blocks.h"
#include "models/config_reader.h"

namespace attn {
namespace {

struct BertShape {
  int hidden, intermediate, layers, heads, vocab, positions, type_vocab;
  // RoBERTa numbers positions from padding_idx + 1 (its position ids skip
  // the padding id); packed sequences have no padding, so the first
  // position_offset rows of the table are simply never used.
  int position_offset;
  float eps;
  GeluKind gelu;
};

BertShape read_shape(const Checkpoint& checkpoint) {
  const ConfigReader config(checkpoint.config, checkpoint.config_source());
  BertShape s{};
  s.hidden = config.require_int("hidden_size");
  s.intermediate = config.require_int("intermediate_size");
  s.layers = config.require_int("num_hidden_layers");
  s.heads = config.require_int("num_attention_heads");
  s.vocab = config.require_int("vocab_size");
  s.positions = config.get_int("max_position_embeddings", 512);
  s.type_vocab = config.get_int("type_vocab_size", 2);
  s.eps = static_cast<float>(config.get_double("layer_norm_eps", 1e-12));
  s.gelu = gelu_kind(config, config.get_string("hidden_act", "gelu"));
  const std::string model_type = config.get_string("model_type", "bert");
  const bool roberta = model_type == "roberta" || model_type == "xlm-roberta";
  s.position_offset = roberta ? config.get_int("pad_token_id", 1) + 1 : 0;
  if (s.position_offset >= s.positions) config.fail("pad_token_id leaves no positions");
  if (s.hidden % s.heads != 0) config.fail("hidden_size must be a multiple of num_attention_heads");
  const std::string position_type = config.get_string("position_embedding_type", "absolute");
  if (position_type != "absolute") config.fail("position_embedding_type '" + position_type + "' is not supported");
  return s;
}

// Label names by class index: config.json's id2label ("LABEL_i" where it
// gives none, as transformers does), num_labels of them.
std::vector<std::string> class_labels(const ConfigReader& config) {
  const auto& json = config.json();
  const bool has_map = json.contains("id2label") && json["id2label"].is_object();
  const int count = has_map ? static_cast<int>(json["id2label"].size()) : config.get_int("num_labels", 2);
  std::vector<std::string> labels(count);
  for (int i = 0; i < count; ++i) {
    const std::string key = std::to_string(i);
    if (has_map && !json["id2label"].contains(key)) config.fail("id2label lacks class " + key);
    if (has_map && !json["id2label"][key].is_string()) config.fail("id2label's class " + key + " is not a string");
    labels[i] = has_map ? json["id2label"][key].get<std::string>() : "LABEL_" + key;
  }
  return labels;
}

}  // namespace

BuiltModel build_bert(const Checkpoint& checkpoint) {
  const BertShape s = read_shape(checkpoint);
  std::string root;  // the task classes keep the encoder under their base model's name
  for (const char* prefix : {"bert.", "roberta."}) {
    if (checkpoint.weights.contains(std::string(prefix) + "embeddings.word_embeddings.weight")) root = prefix;
  }
  const Weights top(checkpoint.weights), w(checkpoint.weights, root);
  const int64_t d = s.hidden;

  GraphBuilder g;
  const Weights e = w.under("embeddings");
  ValueId x = g.embedding(e.get("word_embeddings.weight", {s.vocab, d}));
  const Tensor& positions = e.get("position_embeddings.weight", {s.positions, d});
  x = g.position_embedding(x, positions.slice_rows(s.position_offset, s.positions - s.position_offset));
  x = g.token_type_embedding(x, e.get("token_type_embeddings.weight", {s.type_vocab, d}));
  x = norm(g, x, e.layer_norm("LayerNorm", d, s.eps));

  AttentionConfig attention;
  attention.num_heads = attention.num_kv_heads = s.heads;
  attention.head_dim = s.hidden / s.heads;
  attention.causal = false;

  for (int l = 0; l < s.layers; ++l) {
    const Weights layer = w.under("encoder.layer." + std::to_string(l));
    const Weights self = layer.under("attention.self");
    x = transformer_layer(g, x, {
        .placement = TransformerLayer::NormPlacement::Post,
        .attention_norm = layer.layer_norm("attention.output.LayerNorm", d, s.eps),
        .attention = {.q = self.linear("query", d, d, true), .k = self.linear("key", d, d, true),
                      .v = self.linear("value", d, d, true),
                      .output = layer.linear("attention.output.dense", d, d, true), .config = attention},
        .ffn_norm = layer.layer_norm("output.LayerNorm", d, s.eps),
        .ffn = FeedForward{.up = layer.linear("intermediate.dense", s.intermediate, d, true),
                .down = layer.linear("output.dense", d, s.intermediate, true), .activation = s.gelu},
    });
  }

  // Heads read each sequence's first token. BERT's pooler (absent when saved
  // with add_pooling_layer=False) feeds its classifier; RoBERTa's classifier
  // has a dense + tanh of its own.
  std::optional<ValueId> pooled;
  if (w.has("pooler.dense.weight")) {
    pooled = g.tanh(g.linear(g.first_row(x), w.linear("pooler.dense", d, d, true)));
    g.add_head("pooler_output", *pooled);
  }
  std::vector<std::string> labels;
  if (checkpoint.config["architectures"][0].get<std::string>().ends_with("ForSequenceClassification")) {
    const ConfigReader config(checkpoint.config, checkpoint.config_source());
    labels = class_labels(config);
    const int64_t n = static_cast<int64_t>(labels.size());
    ValueId logits;
    if (root == "bert.") {
      if (!pooled) config.fail("BertForSequenceClassification needs the pooler weights (bert.pooler.dense.*)");
      logits = g.linear(*pooled, top.linear("classifier", n, d, true));
    } else {
      const ValueId dense = g.tanh(g.linear(g.first_row(x), top.linear("classifier.dense", d, d, true)));
      logits = g.linear(dense, top.linear("classifier.out_proj", n, d, true));
    }
    g.add_head("logits", logits);
  }

  const int context = s.positions - s.position_offset;
  return {g.finish(x), {.vocab_size = s.vocab, .hidden_size = s.hidden, .num_layers = s.layers, .num_heads = s.heads,
                        .num_kv_heads = s.heads, .context_length = context, .encoder = true,
                        .type_vocab_size = s.type_vocab, .class_labels = std::move(labels)}};
}

}  // namespace attn

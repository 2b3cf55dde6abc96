// BERT encoder (BertModel, and the same encoder inside BertForMaskedLM /
// BertForSequenceClassification under "bert."; RobertaModel and
// XLMRobertaModel, which differ only in where positions start): word +
// position + token-type embeddings, post-LayerNorm blocks of bidirectional
// attention and a GELU FFN. The graph's output is last_hidden_state (pooling
// for sentence embeddings happens in attn::embed); the pooler and sequence
// classifier are heads, one row per sequence.
#include <algorithm>
#include <optional>
#include <vector>
#include <string>

#include "engine/graph_builder.h"
#include "models/activation.h"
#include "models/architectures.h"
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
  s.gelu = gelu_kind(config, config.json().value("hidden_act", "gelu"));
  const std::string model_type = config.json().value("model_type", "bert");
  const bool roberta = model_type == "roberta" || model_type == "xlm-roberta";
  s.position_offset = roberta ? config.get_int("pad_token_id", 1) + 1 : 0;
  if (s.position_offset >= s.positions) config.fail("pad_token_id leaves no positions");
  if (s.hidden % s.heads != 0) config.fail("hidden_size must be a multiple of num_attention_heads");
  const std::string position_type = config.json().value("position_embedding_type", "absolute");
  if (position_type != "absolute") config.fail("position_embedding_type '" + position_type + "' is not supported");
  return s;
}

// The table from row `offset` on, so row i is the embedding of position i.
Tensor positions_from(const Tensor& table, int offset) {
  const Tensor f32 = table.to_f32();
  const int64_t count = f32.dim(0) - offset, width = f32.dim(1);
  Tensor rows = Tensor::zeros(DType::F32, {count, width});
  std::copy_n(f32.data_as<float>() + offset * width, count * width, rows.mutable_data_as<float>());
  return rows;
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
    labels[i] = has_map ? json["id2label"][key].get<std::string>() : "LABEL_" + key;
  }
  return labels;
}

}  // namespace

BuiltModel build_bert(const Checkpoint& checkpoint) {
  const BertShape s = read_shape(checkpoint);
  const WeightStore& w = checkpoint.weights;
  std::string root;  // the task classes keep the encoder under their base model's name
  for (const char* prefix : {"bert.", "roberta."}) {
    if (w.contains(std::string(prefix) + "embeddings.word_embeddings.weight")) root = prefix;
  }
  const int64_t d = s.hidden;

  GraphBuilder g;
  auto norm = [&](ValueId in, const std::string& name) {
    return g.layer_norm(in, w.get(name + ".weight", {d}), w.get(name + ".bias", {d}), s.eps);
  };
  auto dense = [&](ValueId in, const std::string& name, int64_t out, int64_t in_width) {
    return g.linear(in, w.get(name + ".weight", {out, in_width}), &w.get(name + ".bias", {out}));
  };

  const std::string e = root + "embeddings.";
  ValueId x = g.embedding(w.get(e + "word_embeddings.weight", {s.vocab, d}));
  x = g.position_embedding(x, positions_from(w.get(e + "position_embeddings.weight", {s.positions, d}), s.position_offset));
  x = g.token_type_embedding(x, w.get(e + "token_type_embeddings.weight", {s.type_vocab, d}));
  x = norm(x, e + "LayerNorm");

  AttentionConfig attention;
  attention.num_heads = attention.num_kv_heads = s.heads;
  attention.head_dim = s.hidden / s.heads;
  attention.max_positions = s.positions - s.position_offset;
  attention.causal = false;

  for (int l = 0; l < s.layers; ++l) {
    const std::string p = root + "encoder.layer." + std::to_string(l) + ".";
    const ValueId q = dense(x, p + "attention.self.query", d, d);
    const ValueId k = dense(x, p + "attention.self.key", d, d);
    const ValueId v = dense(x, p + "attention.self.value", d, d);
    const ValueId attended = dense(g.attention(q, k, v, attention), p + "attention.output.dense", d, d);
    x = norm(g.add(x, attended), p + "attention.output.LayerNorm");

    const ValueId up = g.gelu(dense(x, p + "intermediate.dense", s.intermediate, d), s.gelu);
    x = norm(g.add(x, dense(up, p + "output.dense", d, s.intermediate)), p + "output.LayerNorm");
  }

  // Heads read each sequence's first token. BERT's pooler (absent when saved
  // with add_pooling_layer=False) feeds its classifier; RoBERTa's classifier
  // has a dense + tanh of its own.
  std::optional<ValueId> pooled;
  if (w.contains(root + "pooler.dense.weight")) {
    pooled = g.tanh(dense(g.first_row(x), root + "pooler.dense", d, d));
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
      logits = dense(*pooled, "classifier", n, d);
    } else {
      logits = dense(g.tanh(dense(g.first_row(x), "classifier.dense", d, d)), "classifier.out_proj", n, d);
    }
    g.add_head("logits", logits);
  }

  BuiltModel built{g.finish(x), s.vocab, s.hidden, s.layers, s.heads, s.heads, s.positions - s.position_offset};
  built.encoder = true;
  built.type_vocab_size = s.type_vocab;
  built.class_labels = std::move(labels);
  return built;
}

}  // namespace attn

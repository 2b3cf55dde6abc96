#include "loaders/gguf_checkpoint.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <string_view>

#include "attn/error.h"
#include "loaders/gguf_file.h"
#include "loaders/gguf_repack.h"
#include "loaders/gguf_tensor_names.h"

namespace attn {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Typed reads of the metadata; errors name the file and the key.
class Metadata {
 public:
  explicit Metadata(const GgufFile& gguf) : gguf_(gguf) {}

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    throw Error(gguf_.source + ": metadata '" + key + "' " + problem);
  }
  bool has(const std::string& key) const { return gguf_.metadata.contains(key); }
  const nlohmann::json& raw(const std::string& key) const { return gguf_.metadata[key]; }

  std::optional<int64_t> integer(const std::string& key) const {
    if (!has(key)) return std::nullopt;
    const auto& value = raw(key);
    // Some converters write a per-layer array where every layer agrees.
    if (value.is_array() && !value.empty() && std::all_of(value.begin(), value.end(), [&](const auto& v) { return v == value[0]; }))
      return integer_value(key, value[0]);
    return integer_value(key, value);
  }
  int64_t require_integer(const std::string& key) const {
    if (auto value = integer(key)) return *value;
    fail(key, "is missing; the file is not a complete " + gguf_.metadata.value("general.architecture", std::string("GGUF")) + " model");
  }
  std::optional<double> number(const std::string& key) const {
    if (!has(key)) return std::nullopt;
    if (!raw(key).is_number()) fail(key, "must be a number");
    return raw(key).get<double>();
  }
  bool flag(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!raw(key).is_boolean()) fail(key, "must be a bool");
    return raw(key).get<bool>();
  }
  std::optional<std::string> string(const std::string& key) const {
    if (!has(key)) return std::nullopt;
    if (!raw(key).is_string()) fail(key, "must be a string");
    return raw(key).get<std::string>();
  }

 private:
  int64_t integer_value(const std::string& key, const nlohmann::json& value) const {
    if (value.is_number_unsigned() && value.get<uint64_t>() <= uint64_t{1} << 40) return value.get<int64_t>();
    if (value.is_number_integer() && !value.is_number_unsigned() && value.get<int64_t>() >= 0) return value.get<int64_t>();
    fail(key, "must be a non-negative integer (it is " + value.dump() + ")");
  }
  const GgufFile& gguf_;
};

// What each llama.cpp architecture is in Hugging Face terms.
struct ArchitectureInfo {
  std::string_view gguf;
  std::string_view hf_class, model_type;
};
constexpr std::array kArchitectures{
    ArchitectureInfo{"llama", "LlamaForCausalLM", "llama"},
    ArchitectureInfo{"qwen2", "Qwen2ForCausalLM", "qwen2"},
    ArchitectureInfo{"qwen3", "Qwen3ForCausalLM", "qwen3"},
    ArchitectureInfo{"qwen3moe", "Qwen3MoeForCausalLM", "qwen3_moe"},
    ArchitectureInfo{"gemma2", "Gemma2ForCausalLM", "gemma2"},
    ArchitectureInfo{"gemma3", "Gemma3ForCausalLM", "gemma3_text"},
    ArchitectureInfo{"phi3", "Phi3ForCausalLM", "phi3"},
    ArchitectureInfo{"gpt2", "GPT2LMHeadModel", "gpt2"},
    ArchitectureInfo{"bert", "BertModel", "bert"},
};

const ArchitectureInfo& find_architecture(const GgufFile& gguf, const std::string& name) {
  for (const ArchitectureInfo& a : kArchitectures)
    if (a.gguf == name) return a;
  std::string names;
  for (const ArchitectureInfo& a : kArchitectures) names += (names.empty() ? "" : ", ") + std::string(a.gguf);
  throw Error(gguf.source + ": general.architecture '" + name + "' is not supported; attn runs GGUF files of: " + names);
}

// A small f32 tensor read whole (RoPE factors).
std::vector<double> read_f32_vector(const GgufFile& gguf, const GgufTensorInfo& tensor) {
  if (tensor.type != GgmlType::F32 || tensor.ne.size() != 1) {
    throw Error(gguf.source + ": tensor '" + tensor.name + "' must be a 1-D F32 tensor (it is " +
                ggml_type_name(tensor.type) + " with " + std::to_string(tensor.ne.size()) + " dimensions)");
  }
  std::vector<double> values(static_cast<size_t>(tensor.ne[0]));
  const std::byte* data = gguf.tensor_data(tensor);
  for (size_t i = 0; i < values.size(); ++i) {
    float value;
    std::memcpy(&value, data + i * sizeof(float), sizeof value);
    values[i] = value;
  }
  return values;
}

// RoPE scaling: llama.cpp's rope.scaling.* keys, or per-frequency factors
// stored as tensors. Those divide each frequency (ggml_rope_ext's
// freq_factors), which is what transformers' longrope does with its factor
// lists; Llama 3's are one list for all positions.
void add_rope_scaling(const GgufFile& gguf, const Metadata& meta, const std::string& arch, json& config) {
  const std::string key = arch + ".rope.scaling.";
  const GgufTensorInfo* freqs = gguf.find_tensor("rope_freqs.weight");
  const GgufTensorInfo* longer = gguf.find_tensor("rope_factors_long.weight");
  const GgufTensorInfo* shorter = gguf.find_tensor("rope_factors_short.weight");
  if (freqs || longer || shorter) {
    if (!freqs && !(longer && shorter)) {
      throw Error(gguf.source + ": has only one of rope_factors_long.weight and rope_factors_short.weight");
    }
    const std::vector<double> long_factors = read_f32_vector(gguf, freqs ? *freqs : *longer);
    json scaling = {{"rope_type", "longrope"},
                    {"long_factor", long_factors},
                    {"short_factor", freqs ? long_factors : read_f32_vector(gguf, *shorter)},
                    {"attention_factor", meta.number(key + "attn_factor").value_or(1.0)}};
    if (auto original = meta.integer(key + "original_context_length")) config["original_max_position_embeddings"] = *original;
    config["rope_scaling"] = scaling;
    return;
  }
  const std::string type = meta.string(key + "type").value_or("none");
  if (type == "none") return;
  if (type != "linear" && type != "yarn") meta.fail(key + "type", "'" + type + "' is not supported (linear, yarn)");
  json scaling = {{"rope_type", type}};
  if (auto factor = meta.number(key + "factor")) scaling["factor"] = *factor;
  if (auto original = meta.integer(key + "original_context_length")) scaling["original_max_position_embeddings"] = *original;
  config["rope_scaling"] = scaling;
}

void add_token_ids(const Metadata& meta, json& config) {
  if (auto bos = meta.integer("tokenizer.ggml.bos_token_id")) config["bos_token_id"] = *bos;
  json eos = json::array();
  for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"}) {
    if (auto id = meta.integer(key); id && std::find(eos.begin(), eos.end(), *id) == eos.end()) eos.push_back(*id);
  }
  if (!eos.empty()) {
    config["eos_token_id"] = eos[0];
    config["generation"] = {{"eos_token_id", eos}};  // llama.cpp stops at end-of-turn tokens too
  }
  if (auto pad = meta.integer("tokenizer.ggml.padding_token_id")) config["pad_token_id"] = *pad;
}

int64_t rows_of(const GgufFile& gguf, const char* tensor) {
  const GgufTensorInfo* info = gguf.find_tensor(tensor);
  if (!info || info->ne.size() != 2) throw Error(gguf.source + ": has no 2-D tensor '" + tensor + "'");
  return info->ne[1];
}

json decoder_config(const GgufFile& gguf, const Metadata& meta, const std::string& arch) {
  const auto key = [&](const char* name) { return arch + "." + name; };
  json config = {
      {"hidden_size", meta.require_integer(key("embedding_length"))},
      {"num_hidden_layers", meta.require_integer(key("block_count"))},
      {"intermediate_size", meta.require_integer(key("feed_forward_length"))},
      {"num_attention_heads", meta.require_integer(key("attention.head_count"))},
      {"vocab_size", rows_of(gguf, "token_embd.weight")},
      {"tie_word_embeddings", gguf.find_tensor("output.weight") == nullptr},
      {"torch_dtype", "float32"},  // llama.cpp computes in f32 (Gemma's embedding scale)
  };
  config["num_key_value_heads"] = meta.integer(key("attention.head_count_kv")).value_or(config["num_attention_heads"]);
  if (auto v = meta.integer(key("context_length"))) config["max_position_embeddings"] = *v;
  if (auto v = meta.integer(key("attention.key_length"))) config["head_dim"] = *v;
  if (auto v = meta.number(key("rope.freq_base"))) config["rope_theta"] = *v;
  if (auto v = meta.number(key("attention.layer_norm_rms_epsilon"))) config["rms_norm_eps"] = *v;
  if (auto v = meta.integer(key("attention.sliding_window"))) config["sliding_window"] = *v;
  if (auto v = meta.number(key("attn_logit_softcapping"))) config["attn_logit_softcapping"] = *v;
  if (auto v = meta.number(key("final_logit_softcapping"))) config["final_logit_softcapping"] = *v;
  if (auto v = meta.integer(key("expert_count")); v && *v > 0) {
    config[arch == "llama" ? "num_local_experts" : "num_experts"] = *v;
    config["num_experts_per_tok"] = meta.require_integer(key("expert_used_count"));
  }
  if (auto v = meta.integer(key("expert_feed_forward_length"))) config["moe_intermediate_size"] = *v;
  if (arch == "qwen3moe") {
    // llama.cpp renormalises the top-k weights of qwen3moe unless the file says otherwise.
    config["norm_topk_prob"] = meta.flag(key("expert_weights_norm"), true);
    // Layers without a router are dense (Qwen3-MoE's mlp_only_layers).
    json dense = json::array();
    for (int64_t l = 0; l < config["num_hidden_layers"].get<int64_t>(); ++l) {
      if (!gguf.find_tensor("blk." + std::to_string(l) + ".ffn_gate_inp.weight")) dense.push_back(l);
    }
    if (!dense.empty()) config["mlp_only_layers"] = dense;
  }
  const int64_t head_dim = config.value("head_dim", config["hidden_size"].get<int64_t>() / std::max<int64_t>(1, config["num_attention_heads"].get<int64_t>()));
  if (auto rotary = meta.integer(key("rope.dimension_count")); rotary && head_dim > 0 && *rotary != head_dim) {
    config["partial_rotary_factor"] = static_cast<double>(*rotary) / static_cast<double>(head_dim);
  }
  // Gemma's query scale, when the file states it (llama.cpp otherwise derives it from the model size).
  if (auto scale = meta.number(key("attention.scale")); scale && *scale > 0) {
    config["query_pre_attn_scalar"] = 1.0 / (*scale * *scale);
  }
  if (auto v = meta.integer(key("attention.sliding_window_pattern"))) config["sliding_window_pattern"] = *v;
  add_rope_scaling(gguf, meta, arch, config);
  return config;
}

json gpt2_config(const GgufFile& gguf, const Metadata& meta) {
  return {
      {"n_embd", meta.require_integer("gpt2.embedding_length")},
      {"n_layer", meta.require_integer("gpt2.block_count")},
      {"n_head", meta.require_integer("gpt2.attention.head_count")},
      {"n_inner", meta.require_integer("gpt2.feed_forward_length")},
      {"n_positions", rows_of(gguf, "position_embd.weight")},
      {"vocab_size", rows_of(gguf, "token_embd.weight")},
      {"layer_norm_epsilon", meta.number("gpt2.attention.layer_norm_epsilon").value_or(1e-5)},
      // convert_hf_to_gguf.py transposes GPT-2's Conv1D weights into Linear layout.
      {"conv1d_weights_as_linear", true},
  };
}

json bert_config(const GgufFile& gguf, const Metadata& meta) {
  const GgufTensorInfo* types = gguf.find_tensor("token_types.weight");
  return {
      {"hidden_size", meta.require_integer("bert.embedding_length")},
      {"num_hidden_layers", meta.require_integer("bert.block_count")},
      {"intermediate_size", meta.require_integer("bert.feed_forward_length")},
      {"num_attention_heads", meta.require_integer("bert.attention.head_count")},
      {"max_position_embeddings", rows_of(gguf, "position_embd.weight")},
      {"vocab_size", rows_of(gguf, "token_embd.weight")},
      {"type_vocab_size", types && types->ne.size() == 2 ? types->ne[1] : 2},
      {"layer_norm_eps", meta.number("bert.attention.layer_norm_epsilon").value_or(1e-12)},
      {"hidden_act", "gelu"},
  };
}

json make_config(const GgufFile& gguf, const Metadata& meta) {
  const std::string arch = meta.string("general.architecture").value_or("");
  if (arch.empty()) meta.fail("general.architecture", "is missing");
  const ArchitectureInfo& info = find_architecture(gguf, arch);
  json config = arch == "gpt2" ? gpt2_config(gguf, meta) : arch == "bert" ? bert_config(gguf, meta) : decoder_config(gguf, meta, arch);
  const bool mixtral = arch == "llama" && config.contains("num_local_experts");
  config["architectures"] = {mixtral ? "MixtralForCausalLM" : std::string(info.hf_class)};
  config["model_type"] = mixtral ? "mixtral" : std::string(info.model_type);
  // convert_hf_to_gguf.py permutes Llama's q/k rows to ggml's adjacent-pair RoPE.
  if (arch == "llama") config["rope_interleaved"] = true;
  // ... and adds 1 to Gemma's norm weights, so they scale by x*w.
  if (arch.starts_with("gemma")) config["norm_weight_offset"] = 0.0;
  add_token_ids(meta, config);
  return config;
}

// The ggml types attn computes with as stored: ggml's block layouts are
// attn's block DTypes byte for byte, so these tensors are views of the
// mapping (engine/quant_blocks.h).
std::optional<DType> dtype_of(GgmlType type) {
  switch (type) {
    case GgmlType::F32: return DType::F32;
    case GgmlType::F16: return DType::F16;
    case GgmlType::BF16: return DType::BF16;
    case GgmlType::Q4_0: return DType::Q4_0;
    case GgmlType::Q4_1: return DType::Q4_1;
    case GgmlType::Q5_1: return DType::Q5_1;
    case GgmlType::Q8_0: return DType::Q8_0;
    case GgmlType::Q4_K: return DType::Q4_K;
    case GgmlType::Q5_K: return DType::Q5_K;
    case GgmlType::Q6_K: return DType::Q6_K;
    case GgmlType::Q8_K: return DType::Q8_K;
    case GgmlType::IQ4_XS: return DType::IQ4_XS;
    default: return std::nullopt;
  }
}

// A tensor's data as attn reads it (`shape` row-major): a view of the
// mapping, or its blocks repacked once into a type the kernels have.
Tensor tensor_of(const GgufFile& gguf, const GgufTensorInfo& info, const Shape& shape) {
  if (const std::optional<DType> dtype = dtype_of(info.type)) return Tensor(*dtype, shape, gguf.tensor_data(info), gguf.file);
  if (const std::optional<DType> repacked = repacked_type(info.type)) {
    Tensor out = Tensor::zeros(*repacked, shape);
    repack_blocks(info.type, gguf.tensor_data(info), out.mutable_data_as<BlockQ8_0>(),
                  out.numel() / dtype_block_elements(*repacked));
    return out;
  }
  throw Error(gguf.source + ": tensor '" + info.name + "' is stored as ggml type " + ggml_type_name(info.type) +
              ", which attn does not read (it reads F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K, "
              "Q8_K, IQ4_NL and IQ4_XS)");
}

void map_tensors(const GgufFile& gguf, const std::string& arch, WeightStore& weights) {
  for (const GgufTensorInfo& info : gguf.tensors) {
    const std::optional<HfTensorName> name = hf_tensor_name(arch, info.name);
    if (!name) continue;  // read into the config (RoPE factors)
    const Shape shape = info.shape();
    const Tensor tensor = tensor_of(gguf, info, shape);
    if (!name->per_expert) {
      weights.add(name->name, tensor, gguf.source);
      continue;
    }
    // [experts, rows, columns]: each expert is a contiguous [rows, columns] view.
    if (shape.size() != 3) throw Error(gguf.source + ": expert tensor '" + info.name + "' must have 3 dimensions");
    const Shape expert_shape{shape[1], shape[2]};
    const size_t expert_bytes = tensor.nbytes() / static_cast<size_t>(shape[0]);
    for (int64_t e = 0; e < shape[0]; ++e) {
      weights.add(name->expert_name(e),
                  Tensor(tensor.dtype(), expert_shape, tensor.data_as<std::byte>() + e * expert_bytes, tensor.owner()),
                  gguf.source);
    }
  }
}

// The tokenizer.* keys, for the tokenizer and the chat template.
json tokenizer_metadata(const GgufFile& gguf) {
  json metadata = json::object();
  for (const auto& [key, value] : gguf.metadata.items()) {
    if (key.starts_with("tokenizer.")) metadata[key] = value;
  }
  return metadata;
}

std::map<std::string, std::string> describe_file(const GgufFile& gguf) {
  std::map<std::string, std::string> described;
  described["gguf.version"] = std::to_string(gguf.version);
  for (const auto& [key, type] : gguf.metadata_types) {
    const json& value = gguf.metadata[key];
    described["gguf." + key] = value.is_array()     ? type + " of " + std::to_string(value.size())
                               : value.is_string() ? value.get<std::string>()
                                                   : value.dump();
  }
  std::map<std::string, int> counts;
  for (const GgufTensorInfo& tensor : gguf.tensors) ++counts[ggml_type_name(tensor.type)];
  std::string types;
  for (const auto& [type, count] : counts) types += (types.empty() ? "" : ", ") + type + ": " + std::to_string(count);
  described["gguf.tensor_types"] = types;
  return described;
}

}  // namespace

Checkpoint load_gguf(const fs::path& path) {
  GgufFile gguf = read_gguf(path);
  const Metadata meta(gguf);
  Checkpoint checkpoint;
  checkpoint.path = path;
  checkpoint.format = "gguf";
  checkpoint.config = make_config(gguf, meta);
  map_tensors(gguf, meta.string("general.architecture").value_or(""), checkpoint.weights);
  checkpoint.tokenizer_metadata = tokenizer_metadata(gguf);
  checkpoint.file_metadata = describe_file(gguf);
  // A tokenizer.json beside the file wins over the metadata, as the issue asks.
  const fs::path beside = path.parent_path() / "tokenizer.json";
  std::error_code ignored;
  if (fs::is_regular_file(beside, ignored)) checkpoint.tokenizer = beside;
  return checkpoint;
}

}  // namespace attn

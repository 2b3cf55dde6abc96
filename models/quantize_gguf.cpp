#include "models/quantize_gguf.h"

#include <cmath>
#include <cstring>
#include <numbers>

#include "attn/error.h"
#include "loaders/gguf_tensor_names.h"
#include "loaders/gguf_writer.h"
#include "models/config_reader.h"
#include "tokenizer/gguf_tokenizer_metadata.h"

namespace attn {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string gguf_architecture(const ConfigReader& config) {
  const json& names = config.json().value("architectures", json::array());
  const std::string hf = names.is_array() && !names.empty() && names[0].is_string() ? names[0].get<std::string>() : "";
  if (hf == "LlamaForCausalLM" || hf == "MistralForCausalLM") return "llama";
  if (hf == "Qwen2ForCausalLM") return "qwen2";
  if (hf == "Qwen3ForCausalLM") return "qwen3";
  throw Error(config.source() + ": attn quantize writes GGUF files of Llama, Mistral, Qwen2 and Qwen3 models (this is " +
              (hf.empty() ? std::string("not named in \"architectures\"") : hf) + "); write a directory instead");
}

// llama.cpp's llama_ftype for the file's main type.
int file_type(const QuantizeOptions& options) {
  switch (options.type) {
    case DType::F32: return 0;
    case DType::F16: return 1;
    case DType::Q4_0: return 2;
    case DType::Q8_0: return 7;
    case DType::Q4_K: return options.q4_k_m ? 15 : 14;  // Q4_K_M, Q4_K_S
    case DType::Q6_K: return 18;
    case DType::BF16: return 32;
    default: throw Error("attn quantize: GGUF has no " + std::string(weight_type_name(options.type)) + " file type");
  }
}

// The Llama 3 RoPE scaling as llama.cpp stores it: a divisor per frequency
// (convert_hf_to_gguf.py LlamaModel.generate_extra_tensors).
Tensor llama3_rope_factors(const ConfigReader& config, int rotary_dims) {
  const json& scaling = config.json()["rope_scaling"];
  const double base = config.get_double("rope_theta", 10000.0);
  const auto number = [&](const char* key) {
    if (!scaling.contains(key) || !scaling[key].is_number()) config.fail(std::string("rope_scaling.") + key + " is missing");
    return scaling[key].get<double>();
  };
  const double factor = number("factor"), low = number("low_freq_factor"), high = number("high_freq_factor");
  const double original = number("original_max_position_embeddings");
  Tensor factors = Tensor::zeros(DType::F32, {rotary_dims / 2});
  for (int i = 0; i < rotary_dims / 2; ++i) {
    const double wavelength = 2 * std::numbers::pi * std::pow(base, 2.0 * i / rotary_dims);
    double value = factor;
    if (wavelength < original / high) {
      value = 1.0;
    } else if (wavelength <= original / low) {
      const double smooth = (original / wavelength - low) / (high - low);
      value = 1 / ((1 - smooth) / factor + smooth);
    }
    factors.mutable_data_as<float>()[i] = static_cast<float>(value);
  }
  return factors;
}

void add_architecture_keys(const ConfigReader& config, const std::string& arch, GgufMetadata& metadata,
                           std::vector<std::pair<std::string, Tensor>>& tensors) {
  const int hidden = config.require_int("hidden_size"), heads = config.require_int("num_attention_heads");
  const int head_dim = config.get_int("head_dim", hidden / heads);
  const double partial = config.get_double("partial_rotary_factor", 1.0);
  const int rotary_dims = static_cast<int>(head_dim * partial);
  const auto key = [&](const char* name, json value) { metadata.emplace_back(arch + "." + name, std::move(value)); };
  key("context_length", config.get_int("max_position_embeddings", 2048));
  key("embedding_length", hidden);
  key("block_count", config.require_int("num_hidden_layers"));
  key("feed_forward_length", config.require_int("intermediate_size"));
  key("attention.head_count", heads);
  key("attention.head_count_kv", config.get_int("num_key_value_heads", heads));
  key("attention.key_length", head_dim);
  key("attention.value_length", head_dim);
  key("rope.dimension_count", rotary_dims);
  key("rope.freq_base", json(config.get_double("rope_theta", 10000.0)));  // float32, as llama.cpp expects
  key("attention.layer_norm_rms_epsilon", json(config.get_double("rms_norm_eps", 1e-6)));
  key("vocab_size", config.require_int("vocab_size"));
  if (!config.is_null_or_absent("sliding_window") && config.get_bool("use_sliding_window", true)) {
    key("attention.sliding_window", config.require_int("sliding_window"));
  }
  if (config.is_null_or_absent("rope_scaling")) return;
  const json& scaling = config.json()["rope_scaling"];
  const std::string type = scaling.value("rope_type", scaling.value("type", std::string()));
  if (type == "llama3") {
    tensors.emplace_back("rope_freqs.weight", llama3_rope_factors(config, rotary_dims));
  } else if (type == "longrope" && scaling.contains("long_factor") && scaling.value("short_factor", json()) == scaling["long_factor"]) {
    // One list for all positions: what attn reads a GGUF's rope_freqs as.
    const std::vector<float> factors = scaling["long_factor"].get<std::vector<float>>();
    Tensor tensor = Tensor::zeros(DType::F32, {static_cast<int64_t>(factors.size())});
    std::memcpy(tensor.mutable_data_as<float>(), factors.data(), factors.size() * sizeof(float));
    tensors.emplace_back("rope_freqs.weight", tensor);
  } else if (type == "linear" || type == "yarn") {
    key("rope.scaling.type", type);
    key("rope.scaling.factor", json(scaling.value("factor", 1.0)));
    if (scaling.contains("original_max_position_embeddings")) {
      key("rope.scaling.original_context_length", scaling["original_max_position_embeddings"]);
    }
  } else {
    config.fail("rope_scaling type '" + type + "' has no GGUF form attn writes (llama3, linear, yarn)");
  }
}

// convert_hf_to_gguf.py's LlamaModel.permute: each head's rows from Hugging
// Face's two rotary halves to ggml's adjacent pairs (row h*d + 2i + j takes
// row h*d + j*d/2 + i). Whole rows move, so any row type works.
Tensor permute_rows_for_ggml_rope(const Tensor& weight, int heads) {
  const int64_t rows = weight.dim(0), head_dim = rows / heads;
  const size_t row_bytes = dtype_row_bytes(weight.dtype(), weight.dim(1));
  Tensor out = Tensor::zeros(weight.dtype(), weight.shape());
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t i = 0; i < head_dim / 2; ++i) {
      for (int64_t j = 0; j < 2; ++j) {
        std::memcpy(out.mutable_data_as<std::byte>() + (h * head_dim + 2 * i + j) * row_bytes,
                    weight.data_as<std::byte>() + (h * head_dim + j * head_dim / 2 + i) * row_bytes, row_bytes);
      }
    }
  }
  return out;
}

void add_tensors(const Checkpoint& checkpoint, const ConfigReader& config, const std::string& arch,
                 std::vector<std::pair<std::string, Tensor>>& tensors) {
  // Llama's q/k rows are stored for ggml's RoPE (the rope_interleaved files attn reads already are).
  const bool permute = arch == "llama" && !config.get_bool("rope_interleaved", false);
  if (arch != "llama" && config.get_bool("rope_interleaved", false)) {
    config.fail("rope_interleaved: " + arch + " GGUF files use Hugging Face's rotary halves");
  }
  const int heads = config.require_int("num_attention_heads");
  const int kv_heads = config.get_int("num_key_value_heads", heads);
  for (const auto& [name, entry] : checkpoint.weights.entries()) {
    const std::optional<std::string> gguf = gguf_decoder_tensor_name(name);
    if (!gguf) throw Error(checkpoint.weights.source_of(name) + ": tensor '" + name + "' has no llama.cpp name for " + arch);
    Tensor tensor = entry.tensor.rank() == 1 ? entry.tensor.to_f32() : entry.tensor;
    if (permute && name.ends_with("self_attn.q_proj.weight")) tensor = permute_rows_for_ggml_rope(tensor, heads);
    if (permute && name.ends_with("self_attn.k_proj.weight")) tensor = permute_rows_for_ggml_rope(tensor, kv_heads);
    tensors.emplace_back(*gguf, std::move(tensor));
  }
}

void add_tokenizer(const Checkpoint& checkpoint, const ConfigReader& config, GgufMetadata& metadata) {
  json tokenizer;
  if (checkpoint.tokenizer) {
    tokenizer = gguf_tokenizer_metadata(*checkpoint.tokenizer, config.require_int("vocab_size"));
  } else if (!checkpoint.tokenizer_metadata.empty()) {
    tokenizer = checkpoint.tokenizer_metadata;  // a GGUF input's own
  } else {
    throw Error(checkpoint.path.string() + ": no tokenizer to write into the GGUF file; pass one with --tokenizer PATH");
  }
  // Special tokens: the model config's, where the tokenizer did not bring them.
  const auto id = [&](const char* config_key, const std::string& gguf_key) {
    if (tokenizer.contains(gguf_key) || !config.json().contains(config_key)) return;
    const json& value = config.json()[config_key];
    const json& first = value.is_array() && !value.empty() ? value[0] : value;
    if (first.is_number_integer() && first.get<int64_t>() >= 0) tokenizer[gguf_key] = first;
  };
  id("bos_token_id", "tokenizer.ggml.bos_token_id");
  id("eos_token_id", "tokenizer.ggml.eos_token_id");
  id("pad_token_id", "tokenizer.ggml.padding_token_id");
  for (const auto& [key, value] : tokenizer.items()) metadata.emplace_back(key, value);
}

}  // namespace

void write_gguf_model(const Checkpoint& checkpoint, const QuantizeOptions& options, const fs::path& output) {
  const ConfigReader config(checkpoint.config, checkpoint.config_source());
  const std::string arch = gguf_architecture(config);
  GgufMetadata metadata{{"general.architecture", arch},
                        {"general.name", output.stem().string()},
                        {"general.file_type", file_type(options)},
                        {"general.quantization_version", 2}};  // ggml's GGML_QNT_VERSION
  std::vector<std::pair<std::string, Tensor>> tensors;
  add_architecture_keys(config, arch, metadata, tensors);
  add_tensors(checkpoint, config, arch, tensors);
  add_tokenizer(checkpoint, config, metadata);
  // Written beside the output and renamed into place, so a failure never leaves half a file under its name.
  const fs::path partial = output.string() + ".attn-partial";
  std::error_code error;
  try {
    write_gguf(partial, metadata, tensors);
  } catch (...) {
    fs::remove(partial, error);
    throw;
  }
  fs::rename(partial, output, error);
  if (error) {
    fs::remove(partial, error);
    throw Error(output.string() + ": cannot move the finished file into place (" + error.message() + ")");
  }
}

}  // namespace attn

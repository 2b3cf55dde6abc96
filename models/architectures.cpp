#include "models/architectures.h"

#include <array>

#include "attn/error.h"

namespace attn {
namespace {

// Mistral, Qwen2/3 and the sparse MoE models share Llama's graph; the
// builder reads their differences (q/k/v biases, q/k norms, sliding window,
// experts) from the config.
constexpr std::array kArchitectures{
    Architecture{"LlamaForCausalLM", build_llama},
    Architecture{"MistralForCausalLM", build_llama},
    Architecture{"Qwen2ForCausalLM", build_llama},
    Architecture{"Qwen3ForCausalLM", build_llama},
    Architecture{"MixtralForCausalLM", build_llama},
    Architecture{"Qwen3MoeForCausalLM", build_llama},
    Architecture{"Phi3ForCausalLM", build_phi3},
    Architecture{"Gemma2ForCausalLM", build_gemma},
    Architecture{"Gemma3ForCausalLM", build_gemma},
    Architecture{"GPT2LMHeadModel", build_gpt2},
    // Encoders; of the task classes' heads, sequence classification runs
    // (the MLM head is ignored: attn gives hidden states, not masked tokens).
    Architecture{"BertModel", build_bert},
    Architecture{"BertForMaskedLM", build_bert},
    Architecture{"BertForSequenceClassification", build_bert},
    Architecture{"RobertaModel", build_bert},
    Architecture{"RobertaForSequenceClassification", build_bert},
    Architecture{"XLMRobertaModel", build_bert},
    Architecture{"XLMRobertaForSequenceClassification", build_bert},
    // Encoder-decoder (translation).
    Architecture{"MarianMTModel", build_marian},
    Architecture{"T5ForConditionalGeneration", build_t5},
    Architecture{"M2M100ForConditionalGeneration", build_m2m100},  // and NLLB-200
};

std::string supported_list() {
  std::string names;
  for (const Architecture& a : kArchitectures) names += (names.empty() ? "" : ", ") + std::string(a.name);
  return names;
}

}  // namespace

const Architecture& find_architecture(const Checkpoint& checkpoint) {
  const auto& config = checkpoint.config;
  const std::string source = checkpoint.config_source();
  if (!config.contains("architectures") || !config["architectures"].is_array() || config["architectures"].empty() ||
      !config["architectures"][0].is_string()) {
    throw Error(source + ": config has no \"architectures\" list; it must name one of: " + supported_list());
  }
  const std::string name = config["architectures"][0].get<std::string>();
  for (const Architecture& a : kArchitectures) {
    if (a.name == name) return a;
  }
  throw Error(source + ": architecture '" + name + "' is not supported; supported: " + supported_list());
}

}  // namespace attn

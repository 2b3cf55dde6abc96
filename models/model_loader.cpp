// Model::load: checkpoint loader -> architecture builder -> tokenizer.
#include <chrono>
#include <cstdlib>
#include <string>

#include "attn/error.h"
#include "attn/log.h"
#include "engine/loaded_model.h"
#include "loaders/checkpoint.h"
#include "json/checked.h"
#include "loaders/sentence_transformers.h"
#include "models/architectures.h"
#include "engine/dnnl_linear.h"
#include "engine/interpreter/onnx_graph_op.h"
#include "engine/ops/linear.h"
#include "engine/ops/mixture_of_experts.h"
#include "engine/weight_conversion.h"
#include "models/interpreted_graph.h"
#include "tokenizer/gguf_tokenizer.h"

namespace attn {
namespace {

// An id or a list of ids; null or [] is none.
std::vector<TokenId> read_token_ids(const nlohmann::json& value, const std::string& where) {
  std::vector<TokenId> ids;
  if (value.is_array()) {
    for (const auto& id : value) ids.push_back(json_int<TokenId>(id, where));
  } else if (!value.is_null()) {
    ids.push_back(json_int<TokenId>(value, where));
  }
  return ids;
}

// generation_config.json wins over config.json, as in Hugging Face.
std::vector<TokenId> eos_ids(const Checkpoint& checkpoint, const Tokenizer& tokenizer) {
  const auto& config = checkpoint.config;
  if (config.contains("generation") && config["generation"].contains("eos_token_id")) {
    auto ids = read_token_ids(config["generation"]["eos_token_id"], "generation_config.json: eos_token_id");
    if (!ids.empty()) return ids;
  }
  if (config.contains("eos_token_id")) {
    auto ids = read_token_ids(config["eos_token_id"], "config.json: eos_token_id");
    if (!ids.empty()) return ids;
  }
  if (tokenizer.eos_id() >= 0) return {tokenizer.eos_id()};
  return {};
}

// The stored type and bytes of each checkpoint tensor the graph's Linear
// ops read, as they read it (after any --dtype conversion); slices of one
// tensor add up to it.
struct LinearStorage {
  std::string dtype;
  int64_t bytes = 0;
};
std::map<std::string, LinearStorage> linear_storage(const Graph& graph) {
  std::map<std::string, LinearStorage> storage;
  for (const Node& node : graph.nodes()) {
    for (const LinearOp* linear : linear_ops(*node.op)) {
      if (linear->weights().source.empty()) continue;
      LinearStorage& entry = storage[linear->weights().source];
      entry.dtype = dtype_name(linear->weight().dtype());
      entry.bytes += static_cast<int64_t>(linear->weight().nbytes_with_scales());
    }
  }
  return storage;
}

ModelInfo describe(const Checkpoint& checkpoint, const std::string& architecture, BuiltModel& built) {
  ModelInfo info = std::move(built.info);
  info.architecture = architecture;
  info.source_format = checkpoint.format;
  info.path = checkpoint.path;
  auto linears = linear_storage(built.graph);
  if (built.encoder) linears.merge(linear_storage(*built.encoder));
  for (const auto& [name, entry] : checkpoint.weights.entries()) {
    const auto linear = linears.find(name);
    const bool read_by_linear = linear != linears.end();
    info.parameter_count += entry.tensor.numel();
    const std::string dtype = read_by_linear ? linear->second.dtype : std::string(dtype_name(entry.tensor.dtype()));
    info.parameters_by_dtype[dtype] += entry.tensor.numel();
    // ops read weights as stored
    info.weight_bytes += read_by_linear ? linear->second.bytes : static_cast<int64_t>(entry.tensor.nbytes_with_scales());
  }
  const auto& config = checkpoint.config;
  info.multi_label = config.contains("problem_type") && config["problem_type"] == "multi_label_classification";
  info.graph_ops = built.graph.op_counts();
  info.graph_nodes = built.graph.value_count();
  if (built.encoder) {
    for (const auto& [op, count] : built.encoder->op_counts()) info.graph_ops[op] += count;
    info.graph_nodes += built.encoder->value_count();
  }
  return info;
}

}  // namespace

namespace {

std::shared_ptr<const Tokenizer> checked_tokenizer(const Checkpoint& checkpoint, int vocab_size) {
  const bool from_metadata = !checkpoint.tokenizer && !checkpoint.tokenizer_metadata.empty();
  if (!checkpoint.tokenizer && !from_metadata) {
    throw Error(checkpoint.path.string() + ": no tokenizer found beside the model (looked for tokenizer.json, "
                "tokenizer.model, source.spm, spiece.model and sentencepiece.bpe.model); pass one with --tokenizer PATH");
  }
  const std::string source = from_metadata ? checkpoint.path.string() : checkpoint.tokenizer->string();
  auto tokenizer = from_metadata ? tokenizer_from_gguf(checkpoint.tokenizer_metadata, source)
                                 : load_tokenizer(*checkpoint.tokenizer);
  // Tokens past the model's rows are tolerated when they are special tokens
  // another model of the family uses (Gemma 3's text models lack a row for
  // its vision models' <image_soft_token>): text never encodes to them, and
  // a session refuses an id outside the vocabulary.
  const auto special = [&](TokenId id) {
    const std::string text = tokenizer->token_text(id);
    return text.size() > 2 && text.front() == '<' && text.back() == '>';
  };
  bool only_special_beyond = true;
  for (TokenId id = vocab_size; id < tokenizer->vocab_size() && only_special_beyond; ++id) only_special_beyond = special(id);
  if (tokenizer->vocab_size() > vocab_size && !only_special_beyond) {
    throw Error(source + ": tokenizer has " + std::to_string(tokenizer->vocab_size()) +
                " tokens but the model's vocabulary has " + std::to_string(vocab_size) +
                "; this tokenizer belongs to another model");
  }
  return tokenizer;
}

std::string architecture_name(const Checkpoint& checkpoint) {
  const auto& names = checkpoint.config.value("architectures", nlohmann::json::array());
  return !names.empty() && names[0].is_string() ? names[0].get<std::string>() : "ONNX decoder";
}

// ATTN_ONNX_VERIFY=1: run each recognised ONNX graph op by op at load and
// compare (tests do this for the fixtures; loads do not pay for it).
bool verify_onnx_at_load() {
  const char* value = std::getenv("ATTN_ONNX_VERIFY");
  return value && std::string(value) == "1";
}

// Tells the caller (and the log) what loading is doing; throws Cancelled
// when the caller's progress callback asks to stop.
void report_progress(const LoadOptions& options, const std::filesystem::path& path, std::string_view stage,
                     float fraction) {
  log(LogLevel::Debug, path.string() + ": " + std::string(stage));
  if (options.progress && !options.progress(stage, fraction)) {
    throw Cancelled(path.string() + ": loading cancelled (" + std::string(stage) + ")");
  }
}

// A GGUF's tokenizer.chat_template, with the texts of its special tokens,
// for ChatTemplate::for_model.
void add_embedded_chat_template(const Checkpoint& checkpoint, const Tokenizer& tokenizer, ModelInfo& info) {
  const auto& metadata = checkpoint.tokenizer_metadata;
  const auto chat_template = metadata.find("tokenizer.chat_template");
  if (chat_template == metadata.end()) return;
  if (!chat_template->is_string()) {
    throw Error(checkpoint.path.string() + ": metadata 'tokenizer.chat_template' must be a string");
  }
  info.metadata["chat_template"] = chat_template->get<std::string>();
  if (tokenizer.bos_id() >= 0) info.metadata["chat_template.bos_token"] = tokenizer.token_text(tokenizer.bos_id());
  if (tokenizer.eos_id() >= 0) info.metadata["chat_template.eos_token"] = tokenizer.token_text(tokenizer.eos_id());
}

std::shared_ptr<const Model> assemble(const Checkpoint& checkpoint, const std::string& architecture, BuiltModel built,
                                      std::shared_ptr<const Tokenizer> tokenizer,
                                      const std::string& onnx_unfused_reason = {}) {
  ModelInfo info = describe(checkpoint, architecture, built);
  info.eos_ids = eos_ids(checkpoint, *tokenizer);
  add_embedded_chat_template(checkpoint, *tokenizer, info);
  info.metadata.insert(checkpoint.file_metadata.begin(), checkpoint.file_metadata.end());
  if (info.encoder && checkpoint.format == "huggingface") info.metadata = read_sentence_transformers(checkpoint.path);
  std::optional<OnnxImportReport> onnx;
  // The recognisers map whole ONNX graphs or none of them (loaders/onnx/recognise.h).
  if (checkpoint.onnx) {
    onnx.emplace();
    const bool op_by_op = info.graph_ops.contains(std::string(kOnnxGraphOpName));
    (op_by_op ? onnx->primitive_nodes : onnx->fused_nodes) = static_cast<int>(checkpoint.onnx->graph.node_count());
    onnx->unfused_reason = onnx_unfused_reason;
  }
  return std::make_shared<const LoadedModel>(std::move(info), std::move(built.graph), std::move(tokenizer),
                                             std::move(onnx), std::move(built.encoder));
}

// The compute type the model gets for the one asked. bf16 is a hint, as
// OpenVINO's INFERENCE_PRECISION_HINT: where oneDNN has no native bf16
// (before AVX512_BF16) its bf16 matmul would be slower than f32, so f32 runs
// instead, with a warning saying why; the answer is ModelInfo::compute_type.
ComputeType effective_compute_type(const std::filesystem::path& path, ComputeType asked) {
  if (asked != ComputeType::BF16 || onednn_has_native_bf16()) return asked;
  log(LogLevel::Warning, path.string() + ": compute type bf16 needs AVX512_BF16 (oneDNN's ISA here: " +
                             onednn_isa_name() + "); computing in f32");
  return ComputeType::F32;
}

std::shared_ptr<const Model> load_model(const std::filesystem::path& path, const LoadOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.q4_k_m && options.dtype != DType::Q4_K) throw Error("LoadOptions::q4_k_m needs dtype Q4_K");
  if (compute_type_name(options.compute_type) == "?") throw Error("LoadOptions::compute_type: not a ComputeType value");
  report_progress(options, path, "reading the checkpoint", 0.f);
  Checkpoint checkpoint = load_checkpoint(path, options.tokenizer);
  auto loaded = [&](std::shared_ptr<const Model> model) {
    report_progress(options, path, "loaded", 1.f);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    log(LogLevel::Info, path.string() + ": loaded " + model->info().architecture + ", " +
                            std::to_string(model->info().parameter_count) + " parameters in " +
                            std::to_string(seconds) + " s");
    return model;
  };
  // An ONNX graph no recogniser maps runs whole on the interpreter: correct, not fast.
  auto interpreted = [&](const std::string& reason) {
    if (options.dtype) {
      throw Error(path.string() + ": converting weights (--dtype) needs an ONNX graph attn recognises; this one "
                  "runs op by op (" + reason + ")");
    }
    log(LogLevel::Warning, path.string() + ": the ONNX graph runs op by op (slow): " + reason);
    if (options.compute_type != ComputeType::F32) {
      log(LogLevel::Warning, path.string() + ": a graph run op by op computes in f32 whatever the compute type");
    }
    report_progress(options, path, "building the op-by-op graph", 0.5f);
    BuiltModel built = build_interpreted_graph(checkpoint);
    report_progress(options, path, "loading the tokenizer", 0.9f);
    auto tokenizer = checked_tokenizer(checkpoint, built.info.vocab_size);
    return loaded(assemble(checkpoint, architecture_name(checkpoint), std::move(built), std::move(tokenizer), reason));
  };
  if (!checkpoint.onnx_unrecognised.empty()) return interpreted(checkpoint.onnx_unrecognised);

  const Architecture& architecture = find_architecture(checkpoint);
  // as_stored: the weights and compute as the checkpoint has them, ignoring --dtype and --compute-type.
  auto build = [&](bool as_stored) {
    report_progress(options, path, "building the graph", 0.5f);
    BuiltModel built = architecture.build(checkpoint);
    if (options.dtype && !as_stored) {
      report_progress(options, path, "converting the weights", 0.7f);
      convert_linear_weights(built.graph, *options.dtype, options.q4_k_m);  // the --dtype pass over the built graph
      if (built.encoder) convert_linear_weights(*built.encoder, *options.dtype, options.q4_k_m);
    }
    if (!as_stored && effective_compute_type(path, options.compute_type) == ComputeType::BF16) {
      report_progress(options, path, "bf16 copies of the weights", 0.8f);
      add_bf16_matmul_weights(built.graph);
      if (built.encoder) add_bf16_matmul_weights(*built.encoder);
      built.info.compute_type = ComputeType::BF16;
    }
    report_progress(options, path, "loading the tokenizer", 0.9f);
    auto tokenizer = checked_tokenizer(checkpoint, built.info.vocab_size);
    return assemble(checkpoint, std::string(architecture.name), std::move(built), std::move(tokenizer));
  };
  if (checkpoint.onnx && verify_onnx_at_load()) {  // on the weights as stored, before any --dtype
    auto model = build(true);
    const double difference = difference_from_graph(model, checkpoint);
    if (difference > kGraphTolerance) {
      return interpreted("ATTN_ONNX_VERIFY: the model built from the recognised graph differs from the graph run op "
                         "by op (relative difference " + std::to_string(difference) + ")");
    }
    if (!options.dtype && options.compute_type == ComputeType::F32) return loaded(model);
  }
  return loaded(build(false));
}

}  // namespace

// Every JSON read above checks its types and names the file; this turns a
// check that is missing into a clear error instead of an internal one.
std::shared_ptr<const Model> Model::load(const std::filesystem::path& path, const LoadOptions& options) {
  try {
    return load_model(path, options);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": a JSON file of the model holds a value of an unexpected type (" + e.what() + ")");
  }
}

}  // namespace attn

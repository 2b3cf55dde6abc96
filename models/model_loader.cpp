// Model::load: checkpoint loader -> architecture builder -> tokenizer.
#include <cmath>
#include <string>

#include "attn/error.h"
#include "engine/loaded_model.h"
#include "loaders/checkpoint.h"
#include "loaders/sentence_transformers.h"
#include "models/architectures.h"
#include "engine/ops/onnx_graph.h"
#include "engine/ops/linear.h"
#include "engine/weight_conversion.h"
#include "models/onnx_import.h"

namespace attn {
namespace {

std::vector<TokenId> read_token_ids(const nlohmann::json& value) {
  std::vector<TokenId> ids;
  if (value.is_number_integer()) ids.push_back(value.get<TokenId>());
  if (value.is_array()) {
    for (const auto& id : value) {
      if (id.is_number_integer()) ids.push_back(id.get<TokenId>());
    }
  }
  return ids;
}

// generation_config.json wins over config.json, as in Hugging Face.
std::vector<TokenId> eos_ids(const Checkpoint& checkpoint, const Tokenizer& tokenizer) {
  const auto& config = checkpoint.config;
  if (config.contains("generation") && config["generation"].contains("eos_token_id")) {
    auto ids = read_token_ids(config["generation"]["eos_token_id"]);
    if (!ids.empty()) return ids;
  }
  if (config.contains("eos_token_id")) {
    auto ids = read_token_ids(config["eos_token_id"]);
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
    const auto* linear = dynamic_cast<const LinearOp*>(node.op.get());
    if (!linear || linear->weights().source.empty()) continue;
    LinearStorage& entry = storage[linear->weights().source];
    entry.dtype = dtype_name(linear->weight().dtype());
    entry.bytes += static_cast<int64_t>(linear->weight().nbytes_with_scales());
  }
  return storage;
}

ModelInfo describe(const Checkpoint& checkpoint, const std::string& architecture, BuiltModel& built) {
  ModelInfo info = std::move(built.info);
  info.architecture = architecture;
  info.source_format = checkpoint.format;
  info.path = checkpoint.path;
  const auto linears = linear_storage(built.graph);
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
  return info;
}

}  // namespace

namespace {

std::shared_ptr<const Tokenizer> checked_tokenizer(const Checkpoint& checkpoint, int vocab_size) {
  if (!checkpoint.tokenizer) {
    throw Error(checkpoint.path.string() + ": no tokenizer found beside the model (looked for tokenizer.json and "
                "tokenizer.model); pass one with --tokenizer PATH");
  }
  auto tokenizer = load_tokenizer(*checkpoint.tokenizer);
  if (tokenizer->vocab_size() > vocab_size) {
    throw Error(checkpoint.tokenizer->string() + ": tokenizer has " + std::to_string(tokenizer->vocab_size()) +
                " tokens but the model's vocabulary has " + std::to_string(vocab_size) +
                "; this tokenizer belongs to another model");
  }
  return tokenizer;
}

std::string architecture_name(const Checkpoint& checkpoint) {
  const auto& names = checkpoint.config.value("architectures", nlohmann::json::array());
  return !names.empty() && names[0].is_string() ? names[0].get<std::string>() : "ONNX decoder";
}

}  // namespace

namespace {

std::shared_ptr<const Model> assemble(const Checkpoint& checkpoint, const std::string& architecture, BuiltModel built,
                                      std::shared_ptr<const Tokenizer> tokenizer,
                                      const std::string& onnx_unfused_reason = {}) {
  ModelInfo info = describe(checkpoint, architecture, built);
  info.eos_ids = eos_ids(checkpoint, *tokenizer);
  if (info.encoder && checkpoint.format == "huggingface") info.metadata = read_sentence_transformers(checkpoint.path);
  std::optional<OnnxImportReport> onnx;
  // The fusion pass maps whole ONNX graphs or fails (onnx_import.h).
  if (checkpoint.onnx) {
    onnx.emplace();
    const bool op_by_op = info.graph_ops.contains(std::string(kOnnxGraphOpName));
    (op_by_op ? onnx->primitive_nodes : onnx->fused_nodes) = static_cast<int>(checkpoint.onnx->graph.node_count());
    onnx->unfused_reason = onnx_unfused_reason;
  }
  return std::make_shared<const LoadedModel>(std::move(info), std::move(built.graph), std::move(tokenizer),
                                             std::move(onnx));
}

}  // namespace

std::shared_ptr<const Model> Model::load(const std::filesystem::path& path, const LoadOptions& options) {
  Checkpoint checkpoint = load_checkpoint(path, options.tokenizer);
  if (checkpoint.onnx && options.dtype) {
    throw Error(path.string() + ": converting weights (--dtype) is not supported for ONNX models yet; "
                "load it without --dtype");
  }
  if (checkpoint.onnx) {
    // Each reading of the graph the fusion passes offer is checked against
    // the graph run op by op; the first that computes the same outputs wins.
    // A graph they cannot map runs op by op: correct, not fast.
    std::string unfused;
    std::vector<BuiltModel> candidates;
    try {
      candidates = fuse_onnx_model(checkpoint);
    } catch (const Error& e) {
      unfused = e.what();
    }
    std::shared_ptr<const Tokenizer> tokenizer;
    double closest = INFINITY;
    for (BuiltModel& candidate : candidates) {
      if (!tokenizer) tokenizer = checked_tokenizer(checkpoint, candidate.info.vocab_size);
      auto model = assemble(checkpoint, architecture_name(checkpoint), std::move(candidate), tokenizer);
      const double difference = fused_logits_difference(model, checkpoint);
      if (difference <= kFusionTolerance) return model;
      closest = std::min(closest, difference);
    }
    if (unfused.empty()) {
      unfused = "the fused graph differs from the ONNX graph (relative difference " + std::to_string(closest) + ")";
    }
    BuiltModel op_by_op = onnx_op_by_op_model(checkpoint);
    if (!tokenizer) tokenizer = checked_tokenizer(checkpoint, op_by_op.info.vocab_size);
    return assemble(checkpoint, architecture_name(checkpoint), std::move(op_by_op), tokenizer, unfused);
  }
  const Architecture& architecture = find_architecture(checkpoint);
  BuiltModel built = architecture.build(checkpoint);
  if (options.dtype) convert_linear_weights(built.graph, *options.dtype);
  auto tokenizer = checked_tokenizer(checkpoint, built.info.vocab_size);
  return assemble(checkpoint, std::string(architecture.name), std::move(built), std::move(tokenizer));
}

}  // namespace attn

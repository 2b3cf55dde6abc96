// Model::load: checkpoint loader -> architecture builder -> tokenizer.
#include <cstdlib>
#include <string>

#include "attn/error.h"
#include "engine/model_impl.h"
#include "loaders/checkpoint.h"
#include "loaders/sentence_transformers.h"
#include "models/architectures.h"
#include "engine/interpreter/onnx_graph_op.h"
#include "models/interpreted_graph.h"
#include "models/linear_weights.h"
#include "models/weight_type.h"

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

ModelInfo describe(const Checkpoint& checkpoint, const std::string& architecture, const BuiltModel& built) {
  ModelInfo info;
  info.architecture = architecture;
  info.source_format = checkpoint.format;
  info.path = checkpoint.path;
  for (const auto& [name, entry] : checkpoint.weights.entries()) {
    info.parameter_count += entry.tensor.numel();
    info.parameters_by_dtype[std::string(dtype_name(entry.tensor.dtype()))] += entry.tensor.numel();
    info.weight_bytes += static_cast<int64_t>(entry.tensor.nbytes_with_scales());  // ops read weights as stored
  }
  info.vocab_size = built.vocab_size;
  info.hidden_size = built.hidden_size;
  info.num_layers = built.num_layers;
  info.num_heads = built.num_heads;
  info.num_kv_heads = built.num_kv_heads;
  info.context_length = built.context_length;
  info.encoder = built.encoder;
  info.type_vocab_size = built.type_vocab_size;
  info.class_labels = built.class_labels;
  const auto& config = checkpoint.config;
  info.multi_label = config.contains("problem_type") && config["problem_type"] == "multi_label_classification";
  info.graph_ops = built.graph.op_counts();
  info.graph_nodes = built.graph.value_count();
  // The recognisers map whole ONNX graphs or none of them (loaders/onnx/recognise.h).
  if (checkpoint.onnx) {
    const bool op_by_op = info.graph_ops.contains(std::string(kOnnxGraphOpName));
    (op_by_op ? info.onnx_primitive_nodes : info.onnx_fused_nodes) = static_cast<int>(checkpoint.onnx->graph.node_count());
  }
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

// ATTN_ONNX_VERIFY=1: run each recognised ONNX graph op by op at load and
// compare (tests do this for the fixtures; loads do not pay for it).
bool verify_onnx_at_load() {
  const char* value = std::getenv("ATTN_ONNX_VERIFY");
  return value && std::string(value) == "1";
}

}  // namespace

std::shared_ptr<const Model> Model::assemble(const Checkpoint& checkpoint, const std::string& architecture,
                                             BuiltModel built, std::shared_ptr<const Tokenizer> tokenizer,
                                             const std::string& onnx_unfused_reason) {
  auto impl = std::make_unique<Impl>();
  impl->info = describe(checkpoint, architecture, built);
  impl->info.onnx_unfused_reason = onnx_unfused_reason;
  impl->info.eos_ids = eos_ids(checkpoint, *tokenizer);
  impl->graph = std::move(built.graph);
  impl->tokenizer = std::move(tokenizer);
  if (built.encoder && checkpoint.format == "huggingface") impl->embedding = read_sentence_transformers(checkpoint.path);
  return std::shared_ptr<const Model>(new Model(std::move(impl)));
}

std::shared_ptr<const Model> Model::load(const std::filesystem::path& path, const LoadOptions& options) {
  Checkpoint checkpoint = load_checkpoint(path, options.tokenizer);
  // An ONNX graph no recogniser maps runs whole on the interpreter: correct, not fast.
  auto interpreted = [&](const std::string& reason) {
    if (options.dtype) {
      throw Error(path.string() + ": converting weights (--dtype) needs an ONNX graph attn recognises; this one "
                  "runs op by op (" + reason + ")");
    }
    BuiltModel built = build_interpreted_graph(checkpoint);
    auto tokenizer = checked_tokenizer(checkpoint, built.vocab_size);
    return assemble(checkpoint, architecture_name(checkpoint), std::move(built), std::move(tokenizer), reason);
  };
  if (!checkpoint.onnx_unrecognised.empty()) return interpreted(checkpoint.onnx_unrecognised);

  const Architecture& architecture = find_architecture(checkpoint);
  auto build = [&] {
    BuiltModel built = architecture.build(checkpoint);
    auto tokenizer = checked_tokenizer(checkpoint, built.vocab_size);
    return assemble(checkpoint, std::string(architecture.name), std::move(built), std::move(tokenizer));
  };
  if (checkpoint.onnx && verify_onnx_at_load()) {  // on the weights as stored, before any --dtype
    auto model = build();
    const double difference = difference_from_graph(model, checkpoint);
    if (difference > kGraphTolerance) {
      return interpreted("ATTN_ONNX_VERIFY: the model built from the recognised graph differs from the graph run op "
                         "by op (relative difference " + std::to_string(difference) + ")");
    }
    if (!options.dtype) return model;
  }
  if (options.dtype) convert_linear_weights(checkpoint, to_dtype(*options.dtype));
  return build();
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

const ModelInfo& Model::info() const { return impl_->info; }
const Tokenizer& Model::tokenizer() const { return *impl_->tokenizer; }
std::shared_ptr<const Tokenizer> Model::shared_tokenizer() const { return impl_->tokenizer; }

}  // namespace attn

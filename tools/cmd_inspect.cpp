// attn inspect: what a model is, without running it.
#include <algorithm>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "attn/machine.h"
#include "cache_options.h"
#include "commands.h"
#include "model_options.h"

namespace attn::cli {
namespace {

struct InspectArgs {
  ModelOptions model;
  CacheOptions cache;
  bool json = false;
};

// The KV cache a session of the default context takes when full (it grows
// with the sequence), and what sliding-window layers cap.
int default_context(const ModelInfo& i) { return std::min(i.context_length, SessionOptions::kDefaultContextLength); }

std::string bytes_text(double bytes) {
  char text[32];
  if (bytes < 1048576.0) {
    std::snprintf(text, sizeof text, "%.1f KiB", bytes / 1024.0);
  } else {
    std::snprintf(text, sizeof text, "%.1f MiB", bytes / 1048576.0);
  }
  return text;
}

nlohmann::json kv_json(const Model& model, const SessionOptions& session) {
  const ModelInfo& i = model.info();
  const ForwardCost cost = forward_cost(model, 1, session);
  nlohmann::json windows = nlohmann::json::array();
  for (const auto& layer : cost.windowed_kv) windows.push_back(layer.window);
  return {{"key_type", cache_type_name(session.cache_type_k)},
          {"value_type", cache_type_name(session.cache_type_v)},
          {"bytes_per_position", cost.kv_bytes_per_position},
          {"bytes_at_default_context", cost.kv_bytes(default_context(i))},
          {"bytes_at_model_context", cost.kv_bytes(i.context_length)},
          {"sliding_windows", windows}};
}

nlohmann::json info_json(const Model& model, const SessionOptions& session) {
  const ModelInfo& i = model.info();
  const OnnxImportReport onnx = model.onnx_import().value_or(OnnxImportReport{});
  return {{"path", i.path.string()},
          {"format", i.source_format},
          {"architecture", i.architecture},
          {"parameters", i.parameter_count},
          {"parameters_by_dtype", i.parameters_by_dtype},
          {"weight_bytes", i.weight_bytes},
          {"compute_type", compute_type_name(i.compute_type)},
          {"vocab_size", i.vocab_size},
          {"hidden_size", i.hidden_size},
          {"layers", i.num_layers},
          {"heads", i.num_heads},
          {"kv_heads", i.num_kv_heads},
          {"context_length", i.context_length},
          {"kv_cache", i.encoder ? nlohmann::json() : kv_json(model, session)},
          {"eos_ids", i.eos_ids},
          {"tokenizer_vocab_size", model.tokenizer().vocab_size()},
          {"graph_nodes", i.graph_nodes},
          {"graph_ops", i.graph_ops},
          {"onnx_fused_nodes", onnx.fused_nodes},
          {"onnx_primitive_nodes", onnx.primitive_nodes},
          {"onnx_unfused_reason", onnx.unfused_reason},
          {"metadata", i.metadata},
          {"runtime", runtime_description()}};
}

// What the file says about itself (a GGUF's keys and tensor types), one
// line each; long values (chat templates) cut to their start.
void print_metadata(const ModelInfo& i) {
  if (i.metadata.empty()) return;
  std::printf("metadata:\n");
  for (const auto& [key, value] : i.metadata) {
    std::string shown = value.substr(0, std::min(value.find('\n'), size_t{72}));
    if (shown.size() < value.size()) shown += " ...";
    std::printf("  %s = %s\n", key.c_str(), shown.c_str());
  }
}

void print_text(const Model& model, const SessionOptions& session) {
  const ModelInfo& i = model.info();
  std::printf("model:         %s\n", i.path.c_str());
  std::printf("format:        %s\n", i.source_format.c_str());
  std::printf("architecture:  %s\n", i.architecture.c_str());
  std::printf("parameters:    %lld", static_cast<long long>(i.parameter_count));
  for (const auto& [dtype, count] : i.parameters_by_dtype) std::printf("  (%s: %lld)", dtype.c_str(), static_cast<long long>(count));
  std::printf("\nweights:       %.2f MiB\n", i.weight_bytes / 1048576.0);
  std::printf("compute type:  %s\n", compute_type_name(i.compute_type).data());
  std::printf("shape:         hidden %d, layers %d, heads %d, kv heads %d, vocab %d, context %d\n", i.hidden_size,
              i.num_layers, i.num_heads, i.num_kv_heads, i.vocab_size, i.context_length);
  if (!i.encoder) {
    const ForwardCost cost = forward_cost(model, 1, session);
    std::printf("kv cache:      %s/%s: %s per position, grown as the sequence grows: %s at context %d (default), %s at %d\n",
                cache_type_name(session.cache_type_k).data(), cache_type_name(session.cache_type_v).data(),
                bytes_text(cost.kv_bytes_per_position).c_str(), bytes_text(cost.kv_bytes(default_context(i))).c_str(),
                default_context(i), bytes_text(cost.kv_bytes(i.context_length)).c_str(), i.context_length);
    if (!cost.windowed_kv.empty()) {
      std::printf("               %zu sliding-window layers keep only their window (%d positions)\n",
                  cost.windowed_kv.size(), cost.windowed_kv.front().window);
    }
  }
  std::printf("tokenizer:     %d tokens, bos %d, eos ids", model.tokenizer().vocab_size(), model.tokenizer().bos_id());
  for (TokenId id : i.eos_ids) std::printf(" %d", id);
  std::printf("\ngraph:         %d nodes:", i.graph_nodes);
  const char* separator = " ";
  for (const auto& [op, count] : i.graph_ops) {
    std::printf("%s%s %d", separator, op.c_str(), count);
    separator = ", ";
  }
  if (const auto& onnx = model.onnx_import()) {
    std::printf("\nonnx:          %d nodes fused, %d primitive (run op by op)", onnx->fused_nodes, onnx->primitive_nodes);
    if (!onnx->unfused_reason.empty()) std::printf("\nnot fused:     %s", onnx->unfused_reason.c_str());
  }
  std::printf("\nruntime:       %s\n", runtime_description().c_str());
  print_metadata(i);
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd = app.add_subcommand("inspect", "Describe a model: architecture, parameters, dtypes, graph");
  args->model.add_to(*cmd, false);
  args->model.add_precision_options_to(*cmd);
  args->cache.add_to(*cmd);
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args] {
    const auto model = args->model.load();
    if (args->json) {
      std::printf("%s\n", info_json(*model, args->cache.session()).dump().c_str());
    } else {
      print_text(*model, args->cache.session());
    }
  });
}

}  // namespace attn::cli

// attn inspect: what a model is, without running it.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "model_options.h"

namespace attn::cli {
namespace {

struct InspectArgs {
  ModelOptions model;
  bool json = false;
};

nlohmann::json info_json(const Model& model) {
  const ModelInfo& i = model.info();
  const OnnxImportReport onnx = model.onnx_import().value_or(OnnxImportReport{});
  return {{"path", i.path.string()},
          {"format", i.source_format},
          {"architecture", i.architecture},
          {"parameters", i.parameter_count},
          {"parameters_by_dtype", i.parameters_by_dtype},
          {"weight_bytes", i.weight_bytes},
          {"vocab_size", i.vocab_size},
          {"hidden_size", i.hidden_size},
          {"layers", i.num_layers},
          {"heads", i.num_heads},
          {"kv_heads", i.num_kv_heads},
          {"context_length", i.context_length},
          {"eos_ids", i.eos_ids},
          {"tokenizer_vocab_size", model.tokenizer().vocab_size()},
          {"graph_nodes", i.graph_nodes},
          {"graph_ops", i.graph_ops},
          {"onnx_fused_nodes", onnx.fused_nodes},
          {"onnx_primitive_nodes", onnx.primitive_nodes},
          {"onnx_unfused_reason", onnx.unfused_reason},
          {"runtime", runtime_description()}};
}

void print_text(const Model& model) {
  const ModelInfo& i = model.info();
  std::printf("model:         %s\n", i.path.c_str());
  std::printf("format:        %s\n", i.source_format.c_str());
  std::printf("architecture:  %s\n", i.architecture.c_str());
  std::printf("parameters:    %lld", static_cast<long long>(i.parameter_count));
  for (const auto& [dtype, count] : i.parameters_by_dtype) std::printf("  (%s: %lld)", dtype.c_str(), static_cast<long long>(count));
  std::printf("\nweights:       %.2f MiB\n", i.weight_bytes / 1048576.0);
  std::printf("shape:         hidden %d, layers %d, heads %d, kv heads %d, vocab %d, context %d\n", i.hidden_size,
              i.num_layers, i.num_heads, i.num_kv_heads, i.vocab_size, i.context_length);
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
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd = app.add_subcommand("inspect", "Describe a model: architecture, parameters, dtypes, graph");
  args->model.add_to(*cmd, false);
  args->model.add_dtype_to(*cmd);
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args] {
    const auto model = args->model.load();
    if (args->json) {
      std::printf("%s\n", info_json(*model).dump().c_str());
    } else {
      print_text(*model);
    }
  });
}

}  // namespace attn::cli

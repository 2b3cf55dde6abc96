// The one implementation of the public attn::Model: the static graph a
// builder made, and what the public API reports about it. The loader
// (models/model_loader.cpp) creates it; Sessions run its graph.
#pragma once

#include <memory>
#include <optional>

#include "attn/model.h"
#include "engine/graph.h"

namespace attn {

class LoadedModel final : public Model {
 public:
  LoadedModel(ModelInfo info, Graph graph, std::shared_ptr<const Tokenizer> tokenizer,
              std::optional<OnnxImportReport> onnx_import, std::optional<Graph> encoder_graph = std::nullopt)
      : info_(std::move(info)),
        graph_(std::move(graph)),
        encoder_graph_(std::move(encoder_graph)),
        tokenizer_(std::move(tokenizer)),
        onnx_import_(std::move(onnx_import)) {}

  const ModelInfo& info() const override { return info_; }
  const Tokenizer& tokenizer() const override { return *tokenizer_; }
  std::shared_ptr<const Tokenizer> shared_tokenizer() const override { return tokenizer_; }
  const std::optional<OnnxImportReport>& onnx_import() const override { return onnx_import_; }

  // Ops own their weights (views into mapped files or converted copies).
  const Graph& graph() const { return graph_; }
  // Encoder-decoder models: the encoder (`graph` is then the decoder).
  const std::optional<Graph>& encoder_graph() const { return encoder_graph_; }
  // `model` as the engine's model; throws attn::Error for a Model that
  // Model::load did not make.
  static const LoadedModel& of(const Model& model);

 private:
  ModelInfo info_;
  Graph graph_;
  std::optional<Graph> encoder_graph_;
  std::shared_ptr<const Tokenizer> tokenizer_;
  std::optional<OnnxImportReport> onnx_import_;
};

}  // namespace attn

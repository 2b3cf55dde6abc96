// /v1/embeddings for encoder models: a few sessions shared by the HTTP
// threads; each request's texts run batched through attn::embed.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "attn/attn.h"

namespace attn::server {

class EmbeddingPool {
 public:
  EmbeddingPool(std::shared_ptr<const Model> model, int sessions, int max_waiting);

  // Throws QueueFull when max_waiting requests already wait for a session,
  // attn::Error for a text the model cannot take.
  std::vector<Embedding> embed(const std::vector<std::string>& texts);
  int busy() const;

 private:
  std::vector<std::unique_ptr<Session>> idle_;
  int total_ = 0;
  int max_waiting_ = 0;
  int waiting_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable released_;
};

}  // namespace attn::server

#include "server/embedding_pool.h"

#include "server/scheduler.h"

namespace attn::server {

EmbeddingPool::EmbeddingPool(std::shared_ptr<const Model> model, int sessions, int max_waiting)
    : total_(sessions), max_waiting_(max_waiting) {
  for (int i = 0; i < sessions; ++i) idle_.push_back(std::make_unique<Session>(model));
}

std::vector<Embedding> EmbeddingPool::embed(const std::vector<std::string>& texts) {
  std::unique_ptr<Session> session;
  {
    std::unique_lock lock(mutex_);
    if (idle_.empty() && waiting_ >= max_waiting_)
      throw QueueFull("all " + std::to_string(total_) + " embedding sessions are busy");
    ++waiting_;
    released_.wait(lock, [&] { return !idle_.empty(); });
    --waiting_;
    session = std::move(idle_.back());
    idle_.pop_back();
  }
  auto give_back = [&] {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(session));
    released_.notify_one();
  };
  try {
    std::vector<Embedding> embeddings = attn::embed(*session, texts);
    give_back();
    return embeddings;
  } catch (...) {
    give_back();
    throw;
  }
}

int EmbeddingPool::busy() const {
  std::lock_guard lock(mutex_);
  return total_ - static_cast<int>(idle_.size());
}

}  // namespace attn::server

// GET /metrics: Prometheus text format. Requests by endpoint and status,
// tokens, decode speed, queue depth and busy slots.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "server/scheduler.h"

namespace attn::server {

class Metrics {
 public:
  void count_request(const std::string& endpoint, int status);
  // `scheduler` may be null (an encoder model has none).
  std::string prometheus(const Scheduler* scheduler, int embedding_sessions_busy) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
};

}  // namespace attn::server

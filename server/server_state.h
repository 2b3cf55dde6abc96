// What the HTTP handlers share: the options, the model, the scheduler (a
// decoder) or the embedding sessions (an encoder), the metrics, and the
// shutdown state.
#pragma once

#include <atomic>
#include <memory>

#include "server/embedding_pool.h"
#include "server/metrics.h"
#include "server/options.h"
#include "server/scheduler.h"
#include "server/served_model.h"

namespace httplib {
class Server;
}

namespace attn::server {

struct ServerState {
  ServerOptions options;
  ServedModel served;
  std::unique_ptr<Scheduler> scheduler;
  std::unique_ptr<EmbeddingPool> embeddings;
  Metrics metrics;
  // SIGTERM: new work is refused (503) while the requests in flight finish.
  std::atomic<bool> draining{false};
  std::atomic<int> in_flight{0};  // generation and embedding requests not yet answered
};

// The endpoints, authentication and OpenAI-style errors.
void add_routes(httplib::Server& http, ServerState& state);

}  // namespace attn::server

// attn serve: an OpenAI-compatible HTTP server for one model.
#pragma once

#include <memory>

#include "attn/attn.h"
#include "server/options.h"

namespace attn::server {

// Serves `model` (loaded from options.model_path), listens (printing "attn serve: listening on http://HOST:PORT"
// to stdout once it accepts connections) and serves until SIGTERM or SIGINT,
// then lets the requests in flight finish and returns 0. Throws attn::Error
// when the chat template asked for cannot be read or the address cannot be bound.
int serve(std::shared_ptr<const Model> model, const ServerOptions& options);

}  // namespace attn::server

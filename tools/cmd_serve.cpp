// attn serve: an OpenAI-compatible HTTP server (server/), started from flags
// spelled as llama-server spells them.
#include "attn/attn.h"
#include "cache_options.h"
#include "commands.h"
#include "model_options.h"
#include "server/server.h"
#include "validators.h"

namespace attn::cli {
namespace {

struct ServeArgs {
  ModelOptions model;
  CacheOptions cache;
  server::ServerOptions server;
  double max_body_mib = 1;
};

void run(ServeArgs& args) {
  args.server.model_path = args.model.model;
  args.server.max_body_bytes = static_cast<size_t>(args.max_body_mib * (1 << 20));
  const SessionOptions cache = args.cache.session();
  args.server.cache_type_k = cache.cache_type_k;
  args.server.cache_type_v = cache.cache_type_v;
  server::serve(args.model.load(), args.server);
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve a model over an OpenAI-compatible HTTP API");
  args->model.add_to(*cmd);
  args->model.add_precision_options_to(*cmd);
  args->cache.add_to(*cmd);
  server::ServerOptions& s = args->server;
  cmd->add_option("--host", s.host, "address to listen on (default 127.0.0.1: this machine only)");
  cmd->add_option("--port", s.port, "port (0: any free one; the one chosen is printed)")->default_val(8080)
      ->check(number_in(0, 65535, "0 to 65535"));
  cmd->add_option("--parallel", s.parallel, "requests decoded together (slots; llama-server's -np)")->default_val(4)
      ->check(number_in(1, 256, "1 to 256"));
  cmd->add_option("-c,--ctx-size", s.context_length, "context length of each slot (default: the model's)")
      ->check(non_negative());
  cmd->add_option("--api-key", s.api_key, "require 'Authorization: Bearer KEY' (except on /health)");
  cmd->add_option("--chat-template", s.chat_template, "a .jinja chat template instead of the model's");
  cmd->add_option("--alias", s.model_name, "the model's id in requests and /v1/models (default: its directory's name)");
  cmd->add_option("--max-queue", s.max_queue, "requests waiting for a slot before 503 (default 32)")->default_val(32)
      ->check(number_in(0, 100000, "0 or more"));
  cmd->add_option("--max-body-mib", args->max_body_mib, "largest request body in MiB (default 1; larger: 413)")
      ->default_val(1)->check(positive());
  cmd->add_option("--prefill-chunk", s.prefill_chunk,
                  "prompt tokens a newcomer prefills between two decode steps (default 64)")
      ->default_val(64)->check(number_in(1, 1 << 20, ">= 1"));
  cmd->callback([args] { run(*args); });
}

}  // namespace attn::cli

#include "server/server.h"

#include <httplib.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "server/server_state.h"

namespace attn::server {
namespace {

// SIGTERM/SIGINT arrive here (blocked in every other thread): new work is
// refused from then on, the requests in flight finish, then the listener stops.
void drain_on_signal(httplib::Server& http, ServerState& state, sigset_t signals) {
  int signal = 0;
  sigwait(&signals, &signal);
  std::fprintf(stderr, "attn serve: %s: finishing %d requests in flight, then exiting\n",
               signal == SIGTERM ? "SIGTERM" : "SIGINT", state.in_flight.load());
  state.draining = true;
  while (state.in_flight.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  http.stop();
}

}  // namespace

int serve(std::shared_ptr<const Model> model, const ServerOptions& options) {
  // Before any thread starts, so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a client that hangs up is seen as a failed write

  ServerState state;
  state.options = options;
  state.served = served_model(std::move(model), options);
  if (state.served.model->info().encoder) {
    state.embeddings = std::make_unique<EmbeddingPool>(state.served.model, options.parallel, options.max_queue);
  } else {
    state.scheduler = std::make_unique<Scheduler>(
        state.served.model, SchedulerOptions{options.parallel, state.served.context_length, options.max_queue,
                                             options.prefill_chunk, options.cache_type_k, options.cache_type_v});
    state.scheduler->start();
  }

  httplib::Server http;
  // Enough threads for every slot, every queued request and a few quick
  // requests (/health, /metrics) besides.
  const size_t threads = static_cast<size_t>(options.parallel + options.max_queue + 4);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(options.max_body_bytes);
  add_routes(http, state);

  const int port = options.port == 0 ? http.bind_to_any_port(options.host)
                                     : (http.bind_to_port(options.host, options.port) ? options.port : -1);
  if (port < 0) throw Error("cannot listen on " + options.host + ":" + std::to_string(options.port));
  std::thread signal_thread(drain_on_signal, std::ref(http), std::ref(state), signals);
  std::printf("attn serve: listening on http://%s:%d (model \"%s\", %d slots of %d tokens)\n", options.host.c_str(),
              port, state.served.name.c_str(), options.parallel, state.served.context_length);
  std::fflush(stdout);
  const bool listened = http.listen_after_bind();
  if (!listened) pthread_kill(signal_thread.native_handle(), SIGTERM);  // ends the signal thread's wait
  signal_thread.join();
  if (state.scheduler) state.scheduler->stop();
  if (!listened) throw Error("the server on " + options.host + ":" + std::to_string(port) + " stopped with an error");
  std::fprintf(stderr, "attn serve: stopped\n");
  return 0;
}

}  // namespace attn::server

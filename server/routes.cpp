// The endpoints: /v1/chat/completions, /v1/completions, /v1/embeddings,
// /v1/models, /health, /metrics; bearer-key authentication; every error as
// OpenAI's JSON.
#include <httplib.h>

#include <chrono>

#include "server/api_error.h"
#include "server/base64.h"
#include "server/responses.h"
#include "server/server_state.h"
#include "server/streaming.h"

namespace attn::server {
namespace {

using nlohmann::json;

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(dump(body), "application/json");
}

void send_error(httplib::Response& res, const ApiError& error) {
  send_json(res, error.status, error.to_json());
  if (error.status == 503) res.set_header("Retry-After", "1");
}

// Counts a request in flight from construction to destruction.
class InFlight {
 public:
  explicit InFlight(ServerState& state) : state_(state) { ++state_.in_flight; }
  ~InFlight() { --state_.in_flight; }

 private:
  ServerState& state_;
};

void refuse_while_draining(const ServerState& state) {
  if (state.draining) throw ApiError(503, "the server is shutting down", "server_error", std::nullopt, "shutting_down");
}

bool authorized(const ServerState& state, const httplib::Request& req) {
  if (state.options.api_key.empty() || req.path == "/health") return true;
  return req.get_header_value("Authorization") == "Bearer " + state.options.api_key;
}

ApiError unauthorized() {
  return ApiError(401, "Incorrect or missing API key: send the header 'Authorization: Bearer KEY'",
                  "invalid_request_error", std::nullopt, "invalid_api_key");
}

// Runs a handler, turning what it throws into OpenAI's JSON errors. The API
// key is checked here, after httplib has read the body, and not in a
// pre-routing handler: a refusal there leaves the body unread on a keep-alive
// connection, where httplib would parse it as the next request (a 400 for
// whatever the client sends next on that connection).
template <typename Handler>
httplib::Server::Handler guarded(ServerState& state, const char* endpoint, Handler handler) {
  return [&state, endpoint, handler](const httplib::Request& req, httplib::Response& res) {
    try {
      if (!authorized(state, req)) throw unauthorized();
      handler(req, res);
    } catch (const ApiError& e) {
      send_error(res, e);
    } catch (const QueueFull& e) {
      send_error(res, ApiError(503, e.what(), "server_error", std::nullopt, "server_busy"));
    } catch (const Error& e) {  // an input the model cannot take (embeddings)
      send_error(res, ApiError(400, e.what()));
    } catch (const std::exception& e) {
      send_error(res, ApiError(500, std::string("internal error: ") + e.what(), "server_error"));
    }
    state.metrics.count_request(endpoint, res.status);
  };
}

void completion(ServerState& state, const httplib::Request& req, httplib::Response& res, bool chat) {
  refuse_while_draining(state);
  if (!state.scheduler)
    throw ApiError(400, "'" + state.served.name + "' is an encoder: it gives embeddings (/v1/embeddings), not text");
  CompletionRequest request = parse_completion_request(parse_request_body(req.body), state.served, chat);
  const bool stream = request.stream;
  auto in_flight = std::make_shared<InFlight>(state);
  std::shared_ptr<Job> job = state.scheduler->submit(std::move(request));
  const ResponseHeader header = new_response_header(state.served.name, chat);
  if (stream) {
    stream_job(res, job, header, in_flight);
    return;
  }
  std::vector<JobEvent> events;
  while (true) {
    Job::Taken taken = job->wait(std::chrono::milliseconds(200));
    for (JobEvent& event : taken.events) events.push_back(std::move(event));
    if (!taken.summary) continue;
    if (!taken.summary->error.empty())
      throw ApiError(500, "generation failed: " + taken.summary->error, "server_error");
    send_json(res, 200, completion_response(header, events, *taken.summary, job->request.logprobs));
    return;
  }
}

void embeddings(ServerState& state, const httplib::Request& req, httplib::Response& res) {
  refuse_while_draining(state);
  const EmbeddingRequest request = parse_embedding_request(parse_request_body(req.body), state.served);
  InFlight in_flight(state);
  const std::vector<Embedding> vectors = state.embeddings->embed(request.inputs);
  json data = json::array();
  for (size_t i = 0; i < vectors.size(); ++i) {
    const std::vector<float>& v = vectors[i].vector;
    json embedding = request.base64 ? json(base64_encode(std::string_view(
                                          reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float))))
                                    : json(v);
    data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", embedding}});
  }
  int tokens = 0;
  for (const std::string& text : request.inputs)
    tokens += static_cast<int>(state.served.model->tokenizer().encode(text, true).size());
  send_json(res, 200, {{"object", "list"}, {"data", data}, {"model", state.served.name},
                       {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}});
}

json models(const ServerState& state) {
  const int64_t created = std::chrono::duration_cast<std::chrono::seconds>(
                              std::filesystem::last_write_time(state.served.model->info().path).time_since_epoch())
                              .count();
  return {{"object", "list"},
          {"data", json::array({{{"id", state.served.name}, {"object", "model"}, {"created", created},
                                 {"owned_by", "attn"}}})}};
}

}  // namespace

void add_routes(httplib::Server& http, ServerState& state) {
  // Statuses httplib sets itself (unknown path, body too large, ...) get an OpenAI-style body too.
  http.set_error_handler(httplib::Server::HandlerWithResponse([&state](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    if (res.status == 404 && !authorized(state, req)) {  // an unknown path is not told apart without the key
      send_error(res, unauthorized());
      return httplib::Server::HandlerResponse::Handled;
    }
    std::string message = "HTTP " + std::to_string(res.status) + " for " + req.method + " " + req.path;
    if (res.status == 404) message = "no such endpoint: " + req.method + " " + req.path;
    if (res.status == 413)
      message = "the request body is larger than " + std::to_string(state.options.max_body_bytes) + " bytes";
    send_error(res, ApiError(res.status, message, res.status >= 500 ? "server_error" : "invalid_request_error"));
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.Post("/v1/chat/completions", guarded(state, "/v1/chat/completions", [&state](auto& req, auto& res) {
              completion(state, req, res, true);
            }));
  http.Post("/v1/completions", guarded(state, "/v1/completions", [&state](auto& req, auto& res) {
              completion(state, req, res, false);
            }));
  http.Post("/v1/embeddings", guarded(state, "/v1/embeddings", [&state](auto& req, auto& res) {
              embeddings(state, req, res);
            }));
  http.Get("/v1/models", guarded(state, "/v1/models", [&state](auto&, auto& res) { send_json(res, 200, models(state)); }));
  http.Get("/health", guarded(state, "/health", [&state](auto&, auto& res) {
             send_json(res, 200, {{"status", state.draining ? "shutting down" : "ok"}});
           }));
  http.Get("/metrics", guarded(state, "/metrics", [&state](auto&, auto& res) {
             res.set_content(state.metrics.prometheus(state.scheduler.get(), state.embeddings ? state.embeddings->busy() : 0),
                             "text/plain; version=0.0.4");
           }));
}

}  // namespace attn::server

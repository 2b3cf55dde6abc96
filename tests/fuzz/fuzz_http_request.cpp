// An HTTP request body, as attn serve's endpoints take it: parsed as JSON,
// then checked as /v1/completions, /v1/chat/completions (a Qwen3 fixture with
// its real chat template, rendered and tokenized) and /v1/embeddings (a BERT
// fixture; each input tokenized as the usage count does). A refusal is an
// ApiError, which the server sends as OpenAI's JSON error, so that is built
// too. Anything else escaping would be a 500 "internal error": a finding.
#include "fuzz_support.h"
#include "server/api_error.h"
#include "server/request.h"
#include "server/served_model.h"

namespace {

using attn::server::ServedModel;

ServedModel serve(const char* fixture) {
  attn::server::ServerOptions options;
  options.model_path = (attn::fuzz::fixtures_dir() / fixture).string();
  options.model_name = "fuzz";
  options.context_length = 4096;
  return attn::server::served_model(attn::Model::load(options.model_path), options);
}

// What the server would send back for a refusal.
void respond_with(const attn::server::ApiError& error) {
  (void)error.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

template <typename Endpoint>
void call(Endpoint endpoint) {
  try {
    endpoint();
  } catch (const attn::server::ApiError& e) {
    respond_with(e);
  } catch (const attn::Error& e) {  // as the server's guard: a 400 with the message
    respond_with(attn::server::ApiError(400, e.what()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ServedModel decoder = serve("families/qwen3");
  static const ServedModel encoder = serve("family/bert");
  nlohmann::json body;
  try {
    body = attn::server::parse_request_body(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const attn::server::ApiError& e) {
    respond_with(e);
    return 0;
  }
  call([&] { (void)attn::server::parse_completion_request(body, decoder, false); });
  call([&] { (void)attn::server::parse_completion_request(body, decoder, true); });
  call([&] {
    const auto request = attn::server::parse_embedding_request(body, encoder);
    for (const std::string& text : request.inputs) (void)encoder.model->tokenizer().encode(text, true);
  });
  return 0;
}

// The C API's sessions and text generation.
#include <string>
#include <vector>

#include "attn/generate.h"
#include "capi/generation.h"
#include "capi/handles.h"

using namespace attn::capi;

namespace attn::capi {

static_assert(static_cast<int>(attn::StopReason::Eos) == ATTN_STOP_REASON_EOS &&
              static_cast<int>(attn::StopReason::StopString) == ATTN_STOP_REASON_STOP_STRING &&
              static_cast<int>(attn::StopReason::MaxLength) == ATTN_STOP_REASON_MAX_LENGTH &&
              static_cast<int>(attn::StopReason::ContextFull) == ATTN_STOP_REASON_CONTEXT_FULL &&
              static_cast<int>(attn::StopReason::Cancelled) == ATTN_STOP_REASON_ABORTED);

attn::GenerateOptions generate_options(const attn_generate_options& options, const std::atomic<bool>* abort) {
  require(options.max_length >= 0, "options->max_length: must be 0 (the context length) or more");
  require(options.max_new_tokens >= -1, "options->max_new_tokens: must be -1 (no bound) or more");
  require(options.stop_strings != nullptr || options.n_stop_strings == 0, "options->stop_strings: NULL");
  const attn_sampling& s = options.sampling;
  require(s.temperature >= 0, "options->sampling.temperature: must be 0 (greedy) or more");
  require(s.top_k >= 0, "options->sampling.top_k: must be 0 (off) or more");
  require(s.top_p > 0 && s.top_p <= 1, "options->sampling.top_p: must be in (0, 1]");
  require(s.min_p >= 0 && s.min_p <= 1, "options->sampling.min_p: must be in [0, 1]");
  require(s.repeat_penalty > 0, "options->sampling.repeat_penalty: must be more than 0");
  require(s.repeat_last_n >= 0, "options->sampling.repeat_last_n: must be 0 or more");

  attn::GenerateOptions converted;
  converted.sampling = {s.temperature, s.top_k, s.top_p, s.min_p, s.repeat_penalty, s.repeat_last_n, s.seed};
  converted.max_length = options.max_length;
  converted.max_new_tokens = options.max_new_tokens;
  for (size_t i = 0; i < options.n_stop_strings; ++i) {
    require(options.stop_strings[i] != nullptr && options.stop_strings[i][0] != '\0',
            "options->stop_strings: a NULL or empty string");
    converted.stop_strings.emplace_back(options.stop_strings[i]);
  }
  converted.echo_prompt = false;
  converted.cancel = abort;
  if (options.on_token) {
    converted.on_token = [callback = options.on_token, user_data = options.user_data](attn::TokenId token,
                                                                                     std::string_view piece) {
      const std::string text(piece);  // NUL-terminated for the callback
      return callback(user_data, token, text.c_str(), text.size()) == ATTN_CONTINUE;
    };
  }
  return converted;
}

void fill(attn_generation& out, const attn::GenerateResult& result) {
  out.text = malloc_text(result.text);
  out.text_length = result.text.size();
  out.tokens = malloc_array(result.tokens.data(), result.tokens.size());
  out.n_tokens = result.tokens.size();
  out.n_prompt_tokens = result.prompt_tokens.size();
  out.stop_reason = static_cast<attn_stop_reason>(result.stop_reason);
}

CacheType cache_type(attn_cache_type type, const char* field) {
  switch (type) {
    case ATTN_CACHE_F32: return CacheType::F32;
    case ATTN_CACHE_F16: return CacheType::F16;
    case ATTN_CACHE_BF16: return CacheType::BF16;
    case ATTN_CACHE_Q8_0: return CacheType::Q8_0;
  }
  throw InvalidArgument{std::string("options->") + field + ": not an attn_cache_type value"};
}

}  // namespace attn::capi

extern "C" {

attn_session_options attn_session_options_defaults(void) { return attn_session_options{}; }

attn_status attn_session_create(attn_model* model, const attn_session_options* options, attn_session** session) {
  if (session) *session = nullptr;
  return guarded(slot_of(model), [&] {
    checked(model);
    require(session != nullptr, "session: NULL output pointer");
    const attn_session_options chosen = options ? *options : attn_session_options_defaults();
    require(chosen.context_length >= 0, "options->context_length: must be 0 (the model's) or more");
    *session = new attn_session(model->model, {.context_length = chosen.context_length,
                                               .cache_type_k = cache_type(chosen.cache_type_k, "cache_type_k"),
                                               .cache_type_v = cache_type(chosen.cache_type_v, "cache_type_v")});
  });
}

void attn_session_free(attn_session* session) {
  if (session && session->tag == kSessionTag) {
    session->tag = 0;
    delete session;
  }
}

attn_generate_options attn_generate_options_defaults(void) {
  attn_generate_options options{};
  options.sampling = {0.f, 40, 0.95f, 0.f, 1.f, 64, 1};
  options.max_length = 256;
  options.max_new_tokens = -1;
  return options;
}

attn_status attn_generate(attn_session* session, const char* prompt, const attn_generate_options* options,
                          attn_generation* result) {
  if (result) *result = attn_generation{};
  return guarded(slot_of(session), [&] {
    attn_session& s = checked(session);
    require(prompt != nullptr, "prompt: NULL");
    AbortScope abort(s);
    const attn::GenerateOptions converted =
        generate_options(options ? *options : attn_generate_options_defaults(), abort.flag());
    s.session.reset();
    const attn::GenerateResult generated = attn::generate(s.session, prompt, converted);
    if (result) fill(*result, generated);
  });
}

void attn_generation_clear(attn_generation* result) {
  if (!result) return;
  std::free(result->text);
  std::free(result->tokens);
  *result = attn_generation{};
}

attn_status attn_session_abort(attn_session* session) {
  return guarded(slot_of(session), [&] {
    attn_session& s = checked(session);
    s.abort.store(true);
  });
}

}  // extern "C"

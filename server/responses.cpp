#include "server/responses.h"

#include <atomic>
#include <chrono>
#include <random>

namespace attn::server {
namespace {

using nlohmann::json;

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

json bytes_of(const std::string& text) {
  json bytes = json::array();
  for (unsigned char c : text) bytes.push_back(static_cast<int>(c));
  return bytes;
}

// The chat API's entry for one token.
json chat_logprob(const JobEvent& event) {
  json top = json::array();
  for (const TokenLogprob& t : event.top)
    top.push_back({{"token", t.token}, {"logprob", t.logprob}, {"bytes", bytes_of(t.token)}});
  return {{"token", event.token->token},
          {"logprob", event.token->logprob},
          {"bytes", bytes_of(event.token->token)},
          {"top_logprobs", top}};
}

// The legacy completions API's logprobs object for a run of events.
json completion_logprobs(const std::vector<JobEvent>& events) {
  json tokens = json::array(), token_logprobs = json::array(), top_logprobs = json::array(),
       text_offset = json::array();
  size_t offset = 0;
  for (const JobEvent& event : events) {
    if (event.token) {
      tokens.push_back(event.token->token);
      token_logprobs.push_back(event.token->logprob);
      json top = json::object();
      for (const TokenLogprob& t : event.top) top[t.token] = t.logprob;
      top_logprobs.push_back(top);
      text_offset.push_back(offset);
    }
    offset += event.text.size();
  }
  return {{"tokens", tokens}, {"token_logprobs", token_logprobs}, {"top_logprobs", top_logprobs},
          {"text_offset", text_offset}};
}

json chat_logprobs(const std::vector<JobEvent>& events) {
  json content = json::array();
  for (const JobEvent& event : events)
    if (event.token) content.push_back(chat_logprob(event));
  return {{"content", content}, {"refusal", nullptr}};
}

json chunk(const ResponseHeader& header, json choice) {
  choice["index"] = 0;
  return {{"id", header.id},
          {"object", header.chat ? "chat.completion.chunk" : "text_completion"},
          {"created", header.created},
          {"model", header.model},
          {"system_fingerprint", nullptr},
          {"choices", json::array({choice})}};
}

}  // namespace

ResponseHeader new_response_header(const std::string& model, bool chat) {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t process_tag = std::random_device{}();
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  char id[64];
  std::snprintf(id, sizeof id, "%s-%08llx%06llx", chat ? "chatcmpl" : "cmpl",
                static_cast<unsigned long long>(process_tag & 0xffffffff),
                static_cast<unsigned long long>(++counter));
  return {id, now, model, chat};
}

json finish_reason(StopReason reason) {
  switch (reason) {
    case StopReason::Eos:
    case StopReason::StopString: return "stop";
    case StopReason::MaxLength:
    case StopReason::ContextFull: return "length";
    case StopReason::Cancelled: return nullptr;
  }
  return nullptr;
}

json usage(const JobSummary& summary) {
  return {{"prompt_tokens", summary.prompt_tokens},
          {"completion_tokens", summary.completion_tokens},
          {"total_tokens", summary.prompt_tokens + summary.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", summary.cached_tokens}}}};
}

json completion_response(const ResponseHeader& header, const std::vector<JobEvent>& events, const JobSummary& summary,
                         bool logprobs) {
  std::string text;
  for (const JobEvent& event : events) text += event.text;
  json choice = {{"index", 0}, {"finish_reason", finish_reason(summary.stop_reason)}, {"logprobs", nullptr}};
  if (header.chat) {
    choice["message"] = {{"role", "assistant"}, {"content", text}, {"refusal", nullptr}};
    if (logprobs) choice["logprobs"] = chat_logprobs(events);
  } else {
    choice["text"] = text;
    if (logprobs) choice["logprobs"] = completion_logprobs(events);
  }
  return {{"id", header.id},
          {"object", header.chat ? "chat.completion" : "text_completion"},
          {"created", header.created},
          {"model", header.model},
          {"system_fingerprint", nullptr},
          {"choices", json::array({choice})},
          {"usage", usage(summary)}};
}

json role_chunk(const ResponseHeader& header) {
  return chunk(header, {{"delta", {{"role", "assistant"}, {"content", ""}}}, {"logprobs", nullptr},
                        {"finish_reason", nullptr}});
}

json event_chunk(const ResponseHeader& header, const JobEvent& event, bool logprobs) {
  json choice = {{"logprobs", nullptr}, {"finish_reason", nullptr}};
  const std::vector<JobEvent> one{event};
  if (header.chat) {
    choice["delta"] = {{"content", event.text}};
    if (logprobs && event.token) choice["logprobs"] = chat_logprobs(one);
  } else {
    choice["text"] = event.text;
    if (logprobs && event.token) choice["logprobs"] = completion_logprobs(one);
  }
  return chunk(header, choice);
}

json finish_chunk(const ResponseHeader& header, const JobSummary& summary) {
  json choice = {{"logprobs", nullptr}, {"finish_reason", finish_reason(summary.stop_reason)}};
  if (header.chat) {
    choice["delta"] = json::object();
  } else {
    choice["text"] = "";
  }
  return chunk(header, choice);
}

json usage_chunk(const ResponseHeader& header, const JobSummary& summary) {
  json payload = chunk(header, json::object());
  payload["choices"] = json::array();
  payload["usage"] = usage(summary);
  return payload;
}

std::string sse_data(const json& payload) { return "data: " + dump(payload) + "\n\n"; }

}  // namespace attn::server

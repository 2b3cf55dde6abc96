// The JSON bodies OpenAI's API answers with: chat.completion and
// text_completion objects, their streamed chunks, usage and logprobs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/job.h"

namespace attn::server {

struct ResponseHeader {
  std::string id;  // chatcmpl-... / cmpl-...
  int64_t created = 0;
  std::string model;
  bool chat = false;
};

ResponseHeader new_response_header(const std::string& model, bool chat);

// "stop", "length" (null for a cancelled job, which nobody reads).
nlohmann::json finish_reason(StopReason reason);
nlohmann::json usage(const JobSummary& summary);

// The whole answer: every event of the job and its summary.
nlohmann::json completion_response(const ResponseHeader& header, const std::vector<JobEvent>& events,
                                   const JobSummary& summary, bool logprobs);

// Streaming: the chunk that opens a chat answer (role), one per event, the
// closing one (finish_reason) and the usage one (stream_options.include_usage).
nlohmann::json role_chunk(const ResponseHeader& header);
nlohmann::json event_chunk(const ResponseHeader& header, const JobEvent& event, bool logprobs);
nlohmann::json finish_chunk(const ResponseHeader& header, const JobSummary& summary);
nlohmann::json usage_chunk(const ResponseHeader& header, const JobSummary& summary);

// One server-sent event: "data: JSON\n\n" (invalid UTF-8 replaced).
std::string sse_data(const nlohmann::json& payload);

}  // namespace attn::server

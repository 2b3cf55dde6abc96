// A completion streamed as server-sent events, as OpenAI streams it: one
// chunk per piece of text, a closing chunk with finish_reason, the usage
// chunk when asked for, then "data: [DONE]". A client that goes away
// cancels its job, which frees its slot at the next token boundary.
#pragma once

#include <memory>

#include "server/job.h"
#include "server/responses.h"

namespace httplib {
struct Response;
}

namespace attn::server {

// `keep_alive` is held until the stream ends (the in-flight count).
void stream_job(httplib::Response& res, std::shared_ptr<Job> job, const ResponseHeader& header,
                std::shared_ptr<void> keep_alive);

}  // namespace attn::server

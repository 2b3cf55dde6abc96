#include "server/streaming.h"

#include <httplib.h>

#include "server/api_error.h"

namespace attn::server {

void stream_job(httplib::Response& res, std::shared_ptr<Job> job, const ResponseHeader& header,
                std::shared_ptr<void> keep_alive) {
  res.set_header("Cache-Control", "no-cache");
  auto started = std::make_shared<bool>(false);
  res.set_chunked_content_provider(
      "text/event-stream",
      [job, header, started](size_t, httplib::DataSink& sink) {
        auto send = [&](const std::string& text) {
          if (sink.write(text.data(), text.size())) return true;
          job->cancelled = true;  // the client has gone
          return false;
        };
        if (!*started) {
          *started = true;
          if (header.chat && !send(sse_data(role_chunk(header)))) return false;
        }
        Job::Taken taken = job->wait(std::chrono::milliseconds(100));
        for (const JobEvent& event : taken.events)
          if (!send(sse_data(event_chunk(header, event, job->request.logprobs)))) return false;
        if (!taken.summary) {
          // A comment line while the job waits for a slot or prefills: it
          // finds out soon when the client has gone.
          return !taken.events.empty() || send(": waiting\n\n");
        }
        const JobSummary& summary = *taken.summary;
        if (!summary.error.empty()) {
          send(sse_data(ApiError(500, "generation failed: " + summary.error, "server_error").to_json()));
        } else {
          if (!send(sse_data(finish_chunk(header, summary)))) return false;
          if (job->request.include_usage && !send(sse_data(usage_chunk(header, summary)))) return false;
        }
        send("data: [DONE]\n\n");
        sink.done();
        return true;
      },
      [job, keep_alive](bool success) {
        if (!success) job->cancelled = true;
      });
}

}  // namespace attn::server

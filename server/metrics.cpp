#include "server/metrics.h"

#include <sstream>

namespace attn::server {
namespace {

void metric(std::ostringstream& out, const char* name, const char* type, const char* help, double value) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n' << name << ' ' << value << '\n';
}

}  // namespace

void Metrics::count_request(const std::string& endpoint, int status) {
  std::lock_guard lock(mutex_);
  ++requests_[{endpoint, status}];
}

std::string Metrics::prometheus(const Scheduler* scheduler, int embedding_sessions_busy) const {
  std::ostringstream out;
  out.precision(10);
  out << "# HELP attn_requests_total HTTP requests answered, by endpoint and status.\n"
         "# TYPE attn_requests_total counter\n";
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, count] : requests_)
      out << "attn_requests_total{endpoint=\"" << key.first << "\",status=\"" << key.second << "\"} " << count << '\n';
  }
  const SchedulerStats s = scheduler ? scheduler->stats() : SchedulerStats{};
  metric(out, "attn_slots", "gauge", "Sequences that can be decoded together (--parallel).", s.slots);
  metric(out, "attn_slots_busy", "gauge", "Slots running a request now.", s.busy_slots);
  metric(out, "attn_queue_depth", "gauge", "Requests waiting for a slot.", s.queued);
  metric(out, "attn_embedding_sessions_busy", "gauge", "Embedding requests running now.", embedding_sessions_busy);
  metric(out, "attn_completions_total", "counter", "Completion requests finished (cancelled ones included).",
         static_cast<double>(s.requests_finished));
  metric(out, "attn_completions_cancelled_total", "counter", "Completion requests whose client went away.",
         static_cast<double>(s.requests_cancelled));
  metric(out, "attn_prompt_tokens_total", "counter", "Prompt tokens of finished requests.",
         static_cast<double>(s.prompt_tokens));
  metric(out, "attn_prompt_tokens_cached_total", "counter", "Prompt tokens found in a slot's cache (not prefilled).",
         static_cast<double>(s.cached_prompt_tokens));
  metric(out, "attn_generated_tokens_total", "counter", "Tokens generated.", static_cast<double>(s.generated_tokens));
  metric(out, "attn_decode_steps_total", "counter", "Batched decode passes.", static_cast<double>(s.decode_steps));
  metric(out, "attn_decode_seconds_total", "counter", "Seconds spent in decode passes.", s.decode_seconds);
  metric(out, "attn_prefill_seconds_total", "counter", "Seconds spent prefilling prompts.", s.prefill_seconds);
  metric(out, "attn_decode_tokens_per_second", "gauge", "Tokens generated per second of decoding, since start.",
         s.decode_seconds > 0 ? static_cast<double>(s.generated_tokens) / s.decode_seconds : 0.0);
  return out.str();
}

}  // namespace attn::server

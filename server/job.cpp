#include "server/job.h"

namespace attn::server {

void Job::push(JobEvent event) {
  {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  changed_.notify_all();
}

void Job::finish(JobSummary summary) {
  {
    std::lock_guard lock(mutex_);
    summary_ = std::move(summary);
  }
  changed_.notify_all();
}

Job::Taken Job::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return !events_.empty() || summary_.has_value(); });
  Taken taken;
  taken.events.swap(events_);
  taken.summary = summary_;
  return taken;
}

}  // namespace attn::server

#include "attn/log.h"

#include <memory>
#include <mutex>

namespace attn {
namespace {

// The handler is swapped under the mutex and called outside it, so a slow
// handler does not serialise the threads that log.
std::mutex handler_mutex;
std::shared_ptr<const LogHandler> current_handler;

}  // namespace

void set_log_handler(LogHandler handler) {
  auto next = handler ? std::make_shared<const LogHandler>(std::move(handler)) : nullptr;
  std::lock_guard lock(handler_mutex);
  current_handler = std::move(next);
}

void log(LogLevel level, std::string_view message) {
  std::shared_ptr<const LogHandler> handler;
  {
    std::lock_guard lock(handler_mutex);
    handler = current_handler;
  }
  if (handler) (*handler)(level, message);
}

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
  }
  return "?";
}

}  // namespace attn

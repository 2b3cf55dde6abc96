// Where the library's messages go. attn writes nothing to stdout or stderr
// itself: an application that wants the messages installs a handler.
#pragma once

#include "attn/export.h"

#include <functional>
#include <string_view>

namespace attn ATTN_API {

enum class LogLevel { Debug, Info, Warning, Error };

using LogHandler = std::function<void(LogLevel level, std::string_view message)>;

// Replaces the process-wide handler (an empty one discards the messages, the
// default). The handler is called from whichever thread logs, possibly
// several at once; it must not call back into attn.
void set_log_handler(LogHandler handler);

// Sends a message to the handler, if any.
void log(LogLevel level, std::string_view message);

std::string_view log_level_name(LogLevel level);  // "debug", "info", "warning", "error"

}  // namespace attn

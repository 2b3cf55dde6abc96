// attn::Error is the one exception type the library throws for bad input:
// its message names the file (or argument), the problem and what to do.
#pragma once

#include <stdexcept>
#include <string>

namespace attn {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace attn

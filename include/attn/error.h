// attn::Error is the one exception type the library throws for bad input:
// its message names the file (or argument), the problem and what to do.
#pragma once

#include "attn/export.h"

#include <stdexcept>
#include <string>

namespace attn ATTN_API {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Thrown when the caller asked to stop (a load progress callback returned
// false); nothing was half-done.
class Cancelled : public Error {
 public:
  using Error::Error;
};

}  // namespace attn

// Cuts generated text at the first stop string. Text that could still turn
// into a stop string is held back until the next piece decides it, so a
// stop string split across tokens never leaks to the output.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace attn {

class StopStringFilter {
 public:
  explicit StopStringFilter(std::vector<std::string> stop_strings);

  struct Output {
    std::string text;  // safe to emit now
    bool stopped = false;
  };
  Output push(std::string_view piece);
  // At the end of generation: everything still held back.
  std::string flush();

 private:
  size_t held_back_length() const;

  std::vector<std::string> stop_strings_;
  std::string pending_;
};

}  // namespace attn

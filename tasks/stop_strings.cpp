#include "tasks/stop_strings.h"

#include <algorithm>
#include <utility>

namespace attn {

StopStringFilter::StopStringFilter(std::vector<std::string> stop_strings) : stop_strings_(std::move(stop_strings)) {
  std::erase_if(stop_strings_, [](const std::string& s) { return s.empty(); });
}

StopStringFilter::Output StopStringFilter::push(std::string_view piece) {
  pending_ += piece;
  size_t first_stop = std::string::npos;
  for (const std::string& stop : stop_strings_) first_stop = std::min(first_stop, pending_.find(stop));
  if (first_stop != std::string::npos) {
    Output out{pending_.substr(0, first_stop), true};
    pending_.clear();
    return out;
  }
  const size_t keep = held_back_length();
  Output out{pending_.substr(0, pending_.size() - keep), false};
  pending_.erase(0, pending_.size() - keep);
  return out;
}

// The longest suffix of pending_ that is a proper prefix of a stop string.
size_t StopStringFilter::held_back_length() const {
  size_t longest = 0;
  for (const std::string& stop : stop_strings_) {
    for (size_t n = std::min(stop.size() - 1, pending_.size()); n > longest; --n) {
      if (std::string_view(pending_).substr(pending_.size() - n) == std::string_view(stop).substr(0, n)) {
        longest = n;
        break;
      }
    }
  }
  return longest;
}

std::string StopStringFilter::flush() { return std::exchange(pending_, {}); }

}  // namespace attn

#include "progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <string>

namespace attn::cli {
namespace {

std::string duration_text(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, s / 60 % 60);
  } else {
    std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  }
  return text;
}

}  // namespace

bool ProgressBar::shown() { return isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(size_t total) : enabled_(shown()), total_(total) {}

void ProgressBar::update(size_t lines, int64_t tokens) {
  const auto now = Clock::now();
  // Redrawing a few times a second is plenty, and cheap at any batch rate.
  if (!enabled_ || (drawn_ && now - last_draw_ < std::chrono::milliseconds(200) && lines != total_)) return;
  last_draw_ = now;
  drawn_ = true;
  const double seconds = std::max(1e-9, std::chrono::duration<double>(now - start_).count());
  const double rate = lines / seconds;
  std::fprintf(stderr, "\r");
  if (total_ > 0) {
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(kWidth * std::min(1.0, static_cast<double>(lines) / total_));
    std::fprintf(stderr, "[%.*s%.*s] ", filled, "########################", kWidth - filled, "........................");
  }
  std::fprintf(stderr, "%zu", lines);
  if (total_ > 0) std::fprintf(stderr, "/%zu", total_);
  std::fprintf(stderr, " lines  %.1f lines/s", rate);
  if (tokens > 0) std::fprintf(stderr, "  %.0f tokens/s", tokens / seconds);
  if (total_ > 0 && rate > 0) std::fprintf(stderr, "  ETA %s", duration_text((total_ - std::min(lines, total_)) / rate).c_str());
  std::fprintf(stderr, "\x1b[K");  // clear what a longer previous line left
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (drawn_) std::fprintf(stderr, "\n");
}

}  // namespace attn::cli

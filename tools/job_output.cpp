#include "job_output.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "attn/error.h"

namespace attn::cli {
namespace {

struct Prefix {
  uintmax_t bytes = 0;
  size_t lines = 0;
};

// The longest prefix of the file made of whole batches of whole lines.
Prefix whole_batches(const std::string& path, size_t batch_size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot read the output file to resume it: " + std::strerror(errno));
  Prefix kept;
  uintmax_t offset = 0;
  size_t lines = 0;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    const std::streamsize count = in.gcount();
    for (std::streamsize i = 0; i < count; ++i) {
      if (buffer[i] != '\n') continue;
      if (++lines % batch_size == 0) kept = {offset + i + 1, lines};
    }
    offset += count;
  }
  return kept;
}

}  // namespace

JobOutput::JobOutput(const std::string& path, bool resume, size_t batch_size) : path_(path) {
  if (path.empty()) {
    if (resume) throw Error("--resume needs the output in a file (-o FILE), not stdout");
    file_ = stdout;
    return;
  }
  std::error_code ec;
  if (resume && std::filesystem::exists(path, ec)) {
    const Prefix kept = whole_batches(path, batch_size);
    std::filesystem::resize_file(path, kept.bytes, ec);
    if (ec) throw Error(path + ": cannot cut the output file back to its last whole batch: " + ec.message());
    lines_kept_ = kept.lines;
  }
  file_ = std::fopen(path.c_str(), resume ? "ab" : "wb");
  if (!file_) throw Error(path + ": cannot write the output file: " + std::strerror(errno));
}

JobOutput::~JobOutput() {
  if (file_ && file_ != stdout) std::fclose(file_);
}

void JobOutput::write_batch(const std::string& lines) {
  if (std::fwrite(lines.data(), 1, lines.size(), file_) != lines.size() || std::fflush(file_) != 0) {
    throw Error((path_.empty() ? std::string("stdout") : path_) + ": write failed: " + std::strerror(errno));
  }
}

}  // namespace attn::cli

#include "job_output.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "attn/error.h"
#include "json_text.h"

namespace attn::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

struct Checkpoint {
  size_t input_lines = 0;
  std::string input_hash = InputDigest().hex();
  uint64_t output_bytes = 0;
};

struct ResumeLog {
  ordered_json job;
  std::vector<Checkpoint> checkpoints;  // in order; a torn last line (a kill mid-append) is dropped
};

ResumeLog read_log(const std::string& path, const std::string& output) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(output + ": cannot resume: it has no resume log (" + path +
                "), so what it holds cannot be checked; remove it and run again without --resume");
  }
  ResumeLog log;
  std::string line;
  if (!std::getline(in, line) || !(log.job = ordered_json::parse(line, nullptr, false)).is_object() ||
      !log.job.contains("job")) {
    throw Error(path + ": not a resume log of attn (first line); remove " + output + " and this file to start over");
  }
  log.job = log.job["job"];
  while (std::getline(in, line) && !in.eof()) {  // the last line counts only when its '\n' was written
    const ordered_json entry = ordered_json::parse(line, nullptr, false);
    if (!entry.is_object() || !entry.contains("input_lines") || !entry["input_lines"].is_number_unsigned() ||
        !entry.contains("input_hash") || !entry["input_hash"].is_string() || !entry.contains("output_bytes") ||
        !entry["output_bytes"].is_number_unsigned()) {
      throw Error(path + ": damaged resume log (checkpoint " + std::to_string(log.checkpoints.size() + 1) +
                  "); remove " + output + " and this file to start over");
    }
    log.checkpoints.push_back({entry["input_lines"].get<size_t>(), entry["input_hash"].get<std::string>(),
                               entry["output_bytes"].get<uint64_t>()});
  }
  return log;
}

// "model: was X, now Y; --token-logprobs: was false, now true" for the
// fields of `before` and `now` that differ.
std::string differences(const ordered_json& before, const ordered_json& now, const std::string& prefix = "") {
  std::string out;
  auto add = [&](const std::string& key, const ordered_json& a, const ordered_json& b) {
    if (a == b) return;
    if (a.is_object() && b.is_object()) {
      const std::string nested = differences(a, b, prefix + key + ".");
      out += (out.empty() || nested.empty() ? "" : "; ") + nested;
      return;
    }
    out += (out.empty() ? "" : "; ") + prefix + key + ": was " + (a.is_null() ? "absent" : json_text(a)) + ", now " +
           (b.is_null() ? "absent" : json_text(b));
  };
  for (const auto& [key, value] : before.items()) add(key, value, now.contains(key) ? now[key] : ordered_json());
  for (const auto& [key, value] : now.items()) {
    if (!before.contains(key)) add(key, ordered_json(), value);
  }
  return out;
}

}  // namespace

void InputDigest::add(const std::string& line) {
  for (const char c : line) hash_ = (hash_ ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  hash_ = (hash_ ^ '\n') * 0x100000001b3ull;
}

std::string InputDigest::hex() const {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash_));
  return text;
}

JobOutput::JobOutput(const std::string& path, bool resume)
    : path_(path), log_path_(path + ".resume.jsonl"), resume_(resume) {
  if (path.empty()) {
    if (resume) throw Error("--resume needs the output in a file (-o FILE), not stdout");
    file_ = stdout;
    return;
  }
  // Opened without truncating: a resumed file is cut back in start().
  file_ = std::fopen(path.c_str(), resume ? "ab" : "wb");
  if (!file_) throw Error(path + ": cannot write the output file: " + std::strerror(errno));
}

JobOutput::~JobOutput() {
  if (file_ && file_ != stdout) std::fclose(file_);
  if (log_) std::fclose(log_);
}

void JobOutput::start(const ordered_json& job) {
  if (path_.empty()) return;
  std::error_code error;
  const uint64_t size = fs::file_size(path_, error);
  if (resume_ && !error && size > 0) {
    const ResumeLog log = read_log(log_path_, path_);
    if (log.job != job) {
      throw Error(path_ + ": cannot resume: the job differs from the one that wrote it (" + differences(log.job, job) +
                  "); rerun with the same model and options, or without --resume to start over");
    }
    Checkpoint kept;
    for (const Checkpoint& checkpoint : log.checkpoints) {
      if (checkpoint.output_bytes <= size) kept = checkpoint;
    }
    fs::resize_file(path_, kept.output_bytes, error);
    if (error) throw Error(path_ + ": cannot cut the output back to its last whole batch: " + error.message());
    output_bytes_ = kept.output_bytes;
    input_lines_done_ = kept.input_lines;
    input_hash_done_ = kept.input_hash;
  } else if (file_ != nullptr && resume_) {
    // Nothing to resume: start over on an empty file.
    fs::resize_file(path_, 0, error);
  }
  // The log is rewritten from the kept checkpoint on, with the job first,
  // under another name and renamed over the old one: a kill in between
  // leaves the old log, which still describes the output.
  const std::string fresh_log = log_path_ + ".new";
  log_ = std::fopen(fresh_log.c_str(), "wb");
  if (!log_) throw Error(fresh_log + ": cannot write the resume log: " + std::strerror(errno));
  write_log_line(ordered_json{{"attn_resume", 1}, {"job", job}});
  write_log_line(ordered_json{{"input_lines", input_lines_done_},
                              {"input_hash", input_lines_done_ > 0 ? input_hash_done_ : InputDigest().hex()},
                              {"output_bytes", output_bytes_}});
  fs::rename(fresh_log, log_path_, error);
  if (error) throw Error(log_path_ + ": cannot write the resume log: " + error.message());
}

void JobOutput::check_input(const InputDigest& digest, size_t lines_read) const {
  if (lines_read < input_lines_done_) {
    throw Error(path_ + ": cannot resume: the input has " + std::to_string(lines_read) + " lines but the output covers " +
                std::to_string(input_lines_done_) + " (the input shrank); rerun without --resume to start over");
  }
  if (digest.hex() != input_hash_done_) {
    throw Error(path_ + ": cannot resume: the input's first " + std::to_string(input_lines_done_) +
                " lines differ from the ones it scored (the input was edited); rerun without --resume to start over");
  }
}

void JobOutput::write(const std::string& bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size() || std::fflush(file_) != 0) {
    fail_write(path_.empty() ? std::string("stdout") : path_);
  }
}

void JobOutput::write_batch(const std::string& bytes, size_t input_lines, const InputDigest& digest) {
  write(bytes);
  if (!log_) return;
  output_bytes_ += bytes.size();
  write_log_line(ordered_json{{"input_lines", input_lines}, {"input_hash", digest.hex()}, {"output_bytes", output_bytes_}});
}

void JobOutput::write_log_line(const ordered_json& entry) {
  const std::string line = json_text(entry) + "\n";
  if (std::fwrite(line.data(), 1, line.size(), log_) != line.size() || std::fflush(log_) != 0) fail_write(log_path_);
}

void JobOutput::fail_write(const std::string& path) const {
  const std::string reason = std::strerror(errno);
  if (!log_) throw Error(path + ": write failed: " + reason);  // not a resumable job
  throw Error(path + ": write failed: " + reason + "; the output keeps every batch completed before it. Free some "
              "space (or fix the problem) and rerun the same command with --resume to continue from there");
}

}  // namespace attn::cli

// Shared by the libFuzzer targets (one fuzz_<format>.cpp per input format,
// each with a seed corpus in corpus/<format>/). attn's loaders read files,
// so the input is written to a scratch file first; tmpfs keeps that cheap.
//
// A target calls the library as a user would and lets attn::Error pass (bad
// input rejected with a message is the expected outcome). Anything else is
// a finding: a sanitizer report, or another exception escaping — the CLI
// would print "internal error" for it — which libFuzzer reports as a crash.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "attn/error.h"
#include "attn/tokenizer.h"

namespace attn::fuzz {

inline std::filesystem::path fixtures_dir() { return ATTN_FIXTURES_DIR; }
inline std::filesystem::path shared_dir() { return ATTN_SHARED_DIR; }

// A directory of this process's own, created on first use (several fuzzing
// jobs may run at once).
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const std::filesystem::path base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    std::filesystem::path path = base / ("attn-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(path);
    std::atexit([] { std::error_code ignored; std::filesystem::remove_all(scratch_dir(), ignored); });
    return path;
  }();
  return dir;
}

// Writes `size` bytes to scratch_dir()/name and returns the path.
inline std::filesystem::path write_scratch(const std::string& name, const uint8_t* data, size_t size) {
  const std::filesystem::path path = scratch_dir() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

// A symlink scratch_dir()/name -> target, made once.
inline void link_scratch(const std::string& name, const std::filesystem::path& target) {
  const std::filesystem::path link = scratch_dir() / name;
  std::error_code ignored;
  if (!std::filesystem::is_symlink(link, ignored)) std::filesystem::create_symlink(target, link);
}

// Encodes `text` with and without special tokens (and as a pair), decodes
// the ids back, streams them, and decodes the first ids of the vocabulary.
// Invalid UTF-8 input is refused with attn::Error, as documented.
inline void exercise_tokenizer(const Tokenizer& tokenizer, std::string_view text) {
  std::vector<TokenId> first_ids;
  for (TokenId id = 0; id < std::min(tokenizer.vocab_size(), 64); ++id) {
    first_ids.push_back(id);
    (void)tokenizer.token_text(id);
  }
  (void)tokenizer.decode(first_ids);
  try {
    const std::vector<TokenId> ids = tokenizer.encode(text, true);
    for (TokenId id : ids) {
      if (id < 0 || id >= tokenizer.vocab_size()) __builtin_trap();  // an id the tokenizer cannot decode
    }
    (void)tokenizer.decode(ids);
    TokenStreamer streamer(tokenizer);
    for (TokenId id : ids) (void)streamer.push(id);
    (void)streamer.flush();
    (void)tokenizer.encode(text, false);
    (void)encode_for_model(tokenizer, text, text.substr(text.size() / 2), 16);
  } catch (const Error&) {
  }
}

}  // namespace attn::fuzz

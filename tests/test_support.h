// Paths and small helpers shared by the test suites.
#pragma once

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>
#include <vector>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <random>
#include <string>
#include <sys/wait.h>

namespace attn::test {

inline std::filesystem::path shared_dir() { return ATTN_SHARED_DIR; }
inline std::filesystem::path fixtures_dir() { return ATTN_FIXTURES_DIR; }
inline std::filesystem::path cli_path() { return ATTN_CLI_PATH; }

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("test: cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A file of little-endian float32 values (reference logits and states).
inline std::vector<float> read_f32(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

// Largest element-wise difference; infinite when the sizes differ.
// Seeded normal(0, scale) values: kernel tests' random inputs.
inline std::vector<float> random_vector(size_t n, uint32_t seed, float scale = 1.f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

inline float max_abs_diff(std::span<const float> a, std::span<const float> b) {
  if (a.size() != b.size()) return std::numeric_limits<float>::infinity();
  float worst = 0.f;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
  return worst;
}

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A fresh directory under the system temp dir, removed when it goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "attn-test-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("test: mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs a shell command line, capturing stdout and stderr separately.
inline CommandResult run_command(const std::string& command, const std::string& stdin_text = "") {
  TempDir dir;
  write_file(dir / "stdin", stdin_text);
  const std::string line = command + " <" + (dir / "stdin").string() + " >" + (dir / "stdout").string() +
                           " 2>" + (dir / "stderr").string();
  const int status = std::system(line.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_file(dir / "stdout");
  result.err = read_file(dir / "stderr");
  return result;
}

inline std::string quote(const std::filesystem::path& path) {
  std::string quoted = "'";  // built step by step: GCC 12 warns falsely (-Wrestrict) on "'" + s + "'"
  quoted += path.string();
  quoted += "'";
  return quoted;
}

}  // namespace attn::test

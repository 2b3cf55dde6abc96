// One OpenMP thread pool per process, shared by oneDNN (Debian builds it
// with OpenMP) and our kernels, so the two never oversubscribe the cores.
#include <omp.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "attn/error.h"
#include "attn/model.h"
#include "engine/step_threads.h"

namespace attn {
namespace {

// ATTN_THREADS when it is a count in 1..kMaxThreads (else ignored: this runs
// during static initialisation, where there is nobody to report to).
// Each thread gets its own scratch, so absurd counts are refused rather than
// exhausting memory.
constexpr int kMaxThreads = 1024;

// The ATTN_THREADS count, or 0 when it is unset or not a count in range.
int environment_threads() {
  if (const char* env = std::getenv("ATTN_THREADS")) {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && n > 0 && n <= kMaxThreads) return static_cast<int>(n);
  }
  return 0;
}

int default_threads() {
  const int chosen = environment_threads();
  return chosen > 0 ? chosen : physical_cores();
}

// The count, and whether the user chose it (a count, or ATTN_THREADS):
// only attn's own default adapts to a busy machine (step_threads.h).
struct ThreadSetting {
  int count;
  bool chosen;
};

ThreadSetting& setting() {
  static ThreadSetting current{default_threads(), environment_threads() > 0};
  return current;
}

}  // namespace

int physical_cores() {
  // Distinct (package, core) pairs; hyper-threads share a core and add
  // little to memory-bound decoding.
  std::set<std::pair<std::string, std::string>> cores;
  for (unsigned cpu = 0;; ++cpu) {
    const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    std::ifstream core(base + "core_id"), package(base + "physical_package_id");
    if (!core || !package) break;
    std::string core_id, package_id;
    core >> core_id;
    package >> package_id;
    cores.emplace(package_id, core_id);
  }
  if (!cores.empty()) return static_cast<int>(cores.size());
  const unsigned logical = std::thread::hardware_concurrency();
  return logical > 0 ? static_cast<int>(logical) : 1;
}

void set_num_threads(int threads) {
  if (threads < 0 || threads > kMaxThreads) {
    throw Error("thread count " + std::to_string(threads) + " is out of range: use 1.." +
                std::to_string(kMaxThreads) + " (0 for the default, " + std::to_string(default_threads()) + ")");
  }
  setting() = {threads > 0 ? threads : default_threads(), threads > 0 || environment_threads() > 0};
}

int num_threads() { return setting().count; }

bool default_thread_count() { return !setting().chosen; }

}  // namespace attn

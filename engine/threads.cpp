// One OpenMP thread pool per process, shared by oneDNN (Debian builds it
// with OpenMP) and our kernels, so the two never oversubscribe the cores.
#include <omp.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "attn/model.h"

namespace attn {
namespace {

int default_threads() {
  if (const char* env = std::getenv("ATTN_THREADS")) {
    const int n = std::atoi(env);
    if (n > 0) return n;
  }
  return physical_cores();
}

int& configured_threads() {
  static int threads = default_threads();
  return threads;
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

void set_num_threads(int threads) { configured_threads() = threads > 0 ? threads : default_threads(); }

int num_threads() { return configured_threads(); }

}  // namespace attn

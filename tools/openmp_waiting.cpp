// Threads that survive a busy machine. libgomp -- the OpenMP runtime that
// Debian's oneDNN and our kernels share (engine/threads.cpp) -- lets a thread
// waiting at a barrier or for the next parallel region spin GOMP_SPINCOUNT
// times (300000 by default, milliseconds) before it sleeps. When other
// processes hold the cores, that spinning takes the time slices the late
// threads need: `attn score -t 2` under two busy loops took several times
// as long as `-t 1`. A bound of kSpinCount pause loops (microseconds) still
// catches the back-to-back regions of a forward pass on an idle machine and
// gives the core away soon under load (scripts/bench_threads_under_load.sh).
//
// libgomp reads the variable once, in its constructor, and nothing set
// in-process reaches it: the executable's .preinit_array runs before any
// library's constructor, but libc's own initialisation then resets the
// environment to the one the process started with. So, unless the user
// chose (GOMP_SPINCOUNT or OMP_WAIT_POLICY in the environment), the command
// re-executes itself from there -- before any library has started, a few
// milliseconds -- with the bound added to its environment.
#include <unistd.h>

#include <cstring>

namespace {

constexpr char kSpinCount[] = "GOMP_SPINCOUNT=1000";

bool set(char** environment, const char* name) {
  for (char** entry = environment; *entry; ++entry) {
    if (std::strncmp(*entry, name, std::strlen(name)) == 0) return true;
  }
  return false;
}

// Runs before libc is initialised: only the arguments and system calls.
void bound_openmp_spinning(int, char** argv, char** environment) {
  if (set(environment, "GOMP_SPINCOUNT=") || set(environment, "OMP_WAIT_POLICY=")) return;
  int count = 0;
  while (environment[count]) ++count;
  char** bounded = static_cast<char**>(__builtin_alloca((count + 2) * sizeof(char*)));
  std::memcpy(bounded, environment, count * sizeof(char*));
  bounded[count] = const_cast<char*>(kSpinCount);
  bounded[count + 1] = nullptr;
  execve("/proc/self/exe", argv, bounded);  // returns only on failure: run on with libgomp's default
}

[[gnu::section(".preinit_array"), gnu::used]] void (*const preinit_bound_openmp_spinning)(int, char**, char**) =
    bound_openmp_spinning;

}  // namespace

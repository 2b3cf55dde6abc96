// SIGINT/SIGTERM for batch jobs: the first one only raises a flag, so the
// job can finish the batch in hand, flush it and stop with a valid output;
// a second one terminates at once, as usual.
#pragma once

namespace attn::cli {

void catch_stop_signals();
// The signal received (SIGINT, SIGTERM), or 0.
int stop_signal();

}  // namespace attn::cli

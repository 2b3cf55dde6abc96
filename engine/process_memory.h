// The process's resident memory as the kernel counts it (mapped weight pages
// that were touched included), for `attn bench`'s peak-RSS figure.
#pragma once

#include <cstdint>

namespace attn {

// Peak resident set size (VmHWM) in bytes; 0 where /proc is unavailable.
int64_t peak_resident_bytes();

// Starts a new peak from the current resident size (Linux clear_refs), so a
// later peak_resident_bytes() covers only what follows; false if unsupported.
bool reset_peak_resident();

}  // namespace attn

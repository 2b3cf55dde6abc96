// What the C API's generating calls (attn_generate, attn_chat) share: the
// options converted, the abort flag consumed, the result filled.
#pragma once

#include <atomic>

#include "attn.h"
#include "attn/generate.h"
#include "capi/handles.h"

namespace attn::capi {

// The generation that saw an abort consumes it, so the next one starts clean.
class AbortScope {
 public:
  explicit AbortScope(attn_session& session) : session_(session) {}
  ~AbortScope() { session_.abort.store(false); }
  const std::atomic<bool>* flag() const { return &session_.abort; }

 private:
  attn_session& session_;
};

// Checks the options (InvalidArgument naming the field) and converts them.
attn::GenerateOptions generate_options(const attn_generate_options& options, const std::atomic<bool>* abort);

void fill(attn_generation& out, const attn::GenerateResult& result);

}  // namespace attn::capi

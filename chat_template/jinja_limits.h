// What rendering a template may cost at most. A chat template is read from
// the model's files (tokenizer_config.json, chat_template.jinja, a GGUF's
// metadata), so it is user input: past these it fails with a clear error
// instead of exhausting the stack, memory or time. Real chat templates stay
// orders of magnitude below each.
#pragma once

#include <cstddef>
#include <cstdint>

namespace attn::jinja {

inline constexpr int kMaxNesting = 256;              // parsing: expressions and blocks nested in each other
inline constexpr int kMaxEvalDepth = 500;            // rendering: nested evaluation, macro recursion included
inline constexpr int64_t kMaxSteps = 5'000'000;      // rendering: statements, expressions and loop iterations (~1 µs each)
inline constexpr size_t kMaxTextBytes = size_t{16} << 20;  // a string built, and the output
inline constexpr size_t kMaxItems = size_t{1} << 20;       // a list or tuple built

}  // namespace attn::jinja

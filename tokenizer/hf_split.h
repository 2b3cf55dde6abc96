// How a pre-tokenizer cuts a text where a pattern matches: Hugging Face's
// SplitDelimiterBehavior, applied exactly as NormalizedString::split does.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace attn::hf {

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

// "removed", "isolated", "merged_with_previous", ... in either case style.
SplitBehavior parse_split_behavior(std::string_view name);

using ByteRange = std::pair<size_t, size_t>;

// The non-empty pieces of a text of `length` bytes, given the pattern's
// matches (non-overlapping, in order). With `invert`, the text between
// matches is what counts as matched.
std::vector<ByteRange> split_ranges(size_t length, const std::vector<ByteRange>& matches, SplitBehavior behavior,
                                    bool invert = false);

}  // namespace attn::hf

// A trie over byte strings with an int32 value per key: prefix search for
// added tokens (longest match) and for the Unigram lattice (every match).
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace attn::hf {

class ByteTrie {
 public:
  ByteTrie() : values_(1, -1) {}

  // Sets the value of `key` (replacing an earlier one).
  void insert(std::string_view key, int32_t value) {
    uint32_t node = 0;
    for (const char byte : key) {
      const auto [it, added] = children_.try_emplace(edge(node, byte), static_cast<uint32_t>(values_.size()));
      if (added) values_.push_back(-1);
      node = it->second;
    }
    values_[node] = value;
  }

  // Calls on_match(length, value) for every key that is a prefix of `text`,
  // shortest first.
  template <class OnMatch>
  void for_each_prefix(std::string_view text, OnMatch&& on_match) const {
    uint32_t node = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      const auto it = children_.find(edge(node, text[i]));
      if (it == children_.end()) return;
      node = it->second;
      if (values_[node] >= 0) on_match(i + 1, values_[node]);
    }
  }

  bool empty() const { return values_.size() == 1; }

 private:
  static uint64_t edge(uint32_t node, char byte) {
    return static_cast<uint64_t>(node) << 8 | static_cast<unsigned char>(byte);
  }

  std::unordered_map<uint64_t, uint32_t> children_;
  std::vector<int32_t> values_;  // per node; -1 where no key ends
};

}  // namespace attn::hf

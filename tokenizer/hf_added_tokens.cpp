#include "tokenizer/hf_added_tokens.h"

#include <algorithm>

#include "tokenizer/hf_unicode.h"

namespace attn::hf {
namespace {

void add_to(ByteTrie& trie, std::bitset<256>& first_bytes, std::string_view content, size_t index) {
  if (content.empty()) return;
  trie.insert(content, static_cast<int32_t>(index));
  first_bytes.set(static_cast<unsigned char>(content[0]));
}

size_t char_start_before(std::string_view text, size_t end) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  return start;
}

}  // namespace

AddedToken read_added_token(const Json& entry) {
  AddedToken token;
  token.content = require(entry, "content", "added token").get<std::string>();
  token.special = get_or(entry, "special", false);
  token.lstrip = get_or(entry, "lstrip", false);
  token.rstrip = get_or(entry, "rstrip", false);
  token.single_word = get_or(entry, "single_word", false);
  token.normalized = get_or(entry, "normalized", !token.special);
  return token;
}

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer)
    : tokens_(std::move(tokens)) {
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& token = tokens_[i];
    if (!token.normalized) {
      add_to(raw_.trie, raw_.first_bytes, token.content, i);
      continue;
    }
    std::string content = token.content;
    if (normalizer) normalizer->normalize(content);
    add_to(normalized_.trie, normalized_.first_bytes, content, i);
  }
}

bool AddedVocabulary::is_word_char_at_end(std::string_view text) const {
  return !text.empty() && word_char_.search(text.substr(char_start_before(text, text.size())));
}

bool AddedVocabulary::is_word_char_at_start(std::string_view text) const {
  return !text.empty() && word_char_.search(text.substr(0, utf8_sequence_length(static_cast<unsigned char>(text[0]))));
}

std::vector<AddedVocabulary::Match> AddedVocabulary::find_matches(std::string_view text, const Matcher& matcher) const {
  std::vector<Match> matches;
  if (matcher.trie.empty()) return matches;
  size_t done = 0;  // end of the previous match, whitespace swallowed included
  for (size_t pos = 0; pos < text.size();) {
    if (!matcher.first_bytes.test(static_cast<unsigned char>(text[pos]))) {
      ++pos;
      continue;
    }
    size_t length = 0, index = 0;
    matcher.trie.for_each_prefix(text.substr(pos), [&](size_t match_length, int32_t value) {
      length = match_length;
      index = static_cast<size_t>(value);
    });
    if (length == 0) {
      ++pos;
      continue;
    }
    const AddedToken& token = tokens_[index];
    size_t start = pos, end = pos + length;
    pos = end;
    if (token.single_word && (is_word_char_at_end(text.substr(0, start)) || is_word_char_at_start(text.substr(end)))) {
      continue;
    }
    if (token.lstrip) {
      while (start > done) {
        const size_t previous = char_start_before(text, start);
        size_t at = previous;
        if (!is_whitespace(next_code_point(text, at))) break;
        start = previous;
      }
    }
    if (token.rstrip) {
      while (end < text.size()) {
        size_t next = end;
        if (!is_whitespace(next_code_point(text, next))) break;
        end = next;
      }
      pos = end;
    }
    matches.push_back({index, start, end});
    done = end;
  }
  return matches;
}

std::vector<Segment> AddedVocabulary::split(std::string_view text, const Normalizer* normalizer) const {
  std::vector<Segment> segments;
  const auto split_text = [&](std::string_view part, bool at_start) {
    std::string normalized(part);
    if (normalizer) normalizer->normalize(normalized);
    size_t done = 0;
    for (const Match& match : find_matches(normalized, normalized_)) {
      if (match.start > done) segments.push_back({-1, normalized.substr(done, match.start - done), at_start && done == 0});
      segments.push_back({tokens_[match.token].id, {}, false});
      done = match.end;
    }
    if (done < normalized.size()) segments.push_back({-1, normalized.substr(done), at_start && done == 0});
  };

  // Tokens matched in the raw text first; the text between them is then
  // normalized and searched for the normalized tokens.
  size_t done = 0;
  for (const Match& match : find_matches(text, raw_)) {
    if (match.start > done) split_text(text.substr(done, match.start - done), done == 0);
    segments.push_back({tokens_[match.token].id, {}, false});
    done = match.end;
  }
  if (done < text.size()) split_text(text.substr(done), done == 0);
  return segments;
}

}  // namespace attn::hf

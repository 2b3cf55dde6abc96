#include "tokenizer/hf_pre_tokenizers.h"

#include "attn/error.h"
#include "tokenizer/hf_byte_level.h"
#include "tokenizer/hf_pattern.h"
#include "tokenizer/hf_split.h"
#include "tokenizer/hf_unicode.h"

namespace attn::hf {
namespace {

// Replaces every token by the pieces split(text) returns as byte ranges.
template <class Split>
void split_each(std::vector<PreToken>& tokens, Split&& split) {
  std::vector<PreToken> out;
  out.reserve(tokens.size());
  for (PreToken& token : tokens) {
    const std::vector<ByteRange> ranges = split(std::string_view(token.text));
    if (ranges.size() == 1 && ranges[0].first == 0 && ranges[0].second == token.text.size()) {
      out.push_back(std::move(token));
      continue;
    }
    for (const auto& [start, end] : ranges) {
      out.push_back({token.text.substr(start, end - start), token.at_text_start && start == 0});
    }
  }
  tokens = std::move(out);
}

// Each character for which `matches` holds is one match, as Hugging Face
// splits on a char predicate.
template <class Predicate>
std::vector<ByteRange> char_matches(std::string_view text, Predicate&& matches) {
  std::vector<ByteRange> ranges;
  for (size_t pos = 0; pos < text.size();) {
    const size_t start = pos;
    if (matches(next_code_point(text, pos))) ranges.emplace_back(start, pos);
  }
  return ranges;
}

template <class Predicate>
void split_on_chars(std::vector<PreToken>& tokens, Predicate matches, SplitBehavior behavior) {
  split_each(tokens, [&](std::string_view text) {
    return split_ranges(text.size(), char_matches(text, matches), behavior);
  });
}

// GPT-2's word-splitting pattern.
constexpr std::string_view kByteLevelPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class ByteLevel final : public PreTokenizer {
 public:
  explicit ByteLevel(const Json& config)
      : add_prefix_space_(get_or(config, "add_prefix_space", true)),
        regex_(get_or(config, "use_regex", true) ? std::make_unique<Regex>(kByteLevelPattern) : nullptr) {}

  // Splits and maps to the byte-level alphabet in one go: each word is
  // copied once.
  void pre_tokenize(std::vector<PreToken>& tokens) const override {
    std::vector<PreToken> out;
    out.reserve(tokens.size());
    for (PreToken& token : tokens) {
      if (add_prefix_space_ && !token.text.starts_with(' ')) token.text.insert(token.text.begin(), ' ');
      const std::string_view text = token.text;
      const std::vector<ByteRange> words =
          regex_ ? split_ranges(text.size(), regex_->find_all(text), SplitBehavior::Isolated)
                 : std::vector<ByteRange>{{0, text.size()}};
      for (const auto& [start, end] : words) {
        if (end == start) continue;
        PreToken& word = out.emplace_back(PreToken{{}, token.at_text_start && start == 0});
        word.text.reserve(2 * (end - start));
        append_byte_level(word.text, text.substr(start, end - start));
      }
    }
    tokens = std::move(out);
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<Regex> regex_;
};

class Split final : public PreTokenizer {
 public:
  explicit Split(const Json& config)
      : pattern_(require(config, "pattern", "Split pre-tokenizer")),
        behavior_(parse_split_behavior(require(config, "behavior", "Split pre-tokenizer").get<std::string>())),
        invert_(get_or(config, "invert", false)) {}

  void pre_tokenize(std::vector<PreToken>& tokens) const override {
    split_each(tokens, [&](std::string_view text) {
      return split_ranges(text.size(), pattern_.find_all(text), behavior_, invert_);
    });
  }

 private:
  Pattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

// Runs of word characters, or of other non-space characters.
class Whitespace final : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<PreToken>& tokens) const override {
    split_each(tokens, [&](std::string_view text) {
      return split_ranges(text.size(), regex_.find_all(text), SplitBehavior::Removed, /*invert=*/true);
    });
  }

 private:
  Regex regex_{"[" + std::string(kRustWordChars) + "]+|[^" + std::string(kRustWordChars) + "\\s]+"};
};

class WhitespaceSplit final : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<PreToken>& tokens) const override {
    split_on_chars(tokens, is_whitespace, SplitBehavior::Removed);
  }
};

// Whitespace separates words and is dropped; each punctuation character is
// a word of its own. (Hugging Face runs a Removed split on whitespace, then
// an Isolated split on punctuation; one pass gives the same words and this
// is the hot path of every BERT model.)
class BertPreTokenizer final : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<PreToken>& tokens) const override {
    std::vector<PreToken> out;
    for (const PreToken& token : tokens) {
      const std::string_view text = token.text;
      const auto emit = [&](size_t start, size_t end) {
        if (end > start) out.push_back({std::string(text.substr(start, end - start)), token.at_text_start && start == 0});
      };
      size_t word_start = 0;
      for (size_t pos = 0; pos < text.size();) {
        const size_t start = pos;
        const char32_t c = next_code_point(text, pos);
        const bool space = is_whitespace(c);
        if (!space && !is_punctuation(c)) continue;
        emit(word_start, start);
        if (!space) emit(start, pos);  // punctuation stands alone
        word_start = pos;
      }
      emit(word_start, text.size());
    }
    tokens = std::move(out);
  }
};

class Punctuation final : public PreTokenizer {
 public:
  explicit Punctuation(const Json& config)
      : behavior_(parse_split_behavior(get_or<std::string>(config, "behavior", "Isolated"))) {}
  void pre_tokenize(std::vector<PreToken>& tokens) const override {
    split_on_chars(tokens, is_punctuation, behavior_);
  }

 private:
  SplitBehavior behavior_;
};

class Digits final : public PreTokenizer {
 public:
  explicit Digits(const Json& config)
      : behavior_(get_or(config, "individual_digits", false) ? SplitBehavior::Isolated : SplitBehavior::Contiguous) {}
  void pre_tokenize(std::vector<PreToken>& tokens) const override {
    split_on_chars(tokens, is_numeric, behavior_);
  }

 private:
  SplitBehavior behavior_;
};

class CharDelimiterSplit final : public PreTokenizer {
 public:
  explicit CharDelimiterSplit(const Json& config)
      : delimiter_(single_code_point(require(config, "delimiter", "CharDelimiterSplit").get<std::string>(),
                                     "CharDelimiterSplit delimiter")) {}
  void pre_tokenize(std::vector<PreToken>& tokens) const override {
    split_on_chars(tokens, [this](char32_t c) { return c == delimiter_; }, SplitBehavior::Removed);
  }

 private:
  char32_t delimiter_;
};

enum class PrependScheme { Always, Never, First };

class Metaspace final : public PreTokenizer {
 public:
  explicit Metaspace(const Json& config)
      : replacement_(get_or<std::string>(config, "replacement", "\xE2\x96\x81")),
        replacement_char_(single_code_point(replacement_, "Metaspace replacement")),
        scheme_(prepend_scheme(config)),
        split_(get_or(config, "split", true)) {}

  void pre_tokenize(std::vector<PreToken>& tokens) const override {
    for (PreToken& token : tokens) {
      std::string replaced;
      replaced.reserve(token.text.size() + replacement_.size());
      for (const char c : token.text) {
        if (c == ' ') {
          replaced += replacement_;
        } else {
          replaced += c;
        }
      }
      const bool prepend = scheme_ == PrependScheme::Always || (scheme_ == PrependScheme::First && token.at_text_start);
      if (prepend && !replaced.starts_with(replacement_)) replaced.insert(0, replacement_);
      token.text = std::move(replaced);
    }
    if (split_) split_on_chars(tokens, [this](char32_t c) { return c == replacement_char_; }, SplitBehavior::MergedWithNext);
  }

 private:
  // Older files say add_prefix_space instead of prepend_scheme.
  static PrependScheme prepend_scheme(const Json& config) {
    if (!has(config, "prepend_scheme")) {
      return get_or(config, "add_prefix_space", true) ? PrependScheme::Always : PrependScheme::Never;
    }
    const std::string scheme = config.at("prepend_scheme").get<std::string>();
    if (scheme == "always") return PrependScheme::Always;
    if (scheme == "never") return PrependScheme::Never;
    if (scheme == "first") return PrependScheme::First;
    throw Error("unknown Metaspace prepend_scheme \"" + scheme + "\" (expected always, never or first)");
  }

  std::string replacement_;
  char32_t replacement_char_;
  PrependScheme scheme_;
  bool split_;
};

class Sequence final : public PreTokenizer {
 public:
  explicit Sequence(const Json& config) {
    for (const Json& item : require(config, "pretokenizers", "Sequence pre-tokenizer")) {
      if (auto pre_tokenizer = make_pre_tokenizer(item)) pre_tokenizers_.push_back(std::move(pre_tokenizer));
    }
  }
  void pre_tokenize(std::vector<PreToken>& tokens) const override {
    for (const auto& pre_tokenizer : pre_tokenizers_) pre_tokenizer->pre_tokenize(tokens);
  }

 private:
  std::vector<std::unique_ptr<const PreTokenizer>> pre_tokenizers_;
};

}  // namespace

std::unique_ptr<const PreTokenizer> make_pre_tokenizer(const Json& config) {
  if (config.is_null()) return nullptr;
  const std::string type = component_type(config, "pre_tokenizer");
  if (type == "ByteLevel") return std::make_unique<ByteLevel>(config);
  if (type == "Split") return std::make_unique<Split>(config);
  if (type == "Whitespace") return std::make_unique<Whitespace>();
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplit>();
  if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
  if (type == "Metaspace") return std::make_unique<Metaspace>(config);
  if (type == "Digits") return std::make_unique<Digits>(config);
  if (type == "Punctuation") return std::make_unique<Punctuation>(config);
  if (type == "CharDelimiterSplit") return std::make_unique<CharDelimiterSplit>(config);
  if (type == "Sequence") return std::make_unique<Sequence>(config);
  throw_unknown_component("pre_tokenizer", type);
}

}  // namespace attn::hf

#include "tokenizer/hf_decoders.h"

#include "attn/error.h"
#include "tokenizer/hf_byte_level.h"
#include "tokenizer/hf_pattern.h"
#include "tokenizer/hf_unicode.h"
#include "tokenizer/utf8.h"

namespace attn::hf {
namespace {

std::string concatenate(const std::vector<std::string>& tokens) {
  std::string text;
  for (const std::string& token : tokens) text += token;
  return text;
}

// Maps byte-level characters back to bytes. A token with a character
// outside the alphabet (an added token, say) is kept as it is.
class ByteLevel final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& token : tokens) {
      const size_t start = bytes.size();
      for (size_t pos = 0; pos < token.size();) {
        const int byte = char_to_byte(next_code_point(token, pos));
        if (byte < 0) {
          bytes.resize(start);
          bytes += token;
          break;
        }
        bytes += static_cast<char>(byte);
      }
    }
    tokens.assign(1, utf8_lossy(bytes));
  }
};

class WordPiece final : public Decoder {
 public:
  explicit WordPiece(const Json& config)
      : prefix_(get_or<std::string>(config, "prefix", "##")), cleanup_(get_or(config, "cleanup", true)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& token = tokens[i];
      if (i > 0) {
        if (token.starts_with(prefix_)) {
          token.erase(0, prefix_.size());
        } else {
          token.insert(token.begin(), ' ');
        }
      }
      if (cleanup_) token = clean_up_tokenization(std::move(token), /*do_not_to_dont=*/true);
    }
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

char32_t single_char(const Json& config, const char* key, const char* fallback, std::string_view where) {
  return single_code_point(get_or<std::string>(config, key, fallback), std::string(where) + " " + key);
}

// The replacement character becomes a space, except that the first token
// loses it entirely (it was the prepended one) unless nothing was prepended.
class Metaspace final : public Decoder {
 public:
  explicit Metaspace(const Json& config)
      : replacement_(single_char(config, "replacement", "\xE2\x96\x81", "Metaspace decoder")),
        strip_first_(has(config, "prepend_scheme") ? config.at("prepend_scheme").get<std::string>() != "never"
                                                   : get_or(config, "add_prefix_space", true)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string out;
      for (size_t pos = 0; pos < tokens[i].size();) {
        const char32_t c = next_code_point(tokens[i], pos);
        if (c != replacement_) {
          append_utf8(out, c);
        } else if (i > 0 || !strip_first_) {
          out += ' ';
        }
      }
      tokens[i] = std::move(out);
    }
  }

 private:
  char32_t replacement_;
  bool strip_first_;
};

// Runs of <0xXX> tokens become the text their bytes spell; a run that is
// not valid UTF-8 becomes one U+FFFD per byte.
class ByteFallback final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    size_t byte_count = 0;
    const auto flush = [&] {
      if (byte_count == 0) return;
      if (find_invalid_utf8(bytes)) {
        for (size_t i = 0; i < byte_count; ++i) out.emplace_back(kReplacementCharacter);
      } else {
        out.push_back(bytes);
      }
      bytes.clear();
      byte_count = 0;
    };
    for (std::string& token : tokens) {
      if (const int byte = parse_byte_token(token); byte >= 0) {
        bytes += static_cast<char>(byte);
        ++byte_count;
      } else {
        flush();
        out.push_back(std::move(token));
      }
    }
    flush();
    tokens = std::move(out);
  }

 private:
  static int parse_byte_token(const std::string& token) {
    if (token.size() != 6 || !token.starts_with("<0x") || token[5] != '>') return -1;
    int value = 0;
    for (const char c : token.substr(3, 2)) {
      const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (digit < 0) return -1;
      value = value * 16 + digit;
    }
    return value;
  }
};

class Fuse final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override { tokens.assign(1, concatenate(tokens)); }
};

// Removes up to `start` leading and `stop` trailing `content` characters
// from each token.
class Strip final : public Decoder {
 public:
  explicit Strip(const Json& config)
      : content_(single_char(config, "content", " ", "Strip decoder")),
        start_(get_or<size_t>(config, "start", 0)),
        stop_(get_or<size_t>(config, "stop", 0)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) {
      std::vector<char32_t> chars;
      for (size_t pos = 0; pos < token.size();) chars.push_back(next_code_point(token, pos));
      size_t begin = 0, end = chars.size();
      while (begin < std::min(start_, chars.size()) && chars[begin] == content_) ++begin;
      while (chars.size() - end < stop_ && end > begin && chars[end - 1] == content_) --end;
      std::string out;
      for (size_t i = begin; i < end; ++i) append_utf8(out, chars[i]);
      token = std::move(out);
    }
  }

 private:
  char32_t content_;
  size_t start_, stop_;
};

class Replace final : public Decoder {
 public:
  explicit Replace(const Json& config)
      : pattern_(require(config, "pattern", "Replace decoder")),
        content_(require(config, "content", "Replace decoder").get<std::string>()) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) token = replace_all(token, pattern_, content_);
  }

 private:
  Pattern pattern_;
  std::string content_;
};

// The end-of-word suffix becomes a space (nothing after the last token).
class BpeDecoder final : public Decoder {
 public:
  explicit BpeDecoder(const Json& config) : suffix_(get_or<std::string>(config, "suffix", "</w>")) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    if (suffix_.empty()) return;
    for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = replace_all(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
  }

 private:
  std::string suffix_;
};

class Sequence final : public Decoder {
 public:
  explicit Sequence(const Json& config) {
    for (const Json& item : require(config, "decoders", "Sequence decoder")) {
      if (auto decoder = make_decoder(item)) decoders_.push_back(std::move(decoder));
    }
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& decoder : decoders_) decoder->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<const Decoder>> decoders_;
};

}  // namespace

std::string clean_up_tokenization(std::string text, bool do_not_to_dont) {
  static const std::pair<std::string_view, std::string_view> kRules[] = {
      {" .", "."},   {" ?", "?"},   {" !", "!"},   {" ,", ","},   {" ' ", "'"}, {" n't", "n't"},
      {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : kRules) {
    if (from != " do not" || do_not_to_dont) text = replace_all(text, from, to);
  }
  return text;
}

std::unique_ptr<const Decoder> make_decoder(const Json& config) {
  if (config.is_null()) return nullptr;
  const std::string type = component_type(config, "decoder");
  if (type == "ByteLevel") return std::make_unique<ByteLevel>();
  if (type == "WordPiece") return std::make_unique<WordPiece>(config);
  if (type == "Metaspace") return std::make_unique<Metaspace>(config);
  if (type == "ByteFallback") return std::make_unique<ByteFallback>();
  if (type == "Fuse") return std::make_unique<Fuse>();
  if (type == "Strip") return std::make_unique<Strip>(config);
  if (type == "Replace") return std::make_unique<Replace>(config);
  if (type == "BPEDecoder") return std::make_unique<BpeDecoder>(config);
  if (type == "Sequence") return std::make_unique<Sequence>(config);
  throw_unknown_component("decoder", type);
}

}  // namespace attn::hf

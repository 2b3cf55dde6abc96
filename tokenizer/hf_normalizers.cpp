#include "tokenizer/hf_normalizers.h"

#include <vector>

#include "tokenizer/hf_pattern.h"
#include "tokenizer/hf_unicode.h"

namespace attn::hf {
namespace {

// Rewrites text character by character: map(c, out) appends c's replacement.
template <class Map>
void map_chars(std::string& text, Map&& map) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (size_t pos = 0; pos < text.size();) map(next_code_point(text, pos), out);
  text = std::move(out);
}

void lowercase(std::string& text) {
  if (is_ascii(text)) {
    for (char& c : text) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
    return;
  }
  map_chars(text, [](char32_t c, std::string& out) { append_lowercase(out, c); });
}

void remove_chars(std::string& text, bool (*remove)(char32_t)) {
  map_chars(text, [remove](char32_t c, std::string& out) {
    if (!remove(c)) append_utf8(out, c);
  });
}

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(NormalForm form) : form_(form) {}
  void normalize(std::string& text) const override { text = unicode_normalize(text, form_); }

 private:
  NormalForm form_;
};

class Lowercase final : public Normalizer {
 public:
  void normalize(std::string& text) const override { lowercase(text); }
};

class Strip final : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& text) const override {
    size_t begin = 0, end = text.size();
    if (left_) {
      for (size_t pos = 0; pos < end;) {
        if (!is_whitespace(next_code_point(text, pos))) break;
        begin = pos;
      }
    }
    if (right_) {
      // Walk back over whole characters: find each one's lead byte.
      while (end > begin) {
        size_t lead = end - 1;
        while (lead > begin && (static_cast<unsigned char>(text[lead]) & 0xC0) == 0x80) --lead;
        size_t pos = lead;
        if (!is_whitespace(next_code_point(text, pos))) break;
        end = lead;
      }
    }
    text = text.substr(begin, end - begin);
  }

 private:
  bool left_, right_;
};

class StripAccents final : public Normalizer {
 public:
  void normalize(std::string& text) const override { remove_chars(text, is_mark); }
};

class Replace final : public Normalizer {
 public:
  explicit Replace(const Json& config)
      : pattern_(require(config, "pattern", "Replace normalizer")),
        content_(require(config, "content", "Replace normalizer").get<std::string>()) {}
  void normalize(std::string& text) const override { text = replace_all(text, pattern_, content_); }

 private:
  Pattern pattern_;
  std::string content_;
};

class Prepend final : public Normalizer {
 public:
  explicit Prepend(std::string prefix) : prefix_(std::move(prefix)) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);
  }

 private:
  std::string prefix_;
};

// The CJK Unified Ideographs blocks, which BERT surrounds with spaces.
bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

class BertNormalizer final : public Normalizer {
 public:
  explicit BertNormalizer(const Json& config)
      : clean_text_(get_or(config, "clean_text", true)),
        handle_chinese_chars_(get_or(config, "handle_chinese_chars", true)),
        lowercase_(get_or(config, "lowercase", true)),
        // A null strip_accents follows lowercase, as in BERT's original code.
        strip_accents_(get_or(config, "strip_accents", lowercase_)) {}

  void normalize(std::string& text) const override {
    if (clean_text_ || handle_chinese_chars_) clean_and_space_chinese(text);
    if (strip_accents_ && !is_ascii(text)) {
      text = unicode_normalize(text, NormalForm::NFD);
      remove_chars(text, is_nonspacing_mark);
    }
    if (lowercase_) lowercase(text);
  }

 private:
  // Both steps look at one character at a time, so one pass does them.
  void clean_and_space_chinese(std::string& text) const {
    map_chars(text, [this](char32_t c, std::string& out) {
      if (clean_text_) {
        // Control characters go, except tab, CR and LF, which are
        // whitespace (other Cc whitespace such as U+000B goes too).
        const bool control = c != '\t' && c != '\n' && c != '\r' && is_other_category(c);
        if (c == 0 || c == 0xFFFD || control) return;
        if (is_whitespace(c)) c = ' ';
      }
      if (handle_chinese_chars_ && is_chinese_char(c)) {
        out += ' ';
        append_utf8(out, c);
        out += ' ';
      } else {
        append_utf8(out, c);
      }
    });
  }

  bool clean_text_, handle_chinese_chars_, lowercase_, strip_accents_;
};

class Sequence final : public Normalizer {
 public:
  explicit Sequence(const Json& config) {
    for (const Json& item : require(config, "normalizers", "Sequence normalizer")) {
      if (auto normalizer = make_normalizer(item)) normalizers_.push_back(std::move(normalizer));
    }
  }
  void normalize(std::string& text) const override {
    for (const auto& normalizer : normalizers_) normalizer->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<const Normalizer>> normalizers_;
};

}  // namespace

std::unique_ptr<const Normalizer> make_normalizer(const Json& config) {
  if (config.is_null()) return nullptr;
  const std::string type = component_type(config, "normalizer");
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(NormalForm::NFC);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(NormalForm::NFD);
  if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(NormalForm::NFKC);
  if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(NormalForm::NFKD);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "Strip") return std::make_unique<Strip>(get_or(config, "strip_left", true), get_or(config, "strip_right", true));
  if (type == "StripAccents") return std::make_unique<StripAccents>();
  if (type == "Replace") return std::make_unique<Replace>(config);
  if (type == "Prepend") return std::make_unique<Prepend>(require(config, "prepend", "Prepend normalizer").get<std::string>());
  if (type == "BertNormalizer") return std::make_unique<BertNormalizer>(config);
  if (type == "Sequence") return std::make_unique<Sequence>(config);
  throw_unknown_component("normalizer", type);
}

}  // namespace attn::hf

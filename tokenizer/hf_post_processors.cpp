#include "tokenizer/hf_post_processors.h"

#include <map>
#include <span>

#include "attn/error.h"

namespace attn::hf {
namespace {

// One piece of a template: a run of special tokens, or text A or B, with the
// type id its ids get.
struct TemplatePiece {
  enum Kind { Special, TextA, TextB } kind;
  std::vector<TokenId> special_ids;
  int32_t type_id = 0;
};
using Template = std::vector<TemplatePiece>;

// Lays the texts out as the template for one text or a pair says.
class TemplateProcessor final : public PostProcessor {
 public:
  TemplateProcessor(Template single, Template pair) : single_(std::move(single)), pair_(std::move(pair)) {}
  std::vector<TokenId> inserted_ids() const override {
    std::vector<TokenId> ids;
    for (const Template* pieces : {&single_, &pair_}) {
      for (const TemplatePiece& piece : *pieces) ids.insert(ids.end(), piece.special_ids.begin(), piece.special_ids.end());
    }
    return ids;
  }
  void process(Encoding& encoding, size_t first_length, bool pair) const override {
    Encoding out;
    const std::span<const TokenId> texts(encoding.ids);
    for (const TemplatePiece& piece : pair ? pair_ : single_) {
      const std::span<const TokenId> ids = piece.kind == TemplatePiece::Special ? std::span<const TokenId>(piece.special_ids)
                                           : piece.kind == TemplatePiece::TextA ? texts.first(first_length)
                                                                                : texts.subspan(first_length);
      out.ids.insert(out.ids.end(), ids.begin(), ids.end());
      out.type_ids.resize(out.ids.size(), piece.type_id);
    }
    encoding = std::move(out);
  }

 private:
  Template single_, pair_;
};

// "[CLS]" -> ids, from TemplateProcessing's special_tokens.
std::map<std::string, std::vector<TokenId>> read_special_tokens(const Json& config) {
  std::map<std::string, std::vector<TokenId>> tokens;
  if (!has(config, "special_tokens")) return tokens;
  for (const auto& [key, value] : config.at("special_tokens").items()) {
    (void)key;
    std::vector<TokenId>& ids = tokens[require(value, "id", "special token").get<std::string>()];
    ids.clear();
    for (const Json& id : require(value, "ids", "special token")) ids.push_back(json_int<TokenId>(id, "special token id"));
  }
  return tokens;
}

// {"Sequence": {"id": "A", "type_id": 0}} / {"SpecialToken": {"id": "[CLS]", "type_id": 0}}, in order.
Template read_template(const Json& pieces, const std::map<std::string, std::vector<TokenId>>& special_tokens) {
  Template out;
  for (const Json& piece : pieces) {
    TemplatePiece item{};
    const Json* body = nullptr;
    if (has(piece, "Sequence")) {
      body = &piece.at("Sequence");
      item.kind = require(*body, "id", "template sequence").get<std::string>() == "B" ? TemplatePiece::TextB
                                                                                       : TemplatePiece::TextA;
    } else if (has(piece, "SpecialToken")) {
      body = &piece.at("SpecialToken");
      const std::string name = require(*body, "id", "template special token").get<std::string>();
      const auto it = special_tokens.find(name);
      if (it == special_tokens.end()) throw Error("TemplateProcessing uses \"" + name + "\", which special_tokens lacks");
      item.kind = TemplatePiece::Special;
      item.special_ids = it->second;
    } else {
      throw Error("template piece " + piece.dump() + " is neither SpecialToken nor Sequence");
    }
    item.type_id = get_or<int32_t>(*body, "type_id", 0);
    out.push_back(std::move(item));
  }
  return out;
}

std::unique_ptr<const PostProcessor> make_template(const Json& config) {
  const auto special_tokens = read_special_tokens(config);
  Template single = read_template(require(config, "single", "TemplateProcessing"), special_tokens);
  // Without a pair template, a pair is the single layout of A, then B as is.
  Template pair = has(config, "pair") ? read_template(config.at("pair"), special_tokens) : single;
  if (!has(config, "pair")) pair.push_back(TemplatePiece{TemplatePiece::TextB, {}, 1});
  return std::make_unique<TemplateProcessor>(std::move(single), std::move(pair));
}

// BertProcessing: [CLS] A [SEP] B [SEP], B's part type 1. RobertaProcessing:
// <s> A </s> </s> B </s>, all type 0 (RoBERTa has no segments).
std::unique_ptr<const PostProcessor> make_cls_sep(const Json& config, std::string_view type) {
  const auto id_of = [&](const char* key) { return json_int<TokenId>(require(config, key, type).at(1), std::string(type) + " " + key + " id"); };
  const std::vector<TokenId> cls{id_of("cls")}, sep{id_of("sep")};
  const bool roberta = type == "RobertaProcessing";
  const int32_t b_type = roberta ? 0 : 1;
  Template single{{TemplatePiece::Special, cls, 0}, {TemplatePiece::TextA, {}, 0}, {TemplatePiece::Special, sep, 0}};
  Template pair = single;
  if (roberta) pair.push_back({TemplatePiece::Special, sep, 0});
  pair.push_back({TemplatePiece::TextB, {}, b_type});
  pair.push_back({TemplatePiece::Special, sep, b_type});
  return std::make_unique<TemplateProcessor>(std::move(single), std::move(pair));
}

// ByteLevel only trims offsets, which attn does not report.
class Unchanged final : public PostProcessor {
 public:
  void process(Encoding&, size_t, bool) const override {}
  bool joins_pair() const override { return false; }
};

class Sequence final : public PostProcessor {
 public:
  explicit Sequence(const Json& config) {
    for (const Json& item : require(config, "processors", "Sequence post-processor")) {
      if (auto processor = make_post_processor(item)) processors_.push_back(std::move(processor));
    }
  }
  // Once a processor joins a pair, the later ones see one sequence.
  void process(Encoding& encoding, size_t first_length, bool pair) const override {
    for (const auto& processor : processors_) {
      processor->process(encoding, first_length, pair);
      if (processor->joins_pair()) {
        first_length = encoding.ids.size();
        pair = false;
      }
    }
  }
  bool joins_pair() const override {
    for (const auto& processor : processors_) {
      if (processor->joins_pair()) return true;
    }
    return false;
  }
  std::vector<TokenId> inserted_ids() const override {
    std::vector<TokenId> ids;
    for (const auto& processor : processors_) {
      const std::vector<TokenId> more = processor->inserted_ids();
      ids.insert(ids.end(), more.begin(), more.end());
    }
    return ids;
  }

 private:
  std::vector<std::unique_ptr<const PostProcessor>> processors_;
};

}  // namespace

std::unique_ptr<const PostProcessor> make_post_processor(const Json& config) {
  if (config.is_null()) return nullptr;
  const std::string type = component_type(config, "post_processor");
  if (type == "TemplateProcessing") return make_template(config);
  if (type == "BertProcessing" || type == "RobertaProcessing") return make_cls_sep(config, type);
  if (type == "ByteLevel") return std::make_unique<Unchanged>();
  if (type == "Sequence") return std::make_unique<Sequence>(config);
  throw_unknown_component("post_processor", type);
}

}  // namespace attn::hf

#include "tokenizer/hf_post_processors.h"

#include <map>

#include "attn/error.h"

namespace attn::hf {
namespace {

// The sequence between two special-token lists: what every processor here
// amounts to for a single sequence.
class Wrap final : public PostProcessor {
 public:
  Wrap(std::vector<TokenId> before, std::vector<TokenId> after) : before_(std::move(before)), after_(std::move(after)) {}
  void process(std::vector<TokenId>& ids) const override {
    ids.insert(ids.begin(), before_.begin(), before_.end());
    ids.insert(ids.end(), after_.begin(), after_.end());
  }

 private:
  std::vector<TokenId> before_, after_;
};

// "[CLS]" -> ids, from TemplateProcessing's special_tokens.
std::map<std::string, std::vector<TokenId>> read_special_tokens(const Json& config) {
  std::map<std::string, std::vector<TokenId>> tokens;
  if (!has(config, "special_tokens")) return tokens;
  for (const auto& [key, value] : config.at("special_tokens").items()) {
    (void)key;
    tokens[require(value, "id", "special token").get<std::string>()] =
        require(value, "ids", "special token").get<std::vector<TokenId>>();
  }
  return tokens;
}

// The names in a template, in order: "$A" for the sequence, others special
// tokens ({"Sequence": {"id": "A"}} / {"SpecialToken": {"id": "[CLS]"}}).
std::vector<std::string> template_items(const Json& single) {
  std::vector<std::string> items;
  for (const Json& piece : single) {
    if (has(piece, "Sequence")) {
      items.push_back("$A");
    } else if (has(piece, "SpecialToken")) {
      items.push_back(require(piece.at("SpecialToken"), "id", "template special token").get<std::string>());
    } else {
      throw Error("template piece " + piece.dump() + " is neither SpecialToken nor Sequence");
    }
  }
  return items;
}

std::unique_ptr<const PostProcessor> make_template(const Json& config) {
  const auto special_tokens = read_special_tokens(config);
  std::vector<TokenId> before, after;
  bool seen_sequence = false;
  for (const std::string& item : template_items(require(config, "single", "TemplateProcessing"))) {
    if (item == "$A") {
      seen_sequence = true;
      continue;
    }
    const auto it = special_tokens.find(item);
    if (it == special_tokens.end()) throw Error("TemplateProcessing uses \"" + item + "\", which special_tokens lacks");
    auto& side = seen_sequence ? after : before;
    side.insert(side.end(), it->second.begin(), it->second.end());
  }
  return std::make_unique<Wrap>(std::move(before), std::move(after));
}

// BertProcessing / RobertaProcessing: [cls] sequence [sep], each given as
// ["token", id].
std::unique_ptr<const PostProcessor> make_cls_sep(const Json& config, std::string_view type) {
  const auto id_of = [&](const char* key) { return require(config, key, type).at(1).get<TokenId>(); };
  return std::make_unique<Wrap>(std::vector<TokenId>{id_of("cls")}, std::vector<TokenId>{id_of("sep")});
}

class Sequence final : public PostProcessor {
 public:
  explicit Sequence(const Json& config) {
    for (const Json& item : require(config, "processors", "Sequence post-processor")) {
      if (auto processor = make_post_processor(item)) processors_.push_back(std::move(processor));
    }
  }
  void process(std::vector<TokenId>& ids) const override {
    for (const auto& processor : processors_) processor->process(ids);
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
  // ByteLevel only trims offsets, which attn does not report.
  if (type == "ByteLevel") return std::make_unique<Wrap>(std::vector<TokenId>{}, std::vector<TokenId>{});
  if (type == "Sequence") return std::make_unique<Sequence>(config);
  throw_unknown_component("post_processor", type);
}

}  // namespace attn::hf

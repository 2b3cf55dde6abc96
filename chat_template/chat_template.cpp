// attn::ChatTemplate: finds a model's chat template and special tokens and
// renders conversations with the Jinja2 interpreter, with the variables
// transformers' apply_chat_template passes.
#include "attn/chat_template.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "attn/model.h"
#include "chat_template/jinja_template.h"
#include "chat_template/json_value.h"

namespace attn {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot read the file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

ordered_json parse_json(const std::string& text, const std::string& source) {
  try {
    return ordered_json::parse(text);
  } catch (const ordered_json::parse_error& e) {
    throw Error(source + ": not valid JSON (" + e.what() + ")");
  }
}

// A special token in tokenizer_config.json: a string or an AddedToken object.
std::string token_text(const ordered_json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string())
    return value["content"].get<std::string>();
  return {};
}

}  // namespace

struct ChatTemplate::Impl {
  std::string source_name;  // file the template came from, for messages
  // Named templates (tokenizer configs may hold several); "default" otherwise.
  std::vector<std::pair<std::string, jinja::Template>> templates;
  jinja::Dict special_tokens;
  std::string bos, eos;

  void read_special_tokens(const ordered_json& config) {
    for (const char* key : {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}) {
      if (!config.contains(key)) continue;
      std::string text = token_text(config[key]);
      if (text.empty() && !config[key].is_string()) continue;
      special_tokens.emplace_back(jinja::Value::string(key), jinja::Value::string(text));
      if (std::string(key) == "bos_token") bos = text;
      if (std::string(key) == "eos_token") eos = text;
    }
    if (config.contains("additional_special_tokens") && config["additional_special_tokens"].is_array()) {
      jinja::List extra;
      for (const auto& token : config["additional_special_tokens"]) extra.push_back(jinja::Value::string(token_text(token)));
      special_tokens.emplace_back(jinja::Value::string("additional_special_tokens"), jinja::Value::make_list(std::move(extra)));
    }
  }

  void add(const std::string& name, const std::string& source, const std::string& where) {
    try {
      templates.emplace_back(name, jinja::Template(source));
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
  }

  const jinja::Template& choose(const ChatTemplateOptions& options, bool has_tools) const {
    std::string wanted = options.template_name;
    if (wanted.empty()) {
      wanted = "default";
      if (has_tools)
        for (const auto& [name, t] : templates)
          if (name == "tool_use") wanted = "tool_use";
    }
    for (const auto& [name, t] : templates)
      if (name == wanted) return t;
    if (options.template_name.empty() && templates.size() == 1) return templates[0].second;
    std::string names;
    for (const auto& [name, t] : templates) names += (names.empty() ? "" : ", ") + name;
    throw Error(source_name + ": no chat template named '" + wanted + "' (it has: " + names + ")");
  }
};

namespace {

std::unique_ptr<ChatTemplate::Impl> load_config(const fs::path& directory, bool need_template) {
  auto impl = std::make_unique<ChatTemplate::Impl>();
  const fs::path config_path = directory / "tokenizer_config.json";
  if (!fs::exists(config_path)) return impl;
  ordered_json config = parse_json(read_file(config_path), config_path.string());
  impl->read_special_tokens(config);
  if (!need_template || !config.contains("chat_template")) return impl;
  const auto& chat_template = config["chat_template"];
  impl->source_name = config_path.string();
  if (chat_template.is_string()) {
    impl->add("default", chat_template.get<std::string>(), config_path.string() + " (chat_template)");
  } else if (chat_template.is_array()) {
    for (const auto& entry : chat_template) {
      if (!entry.is_object() || !entry.contains("name") || !entry.contains("template") ||
          !entry["name"].is_string() || !entry["template"].is_string())
        throw Error(config_path.string() + ": chat_template entries must be {\"name\": ..., \"template\": ...}");
      std::string name = entry["name"].get<std::string>();
      impl->add(name, entry["template"].get<std::string>(), config_path.string() + " (chat_template '" + name + "')");
    }
  } else if (!chat_template.is_null()) {
    throw Error(config_path.string() + ": chat_template must be a string or a list of named templates");
  }
  return impl;
}

jinja::Value messages_value(const ordered_json& messages, const std::string& source) {
  if (!messages.is_array()) throw Error(source + ": messages must be a JSON array of {\"role\": ..., \"content\": ...}");
  size_t index = 0;
  for (const auto& message : messages) {
    if (!message.is_object() || !message.contains("role") || !message["role"].is_string())
      throw Error(source + ": message " + std::to_string(index) + " needs a string \"role\"");
    ++index;
  }
  return jinja::from_json(messages);
}

}  // namespace

ChatTemplate::ChatTemplate(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ChatTemplate::~ChatTemplate() = default;
ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;

ChatTemplate ChatTemplate::from_directory(const fs::path& directory) {
  if (!fs::is_directory(directory))
    throw Error(directory.string() + ": not a directory (a chat template comes from a model or tokenizer directory)");
  const fs::path jinja_path = directory / "chat_template.jinja";
  if (fs::exists(jinja_path)) return from_file(jinja_path, directory);
  auto impl = load_config(directory, true);
  if (impl->templates.empty())
    throw Error(directory.string() + ": no chat template (neither chat_template.jinja nor a chat_template in "
                "tokenizer_config.json); pass one with --chat-template FILE");
  return ChatTemplate(std::move(impl));
}

ChatTemplate ChatTemplate::from_file(const fs::path& jinja_file, const fs::path& config_directory) {
  auto impl = config_directory.empty() ? std::make_unique<Impl>() : load_config(config_directory, false);
  impl->source_name = jinja_file.string();
  impl->add("default", read_file(jinja_file), jinja_file.string());
  return ChatTemplate(std::move(impl));
}

ChatTemplate ChatTemplate::for_model(const fs::path& model_path, const fs::path& template_file) {
  const fs::path directory = fs::is_directory(model_path) ? model_path : model_path.parent_path();
  if (!template_file.empty()) return from_file(template_file, directory);
  return from_directory(directory);
}

ChatTemplate ChatTemplate::for_model(const Model& model, const fs::path& template_file) {
  const auto& metadata = model.info().metadata;
  const auto embedded = metadata.find("chat_template");
  if (embedded == metadata.end()) return for_model(model.info().path, template_file);
  auto impl = std::make_unique<Impl>();
  ordered_json tokens = ordered_json::object();
  for (const char* key : {"bos_token", "eos_token"}) {
    if (const auto token = metadata.find(std::string("chat_template.") + key); token != metadata.end()) tokens[key] = token->second;
  }
  impl->read_special_tokens(tokens);
  const bool from_file = !template_file.empty();
  impl->source_name = from_file ? template_file.string() : model.info().path.string() + " (tokenizer.chat_template)";
  impl->add("default", from_file ? read_file(template_file) : embedded->second, impl->source_name);
  return ChatTemplate(std::move(impl));
}

std::string ChatTemplate::apply_json(std::string_view messages_json, const ChatTemplateOptions& options) const {
  ordered_json messages = parse_json(std::string(messages_json), "messages");
  jinja::Dict variables = impl_->special_tokens;
  if (!options.variables_json.empty()) {
    ordered_json extra = parse_json(options.variables_json, "template variables");
    if (!extra.is_object()) throw Error("template variables must be a JSON object");
    for (const auto& [key, value] : extra.items()) variables.emplace_back(jinja::Value::string(key), jinja::from_json(value));
  }
  jinja::Value tools = jinja::Value::none();
  if (!options.tools_json.empty()) {
    ordered_json parsed = parse_json(options.tools_json, "tools");
    if (!parsed.is_array()) throw Error("tools must be a JSON array of tool schemas");
    tools = jinja::from_json(parsed);
  }
  variables.emplace_back(jinja::Value::string("messages"), messages_value(messages, "messages"));
  variables.emplace_back(jinja::Value::string("tools"), tools);
  jinja::Value documents = jinja::Value::none();
  if (!options.documents_json.empty()) {
    ordered_json parsed = parse_json(options.documents_json, "documents");
    if (!parsed.is_array()) throw Error("documents must be a JSON array");
    documents = jinja::from_json(parsed);
  }
  variables.emplace_back(jinja::Value::string("documents"), documents);
  variables.emplace_back(jinja::Value::string("add_generation_prompt"), jinja::Value::from_bool(options.add_generation_prompt));
  const jinja::Template& chosen = impl_->choose(options, !tools.is_none());
  try {
    return chosen.render(variables);
  } catch (const jinja::TemplateRaised& e) {
    throw ChatTemplateRaised(e.what());
  } catch (const Error& e) {
    throw Error(impl_->source_name + ": " + e.what());
  }
}

std::string ChatTemplate::apply(const std::vector<ChatMessage>& messages, const ChatTemplateOptions& options) const {
  ordered_json array = ordered_json::array();
  for (const auto& message : messages) array.push_back({{"role", message.role}, {"content", message.content}});
  return apply_json(array.dump(), options);
}

const std::string& ChatTemplate::bos_token() const { return impl_->bos; }
const std::string& ChatTemplate::eos_token() const { return impl_->eos; }

std::string read_messages_json(const fs::path& source) {
  std::string text = read_file(source);
  ordered_json messages = parse_json(text, source.string());
  messages_value(messages, source.string());
  return text;
}

std::string apply_chat_template(const fs::path& directory, const std::vector<ChatMessage>& messages,
                                const ChatTemplateOptions& options) {
  return ChatTemplate::from_directory(directory).apply(messages, options);
}

std::string apply_chat_template(const Model& model, const std::vector<ChatMessage>& messages,
                                const ChatTemplateOptions& options) {
  return ChatTemplate::for_model(model).apply(messages, options);
}

}  // namespace attn

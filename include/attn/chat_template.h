// Chat templates: turning a conversation into the prompt text a model was
// trained on, rendered exactly as Hugging Face transformers'
// apply_chat_template renders it (the model's own Jinja2 template, from
// chat_template.jinja or tokenizer_config.json).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "attn/error.h"

namespace attn {

class Model;

struct ChatMessage {
  std::string role;  // "system", "user", "assistant", "tool", ...
  std::string content;
};

struct ChatTemplateOptions {
  // Ends the prompt with the header of the assistant's turn.
  bool add_generation_prompt = true;
  // OpenAI-style tool schemas as a JSON array; empty: none (the template
  // sees `tools` as none, as with transformers).
  std::string tools_json;
  // Retrieval documents as a JSON array; empty: none.
  std::string documents_json;
  // Further template variables as a JSON object (e.g. {"enable_thinking": false}).
  std::string variables_json;
  // For tokenizer configs with several named templates: which one. Empty:
  // "tool_use" when tools are given and the config has it, else "default".
  std::string template_name;
};

// The template called raise_exception(message): what() is its message.
class ChatTemplateRaised : public Error {
 public:
  using Error::Error;
};

class ChatTemplate {
 public:
  // From a model directory (or a directory holding only tokenizer_config.json
  // and optionally chat_template.jinja; the .jinja file wins, as in
  // transformers). Throws attn::Error naming the file when there is no
  // template or it does not parse (with the template line).
  static ChatTemplate from_directory(const std::filesystem::path& directory);
  // From a .jinja file; the special tokens (bos_token, eos_token, ...) come
  // from tokenizer_config.json in `config_directory` when given.
  static ChatTemplate from_file(const std::filesystem::path& jinja_file,
                                const std::filesystem::path& config_directory = {});
  // For the model at `model_path` (its directory, or a file in it such as an
  // .onnx or llama2.c .bin): `template_file` with that directory's special
  // tokens when given (--chat-template), else the directory's own template.
  static ChatTemplate for_model(const std::filesystem::path& model_path,
                                const std::filesystem::path& template_file = {});
  // For a loaded model: the template its file carries (a GGUF's
  // tokenizer.chat_template, in ModelInfo::metadata), else as for its path.
  // `template_file` (--chat-template) replaces the template, not the tokens.
  static ChatTemplate for_model(const Model& model, const std::filesystem::path& template_file = {});

  ~ChatTemplate();
  ChatTemplate(ChatTemplate&&) noexcept;
  ChatTemplate& operator=(ChatTemplate&&) noexcept;

  // Renders a conversation. Throws ChatTemplateRaised when the template
  // refuses it, attn::Error (with the template line) on any other failure.
  std::string apply(const std::vector<ChatMessage>& messages, const ChatTemplateOptions& options = {}) const;
  // The same, with the messages as an OpenAI-style JSON array (tool_calls,
  // content parts and other fields pass through to the template).
  std::string apply_json(std::string_view messages_json, const ChatTemplateOptions& options = {}) const;

  // The special-token texts the template sees (empty when not configured).
  const std::string& bos_token() const;
  const std::string& eos_token() const;

  struct Impl;

 private:
  explicit ChatTemplate(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Reads messages from an OpenAI-style JSON array (for --messages files);
// throws attn::Error naming `source` and the problem.
std::string read_messages_json(const std::filesystem::path& source);

// The model's chat template (from the directory it was loaded from) applied
// to `messages`.
std::string apply_chat_template(const Model& model, const std::vector<ChatMessage>& messages,
                                const ChatTemplateOptions& options = {});
// The same for a model or tokenizer directory given by path.
std::string apply_chat_template(const std::filesystem::path& directory, const std::vector<ChatMessage>& messages,
                                const ChatTemplateOptions& options = {});

}  // namespace attn

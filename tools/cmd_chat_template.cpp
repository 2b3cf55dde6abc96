// attn chat-template: print a conversation rendered with a model's chat
// template, byte for byte (no trailing newline), for scripts and tests.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "attn/chat_template.h"
#include "commands.h"

namespace attn::cli {
namespace {

struct ChatTemplateArgs {
  std::string model;
  std::string messages_file;
  std::string template_file;
  std::string tools_file;
  bool add_generation_prompt = false;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot read the file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A template's raise_exception reaches main as an attn::Error carrying the
// template's own message, and the exit status is non-zero.
void run(const ChatTemplateArgs& args) {
  const ChatTemplate chat_template = args.template_file.empty()
                                         ? ChatTemplate::from_directory(args.model)
                                         : ChatTemplate::from_file(args.template_file, args.model);
  ChatTemplateOptions options;
  options.add_generation_prompt = args.add_generation_prompt;
  if (!args.tools_file.empty()) options.tools_json = read_text(args.tools_file);
  const std::string text = chat_template.apply_json(read_messages_json(args.messages_file), options);
  std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace

void add_chat_template_command(CLI::App& app) {
  auto args = std::make_shared<ChatTemplateArgs>();
  CLI::App* cmd = app.add_subcommand("chat-template", "Print a conversation rendered with the model's chat template");
  cmd->add_option("-m,--model", args->model, "model or tokenizer directory (tokenizer_config.json, chat_template.jinja)")
      ->required();
  cmd->add_option("--messages", args->messages_file, "JSON file: [{\"role\": ..., \"content\": ...}, ...]")->required();
  cmd->add_option("--chat-template", args->template_file, "a .jinja file to use instead of the model's template");
  cmd->add_option("--tools", args->tools_file, "JSON file: a list of tool schemas the template may show");
  cmd->add_flag("--add-generation-prompt", args->add_generation_prompt, "end with the assistant turn's header");
  cmd->callback([args] { run(*args); });
}

}  // namespace attn::cli

#include <cstdio>
#include <filesystem>

#include "server/served_model.h"

namespace attn::server {
namespace {

std::string default_name(const std::string& model_path) {
  std::filesystem::path path = std::filesystem::path(model_path).lexically_normal();
  if (path.filename().empty()) path = path.parent_path();
  return path.filename().string();
}

}  // namespace

ServedModel served_model(std::shared_ptr<const Model> model, const ServerOptions& options) {
  ServedModel served;
  served.model = std::move(model);
  served.name = options.model_name.empty() ? default_name(options.model_path) : options.model_name;
  served.context_length = options.context_length > 0 ? options.context_length : served.model->info().context_length;
  if (served.model->info().encoder) return served;
  try {
    served.chat_template = ChatTemplate::for_model(*served.model, options.chat_template);
    served.end_of_turn = end_of_turn_ids(*served.model, *served.chat_template);
  } catch (const Error& e) {
    if (!options.chat_template.empty()) throw;  // the file asked for must load
    served.chat_template_problem = std::string("this model has no chat template, so /v1/chat/completions is off (") +
                                   e.what() + "); use /v1/completions, or restart attn serve with --chat-template FILE";
    std::fprintf(stderr, "attn serve: %s\n", served.chat_template_problem.c_str());
  }
  return served;
}

}  // namespace attn::server

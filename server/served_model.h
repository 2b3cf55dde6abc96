// The model a server serves, with what requests need from it: the name
// clients must give, the chat template (if any) and its end-of-turn ids.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attn/attn.h"
#include "server/options.h"

namespace attn::server {

struct ServedModel {
  std::shared_ptr<const Model> model;
  std::string name;
  std::optional<ChatTemplate> chat_template;
  std::string chat_template_problem;  // why there is none
  std::vector<TokenId> end_of_turn;   // the template's end-of-turn ids
  int context_length = 0;             // of each slot
};

// The model with what `attn serve` started with: its name, context and chat
// template. Without a template (and no --chat-template) chat requests are
// refused with chat_template_problem; a --chat-template that fails throws.
ServedModel served_model(std::shared_ptr<const Model> model, const ServerOptions& options);

}  // namespace attn::server

// A conversation with a model on one Session: each turn renders the whole
// conversation with the model's chat template, and generation reuses the
// cached prefix, so a turn prefills only its own new tokens.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "attn/chat_template.h"
#include "attn/generate.h"
#include "attn/model.h"

namespace attn {

struct ChatReply {
  GenerateResult result;  // result.text is the assistant's answer
  // Oldest messages dropped before this turn so the conversation fits the
  // context (the system prompt is kept).
  int dropped_messages = 0;
};

class Chat {
 public:
  // `session` must outlive the Chat; the Chat owns its sequence.
  Chat(Session& session, ChatTemplate chat_template, std::string system_prompt = {});

  // Adds a user turn and generates the assistant's answer (streamed to
  // on_text), which joins the conversation. Generation also stops at the
  // template's end-of-turn token (its eos_token). When the conversation no
  // longer fits, the oldest turns are dropped (ChatReply::dropped_messages).
  // Throws attn::Error when even the newest turn alone does not fit.
  ChatReply send(std::string_view user_text, const GenerateOptions& options, const TextCallback& on_text = {});

  // Forgets the conversation (the system prompt stays) and the cache.
  void reset();

  const std::vector<ChatMessage>& messages() const { return messages_; }
  // The conversation so far rendered for the model and tokenized (with the
  // assistant header when add_generation_prompt).
  std::vector<TokenId> render_tokens(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;
  // The ids that end an assistant turn: the model's EOS ids and the
  // template's eos_token.
  const std::vector<TokenId>& end_of_turn_ids() const { return end_of_turn_; }

 private:
  Session& session_;
  ChatTemplate template_;
  std::vector<ChatMessage> messages_;
  std::vector<TokenId> end_of_turn_;
};

// The ids that end an assistant turn: the model's EOS ids and the
// template's eos_token (when it is one token).
std::vector<TokenId> end_of_turn_ids(const Model& model, const ChatTemplate& chat_template);

// Tokenizes a rendered chat prompt as transformers does (no special tokens
// added; the special tokens' texts in it become their ids).
std::vector<TokenId> tokenize_chat_prompt(const Tokenizer& tokenizer, std::string_view text,
                                          const ChatTemplate& chat_template);

}  // namespace attn

#include "attn/chat.h"

#include <algorithm>

#include "attn/error.h"

namespace attn {

std::vector<TokenId> tokenize_chat_prompt(const Tokenizer& tokenizer, std::string_view text,
                                          const ChatTemplate& chat_template) {
  // The template writes BOS/EOS as text ("<s>"); a SentencePiece model does
  // not read its control tokens from text, so they are mapped here.
  std::vector<std::pair<std::string, TokenId>> specials;
  for (auto [token, id] : {std::pair{chat_template.bos_token(), tokenizer.bos_id()},
                           std::pair{chat_template.eos_token(), tokenizer.eos_id()}}) {
    if (!token.empty() && id >= 0 && tokenizer.token_text(id) == token) specials.emplace_back(token, id);
  }
  std::vector<TokenId> ids;
  size_t start = 0;
  while (start <= text.size()) {
    size_t next = std::string_view::npos;
    const std::pair<std::string, TokenId>* found = nullptr;
    for (const auto& special : specials) {
      size_t at = text.find(special.first, start);
      if (at < next) {
        next = at;
        found = &special;
      }
    }
    const std::string_view piece = text.substr(start, next == std::string_view::npos ? std::string_view::npos : next - start);
    if (!piece.empty()) {
      const auto piece_ids = tokenizer.encode(piece, false);
      ids.insert(ids.end(), piece_ids.begin(), piece_ids.end());
    }
    if (!found) break;
    ids.push_back(found->second);
    start = next + found->first.size();
  }
  return ids;
}

std::vector<TokenId> end_of_turn_ids(const Model& model, const ChatTemplate& chat_template) {
  std::vector<TokenId> ids = model.info().eos_ids;
  if (!chat_template.eos_token().empty()) {
    const auto eos = tokenize_chat_prompt(model.tokenizer(), chat_template.eos_token(), chat_template);
    if (eos.size() == 1 && std::find(ids.begin(), ids.end(), eos[0]) == ids.end()) ids.push_back(eos[0]);
  }
  return ids;
}

Chat::Chat(Session& session, ChatTemplate chat_template, std::string system_prompt)
    : session_(session), template_(std::move(chat_template)) {
  if (!system_prompt.empty()) messages_.push_back({"system", std::move(system_prompt)});
  end_of_turn_ = attn::end_of_turn_ids(session_.model(), template_);
}

std::vector<TokenId> Chat::render_tokens(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const {
  ChatTemplateOptions options;
  options.add_generation_prompt = add_generation_prompt;
  return tokenize_chat_prompt(session_.model().tokenizer(), template_.apply(messages, options), template_);
}

ChatReply Chat::send(std::string_view user_text, const GenerateOptions& options, const TextCallback& on_text) {
  ChatReply reply;
  std::vector<ChatMessage> conversation = messages_;
  conversation.push_back({"user", std::string(user_text)});
  // Room for an answer: a quarter of the context, at most what was asked for.
  const int context = session_.context_length();
  int answer_room = std::max(1, context / 4);
  if (options.max_new_tokens > 0) answer_room = std::min(answer_room, options.max_new_tokens);
  std::vector<TokenId> prompt = render_tokens(conversation, true);
  const size_t first_turn = !conversation.empty() && conversation[0].role == "system" ? 1 : 0;
  while (static_cast<int>(prompt.size()) + answer_room > context) {
    // Drop the oldest exchange (a user turn and the answer after it).
    if (conversation.size() - first_turn <= 1) {
      throw Error("the message is " + std::to_string(prompt.size()) + " tokens with the chat template, and the context (" +
                  std::to_string(context) + ") cannot also hold an answer; shorten it or raise -c/--ctx-size");
    }
    size_t drop = 1;
    if (conversation.size() - first_turn > 2 && conversation[first_turn + 1].role == "assistant") drop = 2;
    conversation.erase(conversation.begin() + first_turn, conversation.begin() + first_turn + drop);
    reply.dropped_messages += static_cast<int>(drop);
    prompt = render_tokens(conversation, true);
  }
  GenerateOptions turn = options;
  turn.echo_prompt = false;
  turn.max_length = 0;
  turn.stop_tokens.insert(turn.stop_tokens.end(), end_of_turn_.begin(), end_of_turn_.end());
  reply.result = generate(session_, prompt, turn, on_text);
  conversation.push_back({"assistant", reply.result.text});
  messages_ = std::move(conversation);
  return reply;
}

void Chat::reset() {
  if (!messages_.empty() && messages_[0].role == "system") messages_.resize(1);
  else messages_.clear();
  session_.reset();
}

}  // namespace attn

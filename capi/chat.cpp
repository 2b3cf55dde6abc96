// The C API's chat: conversations rendered with the model's chat template,
// and the assistant's answer generated until the end of its turn.
#include <string>
#include <vector>

#include "attn/chat.h"
#include "attn/chat_template.h"
#include "capi/generation.h"
#include "capi/handles.h"

using namespace attn::capi;

namespace {

std::vector<attn::ChatMessage> chat_messages(const attn_chat_message* messages, size_t n_messages) {
  require(messages != nullptr || n_messages == 0, "messages: NULL");
  std::vector<attn::ChatMessage> converted;
  converted.reserve(n_messages);
  for (size_t i = 0; i < n_messages; ++i) {
    if (!messages[i].role || !messages[i].content)
      throw InvalidArgument{"messages[" + std::to_string(i) + "]: NULL role or content"};
    converted.push_back({messages[i].role, messages[i].content});
  }
  return converted;
}

attn::ChatTemplate chat_template(const attn::Model& model, const attn_chat_options& options) {
  return attn::ChatTemplate::for_model(model, options.template_path ? options.template_path : "");
}

}  // namespace

extern "C" {

attn_chat_options attn_chat_options_defaults(void) {
  attn_chat_options options{};
  options.add_generation_prompt = 1;
  return options;
}

attn_status attn_chat_template_apply(const attn_model* model, const attn_chat_message* messages, size_t n_messages,
                                     const attn_chat_options* options, char** text, size_t* text_length) {
  if (text) *text = nullptr;
  if (text_length) *text_length = 0;
  return guarded(slot_of(model), [&] {
    const attn::Model& checked_model = checked(model);
    require(text != nullptr, "text: NULL output pointer");
    const attn_chat_options chosen = options ? *options : attn_chat_options_defaults();
    const std::vector<attn::ChatMessage> conversation = chat_messages(messages, n_messages);
    attn::ChatTemplateOptions template_options;
    template_options.add_generation_prompt = chosen.add_generation_prompt != 0;
    const std::string rendered = chat_template(checked_model, chosen).apply(conversation, template_options);
    *text = malloc_text(rendered);
    if (text_length) *text_length = rendered.size();
  });
}

attn_status attn_chat(attn_session* session, const attn_chat_message* messages, size_t n_messages,
                      const attn_chat_options* chat_options, const attn_generate_options* options,
                      attn_generation* result) {
  if (result) *result = attn_generation{};
  return guarded(slot_of(session), [&] {
    attn_session& s = checked(session);
    const std::vector<attn::ChatMessage> conversation = chat_messages(messages, n_messages);
    AbortScope abort(s);
    attn::GenerateOptions converted = generate_options(options ? *options : attn_generate_options_defaults(), abort.flag());
    const attn::Model& model = s.session.model();
    const attn::ChatTemplate chosen = chat_template(model, chat_options ? *chat_options : attn_chat_options_defaults());
    const std::string rendered = chosen.apply(conversation);  // with the generation prompt
    const std::vector<attn::TokenId> prompt = attn::tokenize_chat_prompt(model.tokenizer(), rendered, chosen);
    converted.stop_tokens = attn::end_of_turn_ids(model, chosen);
    s.session.reset();
    const attn::GenerateResult generated = attn::generate(s.session, prompt, converted);
    if (result) fill(*result, generated);
  });
}

}  // extern "C"

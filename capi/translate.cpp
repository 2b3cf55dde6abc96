// The C API's translation: attn_translate over attn::Translator.
#include <string>
#include <vector>

#include "attn/translate.h"
#include "capi/handles.h"

using namespace attn::capi;

namespace attn::capi {

attn::TranslateOptions translate_options(const attn_translate_options& options) {
  require(options.beam_size >= 0, "options->beam_size: must be 0 (the model's) or more");
  require(options.max_new_tokens >= 0, "options->max_new_tokens: must be 0 (the model's) or more");
  require(options.batch_size >= 1, "options->batch_size: must be 1 or more");
  require(options.no_repeat_ngram_size >= -1, "options->no_repeat_ngram_size: must be -1 (the model's) or more");
  attn::TranslateOptions converted;
  converted.beam_size = options.beam_size;
  converted.max_new_tokens = options.max_new_tokens;
  converted.batch_size = options.batch_size;
  if (options.use_length_penalty) converted.length_penalty = options.length_penalty;
  if (options.early_stopping) converted.early_stopping = options.early_stopping;
  if (options.no_repeat_ngram_size >= 0) converted.no_repeat_ngram_size = options.no_repeat_ngram_size;
  if (options.source_language) converted.source_language = options.source_language;
  if (options.target_language) converted.target_language = options.target_language;
  return converted;
}

}  // namespace attn::capi

extern "C" {

attn_translate_options attn_translate_options_defaults(void) {
  return attn_translate_options{.beam_size = 0, .max_new_tokens = 0, .batch_size = 32, .use_length_penalty = 0,
                                .length_penalty = 1.f, .early_stopping = nullptr, .no_repeat_ngram_size = -1,
                                .source_language = nullptr, .target_language = nullptr};
}

attn_status attn_translate(attn_model* model, const char* const* texts, size_t n_texts,
                           const attn_translate_options* options, attn_translation* translations) {
  if (translations) std::fill(translations, translations + n_texts, attn_translation{});
  return guarded(slot_of(model), [&] {
    checked(model);
    require(texts != nullptr || n_texts == 0, "texts: NULL");
    require(translations != nullptr || n_texts == 0, "translations: NULL output pointer");
    std::vector<std::string> list;
    for (size_t i = 0; i < n_texts; ++i) {
      if (!texts[i]) throw InvalidArgument{"texts[" + std::to_string(i) + "]: NULL"};
      list.emplace_back(texts[i]);
    }
    attn::Translator translator(model->model);
    const auto result = translator.translate(list, translate_options(options ? *options : attn_translate_options_defaults()));
    for (size_t i = 0; i < result.size(); ++i) {
      attn_translation& out = translations[i];
      if (!result[i].ok()) {
        out.error = malloc_text(result[i].error);
        continue;
      }
      out.text = malloc_text(result[i].text);
      out.n_tokens = static_cast<int32_t>(result[i].tokens.size());
      if (!result[i].tokens.empty()) out.tokens = malloc_array(result[i].tokens.data(), result[i].tokens.size());
      out.score = result[i].score;
    }
  });
}

void attn_translations_clear(attn_translation* translations, size_t n_translations) {
  if (!translations) return;
  for (size_t i = 0; i < n_translations; ++i) {
    std::free(translations[i].text);
    std::free(translations[i].tokens);
    std::free(translations[i].error);
    translations[i] = attn_translation{};
  }
}

}  // extern "C"

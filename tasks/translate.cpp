#include "attn/translate.h"

#include <algorithm>
#include <map>

#include "attn/error.h"
#include "beam_search.h"

namespace attn {
namespace {

// Language tokens by code: M2M-100's and NLLB's tokenizers know theirs;
// Marian's multilingual models name target languages ">>xx<<" in the vocabulary.
std::map<std::string, TokenId> language_tokens(const Tokenizer& tokenizer, Seq2SeqConfig::Languages scheme) {
  if (scheme == Seq2SeqConfig::Languages::SourceCodeAndForcedTarget) return tokenizer.language_codes();
  std::map<std::string, TokenId> tokens;
  for (TokenId id = 0; id < tokenizer.vocab_size(); ++id) {
    const std::string piece = tokenizer.token_text(id);
    if (piece.size() > 4 && piece.starts_with(">>") && piece.ends_with("<<")) tokens[piece.substr(2, piece.size() - 4)] = id;
  }
  return tokens;
}

// "a, b, c" or, for many (NLLB has 202), the first few and the count.
std::string code_list(const std::map<std::string, TokenId>& languages) {
  std::string list;
  size_t shown = 0;
  for (const auto& [code, id] : languages) {
    if (shown++ == 8) return list + ", ... (" + std::to_string(languages.size()) + " codes)";
    list += (list.empty() ? "" : ", ") + code;
  }
  return list;
}

BeamSearchSettings settings_for(const ModelInfo& info, const TranslateOptions& options) {
  const Seq2SeqConfig& config = *info.seq2seq;
  if (options.beam_size < 0) throw Error("beam size must be >= 1 (0: the model's " + std::to_string(config.num_beams) + ")");
  if (options.max_new_tokens < 0) throw Error("max_new_tokens must be >= 1 (0: up to the model's max_length)");
  if (options.batch_size < 1) throw Error("batch size must be >= 1");
  BeamSearchSettings s;
  s.num_beams = options.beam_size > 0 ? options.beam_size : config.num_beams;
  s.max_length = options.max_new_tokens > 0 ? options.max_new_tokens + 1 : config.max_length;
  if (s.max_length > info.context_length) {
    throw Error(std::to_string(s.max_length - 1) + " new tokens do not fit the decoder's " +
                std::to_string(info.context_length) + " positions (with the start token)");
  }
  if (s.max_length < 2) throw Error("the model's max_length leaves no tokens to generate; set max_new_tokens");
  s.length_penalty = options.length_penalty.value_or(config.length_penalty);
  s.early_stopping = options.early_stopping.value_or(config.early_stopping);
  if (s.early_stopping != "true" && s.early_stopping != "false" && s.early_stopping != "never") {
    throw Error("early_stopping must be true, false or never, got '" + s.early_stopping + "'");
  }
  s.no_repeat_ngram_size = options.no_repeat_ngram_size.value_or(config.no_repeat_ngram_size);
  s.eos_ids = info.eos_ids;
  s.suppressed_ids = config.suppressed_ids;
  s.forced_eos_id = config.forced_eos_id;
  return s;
}

}  // namespace

struct Translator::Data {
  std::shared_ptr<const Model> model;
  std::map<std::string, TokenId> languages;
  std::vector<std::unique_ptr<Session>> sessions;  // reused between batches
  int session_context = 0;
};

Translator::Translator(std::shared_ptr<const Model> model) : data_(std::make_unique<Data>()) {
  if (!model->info().seq2seq) {
    throw Error(model->info().path.string() + ": " + model->info().architecture +
                " is not an encoder-decoder model; attn translate needs one (e.g. MarianMTModel)");
  }
  data_->languages = language_tokens(model->tokenizer(), model->info().seq2seq->languages);
  data_->model = std::move(model);
}

Translator::~Translator() = default;
Translator::Translator(Translator&&) noexcept = default;
Translator& Translator::operator=(Translator&&) noexcept = default;

const Model& Translator::model() const { return *data_->model; }

TokenId Translator::language_token(const std::string& code) const {
  const auto it = data_->languages.find(code);
  if (it != data_->languages.end()) return it->second;
  throw Error("unknown language code '" + code + "': " +
              (data_->languages.empty() ? "this model translates into one language and takes no language codes"
                                        : "the model knows " + code_list(data_->languages)));
}

std::vector<TokenId> Translator::encode_source(std::string_view text, const TranslateOptions& options) const {
  if (text.empty()) throw Error("empty line: nothing to translate");
  const ModelInfo& info = data_->model->info();
  const bool source_code = info.seq2seq->languages == Seq2SeqConfig::Languages::SourceCodeAndForcedTarget;
  if (!options.source_language.empty() && !source_code) {
    throw Error("unknown language code '" + options.source_language + "': " + info.architecture +
                " takes no source language");
  }
  std::vector<TokenId> ids;
  // Marian: the target's token leads the source. M2M-100, NLLB: checked here, forced at decoding.
  if (!options.target_language.empty()) {
    const TokenId target = language_token(options.target_language);
    if (!source_code) ids.push_back(target);
  } else if (source_code) {
    throw Error(info.architecture + " needs a target language (--tgt-lang, e.g. " +
                (data_->languages.empty() ? std::string("de") : data_->languages.begin()->first) + ")");
  }
  // M2M-100, NLLB: the tokenizer places the source language's code.
  const std::vector<TokenId> text_ids = source_code
                                            ? data_->model->tokenizer().encode_source(text, options.source_language)
                                            : data_->model->tokenizer().encode(text, true);
  ids.insert(ids.end(), text_ids.begin(), text_ids.end());
  const int positions = info.seq2seq->source_positions;
  if (static_cast<int>(ids.size()) > positions) {
    throw Error("the source is " + std::to_string(ids.size()) + " tokens; the model's encoder takes at most " +
                std::to_string(positions));
  }
  return ids;
}

std::vector<Translation> Translator::translate_ids(std::span<const std::vector<TokenId>> sources,
                                                   const TranslateOptions& options) {
  Data& d = *data_;
  const ModelInfo& info = d.model->info();
  BeamSearchSettings settings = settings_for(info, options);
  if (sources.empty()) return {};
  const int beams = settings.num_beams;
  if (d.session_context != settings.max_length) {  // the decoder never holds more than max_length tokens
    d.sessions.clear();
    d.session_context = settings.max_length;
  }
  // M2M-100's forced_bos_token_id, the target's code, scores log(1) = 0 as
  // the first generated token: the same as starting from it.
  std::vector<TokenId> prompt = {info.seq2seq->decoder_start_id};
  if (info.seq2seq->languages == Seq2SeqConfig::Languages::SourceCodeAndForcedTarget) {
    if (options.target_language.empty()) throw Error(info.architecture + " needs a target language (--tgt-lang)");
    prompt.push_back(language_token(options.target_language));
    if (settings.max_length < 3) throw Error("max_new_tokens must be at least 2 with a forced target language");
    settings.generated_prompt_tokens = 1;
  }
  std::vector<Translation> translations;
  for (size_t first = 0; first < sources.size(); first += options.batch_size) {
    const size_t count = std::min(sources.size() - first, static_cast<size_t>(options.batch_size));
    while (d.sessions.size() < count * beams) {
      d.sessions.push_back(std::make_unique<Session>(d.model, SessionOptions{.context_length = d.session_context}));
    }
    std::vector<std::vector<Session*>> batch_beams(count);
    std::vector<Session*> first_beams;
    for (size_t s = 0; s < count; ++s) {
      for (int b = 0; b < beams; ++b) batch_beams[s].push_back(d.sessions[s * beams + b].get());
      first_beams.push_back(batch_beams[s][0]);
    }
    Session::encode(first_beams, sources.subspan(first, count));
    // beam_search starts from sessions that have read the prompt but its last token.
    if (prompt.size() > 1) Session::decode_step(first_beams, std::vector(count, prompt.front()));
    for (size_t s = 0; s < count; ++s) {
      for (int b = 1; b < beams; ++b) batch_beams[s][b]->copy_from(*batch_beams[s][0]);
    }
    for (BeamResult& result : beam_search(batch_beams, std::vector(count, prompt), settings)) {
      Translation t;
      result.tokens.insert(result.tokens.begin(), prompt.begin() + 1, prompt.end());
      t.text = d.model->tokenizer().decode(result.tokens);
      t.tokens = std::move(result.tokens);
      t.score = result.score;
      translations.push_back(std::move(t));
    }
  }
  return translations;
}

std::vector<Translation> Translator::translate(std::span<const std::string> texts, const TranslateOptions& options) {
  settings_for(data_->model->info(), options);  // bad options throw, before any text
  std::vector<Translation> translations(texts.size());
  std::vector<std::vector<TokenId>> sources;
  std::vector<size_t> readable;
  for (size_t i = 0; i < texts.size(); ++i) {
    try {
      sources.push_back(encode_source(texts[i], options));
      readable.push_back(i);
    } catch (const Error& e) {
      translations[i].error = e.what();
    }
  }
  std::vector<Translation> done = translate_ids(sources, options);
  for (size_t j = 0; j < readable.size(); ++j) translations[readable[j]] = std::move(done[j]);
  return translations;
}

std::vector<Translation> translate(std::shared_ptr<const Model> model, std::span<const std::string> texts,
                                   const TranslateOptions& options) {
  return Translator(std::move(model)).translate(texts, options);
}

}  // namespace attn

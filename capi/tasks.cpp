// The C API's batch tasks: embeddings, scores, classes, record jobs.
#include <optional>
#include <string>
#include <vector>

#include "attn/classify.h"
#include "attn/embed.h"
#include "attn/records.h"
#include "attn/score.h"
#include "capi/handles.h"

using namespace attn::capi;

namespace {

std::vector<std::string> text_list(const char* const* texts, size_t n_texts, const char* name) {
  require(texts != nullptr || n_texts == 0, "texts: NULL");
  std::vector<std::string> list;
  list.reserve(n_texts);
  for (size_t i = 0; i < n_texts; ++i) {
    if (!texts[i]) throw InvalidArgument{std::string(name) + "[" + std::to_string(i) + "]: NULL"};
    list.emplace_back(texts[i]);
  }
  return list;
}

std::optional<attn::Pooling> pooling(attn_pooling value) {
  switch (value) {
    case ATTN_POOLING_MODEL: return std::nullopt;
    case ATTN_POOLING_MEAN: return attn::Pooling::Mean;
    case ATTN_POOLING_CLS: return attn::Pooling::Cls;
    case ATTN_POOLING_MAX: return attn::Pooling::Max;
    case ATTN_POOLING_LAST: return attn::Pooling::Last;
  }
  throw InvalidArgument{"options->pooling: not an attn_pooling value"};
}

attn::EmbedOptions embed_options(const attn_embed_options& options) {
  require(options.normalize >= -1 && options.normalize <= 1, "options->normalize: must be -1, 0 or 1");
  require(options.batch_size >= 1, "options->batch_size: must be 1 or more");
  attn::EmbedOptions converted;
  converted.pooling = pooling(options.pooling);
  if (options.normalize >= 0) converted.normalize = options.normalize == 1;
  converted.batch_size = options.batch_size;
  converted.truncate = options.truncate != 0;
  return converted;
}

attn::ScoreOptions score_options(const attn_score_options& options) {
  require(options.batch_size >= 1, "options->batch_size: must be 1 or more");
  return {.batch_size = options.batch_size, .truncate = options.truncate != 0,
          .token_logprobs = options.token_logprobs != 0};
}

attn::RecordTask record_task(attn_record_task task) {
  switch (task) {
    case ATTN_RECORD_SCORE: return attn::RecordTask::Score;
    case ATTN_RECORD_EMBED: return attn::RecordTask::Embed;
    case ATTN_RECORD_TRANSLATE: return attn::RecordTask::Translate;
  }
  throw InvalidArgument{"task: not an attn_record_task value"};
}

attn::RecordFormat record_format(attn_record_format format) {
  switch (format) {
    case ATTN_RECORD_TEXT: return attn::RecordFormat::Text;
    case ATTN_RECORD_JSONL: return attn::RecordFormat::JsonLines;
  }
  throw InvalidArgument{"options->format: not an attn_record_format value"};
}

void fill(attn_text_score& out, const attn::TextScore& score) {
  out.logprob = score.logprob;
  out.tokens = score.tokens;
  out.truncated_tokens = score.truncated_tokens;
  if (!score.token_logprobs.empty()) out.token_logprobs = malloc_array(score.token_logprobs.data(), score.token_logprobs.size());
  if (!score.ok()) out.error = malloc_text(score.error);
}

}  // namespace

extern "C" {

attn_embed_options attn_embed_options_defaults(void) {
  return attn_embed_options{.pooling = ATTN_POOLING_MODEL, .normalize = -1, .batch_size = 32, .truncate = 1};
}

attn_status attn_embed(attn_session* session, const char* const* texts, size_t n_texts,
                       const attn_embed_options* options, float* embeddings, int32_t* truncated) {
  return guarded(slot_of(session), [&] {
    attn_session& s = checked(session);
    const auto list = text_list(texts, n_texts, "texts");
    require(embeddings != nullptr || n_texts == 0, "embeddings: NULL output pointer");
    const auto result = attn::embed(s.session, list, embed_options(options ? *options : attn_embed_options_defaults()));
    const size_t width = static_cast<size_t>(s.session.model().info().hidden_size);
    for (size_t i = 0; i < result.size(); ++i) {
      std::copy(result[i].vector.begin(), result[i].vector.end(), embeddings + i * width);
      if (truncated) truncated[i] = result[i].truncated ? 1 : 0;
    }
  });
}

attn_score_options attn_score_options_defaults(void) {
  return attn_score_options{.batch_size = 32, .truncate = 0, .token_logprobs = 0};
}

attn_status attn_score(attn_session* session, const char* const* texts, size_t n_texts,
                       const attn_score_options* options, attn_text_score* scores) {
  if (scores) std::fill(scores, scores + n_texts, attn_text_score{});
  return guarded(slot_of(session), [&] {
    attn_session& s = checked(session);
    const auto list = text_list(texts, n_texts, "texts");
    require(scores != nullptr || n_texts == 0, "scores: NULL output pointer");
    const auto result =
        attn::score_texts(s.session, list, score_options(options ? *options : attn_score_options_defaults()));
    for (size_t i = 0; i < result.size(); ++i) fill(scores[i], result[i]);
  });
}

void attn_text_scores_clear(attn_text_score* scores, size_t n_scores) {
  if (!scores) return;
  for (size_t i = 0; i < n_scores; ++i) {
    std::free(scores[i].token_logprobs);
    std::free(scores[i].error);
    scores[i] = attn_text_score{};
  }
}

attn_classify_options attn_classify_options_defaults(void) {
  return attn_classify_options{.batch_size = 32, .truncate = 0};
}

attn_status attn_classify(attn_session* session, const char* const* texts, const char* const* pairs,
                          size_t n_texts, const attn_classify_options* options, float* scores,
                          int32_t* truncated) {
  return guarded(slot_of(session), [&] {
    attn_session& s = checked(session);
    const auto list = text_list(texts, n_texts, "texts");
    require(scores != nullptr || n_texts == 0, "scores: NULL output pointer");
    const attn_classify_options chosen = options ? *options : attn_classify_options_defaults();
    require(chosen.batch_size >= 1, "options->batch_size: must be 1 or more");
    std::vector<attn::ClassifyInput> inputs(n_texts);
    for (size_t i = 0; i < n_texts; ++i) {
      inputs[i].text = list[i];
      if (pairs && pairs[i]) inputs[i].pair = pairs[i];
    }
    const auto result =
        attn::classify(s.session, inputs, {.batch_size = chosen.batch_size, .truncate = chosen.truncate != 0});
    const size_t labels = s.session.model().info().class_labels.size();
    for (size_t i = 0; i < result.size(); ++i) {
      std::copy(result[i].scores.begin(), result[i].scores.end(), scores + i * labels);
      if (truncated) truncated[i] = result[i].truncated ? 1 : 0;
    }
  });
}

attn_record_format attn_detect_record_format(const char* first_line) {
  if (!first_line) return ATTN_RECORD_TEXT;
  return attn::detect_record_format(first_line) == attn::RecordFormat::JsonLines ? ATTN_RECORD_JSONL : ATTN_RECORD_TEXT;
}

attn_record_options attn_record_options_defaults(void) {
  return attn_record_options{.format = ATTN_RECORD_TEXT,
                             .score = attn_score_options_defaults(),
                             .embed = attn_embed_options_defaults(),
                             .translate = attn_translate_options_defaults(),
                             .translate_json = 0};
}

attn_status attn_process_records(attn_session* session, attn_record_task task, const char* const* lines,
                                 size_t n_lines, const attn_record_options* options, char** output,
                                 size_t* n_errors, int64_t* tokens) {
  if (output) *output = nullptr;
  if (n_errors) *n_errors = 0;
  if (tokens) *tokens = 0;
  return guarded(slot_of(session), [&] {
    attn_session& s = checked(session);
    require(output != nullptr, "output: NULL output pointer");
    const auto list = text_list(lines, n_lines, "lines");
    const attn_record_options chosen = options ? *options : attn_record_options_defaults();
    attn::RecordOptions converted;
    converted.format = record_format(chosen.format);
    converted.score = score_options(chosen.score);
    converted.embed = embed_options(chosen.embed);
    converted.translate = translate_options(chosen.translate);
    converted.translate_json = chosen.translate_json != 0;
    const attn::RecordTask kind = record_task(task);
    attn::RecordBatch batch;
    if (kind == attn::RecordTask::Translate) {
      attn::require_record_task(*s.model, kind);
      if (!s.translator) s.translator.emplace(s.model);
      batch = attn::process_records(*s.translator, list, converted);
    } else {
      batch = attn::process_records(s.session, kind, list, converted);
    }
    *output = malloc_text(batch.output);
    if (n_errors) *n_errors = batch.errors.size();
    if (tokens) *tokens = batch.tokens;
  });
}

}  // extern "C"

// Batch jobs over text records, the way `attn score`, `attn embed` and
// `attn translate` write them: each input line (plain text, or a JSON line {"text": ..., other
// fields}) becomes exactly one output line, a JSON object with the record's
// other fields first, then its result or an "error". The CLI, the C API,
// the Python bindings and attn.distributed all go through process_records,
// so their outputs are byte-identical for the same lines.
#pragma once

#include "attn/export.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attn/embed.h"
#include "attn/model.h"
#include "attn/score.h"
#include "attn/translate.h"

namespace attn ATTN_API {

enum class RecordFormat { Text, JsonLines };

// What "auto" means for a whole input, decided by its first line: a JSON
// object with a "text" string makes every line a JSON line, anything else
// makes them plain text. (One line cannot decide alone: a text line may
// happen to look like JSON.)
RecordFormat detect_record_format(std::string_view first_line);

// One input line as a task sees it.
struct TextRecord {
  std::string text;
  std::optional<std::string> pair;  // sentence pair: "text<TAB>pair", or a JSON "text_pair" string
  std::string fields = "{}";        // the line's other JSON fields, as a JSON object, passed through
  std::string error;                // not empty: the line is not a record of its format
};
// pairs: read a sentence pair when the line has one (classifiers).
TextRecord parse_text_record(std::string_view line, RecordFormat format, bool pairs);

enum class RecordTask {
  // Decoders: {"logprob","tokens","nll","ppl"[,"truncated_tokens"][,"token_logprobs"]}.
  // Sequence classifiers: {["label",]"scores":{label: score}[,"truncated"]}.
  Score,
  // Encoders: {"embedding":[...][,"truncated"]}, or raw float32 rows (embed_f32).
  Embed,
  // Encoder-decoders, on a Translator: the translation as a line of text (an
  // empty line for an error), or with translate_json {"text","tokens","score"}.
  // JSON records may carry their own "src_lang" / "tgt_lang".
  Translate,
};

struct RecordOptions {
  RecordFormat format = RecordFormat::Text;
  ScoreOptions score;  // Score; a classifier takes its batch_size and truncate
  EmbedOptions embed;  // Embed
  // Embed: raw little-endian float32 rows instead of JSON lines. Raw rows
  // cannot carry an error, so a bad record throws attn::Error.
  bool embed_f32 = false;
  TranslateOptions translate;   // Translate
  bool translate_json = false;  // Translate: JSON lines instead of text
};

struct RecordError {
  size_t index = 0;  // of the record in the call's lines
  std::string message;
};

struct RecordBatch {
  std::string output;                // one line per input line ("\n"-terminated), or raw rows
  std::vector<RecordError> errors;   // the records whose output line is an "error"
  int64_t tokens = 0;                // Score with a decoder: tokens scored
};

// Throws attn::Error naming the model when it cannot do the task: Score
// needs a decoder or a sequence classifier, Embed an encoder, Translate an
// encoder-decoder.
void require_record_task(const Model& model, RecordTask task);

// Runs the task over the lines in one call (batched by the task's
// batch_size). A bad record gets its "error" and does not stop the others.
// Throws attn::Error as require_record_task does (and for Translate, which
// runs on a Translator).
RecordBatch process_records(Session& session, RecordTask task, std::span<const std::string> lines,
                            const RecordOptions& options);
// RecordTask::Translate. Throws attn::Error for bad translate options.
RecordBatch process_records(Translator& translator, std::span<const std::string> lines, const RecordOptions& options);

// The JSON line (with "\n") for a record's fields plus an "error", as every
// record task writes it; invalid UTF-8 in the message is replaced, never thrown.
std::string record_error_line(const TextRecord& record, std::string_view message);

}  // namespace attn

/* attn's C API: a stable interface for C programs and for other languages'
 * bindings (Python ctypes, C#, Swift, Rust, ...). C99, no C++ types, no
 * exceptions across the boundary. The C++ API is in attn/attn.h.
 *
 * Conventions
 * - Every call that can fail returns an attn_status. On failure, the message
 *   (naming the file, the argument or the input and the problem) is kept on
 *   the handle the call was given and for the calling thread; read it with
 *   attn_model_last_error, attn_session_last_error or attn_last_error.
 * - Handles are opaque. A NULL or wrong kind of handle gives
 *   ATTN_ERROR_INVALID_ARGUMENT; a freed one is undefined behaviour.
 * - Text is NUL-terminated UTF-8. Arrays the library allocates (tokens, text)
 *   are released with attn_free; results holding such arrays have their own
 *   *_clear function.
 * - Option structs are filled with their defaults by attn_*_defaults();
 *   change only the fields you need.
 *
 * Threads
 * - An attn_model is immutable: any number of threads may use it (load
 *   sessions, tokenize, read its info) at the same time.
 * - An attn_session is used by one thread at a time. attn_session_abort and
 *   attn_session_last_error may be called from any thread at any time.
 * - The kernels' thread count (attn_set_threads) and the log callback are
 *   process-wide.
 * - Callbacks run on the thread that made the call (the log callback: on
 *   whichever thread logs) and must not call back into attn, except
 *   attn_session_abort. They must not unwind (C++ exceptions, longjmp)
 *   through attn.
 */
#ifndef ATTN_H
#define ATTN_H

#include <stddef.h>
#include <stdint.h>

#include "attn/export.h" /* ATTN_API: what libattn.so exports */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Version ----------------------------------------------------------- */

#define ATTN_VERSION_MAJOR 0
#define ATTN_VERSION_MINOR 1
#define ATTN_VERSION_PATCH 0
#define ATTN_VERSION_STRING "0.1.0"
/* major * 10000 + minor * 100 + patch, for #if checks. */
#define ATTN_VERSION_NUMBER (ATTN_VERSION_MAJOR * 10000 + ATTN_VERSION_MINOR * 100 + ATTN_VERSION_PATCH)

/* The version of the library actually loaded, e.g. "0.1.0". */
ATTN_API const char* attn_version(void);
/* As ATTN_VERSION_NUMBER, for the library actually loaded. */
ATTN_API uint32_t attn_version_number(void);

/* ---- Status, errors, logging ------------------------------------------ */

typedef enum attn_status {
  ATTN_OK = 0,
  /* A NULL or wrong kind of handle or pointer, or an option out of range. */
  ATTN_ERROR_INVALID_ARGUMENT = 1,
  /* attn refused a file or an input: the message says which and why. */
  ATTN_ERROR_FAILED = 2,
  /* The caller stopped the call (a load progress callback returned ATTN_STOP). */
  ATTN_ERROR_CANCELLED = 3,
  ATTN_ERROR_OUT_OF_MEMORY = 4,
  /* Anything else: a bug in attn. */
  ATTN_ERROR_INTERNAL = 5
} attn_status;

/* "ok", "invalid argument", ... (a static string). */
ATTN_API const char* attn_status_name(attn_status status);

/* What callbacks return. */
typedef enum attn_action { ATTN_CONTINUE = 0, ATTN_STOP = 1 } attn_action;

typedef struct attn_model attn_model;
typedef struct attn_session attn_session;

/* The message of the last failed call, copied into buffer (NUL-terminated,
 * cut to size - 1 bytes; buffer may be NULL when size is 0). Returns the
 * message's full length, 0 when there was no failure.
 * attn_last_error: the calling thread's last failed call, any handle.
 * attn_model_last_error / attn_session_last_error: the last failed call
 * given that handle, on any thread. */
ATTN_API size_t attn_last_error(char* buffer, size_t size);
ATTN_API size_t attn_model_last_error(const attn_model* model, char* buffer, size_t size);
ATTN_API size_t attn_session_last_error(const attn_session* session, char* buffer, size_t size);

typedef enum attn_log_level {
  ATTN_LOG_DEBUG = 0,
  ATTN_LOG_INFO = 1,
  ATTN_LOG_WARNING = 2,
  ATTN_LOG_ERROR = 3
} attn_log_level;

/* message is NUL-terminated and valid during the call. */
typedef void (*attn_log_callback)(void* user_data, attn_log_level level, const char* message);

/* attn writes nothing to stdout or stderr; its messages (what loading does,
 * warnings such as an ONNX graph that runs op by op) go to this callback
 * when their level is at least min_level. NULL discards them (the default). */
ATTN_API void attn_set_log_callback(attn_log_callback callback, void* user_data, attn_log_level min_level);

/* Frees an array attn allocated (tokens, text). NULL is fine. */
ATTN_API void attn_free(void* pointer);

/* Threads for the kernels, process-wide; 0 restores the default (physical cores). */
ATTN_API attn_status attn_set_threads(int32_t threads);
ATTN_API int32_t attn_threads(void);

/* ---- Models ------------------------------------------------------------ */

typedef enum attn_dtype {
  ATTN_DTYPE_AS_STORED = 0,
  ATTN_DTYPE_F32 = 1,
  ATTN_DTYPE_F16 = 2,
  ATTN_DTYPE_BF16 = 3,
  ATTN_DTYPE_INT8 = 4,
  ATTN_DTYPE_Q4_0 = 5, /* ggml's 4-bit blocks of 32 */
  ATTN_DTYPE_Q8_0 = 6, /* ggml's 8-bit blocks of 32 */
  ATTN_DTYPE_Q4_K = 7, /* ggml's 4-bit super-blocks of 256 */
  ATTN_DTYPE_Q6_K = 8, /* ggml's 6-bit super-blocks of 256 */
  ATTN_DTYPE_Q4_K_M = 9 /* llama.cpp's Q4_K_M: Q4_K, and Q6_K for the tensors llama.cpp picks */
} attn_dtype;

/* What the matmuls of several rows (prefill, scoring, embedding) compute in,
 * as LoadOptions::compute_type (attn/compute_type.h). */
typedef enum attn_compute_type {
  ATTN_COMPUTE_F32 = 0, /* exact to f32 rounding (the default) */
  /* bf16 x bf16 -> f32 matmuls: ~2x prefill, logits within ~1 % of their
   * range; keeps a bf16 copy of f32 / f16 Linear weights. Needs AVX512_BF16:
   * elsewhere f32 runs (and a warning is logged); attn_model_info says which. */
  ATTN_COMPUTE_BF16 = 1
} attn_compute_type;

/* stage names what loading is doing; fraction goes from 0 to 1 (the last
 * call is "loaded", 1). Return ATTN_STOP to cancel the load. */
typedef attn_action (*attn_progress_callback)(void* user_data, const char* stage, float fraction);

typedef struct attn_load_options {
  /* Tokenizer file or directory instead of the one beside the model (needed
   * for llama2.c .bin checkpoints). NULL: the model's own. */
  const char* tokenizer_path;
  /* Converts the Linear weights to this type while loading. */
  attn_dtype dtype;
  /* Kernel threads (process-wide, as attn_set_threads); 0: unchanged. */
  int32_t threads;
  attn_progress_callback progress;
  void* progress_user_data;
  attn_compute_type compute_type;
} attn_load_options;

ATTN_API attn_load_options attn_load_options_defaults(void);

/* Loads a Hugging Face model directory, an .onnx file or a llama2.c .bin
 * checkpoint. options may be NULL (defaults). On failure *model is NULL;
 * a cancelled load gives ATTN_ERROR_CANCELLED. */
ATTN_API attn_status attn_model_load(const char* path, const attn_load_options* options, attn_model** model);

/* Sessions made from the model keep it alive: the model may be freed first.
 * NULL is fine. */
ATTN_API void attn_model_free(attn_model* model);

typedef struct attn_model_info {
  /* Valid while the model lives. */
  const char* architecture;   /* e.g. "LlamaForCausalLM" */
  const char* source_format;  /* "huggingface", "llama2.c", "onnx" */
  const char* path;
  int64_t parameter_count;
  int64_t weight_bytes;
  int32_t vocab_size;
  int32_t hidden_size;  /* the width of an embedding */
  int32_t num_layers;
  int32_t num_heads;
  int32_t num_kv_heads;
  int32_t context_length;
  int32_t is_encoder;  /* 1: embeds and classifies; 0: a decoder, generates and scores */
  int32_t num_labels;  /* classification models: scores per input; else 0 */
  int32_t multi_label; /* 1: the scores are independent sigmoids, not a softmax */
  int32_t bos_id;      /* -1 when the tokenizer has none */
  int32_t eos_id;      /* -1 when the tokenizer has none */
  attn_compute_type compute_type; /* in effect (f32 when bf16 was asked on a CPU without AVX512_BF16) */
} attn_model_info;

ATTN_API attn_status attn_model_get_info(const attn_model* model, attn_model_info* info);

/* The name of a classification label (id2label), valid while the model lives. */
ATTN_API attn_status attn_model_label(const attn_model* model, int32_t index, const char** label);

/* ---- Tokens ------------------------------------------------------------ */

/* Encodes text; add_special != 0 adds the special tokens the tokenizer's
 * configuration asks for (e.g. BOS). *tokens is freed with attn_free. */
ATTN_API attn_status attn_tokenize(const attn_model* model, const char* text, int32_t add_special, int32_t** tokens,
                                   size_t* n_tokens);

/* Decodes ids to UTF-8 (special tokens skipped). *text is NUL-terminated,
 * freed with attn_free; text_length may be NULL. */
ATTN_API attn_status attn_detokenize(const attn_model* model, const int32_t* tokens, size_t n_tokens, char** text,
                                     size_t* text_length);

/* ---- Sessions ---------------------------------------------------------- */

/* What a session's KV cache stores keys and values as (llama.cpp's
 * --cache-type-k / -v): q8_0 is ggml's block_q8_0, an f16 scale per 32 int8. */
typedef enum attn_cache_type {
  ATTN_CACHE_F32 = 0,
  ATTN_CACHE_F16 = 1,
  ATTN_CACHE_BF16 = 2,
  ATTN_CACHE_Q8_0 = 3
} attn_cache_type;

typedef struct attn_session_options {
  int32_t context_length;       /* 0: the model's */
  attn_cache_type cache_type_k; /* default ATTN_CACHE_F32 */
  attn_cache_type cache_type_v;
} attn_session_options;

ATTN_API attn_session_options attn_session_options_defaults(void);

/* One sequence's state (KV cache, buffers). options may be NULL. */
ATTN_API attn_status attn_session_create(attn_model* model, const attn_session_options* options,
                                         attn_session** session);
ATTN_API void attn_session_free(attn_session* session);

/* ---- Generation -------------------------------------------------------- */

typedef struct attn_sampling {
  float temperature;     /* 0: greedy (deterministic) */
  int32_t top_k;         /* 0 disables */
  float top_p;           /* 1 disables */
  float min_p;           /* 0 disables */
  float repeat_penalty;  /* 1 disables */
  int32_t repeat_last_n;
  uint64_t seed;
} attn_sampling;

/* After each generated token: its id and the text it completed (whole UTF-8
 * characters, NUL-terminated, possibly empty; text of a stop string is never
 * passed). When generation ends with text still held back, one more call
 * with token ATTN_NO_TOKEN passes it. Return ATTN_STOP to end generation
 * (stop reason ATTN_STOP_REASON_ABORTED, tokens so far kept). */
#define ATTN_NO_TOKEN (-1)
typedef attn_action (*attn_token_callback)(void* user_data, int32_t token, const char* piece, size_t piece_length);

typedef struct attn_generate_options {
  attn_sampling sampling;
  /* Prompt + generated tokens, BOS not counted (Hugging Face's max_length);
   * 0: the context length. */
  int32_t max_length;
  /* Generated tokens alone; -1: no bound but max_length. */
  int32_t max_new_tokens;
  /* Generation ends before any of these strings. */
  const char* const* stop_strings;
  size_t n_stop_strings;
  attn_token_callback on_token;
  void* user_data;
} attn_generate_options;

/* Greedy, 256 tokens at most, no stop strings, no callback. */
ATTN_API attn_generate_options attn_generate_options_defaults(void);

typedef enum attn_stop_reason {
  ATTN_STOP_REASON_EOS = 0,
  ATTN_STOP_REASON_STOP_STRING = 1,
  ATTN_STOP_REASON_MAX_LENGTH = 2,
  ATTN_STOP_REASON_CONTEXT_FULL = 3,
  /* attn_session_abort, or the token callback returned ATTN_STOP. */
  ATTN_STOP_REASON_ABORTED = 4
} attn_stop_reason;

typedef struct attn_generation {
  char* text;  /* the continuation, NUL-terminated */
  size_t text_length;
  int32_t* tokens; /* generated ids */
  size_t n_tokens;
  size_t n_prompt_tokens;
  attn_stop_reason stop_reason;
} attn_generation;

/* Starts a new sequence on the session (forgetting the one it held), runs
 * the prompt and generates. result may be NULL (the callback has it all);
 * otherwise release it with attn_generation_clear, also after a failure.
 * An aborted generation returns ATTN_OK. */
ATTN_API attn_status attn_generate(attn_session* session, const char* prompt, const attn_generate_options* options,
                                   attn_generation* result);
ATTN_API void attn_generation_clear(attn_generation* result);

/* Ends the generation running on the session before its next token, or the
 * next one to start if none is running; that generation returns ATTN_OK with
 * ATTN_STOP_REASON_ABORTED and the tokens produced so far. Any thread. */
ATTN_API attn_status attn_session_abort(attn_session* session);

/* ---- Chat --------------------------------------------------------------- */

typedef struct attn_chat_message {
  const char* role;    /* "system", "user", "assistant", "tool", ... */
  const char* content;
} attn_chat_message;

typedef struct attn_chat_options {
  /* A .jinja chat template instead of the model's own; its special tokens
   * (bos_token, eos_token) still come from the model's directory. NULL: the
   * model's template (chat_template.jinja or tokenizer_config.json). */
  const char* template_path;
  /* 1: end with the header of the assistant's turn; 0: not. attn_chat
   * always adds it. */
  int32_t add_generation_prompt;
} attn_chat_options;

/* The model's template, with the generation prompt. */
ATTN_API attn_chat_options attn_chat_options_defaults(void);

/* Renders a conversation with the chat template, exactly as Hugging Face
 * transformers' apply_chat_template does. options may be NULL (defaults).
 * *text is NUL-terminated, freed with attn_free; text_length may be NULL.
 * A template that refuses the conversation (raise_exception) gives
 * ATTN_ERROR_FAILED with the template's message. */
ATTN_API attn_status attn_chat_template_apply(const attn_model* model, const attn_chat_message* messages,
                                              size_t n_messages, const attn_chat_options* options, char** text,
                                              size_t* text_length);

/* Generates the assistant's answer to a conversation (as `attn generate
 * --messages` does): renders it with the generation prompt, tokenizes the
 * result as transformers does (special-token texts become their ids, no BOS
 * added) and generates until an end-of-turn token (the model's EOS ids and
 * the template's eos_token; stop reason ATTN_STOP_REASON_EOS) or another stop
 * condition. Like attn_generate otherwise: a new sequence on the session,
 * result may be NULL, abortable; chat_options may be NULL. */
ATTN_API attn_status attn_chat(attn_session* session, const attn_chat_message* messages, size_t n_messages,
                               const attn_chat_options* chat_options, const attn_generate_options* options,
                               attn_generation* result);

/* ---- Embeddings, scores, classes --------------------------------------- */

typedef enum attn_pooling {
  ATTN_POOLING_MODEL = 0, /* what the model directory says (modules.json), else mean */
  ATTN_POOLING_MEAN = 1,
  ATTN_POOLING_CLS = 2,
  ATTN_POOLING_MAX = 3,
  ATTN_POOLING_LAST = 4
} attn_pooling;

typedef struct attn_embed_options {
  attn_pooling pooling;
  int32_t normalize;  /* -1: as the model says; 0: no; 1: L2-normalise */
  int32_t batch_size; /* texts per forward pass */
  int32_t truncate;   /* 1: cut texts longer than the maximum length (and say so); 0: fail */
} attn_embed_options;

ATTN_API attn_embed_options attn_embed_options_defaults(void);

/* Sentence embeddings from an encoder: embeddings receives n_texts rows of
 * hidden_size floats (attn_model_info), row-major. truncated (NULL or
 * n_texts entries) gets 1 for each text that was cut. */
ATTN_API attn_status attn_embed(attn_session* session, const char* const* texts, size_t n_texts,
                                const attn_embed_options* options, float* embeddings, int32_t* truncated);

typedef struct attn_score_options {
  int32_t batch_size;     /* texts per forward pass */
  int32_t truncate;       /* 1: score the first context-length tokens of longer texts */
  int32_t token_logprobs; /* 1: fill attn_text_score.token_logprobs */
} attn_score_options;

ATTN_API attn_score_options attn_score_options_defaults(void);

typedef struct attn_text_score {
  double logprob;          /* sum of the natural-log probabilities of the scored tokens */
  int32_t tokens;          /* tokens scored (all but the first, which is context) */
  int32_t truncated_tokens;
  double* token_logprobs;  /* `tokens` values with token_logprobs, else NULL */
  char* error;             /* NULL, or why this text could not be scored */
} attn_text_score;

/* Log-likelihood of each text under a decoder. scores has n_texts entries;
 * a text that cannot be scored gets its error and the others are still
 * scored (the call returns ATTN_OK). Release with attn_text_scores_clear,
 * also after a failure. */
ATTN_API attn_status attn_score(attn_session* session, const char* const* texts, size_t n_texts,
                                const attn_score_options* options, attn_text_score* scores);
ATTN_API void attn_text_scores_clear(attn_text_score* scores, size_t n_scores);

typedef struct attn_classify_options {
  int32_t batch_size;
  int32_t truncate; /* 1: cut over-long inputs (longest text first); 0: fail */
} attn_classify_options;

ATTN_API attn_classify_options attn_classify_options_defaults(void);

/* Scores of each label (attn_model_info.num_labels per input, row-major,
 * named by attn_model_label) for each text, or text pair when pairs is not
 * NULL (a NULL entry in it: a single text). truncated as in attn_embed. */
ATTN_API attn_status attn_classify(attn_session* session, const char* const* texts, const char* const* pairs,
                                   size_t n_texts, const attn_classify_options* options, float* scores,
                                   int32_t* truncated);

/* ---- Translation (encoder-decoder models: MarianMTModel) ------------------ */

typedef struct attn_translate_options {
  int32_t beam_size;            /* 0: the model's num_beams; 1: greedy */
  int32_t max_new_tokens;       /* 0: up to the model's max_length */
  int32_t batch_size;           /* sentences decoded together */
  int32_t use_length_penalty;   /* 1: length_penalty below; 0: the model's */
  float length_penalty;
  const char* early_stopping;   /* "true", "false", "never"; NULL: the model's */
  int32_t no_repeat_ngram_size; /* -1: the model's */
  const char* source_language;  /* NULL or "": none */
  const char* target_language;  /* NULL or "": the model's only one */
} attn_translate_options;

ATTN_API attn_translate_options attn_translate_options_defaults(void);

typedef struct attn_translation {
  char* text;        /* the translation (UTF-8), or NULL with an error */
  int32_t* tokens;   /* generated target ids, without the decoder start token, EOS included */
  int32_t n_tokens;
  double score;      /* Hugging Face's sequences_scores */
  char* error;       /* NULL, or why this text could not be translated */
} attn_translation;

/* Translates n_texts texts by beam search (as attn translate). A text that
 * cannot be translated (empty, invalid UTF-8, an unknown language, longer
 * than the encoder's positions) gets its error and the others are still
 * translated (the call returns ATTN_OK); bad options or a model that is not
 * an encoder-decoder fail the call. Release with attn_translations_clear,
 * also after a failure. */
ATTN_API attn_status attn_translate(attn_model* model, const char* const* texts, size_t n_texts,
                                    const attn_translate_options* options, attn_translation* translations);
ATTN_API void attn_translations_clear(attn_translation* translations, size_t n_translations);

/* ---- Record jobs: the output lines of `attn score` / `embed` / `translate` */

/* Input lines are plain text, or JSON lines {"text": ..., other fields}
 * whose other fields pass through to the output line. A whole input has one
 * format; attn_detect_record_format decides it from the input's first line
 * as the CLI's --input-format auto does. */
typedef enum attn_record_format { ATTN_RECORD_TEXT = 0, ATTN_RECORD_JSONL = 1 } attn_record_format;

ATTN_API attn_record_format attn_detect_record_format(const char* first_line);

typedef enum attn_record_task {
  ATTN_RECORD_SCORE = 0, /* decoders: log-likelihoods; sequence classifiers: label scores (as attn score) */
  ATTN_RECORD_EMBED = 1, /* encoders: {"embedding":[...]} (as attn embed) */
  ATTN_RECORD_TRANSLATE = 2 /* encoder-decoders: a line of text, or {"text","tokens","score"} (as attn translate) */
} attn_record_task;

typedef struct attn_record_options {
  attn_record_format format;
  attn_score_options score; /* ATTN_RECORD_SCORE (a classifier uses batch_size and truncate) */
  attn_embed_options embed; /* ATTN_RECORD_EMBED */
  attn_translate_options translate; /* ATTN_RECORD_TRANSLATE */
  int32_t translate_json;           /* 1: JSON lines (attn translate --json); 0: text lines */
} attn_record_options;

ATTN_API attn_record_options attn_record_options_defaults(void);

/* Runs a task over n_lines input lines (without their newlines) and returns
 * in *output (freed with attn_free) exactly the lines the CLI writes for
 * them, one "\n"-terminated JSON line per input line, byte for byte. A bad
 * record gets an "error" field and the others are still processed (the call
 * returns ATTN_OK); n_errors (may be NULL) counts them, tokens (may be NULL)
 * gets the tokens scored. A model that cannot do the task fails the call. */
ATTN_API attn_status attn_process_records(attn_session* session, attn_record_task task, const char* const* lines,
                                          size_t n_lines, const attn_record_options* options, char** output,
                                          size_t* n_errors, int64_t* tokens);

#ifdef __cplusplus
}
#endif

#endif /* ATTN_H */

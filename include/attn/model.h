// Loading a model and running it. A Model is immutable and may be shared by
// any number of threads; each Session holds one sequence's mutable state
// (KV cache, scratch buffers) and is used by one thread at a time.
#pragma once

#include "attn/export.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attn/cache_type.h"
#include "attn/compute_type.h"
#include "attn/dtype.h"
#include "attn/tokenizer.h"

namespace attn ATTN_API {

struct LoadOptions {
  // Tokenizer to use instead of the one found beside the model (required for
  // llama2.c .bin checkpoints that have no tokenizer.model next to them).
  std::optional<std::filesystem::path> tokenizer;
  // Converts every Linear weight (the LM head included) to this type while
  // loading: F32, F16, BF16, I8 (per-output-channel symmetric, each
  // activation row quantised to int8 on the fly; see loaders/int8_format.h)
  // or Q4_0 (ggml's 4-bit blocks of 32, activations quantised to int8 per
  // block; Linears whose input width is not a multiple of 32 keep their type).
  // Embeddings, norms and biases keep their stored type. A tied embedding
  // table is the LM head, so it is converted too.
  std::optional<DType> dtype = std::nullopt;
  // With dtype Q4_K: llama.cpp's Q4_K_M mix, Q6_K for the value and down
  // projections of the layers it picks (as QuantizeOptions::q4_k_m).
  bool q4_k_m = false;
  // What the matmuls of several rows (prefill, scoring, embedding) compute in
  // (attn/compute_type.h). BF16 trades accuracy (logits within ~1 % of their
  // range instead of 1e-4) for ~2x prefill speed, and keeps a bf16 copy of
  // F32 and F16 Linear weights (2 bytes a weight; BF16 weights serve as they
  // are). It needs AVX512_BF16 (oneDNN's ISA, see ONEDNN_MAX_CPU_ISA); without
  // it the model computes in f32 and logs a warning. ModelInfo::compute_type
  // says which one runs.
  ComputeType compute_type = ComputeType::F32;
  // Called as loading proceeds, with what it is doing and the fraction done
  // (0 to 1, ending with "loaded", 1). Returning false stops loading, which
  // then throws attn::Cancelled and keeps nothing.
  std::function<bool(std::string_view stage, float fraction)> progress;
};

// Encoder-decoder models (translation): how decoding starts and what the
// model's config.json asks of generation (generation_config.json wins, as in
// Hugging Face).
struct Seq2SeqConfig {
  TokenId decoder_start_id = 0;
  std::vector<TokenId> suppressed_ids = {};  // never generated: bad_words_ids of one token (Marian's <pad>)
  TokenId forced_eos_id = -1;                // forced as the last token allowed (forced_eos_token_id); -1: none
  int source_positions = 0;                  // the longest source the encoder takes, in tokens
  int max_length = 0;                        // target tokens, the decoder start included (max_length)
  int num_beams = 1;
  float length_penalty = 1.f;
  std::string early_stopping = "false";      // "true", "false" or "never", as Hugging Face's early_stopping
  int no_repeat_ngram_size = 0;
  // How a multilingual model is told its languages: Marian's ">>xx<<" token
  // before the source; M2M-100 / NLLB's source language code before the
  // source and the target's forced as the first generated token
  // (forced_bos_token_id).
  enum class Languages { TargetTokenInSource, SourceCodeAndForcedTarget } languages = Languages::TargetTokenInSource;
};

struct ModelInfo {
  std::string architecture = {};   // e.g. "LlamaForCausalLM"
  std::string source_format = {};  // "huggingface", "llama2.c"
  std::filesystem::path path = {};
  int64_t parameter_count = 0;
  std::map<std::string, int64_t> parameters_by_dtype = {};  // dtype name -> parameters stored in it
  int64_t weight_bytes = 0;                            // bytes of weights as stored (and read)
  int vocab_size = 0;
  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int context_length = 0;
  // BERT-style encoders attend both ways and cache nothing: each forward
  // call is a whole sequence, and they give hidden states, not logits.
  bool encoder = false;
  int type_vocab_size = 0;  // encoders: segments (token types) the model knows
  // Sequence-classification models: label names by class index (id2label);
  // empty for other models. multi_label: independent sigmoids, not a softmax.
  std::vector<std::string> class_labels = {};
  bool multi_label = false;
  std::vector<TokenId> eos_ids = {};      // generation stops on any of these
  // What the model directory says about using the model beyond the network
  // itself, for the tasks that read it: sentence-transformers' pooling
  // ("sentence_transformers.pooling": "mean"), normalisation and maximum
  // length (see attn::embedding_config).
  std::map<std::string, std::string> metadata = {};
  std::map<std::string, int> graph_ops = {};  // op name -> node count
  ComputeType compute_type = ComputeType::F32;  // in effect: LoadOptions::compute_type, or F32 where not supported
  int graph_nodes = 0;
  // Encoder-decoder models: the decoder is the model's graph (forward,
  // decode_step); Session::encode runs the encoder. Absent for other models.
  std::optional<Seq2SeqConfig> seq2seq = std::nullopt;
};

// How an ONNX file was imported: its nodes mapped onto fused ops, or run op
// by op (primitive) when the fusion passes could not map the graph, and why.
struct OnnxImportReport {
  int fused_nodes = 0;
  int primitive_nodes = 0;
  std::string unfused_reason;
};

// A loaded model. The engine implements it; applications get one from
// Model::load and share it between threads and sessions.
class Model {
 public:
  static std::shared_ptr<const Model> load(const std::filesystem::path& path,
                                           const LoadOptions& options = {});
  virtual ~Model() = default;

  virtual const ModelInfo& info() const = 0;
  virtual const Tokenizer& tokenizer() const = 0;
  virtual std::shared_ptr<const Tokenizer> shared_tokenizer() const = 0;
  // ONNX models only: how the file was imported.
  virtual const std::optional<OnnxImportReport>& onnx_import() const = 0;

 protected:
  Model() = default;
};

struct SessionOptions {
  // 0: kDefaultContextLength, or the model's context length if smaller (as
  // llama.cpp defaults its -c). Up to the model's context length; the KV
  // cache grows with the sequence whatever the context length allows.
  int context_length = 0;
  static constexpr int kDefaultContextLength = 4096;
  // What the KV cache stores keys and values as (llama.cpp's --cache-type-k
  // / -v): 16-bit halves it, q8_0 takes 34/128 of f32. Attention reads each
  // type natively. Encoders and cross-attention keep no such cache.
  CacheType cache_type_k = CacheType::F32;
  CacheType cache_type_v = CacheType::F32;
};

struct SessionStats {
  int64_t scratch_bytes = 0;    // bytes of activation arenas planned so far
  int plans = 0;                // distinct shape buckets planned
  int64_t kv_cache_bytes = 0;
};

class Session {
 public:
  explicit Session(std::shared_ptr<const Model> model, const SessionOptions& options = {});
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  // Appends `tokens` at the current position and returns logits: one row of
  // vocab_size floats per token when all_logits, else the last token's row.
  // The span stays valid until the next call. Throws attn::Error when the
  // tokens would not fit in the context or an id is out of range.
  std::span<const float> forward(std::span<const TokenId> tokens, bool all_logits = false);

  // Runs independent sequences in one pass, packed back to back without
  // padding, each from position 0 and seeing only itself. Each sequence's
  // type_ids may be empty (segment 0 throughout). Returns every sequence's
  // output rows in order, [total tokens, output width] (a decoder's logits
  // for every token); valid until the next call. A decoder's KV cache and
  // position are left as they were.
  std::span<const float> forward_packed(std::span<const Encoding> sequences);

  // A head's result from the last forward_packed call, one row per sequence:
  // "pooler_output" ([sequences, hidden]; BERT models with a pooler) or
  // "logits" ([sequences, labels]; classification models). Empty when the
  // model has no such head. Valid until the next call.
  std::span<const float> head_output(std::string_view name) const;

  // Several sessions of one decoder model take one token each in a single
  // forward pass, so the weights are streamed once for all of them (serving
  // several users, batched generation). tokens[i] is appended to
  // sessions[i], which advances one position. Returns [sessions, vocab]
  // logits, valid until sessions[0] (whose scratch runs the step) is used
  // again. Throws attn::Error if the sessions run different models, one
  // appears twice, is an encoder, or is full.
  static std::span<const float> decode_step(std::span<Session* const> sessions, std::span<const TokenId> tokens);

  // Encoder-decoder models: runs the encoder over `sources` in one packed
  // pass and gives sessions[i] source i, whose cross-attention keys and
  // values are computed here once and kept; each session's target sequence
  // restarts empty (feed it the decoder start token next). Throws
  // attn::Error for other models, a source longer than the encoder's
  // positions, or ids outside the vocabulary.
  static void encode(std::span<Session* const> sessions, std::span<const std::vector<TokenId>> sources);
  // The encoder's output (last_hidden_state) of the last encode() call on
  // this session, its sources' rows back to back, [source tokens, hidden];
  // valid until the next encode(). Empty before any.
  std::span<const float> encoder_output() const;
  // Continues from exactly where `other` (a session of the same model) is:
  // its sequence, KV cache and source (shared, not copied). Beam search
  // forks hypotheses this way.
  void copy_from(const Session& other);
  // A new, empty session of the same model with the same options (context
  // length, KV cache types): another beam of a beam search.
  Session sibling() const;

  // Forgets the sequence; keeps planned buffers.
  void reset();
  // Drops everything after the first `position` tokens of the sequence.
  // Sliding-window layers keep only their window (a ring of the last
  // positions): when they no longer hold the window before `position`, the
  // whole sequence is dropped instead; position() says where it resumes.
  void truncate(int position);

  int position() const;
  // The ids of the sequence the cache holds, by position (position() of them).
  std::span<const TokenId> tokens() const;
  int context_length() const;
  const Model& model() const;
  SessionStats stats() const;

 private:
  struct Data;  // engine/session.cpp
  std::unique_ptr<Data> data_;
};

// Threads used by attn's kernels and oneDNN (one OpenMP pool per process).
void set_num_threads(int threads);
int num_threads();
// Physical cores of this machine (not hyper-threads): the default thread count.
int physical_cores();
// What runs the math here, e.g. "kernels avx2+fma, oneDNN 2.6.3".
std::string runtime_description();

}  // namespace attn

#include <omp.h>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <map>
#include <string>

#include "attn/error.h"
#include "attn/model.h"
#include "engine/memory_plan.h"
#include "engine/kernels/kernels.h"
#include "engine/loaded_model.h"
#include "engine/session_state.h"
#include "engine/step_threads.h"

namespace attn {
namespace {

// 64-byte aligned float storage for the activation arena.
struct AlignedFree {
  void operator()(float* p) const { operator delete[](p, std::align_val_t{64}); }
};
using AlignedFloats = std::unique_ptr<float[], AlignedFree>;

constexpr size_t kMaxOpInputs = 4;

}  // namespace

struct Session::Data {
  std::shared_ptr<const Model> model;
  int context_length;
  int position = 0;
  std::vector<TokenId> tokens;  // the sequence the KV cache holds, by position
  SessionState state;
  // Plans by (row capacity, all rows out); capacity is the token count
  // rounded up to a power of two, so a decode loop reuses one plan.
  std::map<std::pair<int64_t, bool>, MemoryPlan> plans;
  AlignedFloats arena;
  int64_t arena_floats = 0;
  std::vector<int64_t> value_rows;  // rows of each value in the current run

  std::vector<TokenId> packed_tokens;  // forward_packed's sequences, back to back
  std::vector<int32_t> packed_types;   // their token types; empty when all are 0
  std::vector<SequenceSpan> sequences;

  const Graph* graph_of_model = nullptr;  // the model's graph
  // Encoder-decoder models: runs the encoder graph (its own plans and
  // arena), for Session::encode.
  std::unique_ptr<Data> encoder;
  const Graph& graph() const { return *graph_of_model; }
  const MemoryPlan& plan_for(int64_t rows, bool all_rows_out);
  // Throws unless `tokens` fit the context after `start_position` and are in the vocabulary.
  void validate(std::span<const TokenId> tokens, int start_position) const;
  std::span<const float> run(std::span<const TokenId> tokens, bool all_rows_out, bool packed);
  std::span<const float> value_data(ValueId value) const;
  const MemoryPlan* last_plan = nullptr;
  StepThreads step_threads{num_threads(), default_thread_count()};
};

const MemoryPlan& Session::Data::plan_for(int64_t rows, bool all_rows_out) {
  const int64_t capacity = static_cast<int64_t>(std::bit_ceil(static_cast<uint64_t>(rows)));
  auto key = std::make_pair(capacity, all_rows_out);
  auto it = plans.find(key);
  if (it == plans.end()) it = plans.emplace(key, plan_memory(graph(), capacity, all_rows_out)).first;
  if (it->second.arena_floats > arena_floats) {
    arena_floats = it->second.arena_floats;
    arena = AlignedFloats(new (std::align_val_t{64}) float[arena_floats]);
  }
  return it->second;
}

void Session::Data::validate(std::span<const TokenId> tokens, int start_position) const {
  if (tokens.empty()) throw Error("Session::forward: no tokens given");
  if (start_position + static_cast<int64_t>(tokens.size()) > context_length) {
    throw Error("the sequence would be " + std::to_string(start_position + tokens.size()) +
                " tokens but the context holds " + std::to_string(context_length) +
                "; shorten the input or use a larger context length");
  }
  const int vocab = model->info().vocab_size;
  for (TokenId id : tokens) {  // the embedding gathers rows by id
    if (id < 0 || id >= vocab) {
      throw Error("token id " + std::to_string(id) + " is outside the model's vocabulary of " + std::to_string(vocab));
    }
  }
}

Session::Session(std::shared_ptr<const Model> model, const SessionOptions& options) : data_(std::make_unique<Data>()) {
  const int model_context = model->info().context_length;
  if (options.context_length < 0 || options.context_length > model_context) {
    throw Error("context length " + std::to_string(options.context_length) + " is outside 1.." +
                std::to_string(model_context) + " for this model");
  }
  data_->context_length = options.context_length > 0
                              ? options.context_length
                              : std::min(model_context, SessionOptions::kDefaultContextLength);
  data_->model = std::move(model);
  data_->graph_of_model = &LoadedModel::of(*data_->model).graph();
  kernels::active();  // a bad ATTN_KERNELS fails here, before any op runs in a parallel region
  data_->state.kv_cache().set_types(options.cache_type_k, options.cache_type_v);
  for (const Node& node : data_->graph().nodes()) node.op->prepare(data_->state, data_->context_length);
  data_->value_rows.assign(data_->graph().value_count(), 0);
  const auto& encoder_graph = LoadedModel::of(*data_->model).encoder_graph();
  if (encoder_graph) {
    auto encoder = std::make_unique<Data>();
    encoder->model = data_->model;
    encoder->context_length = data_->model->info().seq2seq->source_positions;
    encoder->graph_of_model = &*encoder_graph;
    for (const Node& node : encoder_graph->nodes()) node.op->prepare(encoder->state, encoder->context_length);
    encoder->value_rows.assign(encoder_graph->value_count(), 0);
    data_->encoder = std::move(encoder);
  }
}

Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

std::span<const float> Session::forward(std::span<const TokenId> tokens, bool all_logits) {
  Data& s = *data_;
  // Encoders cache nothing, so every call is a whole sequence from position 0.
  const bool encoder = s.model->info().encoder;
  if (encoder) s.position = 0;
  s.validate(tokens, s.position);
  s.sequences.assign({SequenceSpan{0, static_cast<int64_t>(tokens.size()), s.position}});
  s.packed_types.clear();
  const std::span<const float> out = s.run(tokens, all_logits, encoder);
  if (!encoder) {
    s.position += static_cast<int>(tokens.size());
    s.tokens.insert(s.tokens.end(), tokens.begin(), tokens.end());
  }
  return out;
}

std::span<const float> Session::forward_packed(std::span<const Encoding> sequences) {
  Data& s = *data_;
  if (sequences.empty()) throw Error("Session::forward_packed: no sequences given");
  // Packed steps leave the KV cache, and so a decoder's current sequence, as it was.
  if (s.model->info().encoder) s.position = 0;
  s.packed_tokens.clear();
  s.packed_types.clear();
  s.sequences.clear();
  const bool typed = std::any_of(sequences.begin(), sequences.end(), [](const Encoding& e) { return !e.type_ids.empty(); });
  const int type_count = s.model->info().type_vocab_size;
  for (const Encoding& sequence : sequences) {
    const std::vector<TokenId>& ids = sequence.ids;
    s.validate(ids, 0);  // each sequence must fit the context on its own
    s.sequences.push_back(SequenceSpan{static_cast<int64_t>(s.packed_tokens.size()), static_cast<int64_t>(ids.size()), 0});
    s.packed_tokens.insert(s.packed_tokens.end(), ids.begin(), ids.end());
    if (!typed) continue;
    if (sequence.type_ids.empty()) {
      s.packed_types.resize(s.packed_tokens.size(), 0);
      continue;
    }
    if (sequence.type_ids.size() != ids.size()) {
      throw Error("Session::forward_packed: " + std::to_string(sequence.type_ids.size()) + " token types for " +
                  std::to_string(ids.size()) + " tokens");
    }
    for (const int32_t type : sequence.type_ids) {
      if (type < 0 || type >= type_count) {
        throw Error("token type " + std::to_string(type) + " is outside the model's " + std::to_string(type_count) +
                    " segment types");
      }
    }
    s.packed_types.insert(s.packed_types.end(), sequence.type_ids.begin(), sequence.type_ids.end());
  }
  return s.run(s.packed_tokens, true, true);
}

std::span<const float> Session::decode_step(std::span<Session* const> sessions, std::span<const TokenId> tokens) {
  if (sessions.empty() || sessions.size() != tokens.size()) {
    throw Error("Session::decode_step: needs one token per session (" + std::to_string(sessions.size()) +
                " sessions, " + std::to_string(tokens.size()) + " tokens)");
  }
  Data& runner = *sessions[0]->data_;
  if (runner.model->info().encoder) throw Error("Session::decode_step: encoders have no sequence to continue");
  std::vector<Data*> seen;
  runner.sequences.clear();
  for (size_t i = 0; i < sessions.size(); ++i) {
    Data& s = *sessions[i]->data_;
    if (s.model != runner.model) throw Error("Session::decode_step: the sessions must share one model");
    if (std::find(seen.begin(), seen.end(), &s) != seen.end()) {
      throw Error("Session::decode_step: session " + std::to_string(i) + " appears twice");
    }
    seen.push_back(&s);
    s.validate(tokens.subspan(i, 1), s.position);
    s.state.prepare_threads(num_threads());  // attention uses each session's own scratch
    runner.sequences.push_back(SequenceSpan{static_cast<int64_t>(i), 1, s.position, i == 0 ? nullptr : &s.state});
  }
  runner.packed_types.clear();
  const std::span<const float> logits = runner.run(tokens, true, false);
  for (size_t i = 0; i < seen.size(); ++i) {
    ++seen[i]->position;
    seen[i]->tokens.push_back(tokens[i]);
  }
  return logits;
}

void Session::encode(std::span<Session* const> sessions, std::span<const std::vector<TokenId>> sources) {
  if (sessions.empty() || sessions.size() != sources.size()) {
    throw Error("Session::encode: needs one source per session (" + std::to_string(sessions.size()) + " sessions, " +
                std::to_string(sources.size()) + " sources)");
  }
  Data& runner = *sessions[0]->data_;
  if (!runner.encoder) throw Error("Session::encode: " + runner.model->info().architecture + " is not an encoder-decoder model");
  Data& e = *runner.encoder;
  e.packed_tokens.clear();
  e.packed_types.clear();
  e.sequences.clear();
  for (size_t i = 0; i < sources.size(); ++i) {
    if (sessions[i]->data_->model != runner.model) throw Error("Session::encode: the sessions must share one model");
    e.validate(sources[i], 0);
    e.sequences.push_back(SequenceSpan{static_cast<int64_t>(e.packed_tokens.size()),
                                       static_cast<int64_t>(sources[i].size()), 0});
    e.packed_tokens.insert(e.packed_tokens.end(), sources[i].begin(), sources[i].end());
  }
  e.run(e.packed_tokens, true, true);
  const auto& kv_sources = e.graph().cross_attention_sources();
  for (size_t i = 0; i < sources.size(); ++i) {
    const SequenceSpan& span = e.sequences[i];
    auto memory = std::make_shared<CrossAttentionMemory>();
    memory->source_length = static_cast<int>(span.rows);
    for (const Graph::CrossAttentionSource& source : kv_sources) {
      CrossAttentionLayer layer{source.heads, source.head_dim, memory->source_length, {}, {}};
      const int64_t floats = static_cast<int64_t>(source.heads) * span.rows * source.head_dim;
      layer.keys.resize(floats);
      layer.values.resize(floats);
      const std::span<const float> keys = e.value_data(source.keys), values = e.value_data(source.values);
      const int64_t width = static_cast<int64_t>(source.heads) * source.head_dim;
      for (int64_t p = 0; p < span.rows; ++p) {  // [row][head][d] -> [head][position][d]
        for (int h = 0; h < source.heads; ++h) {
          const int64_t from = (span.first_row + p) * width + h * source.head_dim;
          std::copy_n(keys.begin() + from, source.head_dim, layer.key(h, static_cast<int>(p)));
          std::copy_n(values.begin() + from, source.head_dim, layer.value(h, static_cast<int>(p)));
        }
      }
      memory->layers.push_back(std::move(layer));
    }
    Data& target = *sessions[i]->data_;
    target.state.set_cross_attention(std::move(memory));
    target.position = 0;
    target.tokens.clear();
  }
}

std::span<const float> Session::encoder_output() const {
  const Data* e = data_->encoder.get();
  if (!e || !e->last_plan) return {};
  return e->value_data(e->graph().output());
}

void Session::copy_from(const Session& other) {
  Data& s = *data_;
  const Data& o = *other.data_;
  if (&s == &o) return;
  if (s.model != o.model) throw Error("Session::copy_from: the sessions must share one model");
  if (o.position > s.context_length) throw Error("Session::copy_from: the other session's sequence does not fit this one's context");
  const KvCache &to = s.state.kv_cache(), &from = o.state.kv_cache();
  if (to.key_type() != from.key_type() || to.value_type() != from.value_type()) {
    throw Error("Session::copy_from: the sessions' KV caches store different types");
  }
  s.state.kv_cache().copy_prefix(o.state.kv_cache(), o.position);
  s.state.set_cross_attention(o.state.shared_cross_attention());
  s.position = o.position;
  s.tokens = o.tokens;
}

Session Session::sibling() const {
  const KvCache& cache = data_->state.kv_cache();
  return Session(data_->model, SessionOptions{.context_length = data_->context_length,
                                              .cache_type_k = cache.key_type(),
                                              .cache_type_v = cache.value_type()});
}

std::span<const float> Session::Data::run(std::span<const TokenId> tokens, bool all_rows_out, bool packed) {
  const int64_t rows = static_cast<int64_t>(tokens.size());
  const int all_threads = num_threads();
  if (!step_threads.configured_for(all_threads, default_thread_count())) {
    step_threads = StepThreads(all_threads, default_thread_count());
  }
  const int threads = step_threads.for_step(rows);
  omp_set_num_threads(threads);  // per calling thread: an app may run sessions on several
  state.prepare_threads(all_threads);
  const auto start = std::chrono::steady_clock::now();

  const MemoryPlan& plan = plan_for(rows, all_rows_out);
  const RunContext context{tokens, packed_types, sequences, packed, all_rows_out, state};
  const auto& nodes = graph().nodes();

  std::array<ActivationView, kMaxOpInputs> inputs{};
  for (const Node& node : nodes) {
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const ValueId v = node.inputs[i];
      inputs[i] = ActivationView{arena.get() + plan.offsets[v], value_rows[v], nodes[v].op->output_width()};
    }
    // Rows flow from the first input; the input-less embedding has one per token.
    const int64_t in_rows = node.inputs.empty() ? rows : inputs[0].rows;
    value_rows[node.output] = node.op->rows_in_step(context, in_rows);
    const ActivationView output{arena.get() + plan.offsets[node.output], value_rows[node.output],
                                node.op->output_width()};
    node.op->run(context, std::span<const ActivationView>(inputs.data(), node.inputs.size()), output);
  }
  last_plan = &plan;
  step_threads.record(threads, rows, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return value_data(graph().output());
}

std::span<const float> Session::Data::value_data(ValueId value) const {
  const int64_t width = graph().nodes()[value].op->output_width();
  return {arena.get() + last_plan->offsets[value], static_cast<size_t>(value_rows[value] * width)};
}

std::span<const float> Session::head_output(std::string_view name) const {
  const auto& heads = data_->graph().heads();
  const auto it = heads.find(std::string(name));
  if (it == heads.end() || !data_->last_plan) return {};
  return data_->value_data(it->second);
}

void Session::reset() {
  data_->position = 0;
  data_->tokens.clear();
}

void Session::truncate(int position) {
  if (position < 0 || position > data_->position) {
    throw Error("Session::truncate: position " + std::to_string(position) + " is outside 0.." +
                std::to_string(data_->position));
  }
  if (!data_->state.kv_cache().can_resume(data_->position, position)) position = 0;
  data_->position = position;  // cached entries past it are simply overwritten later
  data_->tokens.resize(position);
}

int Session::position() const { return data_->position; }
std::span<const TokenId> Session::tokens() const { return data_->tokens; }
int Session::context_length() const { return data_->context_length; }
const Model& Session::model() const { return *data_->model; }

SessionStats Session::stats() const {
  SessionStats stats;
  stats.scratch_bytes = data_->arena_floats * static_cast<int64_t>(sizeof(float));
  stats.plans = static_cast<int>(data_->plans.size());
  stats.kv_cache_bytes = data_->state.kv_cache().bytes();
  return stats;
}

}  // namespace attn

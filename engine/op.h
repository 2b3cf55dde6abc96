// The interface every graph op implements. Ops are immutable parts of a
// Model (weights, attributes read once at construction); per-sequence state
// (KV cache, oneDNN primitives) comes in through the RunContext.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "attn/tokenizer.h"

namespace attn {

class SessionState;

// A row-major [rows, width] block of activations in the session's arena.
struct ActivationView {
  float* data;
  int64_t rows;
  int64_t width;
  float* row(int64_t r) const { return data + r * width; }
};

// One sequence of a step's rows. A step holds one sequence (decoding over
// the KV cache) or several packed back to back without padding (an encoder
// batch, or a decoder scoring batch); ops that mix rows (attention,
// positions) stay within a sequence.
struct SequenceSpan {
  int64_t first_row;
  int64_t rows;
  int start_position;  // sequence position of the span's first row
  // Whose KV cache (and attention scratch) the sequence uses: another
  // session's when several sessions decode in one step; null: the running one.
  SessionState* cache_owner = nullptr;
};

struct RunContext {
  std::span<const TokenId> tokens;           // the ids of this step, one per row
  std::span<const int32_t> token_types;      // segment of each row; empty: all 0
  std::span<const SequenceSpan> sequences;   // cover the rows in order
  // Packed: the sequences are whole and independent, so attention reads the
  // step's own k/v rows and leaves the KV cache alone.
  bool packed;
  bool all_rows_out;                         // keep every row at the output (scoring) or only the last
  SessionState& state;
};

class Op {
 public:
  virtual ~Op() = default;
  virtual std::string_view name() const = 0;
  // Width of the output rows, fixed when the graph is built.
  virtual int64_t output_width() const = 0;
  // Rows of the output for `input_rows` rows in; most ops keep the count.
  // For memory planning this is an upper bound over every step of that size.
  virtual int64_t output_rows(int64_t input_rows, bool all_rows_out) const { return input_rows; }
  // The rows this step actually produces, for ops whose count depends on the
  // step's sequences (one row per sequence); never above output_rows.
  virtual int64_t rows_in_step(const RunContext& context, int64_t input_rows) const {
    return output_rows(input_rows, context.all_rows_out);
  }
  virtual void run(const RunContext& context, std::span<const ActivationView> inputs,
                   const ActivationView& output) const = 0;
  // Called once when a session is created: reserve the per-session state the
  // op needs (its KV cache layer, scratch) for `context_length` positions.
  virtual void prepare(SessionState& state, int context_length) const {}
};

}  // namespace attn

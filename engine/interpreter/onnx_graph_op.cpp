#include "engine/interpreter/onnx_graph_op.h"

#include <algorithm>

#include "attn/error.h"
#include "engine/interpreter/sequence_inputs.h"
#include "engine/session_state.h"

namespace attn {

void OnnxGraphOp::run(const RunContext& context, std::span<const ActivationView> inputs,
                      const ActivationView& output) const {
  for (const SequenceSpan& span : context.sequences) {
    const auto step = context.tokens.subspan(span.first_row, span.rows);
    std::vector<TokenId> ids(step.begin(), step.end());
    if (!encoder_) {  // the whole sequence so far: earlier steps' tokens, then this step's
      std::vector<TokenId>& history = (span.cache_owner ? *span.cache_owner : context.state).token_history();
      if (static_cast<int>(history.size()) < span.start_position) {
        throw Error(where_ + ": the sequence's earlier tokens are unknown (position " +
                    std::to_string(span.start_position) + ")");
      }
      history.resize(span.start_position);
      history.insert(history.end(), ids.begin(), ids.end());
      ids = history;
    }
    const std::vector<interpreter::Array> outputs =
        program_->run(interpreter::sequence_inputs(program_->graph(), ids, where_));
    if (outputs.empty()) throw Error(where_ + ": the ONNX graph has no outputs");
    const interpreter::Array& result = outputs[0];
    const int64_t rows = result.numel() / width_;
    if (result.type() != DType::F32 || result.numel() % width_ != 0 || rows < span.rows) {
      throw Error(where_ + ": the graph's first output " + result.describe() + " does not hold " +
                  std::to_string(span.rows) + " rows of " + std::to_string(width_) + " floats");
    }
    // The span's rows are the graph's last ones (a decoder computed the earlier positions again).
    std::copy_n(result.as<float>() + (rows - span.rows) * width_, span.rows * width_, output.row(span.first_row));
  }
}

}  // namespace attn

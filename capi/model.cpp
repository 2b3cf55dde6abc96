// The C API's process-wide settings, models and tokens.
#include <optional>
#include <vector>

#include "attn/log.h"
#include "capi/handles.h"

using namespace attn::capi;

namespace {

std::optional<attn::DType> weight_type(attn_dtype dtype) {
  switch (dtype) {
    case ATTN_DTYPE_AS_STORED: return std::nullopt;
    case ATTN_DTYPE_F32: return attn::DType::F32;
    case ATTN_DTYPE_F16: return attn::DType::F16;
    case ATTN_DTYPE_BF16: return attn::DType::BF16;
    case ATTN_DTYPE_INT8: return attn::DType::I8;
    case ATTN_DTYPE_Q4_0: return attn::DType::Q4_0;
    case ATTN_DTYPE_Q8_0: return attn::DType::Q8_0;
    case ATTN_DTYPE_Q4_K: return attn::DType::Q4_K;
    case ATTN_DTYPE_Q6_K: return attn::DType::Q6_K;
    case ATTN_DTYPE_Q4_K_M: return attn::DType::Q4_K;
  }
  throw InvalidArgument{"options->dtype: not an attn_dtype value"};
}

attn::ComputeType compute_type(attn_compute_type type) {
  switch (type) {
    case ATTN_COMPUTE_F32: return attn::ComputeType::F32;
    case ATTN_COMPUTE_BF16: return attn::ComputeType::BF16;
  }
  throw InvalidArgument{"options->compute_type: not an attn_compute_type value"};
}

attn::LoadOptions load_options(const attn_load_options& options) {
  attn::LoadOptions converted;
  if (options.tokenizer_path) converted.tokenizer = options.tokenizer_path;
  converted.dtype = weight_type(options.dtype);
  converted.q4_k_m = options.dtype == ATTN_DTYPE_Q4_K_M;
  converted.compute_type = compute_type(options.compute_type);
  if (options.progress) {
    converted.progress = [callback = options.progress, user_data = options.progress_user_data](
                             std::string_view stage, float fraction) {
      return callback(user_data, std::string(stage).c_str(), fraction) == ATTN_CONTINUE;
    };
  }
  return converted;
}

}  // namespace

extern "C" {

const char* attn_version(void) { return ATTN_VERSION_STRING; }
uint32_t attn_version_number(void) { return ATTN_VERSION_NUMBER; }

void attn_set_log_callback(attn_log_callback callback, void* user_data, attn_log_level min_level) {
  if (!callback) {
    attn::set_log_handler({});
    return;
  }
  attn::set_log_handler([=](attn::LogLevel level, std::string_view message) {
    const auto c_level = static_cast<attn_log_level>(level);  // same order (static_asserts below)
    if (c_level >= min_level) callback(user_data, c_level, std::string(message).c_str());
  });
}
static_assert(static_cast<int>(attn::LogLevel::Debug) == ATTN_LOG_DEBUG &&
              static_cast<int>(attn::LogLevel::Error) == ATTN_LOG_ERROR);

attn_status attn_set_threads(int32_t threads) {
  return guarded(nullptr, [&] {
    require(threads >= 0, "threads: must be 0 (the default) or more");
    attn::set_num_threads(threads);
  });
}

int32_t attn_threads(void) { return attn::num_threads(); }

attn_load_options attn_load_options_defaults(void) { return attn_load_options{}; }

attn_status attn_model_load(const char* path, const attn_load_options* options, attn_model** model) {
  if (model) *model = nullptr;
  return guarded(nullptr, [&] {
    require(model != nullptr, "model: NULL output pointer");
    require(path != nullptr, "path: NULL");
    const attn_load_options chosen = options ? *options : attn_load_options_defaults();
    require(chosen.threads >= 0, "options->threads: must be 0 (unchanged) or more");
    if (chosen.threads > 0) attn::set_num_threads(chosen.threads);
    auto handle = std::make_unique<attn_model>();
    handle->model = attn::Model::load(path, load_options(chosen));
    *model = handle.release();
  });
}

void attn_model_free(attn_model* model) {
  if (model && model->tag == kModelTag) {
    model->tag = 0;
    delete model;
  }
}

attn_status attn_model_get_info(const attn_model* model, attn_model_info* info) {
  return guarded(slot_of(model), [&] {
    const attn::ModelInfo& source = checked(model).info();
    const attn::Tokenizer& tokenizer = model->model->tokenizer();
    require(info != nullptr, "info: NULL");
    *info = attn_model_info{};
    info->architecture = source.architecture.c_str();
    info->source_format = source.source_format.c_str();
    info->path = source.path.c_str();
    info->parameter_count = source.parameter_count;
    info->weight_bytes = source.weight_bytes;
    info->vocab_size = source.vocab_size;
    info->hidden_size = source.hidden_size;
    info->num_layers = source.num_layers;
    info->num_heads = source.num_heads;
    info->num_kv_heads = source.num_kv_heads;
    info->context_length = source.context_length;
    info->is_encoder = source.encoder ? 1 : 0;
    info->num_labels = static_cast<int32_t>(source.class_labels.size());
    info->multi_label = source.multi_label ? 1 : 0;
    info->bos_id = tokenizer.bos_id();
    info->eos_id = tokenizer.eos_id();
    info->compute_type = source.compute_type == attn::ComputeType::BF16 ? ATTN_COMPUTE_BF16 : ATTN_COMPUTE_F32;
  });
}

attn_status attn_model_label(const attn_model* model, int32_t index, const char** label) {
  return guarded(slot_of(model), [&] {
    const auto& labels = checked(model).info().class_labels;
    require(label != nullptr, "label: NULL");
    require(index >= 0 && static_cast<size_t>(index) < labels.size(), "index: not a label of this model");
    *label = labels[index].c_str();
  });
}

attn_status attn_tokenize(const attn_model* model, const char* text, int32_t add_special, int32_t** tokens,
                          size_t* n_tokens) {
  if (tokens) *tokens = nullptr;
  if (n_tokens) *n_tokens = 0;
  return guarded(slot_of(model), [&] {
    const attn::Model& checked_model = checked(model);
    require(text != nullptr, "text: NULL");
    require(tokens != nullptr && n_tokens != nullptr, "tokens, n_tokens: NULL output pointer");
    const std::vector<attn::TokenId> ids = checked_model.tokenizer().encode(text, add_special != 0);
    *tokens = malloc_array(ids.data(), ids.size());
    *n_tokens = ids.size();
  });
}

attn_status attn_detokenize(const attn_model* model, const int32_t* tokens, size_t n_tokens, char** text,
                            size_t* text_length) {
  if (text) *text = nullptr;
  if (text_length) *text_length = 0;
  return guarded(slot_of(model), [&] {
    const attn::Model& checked_model = checked(model);
    require(tokens != nullptr || n_tokens == 0, "tokens: NULL");
    require(text != nullptr, "text: NULL output pointer");
    const int vocab = checked_model.tokenizer().vocab_size();
    for (size_t i = 0; i < n_tokens; ++i) {
      if (tokens[i] < 0 || tokens[i] >= vocab) {
        throw InvalidArgument{"tokens[" + std::to_string(i) + "]: " + std::to_string(tokens[i]) +
                              " is not a token id of this model (0.." + std::to_string(vocab - 1) + ")"};
      }
    }
    const std::string decoded = checked_model.tokenizer().decode(std::span<const int32_t>(tokens, n_tokens));
    *text = malloc_text(decoded);
    if (text_length) *text_length = decoded.size();
  });
}

}  // extern "C"

// What the C API's opaque handles hold, and the boundary every C entry point
// goes through: arguments checked, exceptions turned into a status and a
// message kept on the handle and for the calling thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <new>
#include <mutex>
#include <atomic>
#include <string>
#include <string_view>

#include "attn.h"
#include "attn/translate.h"
#include "attn/model.h"

namespace attn::capi {

// The last error message of one handle; read and written from any thread.
class ErrorSlot {
 public:
  void set(std::string message);
  size_t copy_to(char* buffer, size_t size) const;

 private:
  mutable std::mutex mutex_;
  std::string message_;
};

// Thrown inside the boundary for a bad argument; becomes ATTN_ERROR_INVALID_ARGUMENT.
struct InvalidArgument {
  std::string message;
};

// Tags that tell a live handle of the right kind from NULL or another kind.
constexpr uint32_t kModelTag = 0x6d6f646c;    // "modl"
constexpr uint32_t kSessionTag = 0x73657373;  // "sess"

}  // namespace attn::capi

struct attn_model {
  uint32_t tag = attn::capi::kModelTag;
  std::shared_ptr<const attn::Model> model;
  mutable attn::capi::ErrorSlot error;
};

struct attn_session {
  attn_session(std::shared_ptr<const attn::Model> model, const attn::SessionOptions& options)
      : model(model), session(std::move(model), options) {}

  uint32_t tag = attn::capi::kSessionTag;
  std::shared_ptr<const attn::Model> model;
  attn::Session session;
  // Made on the first translation record job; keeps its sessions between calls.
  std::optional<attn::Translator> translator;
  mutable attn::capi::ErrorSlot error;
  // attn_session_abort sets this from any thread; the generation running
  // (or the next one) stops and clears it, so the one after starts clean.
  std::atomic<bool> abort{false};
};

namespace attn::capi {

size_t copy_message(const std::string& message, char* buffer, size_t size);

attn_status record_failure(ErrorSlot* slot, attn_status status, const std::string& message) noexcept;
// Inside a catch block: the status of the exception in flight, its message recorded.
attn_status status_of_current_exception(ErrorSlot* slot) noexcept;

// Runs `body` and turns whatever it throws into a status, recording the
// message in `slot` (if any) and for the calling thread.
template <typename Body>
attn_status guarded(ErrorSlot* slot, Body&& body) noexcept {
  try {
    body();
    return ATTN_OK;
  } catch (...) {
    return status_of_current_exception(slot);
  }
}

// The handle's error slot, or none for a NULL or wrong kind of handle.
ErrorSlot* slot_of(const attn_model* model);
ErrorSlot* slot_of(const attn_session* session);

// These throw InvalidArgument naming the argument.
const attn::Model& checked(const attn_model* model);
attn_session& checked(attn_session* session);
void require(bool condition, const char* message);

// A malloc'ed copy (released with attn_free), NUL-terminated for text.
char* malloc_text(std::string_view text);

// attn_translate_options as the C++ API's (checked, throwing InvalidArgument).
attn::TranslateOptions translate_options(const attn_translate_options& options);
template <typename T>
T* malloc_array(const T* values, size_t n) {
  T* copy = static_cast<T*>(std::malloc(std::max<size_t>(n, 1) * sizeof(T)));
  if (!copy) throw std::bad_alloc();
  if (n > 0) std::memcpy(copy, values, n * sizeof(T));
  return copy;
}

}  // namespace attn::capi

// The C API's error reporting: statuses, messages per handle and per thread.
#include <cstring>
#include <new>

#include "attn/error.h"
#include "capi/handles.h"

namespace attn::capi {
namespace {

thread_local std::string thread_last_error;

}  // namespace

size_t copy_message(const std::string& message, char* buffer, size_t size) {
  if (buffer && size > 0) {
    const size_t n = std::min(message.size(), size - 1);
    std::memcpy(buffer, message.data(), n);
    buffer[n] = '\0';
  }
  return message.size();
}

void ErrorSlot::set(std::string message) {
  std::lock_guard lock(mutex_);
  message_ = std::move(message);
}

size_t ErrorSlot::copy_to(char* buffer, size_t size) const {
  std::lock_guard lock(mutex_);
  return copy_message(message_, buffer, size);
}

attn_status record_failure(ErrorSlot* slot, attn_status status, const std::string& message) noexcept {
  try {
    thread_last_error = message;
    if (slot) slot->set(message);
  } catch (...) {  // no memory for the message: the status still tells
  }
  return status;
}

attn_status status_of_current_exception(ErrorSlot* slot) noexcept {
  try {
    throw;
  } catch (const InvalidArgument& e) {
    return record_failure(slot, ATTN_ERROR_INVALID_ARGUMENT, e.message);
  } catch (const Cancelled& e) {
    return record_failure(slot, ATTN_ERROR_CANCELLED, e.what());
  } catch (const Error& e) {
    return record_failure(slot, ATTN_ERROR_FAILED, e.what());
  } catch (const std::bad_alloc&) {
    return record_failure(slot, ATTN_ERROR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return record_failure(slot, ATTN_ERROR_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return record_failure(slot, ATTN_ERROR_INTERNAL, "internal error: an unknown exception");
  }
}

ErrorSlot* slot_of(const attn_model* model) {
  return model && model->tag == kModelTag ? &model->error : nullptr;
}

ErrorSlot* slot_of(const attn_session* session) {
  return session && session->tag == kSessionTag ? &session->error : nullptr;
}

char* malloc_text(std::string_view text) {
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (!copy) throw std::bad_alloc();
  std::memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';
  return copy;
}

const attn::Model& checked(const attn_model* model) {
  if (!model || model->tag != kModelTag) throw InvalidArgument{"model: not a model handle (NULL or another kind)"};
  return *model->model;
}

attn_session& checked(attn_session* session) {
  if (!session || session->tag != kSessionTag) {
    throw InvalidArgument{"session: not a session handle (NULL or another kind)"};
  }
  return *session;
}

void require(bool condition, const char* message) {
  if (!condition) throw InvalidArgument{message};
}

}  // namespace attn::capi

using namespace attn::capi;

extern "C" {

const char* attn_status_name(attn_status status) {
  switch (status) {
    case ATTN_OK: return "ok";
    case ATTN_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case ATTN_ERROR_FAILED: return "failed";
    case ATTN_ERROR_CANCELLED: return "cancelled";
    case ATTN_ERROR_OUT_OF_MEMORY: return "out of memory";
    case ATTN_ERROR_INTERNAL: return "internal error";
  }
  return "unknown status";
}

size_t attn_last_error(char* buffer, size_t size) { return copy_message(thread_last_error, buffer, size); }

size_t attn_model_last_error(const attn_model* model, char* buffer, size_t size) {
  if (!model || model->tag != kModelTag) return copy_message("model: not a model handle", buffer, size);
  return model->error.copy_to(buffer, size);
}

size_t attn_session_last_error(const attn_session* session, char* buffer, size_t size) {
  if (!session || session->tag != kSessionTag) return copy_message("session: not a session handle", buffer, size);
  return session->error.copy_to(buffer, size);
}

void attn_free(void* pointer) { std::free(pointer); }

}  // extern "C"

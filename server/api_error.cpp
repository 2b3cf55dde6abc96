#include "server/api_error.h"

namespace attn::server {

nlohmann::json ApiError::to_json() const {
  nlohmann::json error = {{"message", what()}, {"type", type}, {"param", nullptr}, {"code", nullptr}};
  if (param) error["param"] = *param;
  if (code) error["code"] = *code;
  return {{"error", error}};
}

ApiError invalid_field(const std::string& field, const std::string& problem) {
  return ApiError(400, "'" + field + "': " + problem, "invalid_request_error", field);
}

}  // namespace attn::server

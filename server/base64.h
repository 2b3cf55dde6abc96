// Base64 (RFC 4648, with padding): /v1/embeddings' encoding_format "base64".
#pragma once

#include <string>
#include <string_view>

namespace attn::server {

std::string base64_encode(std::string_view bytes);

}  // namespace attn::server

// Picks the chat template for generate --chat and `attn chat`: --chat-template
// FILE (with the model directory's special tokens) or the model's own.
#pragma once

#include <filesystem>
#include <string>

#include "attn/attn.h"

namespace attn::cli {

inline ChatTemplate open_chat_template(const std::string& model_path, const std::string& template_file) {
  std::filesystem::path directory = model_path;
  if (!std::filesystem::is_directory(directory)) directory = directory.parent_path();
  if (!template_file.empty()) return ChatTemplate::from_file(template_file, directory);
  return ChatTemplate::from_directory(directory);
}

}  // namespace attn::cli

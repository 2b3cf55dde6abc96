// A chat template's Jinja2 source (model files carry it: tokenizer_config.json,
// chat_template.jinja, a GGUF's metadata), with Llama 3.1's special tokens
// (from a tokenizer_config.json of those alone: the real one is 50 KB of
// added tokens, parsed on every input, made this target many times slower),
// rendered for a conversation with system, user, assistant and tool turns,
// tools and a generation prompt. Templates that refuse (raise_exception),
// fail to parse or pass chat_template/jinja_limits.h give attn::Error.
#include "attn/chat_template.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string messages = R"([
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "What is 2 + 2?"},
    {"role": "assistant", "content": "", "tool_calls": [{"type": "function",
      "function": {"name": "add", "arguments": {"a": 2, "b": 2}}}]},
    {"role": "tool", "content": "4"},
    {"role": "assistant", "content": "4."},
    {"role": "user", "content": "Thanks \u00e9\u4e2d"}])";
  attn::ChatTemplateOptions options;
  options.tools_json = R"([{"type": "function", "function": {"name": "add", "description": "a + b",
    "parameters": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}}}}])";
  static const std::filesystem::path config_directory = [] {
    const std::string config = R"({"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"})";
    return attn::fuzz::write_scratch("tokenizer_config.json", reinterpret_cast<const uint8_t*>(config.data()),
                                     config.size()).parent_path();
  }();
  const std::filesystem::path source = attn::fuzz::write_scratch("chat_template.jinja", data, size);
  try {
    const auto chat_template = attn::ChatTemplate::from_file(source, config_directory);
    (void)chat_template.apply_json(messages, options);
  } catch (const attn::Error&) {
  }
  return 0;
}

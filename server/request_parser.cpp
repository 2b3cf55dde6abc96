// Checks a request body field by field, as OpenAI's API does: a field of the
// wrong type or out of range is a 400 that names it; unknown fields are
// ignored (clients send extensions of their own).
#include <random>

#include "server/api_error.h"
#include "server/request.h"

namespace attn::server {
namespace {

using nlohmann::json;

// The field's value, or nullptr when absent or null (OpenAI's "not given").
const json* field(const json& body, const char* name) {
  const auto it = body.find(name);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

double number(const json& body, const char* name, double fallback, double low, double high) {
  const json* value = field(body, name);
  if (!value) return fallback;
  if (!value->is_number()) throw invalid_field(name, "must be a number");
  const double x = value->get<double>();
  if (!(x >= low && x <= high))
    throw invalid_field(name, "must be between " + json(low).dump() + " and " + json(high).dump());
  return x;
}

int64_t integer(const json& body, const char* name, int64_t fallback, int64_t low, int64_t high) {
  const json* value = field(body, name);
  if (!value) return fallback;
  if (!value->is_number_integer()) throw invalid_field(name, "must be an integer");
  const int64_t x = value->get<int64_t>();
  if (x < low || x > high)
    throw invalid_field(name, "must be between " + std::to_string(low) + " and " + std::to_string(high));
  return x;
}

bool boolean(const json& body, const char* name, bool fallback) {
  const json* value = field(body, name);
  if (!value) return fallback;
  if (!value->is_boolean()) throw invalid_field(name, "must be true or false");
  return value->get<bool>();
}

void check_model(const json& body, const ServedModel& served) {
  const json* model = field(body, "model");
  if (!model) throw invalid_field("model", "required (this server serves \"" + served.name + "\")");
  if (!model->is_string()) throw invalid_field("model", "must be a string");
  if (model->get<std::string>() != served.name) {
    throw ApiError(400, "The model '" + model->get<std::string>() + "' does not exist; this server serves '" +
                            served.name + "'", "invalid_request_error", "model", "model_not_found");
  }
}

std::vector<std::string> stop_strings(const json& body) {
  const json* stop = field(body, "stop");
  if (!stop) return {};
  if (stop->is_string()) {
    if (stop->get<std::string>().empty()) throw invalid_field("stop", "must not be empty");
    return {stop->get<std::string>()};
  }
  if (!stop->is_array() || stop->size() > 4) throw invalid_field("stop", "must be a string or an array of up to 4 strings");
  std::vector<std::string> strings;
  for (const json& s : *stop) {
    if (!s.is_string() || s.get<std::string>().empty()) throw invalid_field("stop", "must hold non-empty strings");
    strings.push_back(s.get<std::string>());
  }
  return strings;
}

void reject_unsupported(const json& body, const char* name, const char* why) {
  if (field(body, name)) throw invalid_field(name, std::string("not supported by attn serve: ") + why);
}

GenerateOptions generate_options(const json& body) {
  GenerateOptions options;
  options.echo_prompt = false;
  options.max_length = 0;  // the context bounds the prompt and the answer together
  SamplerConfig& s = options.sampling;
  s.temperature = static_cast<float>(number(body, "temperature", 1.0, 0.0, 2.0));
  s.top_p = static_cast<float>(number(body, "top_p", 1.0, 0.0, 1.0));
  if (s.top_p == 0) throw invalid_field("top_p", "must be more than 0");
  // llama.cpp's extensions, off unless asked for (OpenAI has no such stages).
  s.top_k = static_cast<int>(integer(body, "top_k", 0, 0, 1 << 30));
  s.min_p = static_cast<float>(number(body, "min_p", 0.0, 0.0, 1.0));
  s.repeat_penalty = static_cast<float>(number(body, "repeat_penalty", 1.0, 0.0, 10.0));
  if (s.repeat_penalty == 0) throw invalid_field("repeat_penalty", "must be more than 0");
  const json* seed = field(body, "seed");
  if (seed && !seed->is_number_integer()) throw invalid_field("seed", "must be an integer");
  s.seed = seed ? static_cast<uint64_t>(seed->get<int64_t>())
                : (std::random_device{}() | (static_cast<uint64_t>(std::random_device{}()) << 32));
  const char* max_name = field(body, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
  options.max_new_tokens = static_cast<int>(integer(body, max_name, -1, 1, 1 << 30));
  options.stop_strings = stop_strings(body);
  if (integer(body, "n", 1, 1, 1 << 30) != 1) throw invalid_field("n", "attn serve gives one choice per request (n = 1)");
  for (const char* penalty : {"presence_penalty", "frequency_penalty"}) {
    if (number(body, penalty, 0.0, -2.0, 2.0) != 0.0)
      throw invalid_field(penalty, "not supported by attn serve (use repeat_penalty)");
  }
  reject_unsupported(body, "logit_bias", "biasing logits");
  reject_unsupported(body, "tools", "tool calls");
  reject_unsupported(body, "functions", "function calls");
  reject_unsupported(body, "response_format", "structured output");
  return options;
}

// A message's content: a string, or text parts ({"type": "text", "text": ...}) joined.
std::string message_content(const json& message, size_t index) {
  const std::string name = "messages[" + std::to_string(index) + "].content";
  const auto it = message.find("content");
  if (it == message.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (!it->is_array()) throw invalid_field(name, "must be a string or an array of text parts");
  std::string text;
  for (const json& part : *it) {
    if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") || !part["text"].is_string())
      throw invalid_field(name, "only text parts ({\"type\": \"text\", \"text\": ...}) are supported");
    text += part["text"].get<std::string>();
  }
  return text;
}

std::vector<TokenId> chat_prompt(const json& body, const ServedModel& served) {
  const json* messages = field(body, "messages");
  if (!messages) throw invalid_field("messages", "required");
  if (!messages->is_array() || messages->empty()) throw invalid_field("messages", "must be a non-empty array");
  if (!served.chat_template) throw ApiError(400, served.chat_template_problem, "invalid_request_error", "messages");
  json conversation = json::array();
  for (size_t i = 0; i < messages->size(); ++i) {
    const json& message = (*messages)[i];
    if (!message.is_object() || !message.contains("role") || !message["role"].is_string())
      throw invalid_field("messages[" + std::to_string(i) + "]", "must be an object with a string \"role\"");
    conversation.push_back({{"role", message["role"]}, {"content", message_content(message, i)}});
  }
  try {
    const std::string rendered = served.chat_template->apply_json(conversation.dump());
    return tokenize_chat_prompt(served.model->tokenizer(), rendered, *served.chat_template);
  } catch (const Error& e) {  // the template refused the conversation, or the text is not UTF-8
    throw ApiError(400, e.what(), "invalid_request_error", "messages");
  }
}

std::vector<TokenId> completion_prompt(const json& body, const ServedModel& served) {
  const json* prompt = field(body, "prompt");
  if (!prompt) throw invalid_field("prompt", "required");
  const Tokenizer& tokenizer = served.model->tokenizer();
  const json* text = prompt;
  if (prompt->is_array() && !prompt->empty() && prompt->front().is_number_integer()) {
    std::vector<TokenId> ids;
    for (const json& id : *prompt) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= tokenizer.vocab_size())
        throw invalid_field("prompt", "token ids must be integers from 0 to " + std::to_string(tokenizer.vocab_size() - 1));
      ids.push_back(id.get<TokenId>());
    }
    return ids;
  }
  if (prompt->is_array()) {
    if (prompt->size() != 1) throw invalid_field("prompt", "attn serve takes one prompt per request");
    text = &prompt->front();
  }
  if (!text->is_string()) throw invalid_field("prompt", "must be a string, an array of one string, or token ids");
  try {
    return tokenize_prompt(tokenizer, text->get<std::string>());
  } catch (const Error& e) {
    throw invalid_field("prompt", e.what());
  }
}

}  // namespace

json parse_request_body(std::string_view body) {
  try {
    return json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number such as 1e5360
    throw ApiError(400, std::string("the request body is not valid JSON: ") + e.what());
  }
}

CompletionRequest parse_completion_request(const json& body, const ServedModel& served, bool chat) {
  if (!body.is_object()) throw ApiError(400, "the request body must be a JSON object");
  check_model(body, served);
  if (served.model->info().encoder)
    throw ApiError(400, "'" + served.name + "' is an encoder: it gives embeddings (/v1/embeddings), not text");
  CompletionRequest request;
  request.chat = chat;
  request.options = generate_options(body);
  request.stream = boolean(body, "stream", false);
  if (const json* stream_options = field(body, "stream_options")) {
    if (!stream_options->is_object()) throw invalid_field("stream_options", "must be an object");
    request.include_usage = boolean(*stream_options, "include_usage", false);
  }
  if (chat) {
    request.logprobs = boolean(body, "logprobs", false);
    request.top_logprobs = static_cast<int>(integer(body, "top_logprobs", 0, 0, 20));
    if (request.top_logprobs > 0 && !request.logprobs) throw invalid_field("top_logprobs", "needs \"logprobs\": true");
    request.prompt = chat_prompt(body, served);
    request.options.stop_tokens = served.end_of_turn;
  } else {
    // The legacy API's logprobs is the number of alternatives (0 to 5).
    const json* logprobs = field(body, "logprobs");
    if (logprobs && logprobs->is_boolean()) throw invalid_field("logprobs", "must be an integer from 0 to 5");
    request.logprobs = logprobs != nullptr;
    request.top_logprobs = static_cast<int>(integer(body, "logprobs", 0, 0, 5));
    if (boolean(body, "echo", false)) throw invalid_field("echo", "not supported by attn serve");
    reject_unsupported(body, "suffix", "insertion");
    request.prompt = completion_prompt(body, served);
  }
  if (static_cast<int>(request.prompt.size()) >= served.context_length) {
    throw ApiError(400, "This model's maximum context length is " + std::to_string(served.context_length) +
                            " tokens, and the prompt is " + std::to_string(request.prompt.size()) +
                            " tokens (generation needs at least one more). Please shorten the prompt.",
                   "invalid_request_error", chat ? "messages" : "prompt", "context_length_exceeded");
  }
  return request;
}

EmbeddingRequest parse_embedding_request(const json& body, const ServedModel& served) {
  if (!body.is_object()) throw ApiError(400, "the request body must be a JSON object");
  check_model(body, served);
  if (!served.model->info().encoder)
    throw ApiError(400, "'" + served.name + "' generates text; embeddings need an encoder model (BERT-style)");
  EmbeddingRequest request;
  const json* input = field(body, "input");
  if (!input) throw invalid_field("input", "required");
  if (input->is_string()) {
    request.inputs.push_back(input->get<std::string>());
  } else if (input->is_array() && !input->empty() && input->size() <= 2048) {
    for (const json& text : *input) {
      if (!text.is_string()) throw invalid_field("input", "must be a string or an array of strings");
      request.inputs.push_back(text.get<std::string>());
    }
  } else {
    throw invalid_field("input", "must be a string or an array of 1 to 2048 strings");
  }
  for (const std::string& text : request.inputs)
    if (text.empty()) throw invalid_field("input", "must not hold empty strings");
  const json* format = field(body, "encoding_format");
  if (format && (!format->is_string() || (*format != "float" && *format != "base64")))
    throw invalid_field("encoding_format", "must be \"float\" or \"base64\"");
  request.base64 = format && *format == "base64";
  const int64_t dimensions = integer(body, "dimensions", served.model->info().hidden_size, 1, 1 << 20);
  if (dimensions != served.model->info().hidden_size)
    throw invalid_field("dimensions", "this model's embeddings have " +
                                          std::to_string(served.model->info().hidden_size) + " dimensions");
  return request;
}

}  // namespace attn::server

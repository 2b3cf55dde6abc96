// The C API (include/attn.h): every entry point's error path, and outputs
// equal to the C++ API's (and llama2.c's greedy text) on the fixtures.
#include <doctest/doctest.h>

#include <atomic>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "attn.h"
#include "attn/attn.h"
#include "test_support.h"

namespace {

const std::string kStories = (attn::test::shared_dir() / "models" / "stories260K-hf").string();
const std::string kBert = (attn::test::fixtures_dir() / "family" / "bert").string();
const std::string kClassifier = (attn::test::fixtures_dir() / "family" / "bert_classifier").string();

std::string thread_error() {
  std::string message(attn_last_error(nullptr, 0), '\0');
  attn_last_error(message.data(), message.size() + 1);
  return message;
}

std::string model_error(const attn_model* model) {
  std::string message(attn_model_last_error(model, nullptr, 0), '\0');
  attn_model_last_error(model, message.data(), message.size() + 1);
  return message;
}

std::string session_error(const attn_session* session) {
  std::string message(attn_session_last_error(session, nullptr, 0), '\0');
  attn_session_last_error(session, message.data(), message.size() + 1);
  return message;
}

// Owns a model and a session on it; fails the test when either cannot be made.
struct Loaded {
  attn_model* model = nullptr;
  attn_session* session = nullptr;
  explicit Loaded(const std::string& path) {
    REQUIRE_MESSAGE(attn_model_load(path.c_str(), nullptr, &model) == ATTN_OK, thread_error());
    REQUIRE(attn_session_create(model, nullptr, &session) == ATTN_OK);
  }
  ~Loaded() {
    attn_session_free(session);
    attn_model_free(model);
  }
};

std::string reference_text(const std::string& name) {
  return attn::test::read_file(attn::test::shared_dir() / "models" / "stories260K" / "reference" / name);
}

attn_generate_options greedy(int max_length) {
  attn_generate_options options = attn_generate_options_defaults();
  options.max_length = max_length;
  return options;
}

// Collects what the token callback passes; optionally stops or aborts after n tokens.
struct Stream {
  std::string text;
  std::vector<int32_t> tokens;
  size_t stop_after = SIZE_MAX;
  attn_session* abort_session = nullptr;  // abort (instead of returning ATTN_STOP) at stop_after
  std::atomic<size_t> count{0};

  static attn_action on_token(void* user_data, int32_t token, const char* piece, size_t length) {
    auto& self = *static_cast<Stream*>(user_data);
    CHECK(std::strlen(piece) == length);
    self.text.append(piece, length);
    if (token != ATTN_NO_TOKEN) self.tokens.push_back(token);
    if (++self.count < self.stop_after) return ATTN_CONTINUE;
    if (!self.abort_session) return ATTN_STOP;
    attn_session_abort(self.abort_session);
    return ATTN_CONTINUE;
  }
};

}  // namespace

TEST_CASE("c api: the version macros and the library agree") {
  CHECK(std::string(attn_version()) == ATTN_VERSION_STRING);
  CHECK(attn_version_number() == ATTN_VERSION_NUMBER);
  CHECK(std::string(attn_version()) == std::to_string(ATTN_VERSION_MAJOR) + "." + std::to_string(ATTN_VERSION_MINOR) +
                                           "." + std::to_string(ATTN_VERSION_PATCH));
  CHECK(std::string(attn_status_name(ATTN_ERROR_CANCELLED)) == "cancelled");
}

TEST_CASE("c api: a bad path fails with the path in the message, per thread") {
  attn_model* model = reinterpret_cast<attn_model*>(1);
  CHECK(attn_model_load("/nonexistent/model-dir", nullptr, &model) == ATTN_ERROR_FAILED);
  CHECK(model == nullptr);
  CHECK(thread_error().find("/nonexistent/model-dir") != std::string::npos);

  // Another thread's failure is its own.
  std::string other;
  std::thread([&] {
    attn_model* m = nullptr;
    attn_model_load(nullptr, nullptr, &m);
    other = thread_error();
  }).join();
  CHECK(other == "path: NULL");
  CHECK(thread_error().find("/nonexistent/model-dir") != std::string::npos);

  // A cut buffer still gets a terminated prefix and the full length.
  char small[5];
  CHECK(attn_last_error(small, sizeof small) > 4);
  CHECK(std::string(small) == "/non");
  CHECK(attn_model_load(kStories.c_str(), nullptr, nullptr) == ATTN_ERROR_INVALID_ARGUMENT);
}

TEST_CASE("c api: NULL and wrong-kind handles are invalid arguments, never crashes") {
  Loaded loaded(kStories);
  auto* as_model = reinterpret_cast<attn_model*>(loaded.session);
  auto* as_session = reinterpret_cast<attn_session*>(loaded.model);
  attn_model_info info;
  const char* label = nullptr;
  int32_t* tokens = nullptr;
  size_t n = 0;
  char* text = nullptr;
  const int32_t ids[] = {1};
  const char* texts[] = {"a"};
  float floats[64];
  attn_text_score scores[1];
  for (attn_model* model : {static_cast<attn_model*>(nullptr), as_model}) {
    CHECK(attn_model_get_info(model, &info) == ATTN_ERROR_INVALID_ARGUMENT);
    CHECK(attn_model_label(model, 0, &label) == ATTN_ERROR_INVALID_ARGUMENT);
    CHECK(attn_tokenize(model, "a", 1, &tokens, &n) == ATTN_ERROR_INVALID_ARGUMENT);
    CHECK(attn_detokenize(model, ids, 1, &text, &n) == ATTN_ERROR_INVALID_ARGUMENT);
    attn_session* session = nullptr;
    CHECK(attn_session_create(model, nullptr, &session) == ATTN_ERROR_INVALID_ARGUMENT);
    CHECK(session == nullptr);
    CHECK(thread_error().find("not a model handle") != std::string::npos);
    attn_model_free(model);  // ignored
  }
  for (attn_session* session : {static_cast<attn_session*>(nullptr), as_session}) {
    CHECK(attn_generate(session, "a", nullptr, nullptr) == ATTN_ERROR_INVALID_ARGUMENT);
    CHECK(attn_session_abort(session) == ATTN_ERROR_INVALID_ARGUMENT);
    CHECK(attn_embed(session, texts, 1, nullptr, floats, nullptr) == ATTN_ERROR_INVALID_ARGUMENT);
    CHECK(attn_score(session, texts, 1, nullptr, scores) == ATTN_ERROR_INVALID_ARGUMENT);
    CHECK(attn_classify(session, texts, nullptr, 1, nullptr, floats, nullptr) == ATTN_ERROR_INVALID_ARGUMENT);
    CHECK(thread_error().find("not a session handle") != std::string::npos);
    attn_session_free(session);  // ignored
  }
  // NULL arguments on good handles name the argument and are kept on the handle.
  CHECK(attn_tokenize(loaded.model, nullptr, 1, &tokens, &n) == ATTN_ERROR_INVALID_ARGUMENT);
  CHECK(model_error(loaded.model) == "text: NULL");
  CHECK(attn_generate(loaded.session, nullptr, nullptr, nullptr) == ATTN_ERROR_INVALID_ARGUMENT);
  CHECK(session_error(loaded.session) == "prompt: NULL");
  CHECK(attn_detokenize(loaded.model, ids, 1, nullptr, nullptr) == ATTN_ERROR_INVALID_ARGUMENT);
  const int32_t out_of_range[] = {1, 100000};
  CHECK(attn_detokenize(loaded.model, out_of_range, 2, &text, &n) == ATTN_ERROR_INVALID_ARGUMENT);
  CHECK(model_error(loaded.model).find("tokens[1]: 100000") != std::string::npos);
  CHECK(attn_model_label(loaded.model, 0, &label) == ATTN_ERROR_INVALID_ARGUMENT);  // not a classifier
  CHECK(attn_set_threads(-1) == ATTN_ERROR_INVALID_ARGUMENT);
}

TEST_CASE("c api: load progress reaches 'loaded'; a progress callback can cancel") {
  struct Progress {
    std::vector<std::pair<std::string, float>> calls;
    size_t stop_at = SIZE_MAX;
    static attn_action report(void* user_data, const char* stage, float fraction) {
      auto& self = *static_cast<Progress*>(user_data);
      self.calls.emplace_back(stage, fraction);
      return self.calls.size() > self.stop_at ? ATTN_STOP : ATTN_CONTINUE;
    }
  };
  Progress full;
  attn_load_options options = attn_load_options_defaults();
  options.progress = Progress::report;
  options.progress_user_data = &full;
  attn_model* model = nullptr;
  REQUIRE(attn_model_load(kStories.c_str(), &options, &model) == ATTN_OK);
  attn_model_free(model);
  REQUIRE(full.calls.size() >= 3);
  CHECK(full.calls.front().second == 0.f);
  CHECK(full.calls.back() == std::pair<std::string, float>("loaded", 1.f));
  for (size_t i = 1; i < full.calls.size(); ++i) CHECK(full.calls[i].second >= full.calls[i - 1].second);

  for (size_t stop_at = 0; stop_at < full.calls.size(); ++stop_at) {
    Progress cancelled;
    cancelled.stop_at = stop_at;
    options.progress_user_data = &cancelled;
    model = reinterpret_cast<attn_model*>(1);
    CHECK(attn_model_load(kStories.c_str(), &options, &model) == ATTN_ERROR_CANCELLED);
    CHECK(model == nullptr);
    CHECK(cancelled.calls.size() == stop_at + 1);
    CHECK(thread_error().find("loading cancelled") != std::string::npos);
  }
}

TEST_CASE("c api: options.dtype converts as LoadOptions does, q4_k_m included; an unknown value is refused") {
  attn_load_options options = attn_load_options_defaults();
  options.dtype = ATTN_DTYPE_Q4_K_M;
  attn_model* model = nullptr;
  REQUIRE_MESSAGE(attn_model_load(kStories.c_str(), &options, &model) == ATTN_OK, thread_error());
  attn_model_info info;
  REQUIRE(attn_model_get_info(model, &info) == ATTN_OK);
  attn::LoadOptions cpp_options;
  cpp_options.dtype = attn::DType::Q4_K;
  cpp_options.q4_k_m = true;
  CHECK(info.weight_bytes == attn::Model::load(kStories, cpp_options)->info().weight_bytes);
  attn_model_free(model);
  options.dtype = static_cast<attn_dtype>(42);
  model = nullptr;
  CHECK(attn_model_load(kStories.c_str(), &options, &model) == ATTN_ERROR_INVALID_ARGUMENT);
  CHECK(model == nullptr);
}

TEST_CASE("c api: options.compute_type reaches the model as LoadOptions::compute_type; an unknown value is refused") {
  attn_load_options options = attn_load_options_defaults();
  CHECK(options.compute_type == ATTN_COMPUTE_F32);
  options.compute_type = ATTN_COMPUTE_BF16;
  attn_model* model = nullptr;
  REQUIRE_MESSAGE(attn_model_load(kStories.c_str(), &options, &model) == ATTN_OK, thread_error());
  attn_model_info info;
  REQUIRE(attn_model_get_info(model, &info) == ATTN_OK);
  attn::LoadOptions cpp_options;
  cpp_options.compute_type = attn::ComputeType::BF16;
  const bool bf16 = attn::Model::load(kStories, cpp_options)->info().compute_type == attn::ComputeType::BF16;
  CHECK(info.compute_type == (bf16 ? ATTN_COMPUTE_BF16 : ATTN_COMPUTE_F32));
  attn_model_free(model);
  options.compute_type = static_cast<attn_compute_type>(7);
  model = nullptr;
  CHECK(attn_model_load(kStories.c_str(), &options, &model) == ATTN_ERROR_INVALID_ARGUMENT);
  CHECK(model == nullptr);
  CHECK(thread_error().find("options->compute_type: not an attn_compute_type value") != std::string::npos);
}

TEST_CASE("c api: the log callback gets the library's messages at or above its level") {
  struct Log {
    std::vector<std::pair<attn_log_level, std::string>> lines;
    static void write(void* user_data, attn_log_level level, const char* message) {
      static_cast<Log*>(user_data)->lines.emplace_back(level, message);
    }
  } log;
  attn_set_log_callback(Log::write, &log, ATTN_LOG_INFO);
  Loaded loaded(kStories);
  attn_set_log_callback(nullptr, nullptr, ATTN_LOG_DEBUG);
  REQUIRE(log.lines.size() == 1);  // debug stage messages filtered out
  CHECK(log.lines[0].first == ATTN_LOG_INFO);
  CHECK(log.lines[0].second.find("loaded LlamaForCausalLM") != std::string::npos);
}

TEST_CASE("c api: model info and tokens equal the C++ API's") {
  Loaded loaded(kStories);
  const auto model = attn::Model::load(kStories);
  attn_model_info info;
  REQUIRE(attn_model_get_info(loaded.model, &info) == ATTN_OK);
  CHECK(std::string(info.architecture) == "LlamaForCausalLM");
  CHECK(info.vocab_size == model->info().vocab_size);
  CHECK(info.context_length == model->info().context_length);
  CHECK(info.hidden_size == model->info().hidden_size);
  CHECK(info.is_encoder == 0);
  CHECK(info.num_labels == 0);
  CHECK(info.bos_id == model->tokenizer().bos_id());

  int32_t* tokens = nullptr;
  size_t n = 0;
  REQUIRE(attn_tokenize(loaded.model, "Once upon a time", 1, &tokens, &n) == ATTN_OK);
  CHECK(std::vector<int32_t>(tokens, tokens + n) == model->tokenizer().encode("Once upon a time", true));
  char* text = nullptr;
  size_t length = 0;
  REQUIRE(attn_detokenize(loaded.model, tokens, n, &text, &length) == ATTN_OK);
  CHECK(std::string(text, length) == "Once upon a time");
  attn_free(tokens);
  attn_free(text);

  REQUIRE(attn_tokenize(loaded.model, "Once", 0, &tokens, &n) == ATTN_OK);
  CHECK(std::vector<int32_t>(tokens, tokens + n) == model->tokenizer().encode("Once", false));
  attn_free(tokens);

  CHECK(attn_tokenize(loaded.model, "bad \xff utf-8", 1, &tokens, &n) == ATTN_ERROR_FAILED);
  CHECK(tokens == nullptr);
  CHECK(model_error(loaded.model).find("UTF-8") != std::string::npos);
}

TEST_CASE("c api: greedy generation equals llama2.c and the C++ API, streamed and returned") {
  Loaded loaded(kStories);
  Stream stream;
  attn_generate_options options = greedy(64);
  options.on_token = Stream::on_token;
  options.user_data = &stream;
  attn_generation result;
  REQUIRE(attn_generate(loaded.session, "Once upon a time", &options, &result) == ATTN_OK);
  const std::string reference = reference_text("runc_greedy_n64_Once_upon_a_time.txt");
  CHECK("Once upon a time" + std::string(result.text, result.text_length) + "\n" == reference);
  CHECK(stream.text == result.text);
  CHECK(stream.tokens == std::vector<int32_t>(result.tokens, result.tokens + result.n_tokens));
  CHECK(result.n_prompt_tokens == 5);
  CHECK(result.stop_reason == ATTN_STOP_REASON_MAX_LENGTH);

  attn::Session session(attn::Model::load(kStories));
  attn::GenerateOptions cpp;
  cpp.sampling.temperature = 0;
  cpp.max_length = 64;
  const auto expected = attn::generate(session, "Once upon a time", cpp);
  CHECK(std::string(result.text) == expected.text);
  CHECK(std::vector<int32_t>(result.tokens, result.tokens + result.n_tokens) == expected.tokens);

  // The session starts over each time; stop strings and sampling options pass through.
  const char* stops[] = {"Lily"};
  options = greedy(256);
  options.stop_strings = stops;
  options.n_stop_strings = 1;
  attn_generation second;
  REQUIRE(attn_generate(loaded.session, "Once upon a time", &options, &second) == ATTN_OK);
  CHECK(second.stop_reason == ATTN_STOP_REASON_STOP_STRING);
  CHECK(expected.text.starts_with(second.text));
  CHECK(std::string(second.text).find("Lily") == std::string::npos);
  attn_generation_clear(&second);
  attn_generation_clear(&result);
  CHECK(result.text == nullptr);

  options.sampling.top_p = 0;
  CHECK(attn_generate(loaded.session, "Once", &options, nullptr) == ATTN_ERROR_INVALID_ARGUMENT);
  CHECK(session_error(loaded.session).find("top_p") != std::string::npos);
}

TEST_CASE("c api: stopping from the callback or aborting keeps the tokens produced so far") {
  Loaded loaded(kStories);
  attn_generation full;
  REQUIRE(attn_generate(loaded.session, "Once upon a time", nullptr, &full) == ATTN_OK);
  const std::vector<int32_t> all(full.tokens, full.tokens + full.n_tokens);
  REQUIRE(all.size() > 10);

  for (bool abort : {false, true}) {
    CAPTURE(abort);
    Stream stream;
    stream.stop_after = 5;
    if (abort) stream.abort_session = loaded.session;
    attn_generate_options options = attn_generate_options_defaults();
    options.on_token = Stream::on_token;
    options.user_data = &stream;
    attn_generation result;
    REQUIRE(attn_generate(loaded.session, "Once upon a time", &options, &result) == ATTN_OK);
    CHECK(result.stop_reason == ATTN_STOP_REASON_ABORTED);
    CHECK(std::vector<int32_t>(result.tokens, result.tokens + result.n_tokens) ==
          std::vector<int32_t>(all.begin(), all.begin() + 5));
    char* text = nullptr;
    REQUIRE(attn_detokenize(loaded.model, result.tokens, result.n_tokens, &text, nullptr) == ATTN_OK);
    CHECK(std::string(full.text).starts_with(result.text));
    CHECK(stream.text == result.text);
    attn_free(text);
    attn_generation_clear(&result);
  }

  // The abort was consumed: the next generation runs to the end.
  attn_generation again;
  REQUIRE(attn_generate(loaded.session, "Once upon a time", nullptr, &again) == ATTN_OK);
  CHECK(std::vector<int32_t>(again.tokens, again.tokens + again.n_tokens) == all);
  attn_generation_clear(&again);

  // An abort before a generation stops that one before its first token.
  REQUIRE(attn_session_abort(loaded.session) == ATTN_OK);
  REQUIRE(attn_generate(loaded.session, "Once upon a time", nullptr, &again) == ATTN_OK);
  CHECK(again.stop_reason == ATTN_STOP_REASON_ABORTED);
  CHECK(again.n_tokens == 0);
  attn_generation_clear(&again);
  attn_generation_clear(&full);
}

TEST_CASE("c api: another thread aborts a running generation") {
  // The callback waits at the third token until the other thread has
  // aborted, so the generation stops right there.
  struct Handshake {
    std::atomic<int> tokens{0};
    std::atomic<bool> aborted{false};
    static attn_action on_token(void* user_data, int32_t, const char*, size_t) {
      auto& self = *static_cast<Handshake*>(user_data);
      if (++self.tokens == 3) {
        while (!self.aborted) std::this_thread::yield();
      }
      return ATTN_CONTINUE;
    }
  } handshake;
  Loaded loaded(kStories);
  attn_generate_options options = greedy(0);  // the whole context unless aborted
  options.on_token = Handshake::on_token;
  options.user_data = &handshake;
  std::thread aborter([&] {
    while (handshake.tokens < 3) std::this_thread::yield();
    CHECK(attn_session_abort(loaded.session) == ATTN_OK);
    handshake.aborted = true;
  });
  attn_generation result;
  const attn_status status = attn_generate(loaded.session, "Once upon a time", &options, &result);
  aborter.join();
  REQUIRE(status == ATTN_OK);
  CHECK(result.stop_reason == ATTN_STOP_REASON_ABORTED);
  CHECK(result.n_tokens == 3);
  attn_generation_clear(&result);
}

TEST_CASE("c api: embeddings equal the C++ API's; a decoder cannot embed, an encoder cannot generate") {
  Loaded loaded(kBert);
  attn_model_info info;
  REQUIRE(attn_model_get_info(loaded.model, &info) == ATTN_OK);
  CHECK(info.is_encoder == 1);
  const std::vector<std::string> texts = {"The cat sat on the mat.", "Hello world", "A third, longer sentence here."};
  std::vector<const char*> pointers;
  for (const auto& t : texts) pointers.push_back(t.c_str());
  std::vector<float> matrix(texts.size() * info.hidden_size);
  std::vector<int32_t> truncated(texts.size(), 7);
  REQUIRE(attn_embed(loaded.session, pointers.data(), texts.size(), nullptr, matrix.data(), truncated.data()) == ATTN_OK);

  attn::Session session(attn::Model::load(kBert));
  const auto expected = attn::embed(session, texts);
  for (size_t i = 0; i < texts.size(); ++i) {
    CHECK(std::vector<float>(matrix.begin() + i * info.hidden_size, matrix.begin() + (i + 1) * info.hidden_size) ==
          expected[i].vector);
    CHECK(truncated[i] == 0);
  }
  attn_embed_options options = attn_embed_options_defaults();
  options.pooling = ATTN_POOLING_CLS;
  options.normalize = 0;
  REQUIRE(attn_embed(loaded.session, pointers.data(), 1, &options, matrix.data(), nullptr) == ATTN_OK);
  const auto cls = attn::embed(session, std::span(texts).first(1), {.pooling = attn::Pooling::Cls, .normalize = false});
  CHECK(std::vector<float>(matrix.begin(), matrix.begin() + info.hidden_size) == cls[0].vector);

  CHECK(attn_generate(loaded.session, "Hello", nullptr, nullptr) == ATTN_ERROR_FAILED);
  CHECK(session_error(loaded.session).find("encoder") != std::string::npos);
  const char* bad[] = {"fine", "bad \xff"};
  CHECK(attn_embed(loaded.session, bad, 2, nullptr, matrix.data(), nullptr) == ATTN_ERROR_FAILED);
  const char* with_null[] = {"fine", nullptr};
  CHECK(attn_embed(loaded.session, with_null, 2, nullptr, matrix.data(), nullptr) == ATTN_ERROR_INVALID_ARGUMENT);
  CHECK(session_error(loaded.session) == "texts[1]: NULL");
  options.batch_size = 0;
  CHECK(attn_embed(loaded.session, pointers.data(), 1, &options, matrix.data(), nullptr) == ATTN_ERROR_INVALID_ARGUMENT);

  Loaded decoder(kStories);
  CHECK(attn_embed(decoder.session, pointers.data(), 1, nullptr, matrix.data(), nullptr) == ATTN_ERROR_FAILED);
}

TEST_CASE("c api: scores equal the C++ API's, per text and per token; a bad text keeps its own error") {
  Loaded loaded(kStories);
  const std::vector<std::string> texts = {"Once upon a time there was a girl.", "", "Lily and Tom went to the park."};
  std::vector<const char*> pointers;
  for (const auto& t : texts) pointers.push_back(t.c_str());
  attn_score_options options = attn_score_options_defaults();
  options.token_logprobs = 1;
  std::vector<attn_text_score> scores(texts.size());
  REQUIRE(attn_score(loaded.session, pointers.data(), texts.size(), &options, scores.data()) == ATTN_OK);

  attn::Session session(attn::Model::load(kStories));
  const auto expected = attn::score_texts(session, texts, {.token_logprobs = true});
  for (size_t i = 0; i < texts.size(); ++i) {
    CAPTURE(i);
    CHECK(scores[i].logprob == expected[i].logprob);
    CHECK(scores[i].tokens == expected[i].tokens);
    CHECK((scores[i].error ? std::string(scores[i].error) : "") == expected[i].error);
    CHECK(std::vector<double>(scores[i].token_logprobs, scores[i].token_logprobs + (scores[i].token_logprobs ? scores[i].tokens : 0)) ==
          expected[i].token_logprobs);
  }
  CHECK(scores[1].error != nullptr);
  attn_text_scores_clear(scores.data(), scores.size());
  CHECK(scores[0].token_logprobs == nullptr);

  Loaded encoder(kBert);
  CHECK(attn_score(encoder.session, pointers.data(), 1, nullptr, scores.data()) == ATTN_ERROR_FAILED);
}

TEST_CASE("c api: record jobs give one line per input line, with the C++ API's scores; bad calls fail clearly") {
  Loaded loaded(kStories);
  const std::vector<std::string> lines = {R"({"id":1,"text":"Once upon a time"})", R"({"id":2})",
                                          R"({"text":"Lily and Tom went to the park."})"};
  std::vector<const char*> pointers;
  for (const auto& l : lines) pointers.push_back(l.c_str());
  REQUIRE(attn_detect_record_format(pointers[0]) == ATTN_RECORD_JSONL);
  CHECK(attn_detect_record_format("plain text") == ATTN_RECORD_TEXT);
  attn_record_options options = attn_record_options_defaults();
  options.format = ATTN_RECORD_JSONL;
  char* output = nullptr;
  size_t errors = 0;
  int64_t tokens = 0;
  REQUIRE(attn_process_records(loaded.session, ATTN_RECORD_SCORE, pointers.data(), lines.size(), &options, &output,
                               &errors, &tokens) == ATTN_OK);
  std::vector<nlohmann::json> out;
  std::istringstream stream(output);
  for (std::string line; std::getline(stream, line);) out.push_back(nlohmann::json::parse(line));
  attn_free(output);
  REQUIRE(out.size() == lines.size());
  CHECK(errors == 1);
  CHECK(out[0]["id"] == 1);
  CHECK(out[1]["id"] == 2);
  CHECK(out[1].contains("error"));
  attn::Session session(attn::Model::load(kStories));
  const auto expected = attn::score_texts(session, std::vector<std::string>{"Once upon a time", "Lily and Tom went to the park."});
  CHECK(out[0]["logprob"].get<double>() == expected[0].logprob);
  CHECK(out[2]["logprob"].get<double>() == expected[1].logprob);
  CHECK(tokens == expected[0].tokens + expected[1].tokens);

  CHECK(attn_process_records(loaded.session, ATTN_RECORD_SCORE, pointers.data(), 1, &options, nullptr, nullptr,
                             nullptr) == ATTN_ERROR_INVALID_ARGUMENT);
  CHECK(attn_process_records(loaded.session, static_cast<attn_record_task>(7), pointers.data(), 1, &options, &output,
                             nullptr, nullptr) == ATTN_ERROR_INVALID_ARGUMENT);
  CHECK(session_error(loaded.session).find("attn_record_task") != std::string::npos);
  CHECK(attn_process_records(loaded.session, ATTN_RECORD_EMBED, pointers.data(), 1, &options, &output, nullptr,
                             nullptr) == ATTN_ERROR_FAILED);
  CHECK(session_error(loaded.session).find("not an encoder") != std::string::npos);
  CHECK(output == nullptr);
}

TEST_CASE("c api: classification equals the C++ API's, with labels, single texts and pairs") {
  Loaded loaded(kClassifier);
  const auto model = attn::Model::load(kClassifier);
  attn_model_info info;
  REQUIRE(attn_model_get_info(loaded.model, &info) == ATTN_OK);
  REQUIRE(info.num_labels == static_cast<int32_t>(model->info().class_labels.size()));
  REQUIRE(info.num_labels > 1);
  for (int32_t i = 0; i < info.num_labels; ++i) {
    const char* label = nullptr;
    REQUIRE(attn_model_label(loaded.model, i, &label) == ATTN_OK);
    CHECK(std::string(label) == model->info().class_labels[i]);
  }
  const char* label = nullptr;
  CHECK(attn_model_label(loaded.model, info.num_labels, &label) == ATTN_ERROR_INVALID_ARGUMENT);

  const char* texts[] = {"I loved this film.", "The weather is grey.", "Is it raining?"};
  const char* pairs[] = {nullptr, nullptr, "It is sunny."};
  std::vector<float> scores(3 * info.num_labels);
  REQUIRE(attn_classify(loaded.session, texts, pairs, 3, nullptr, scores.data(), nullptr) == ATTN_OK);

  attn::Session session(model);
  const std::vector<attn::ClassifyInput> inputs = {{texts[0], {}}, {texts[1], {}}, {texts[2], std::string(pairs[2])}};
  const auto expected = attn::classify(session, inputs);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(std::vector<float>(scores.begin() + i * info.num_labels, scores.begin() + (i + 1) * info.num_labels) ==
          expected[i].scores);
  }
  Loaded decoder(kStories);
  CHECK(attn_classify(decoder.session, texts, nullptr, 1, nullptr, scores.data(), nullptr) == ATTN_ERROR_FAILED);
}

TEST_CASE("c api: sessions keep their model alive after attn_model_free") {
  attn_model* model = nullptr;
  REQUIRE(attn_model_load(kStories.c_str(), nullptr, &model) == ATTN_OK);
  attn_session* session = nullptr;
  REQUIRE(attn_session_create(model, nullptr, &session) == ATTN_OK);
  attn_model_free(model);
  attn_generation result;
  CHECK(attn_generate(session, "Once upon a time", nullptr, &result) == ATTN_OK);
  CHECK(result.n_tokens > 0);
  attn_generation_clear(&result);
  attn_session_free(session);

  attn_session_options options = attn_session_options_defaults();
  options.context_length = -1;
  REQUIRE(attn_model_load(kStories.c_str(), nullptr, &model) == ATTN_OK);
  CHECK(attn_session_create(model, &options, &session) == ATTN_ERROR_INVALID_ARGUMENT);
  CHECK(model_error(model).find("context_length") != std::string::npos);
  attn_model_free(model);
}

TEST_CASE("c api: a session's KV cache type, and a value outside attn_cache_type refused naming the field") {
  attn_model* model = nullptr;
  REQUIRE(attn_model_load(kStories.c_str(), nullptr, &model) == ATTN_OK);
  attn_session_options options = attn_session_options_defaults();
  CHECK(options.cache_type_k == ATTN_CACHE_F32);
  CHECK(options.cache_type_v == ATTN_CACHE_F32);
  // The same greedy text as the C++ API with a q8_0 cache.
  options.cache_type_k = ATTN_CACHE_Q8_0;
  options.cache_type_v = ATTN_CACHE_BF16;
  attn_session* session = nullptr;
  REQUIRE(attn_session_create(model, &options, &session) == ATTN_OK);
  attn_generate_options generate = greedy(64);
  attn_generation result;
  REQUIRE(attn_generate(session, "Once upon a time", &generate, &result) == ATTN_OK);
  attn::Session cpp(attn::Model::load(kStories), {.cache_type_k = attn::CacheType::Q8_0,
                                                  .cache_type_v = attn::CacheType::BF16});
  attn::GenerateOptions cpp_options;
  cpp_options.max_length = 64;
  cpp_options.sampling.temperature = 0;
  const attn::GenerateResult expected = attn::generate(cpp, "Once upon a time", cpp_options);
  CHECK(std::vector<int32_t>(result.tokens, result.tokens + result.n_tokens) == expected.tokens);
  attn_generation_clear(&result);
  attn_session_free(session);

  options.cache_type_v = static_cast<attn_cache_type>(7);
  CHECK(attn_session_create(model, &options, &session) == ATTN_ERROR_INVALID_ARGUMENT);
  CHECK(model_error(model).find("cache_type_v") != std::string::npos);
  attn_model_free(model);
}

namespace {

const std::string kChatTemplate =
    (attn::test::shared_dir() / "chat_templates" / "deepseek-ai-DeepSeek-V3.1.jinja").string();
const std::vector<std::pair<std::string, std::string>> kConversation = {
    {"system", "You tell short stories."}, {"user", "Hi there"}, {"assistant", "Once upon a time"},
    {"user", "Tell me a story about a cat and a dog"}};

std::vector<attn_chat_message> c_messages() {
  std::vector<attn_chat_message> messages;
  for (const auto& [role, content] : kConversation) messages.push_back({role.c_str(), content.c_str()});
  return messages;
}

std::vector<attn::ChatMessage> cpp_messages() {
  std::vector<attn::ChatMessage> messages;
  for (const auto& [role, content] : kConversation) messages.push_back({role, content});
  return messages;
}

attn_chat_options deepseek(int add_generation_prompt) {
  attn_chat_options options = attn_chat_options_defaults();
  options.template_path = kChatTemplate.c_str();
  options.add_generation_prompt = add_generation_prompt;
  return options;
}

std::string rendered(const attn_model* model, const attn_chat_options* options, attn_status expected = ATTN_OK) {
  const auto messages = c_messages();
  char* text = nullptr;
  size_t length = 0;
  const attn_status status = attn_chat_template_apply(model, messages.data(), messages.size(), options, &text, &length);
  CHECK_MESSAGE(status == expected, model_error(model));
  std::string copy = text ? std::string(text, length) : std::string();
  if (text) CHECK(std::strlen(text) == length);
  attn_free(text);
  return copy;
}

}  // namespace

TEST_CASE("attn_chat_template_apply renders as the C++ API and `attn chat-template` do") {
  Loaded loaded(kStories);
  const attn::ChatTemplate reference = attn::ChatTemplate::from_file(kChatTemplate, kStories);
  attn::test::TempDir dir;
  std::string json = "[";
  for (const auto& [role, content] : kConversation)
    json += std::string(json.size() > 1 ? "," : "") + "{\"role\":\"" + role + "\",\"content\":\"" + content + "\"}";
  attn::test::write_file(dir / "messages.json", json + "]");
  for (int add : {0, 1}) {
    CAPTURE(add);
    const attn_chat_options options = deepseek(add);
    const std::string text = rendered(loaded.model, &options);
    attn::ChatTemplateOptions cpp_options;
    cpp_options.add_generation_prompt = add != 0;
    CHECK(text == reference.apply(cpp_messages(), cpp_options));
    const auto cli = attn::test::run_command(
        attn::test::quote(attn::test::cli_path()) + " chat-template -m " + attn::test::quote(kStories) +
        " --chat-template " + attn::test::quote(kChatTemplate) + " --messages " +
        attn::test::quote(dir / "messages.json") + (add ? " --add-generation-prompt" : ""));
    REQUIRE_MESSAGE(cli.exit_code == 0, cli.err);
    CHECK(text == cli.out);
  }
  CHECK(rendered(loaded.model, nullptr, ATTN_ERROR_FAILED).empty());  // stories260K-hf has no template of its own
  CHECK(model_error(loaded.model).find("no chat template") != std::string::npos);
}

TEST_CASE("attn_chat answers as generate() over the rendered conversation, stopping at the end of the turn") {
  Loaded loaded(kStories);
  const attn::ChatTemplate chat_template = attn::ChatTemplate::from_file(kChatTemplate, kStories);
  const auto model = attn::Model::load(kStories);
  attn::Session session(model);
  attn::GenerateOptions cpp_options;
  cpp_options.sampling.temperature = 0;
  cpp_options.max_length = 0;
  cpp_options.max_new_tokens = 40;
  cpp_options.echo_prompt = false;
  cpp_options.stop_tokens = attn::end_of_turn_ids(*model, chat_template);
  const auto prompt = attn::tokenize_chat_prompt(model->tokenizer(), chat_template.apply(cpp_messages()), chat_template);
  const attn::GenerateResult expected = attn::generate(session, prompt, cpp_options);

  const auto messages = c_messages();
  const attn_chat_options chat_options = deepseek(0);  // attn_chat adds the generation prompt regardless
  attn_generate_options options = greedy(0);
  options.max_new_tokens = 40;
  Stream stream;
  options.on_token = Stream::on_token;
  options.user_data = &stream;
  attn_generation result{};
  REQUIRE_MESSAGE(attn_chat(loaded.session, messages.data(), messages.size(), &chat_options, &options, &result) == ATTN_OK,
                  session_error(loaded.session));
  CHECK(std::string(result.text, result.text_length) == expected.text);
  CHECK(std::vector<int32_t>(result.tokens, result.tokens + result.n_tokens) == expected.tokens);
  CHECK(result.n_prompt_tokens == prompt.size());
  CHECK(static_cast<int>(result.stop_reason) == static_cast<int>(expected.stop_reason));
  CHECK(stream.text == expected.text);
  attn_generation_clear(&result);
}

TEST_CASE("chat calls' error paths") {
  Loaded loaded(kStories);
  const auto messages = c_messages();
  const attn_chat_options options = deepseek(1);
  char* text = nullptr;
  size_t length = 0;
  auto* as_model = reinterpret_cast<attn_model*>(loaded.session);
  auto* as_session = reinterpret_cast<attn_session*>(loaded.model);
  for (attn_model* model : {static_cast<attn_model*>(nullptr), as_model})
    CHECK(attn_chat_template_apply(model, messages.data(), 1, &options, &text, &length) == ATTN_ERROR_INVALID_ARGUMENT);
  for (attn_session* session : {static_cast<attn_session*>(nullptr), as_session})
    CHECK(attn_chat(session, messages.data(), 1, &options, nullptr, nullptr) == ATTN_ERROR_INVALID_ARGUMENT);
  CHECK(attn_chat_template_apply(loaded.model, nullptr, 1, &options, &text, &length) == ATTN_ERROR_INVALID_ARGUMENT);
  CHECK(model_error(loaded.model).find("messages") != std::string::npos);
  CHECK(attn_chat_template_apply(loaded.model, messages.data(), 1, &options, nullptr, &length) ==
        ATTN_ERROR_INVALID_ARGUMENT);
  const attn_chat_message no_role[] = {{nullptr, "hi"}};
  CHECK(attn_chat_template_apply(loaded.model, no_role, 1, &options, &text, &length) == ATTN_ERROR_INVALID_ARGUMENT);
  CHECK(model_error(loaded.model).find("messages[0]") != std::string::npos);
  CHECK(attn_chat(loaded.session, no_role, 1, &options, nullptr, nullptr) == ATTN_ERROR_INVALID_ARGUMENT);
  CHECK(session_error(loaded.session).find("messages[0]") != std::string::npos);

  attn_chat_options missing = options;
  missing.template_path = "/nonexistent/template.jinja";
  CHECK(attn_chat_template_apply(loaded.model, messages.data(), 1, &missing, &text, &length) == ATTN_ERROR_FAILED);
  CHECK(model_error(loaded.model).find("/nonexistent/template.jinja") != std::string::npos);
  CHECK(attn_chat(loaded.session, messages.data(), 1, &missing, nullptr, nullptr) == ATTN_ERROR_FAILED);
  CHECK(session_error(loaded.session).find("/nonexistent/template.jinja") != std::string::npos);

  attn::test::TempDir dir;
  attn::test::write_file(dir / "refuses.jinja",
                         "{% if messages[0]['role'] == 'system' %}{{ raise_exception('no system role here') }}{% endif %}");
  const std::string refusing_path = (dir / "refuses.jinja").string();
  attn_chat_options refusing = options;
  refusing.template_path = refusing_path.c_str();
  CHECK(attn_chat_template_apply(loaded.model, messages.data(), 1, &refusing, &text, &length) == ATTN_ERROR_FAILED);
  CHECK(model_error(loaded.model).find("no system role here") != std::string::npos);
  CHECK(text == nullptr);
  attn_generation result{};
  CHECK(attn_chat(loaded.session, messages.data(), 1, &refusing, nullptr, &result) == ATTN_ERROR_FAILED);
  CHECK(session_error(loaded.session).find("no system role here") != std::string::npos);
  CHECK(result.text == nullptr);
  attn_generation_clear(&result);
}

TEST_CASE("attn_translate: the beam search reference's ids and scores, per-text errors, bad options") {
  const auto reference = nlohmann::json::parse(
      attn::test::read_file(attn::test::fixtures_dir() / "translation" / "marian_reference.json"));
  Loaded marian((attn::test::fixtures_dir() / "translation" / "marian").string());
  std::vector<std::string> texts;
  for (const auto& c : reference["cases"]) texts.push_back(c["text"].get<std::string>());
  texts.push_back("");
  std::vector<const char*> pointers;
  for (const auto& t : texts) pointers.push_back(t.c_str());
  attn_translate_options options = attn_translate_options_defaults();
  options.beam_size = 4;
  options.max_new_tokens = reference["max_new_tokens"].get<int>();
  std::vector<attn_translation> out(texts.size());
  REQUIRE_MESSAGE(attn_translate(marian.model, pointers.data(), pointers.size(), &options, out.data()) == ATTN_OK,
                  thread_error());
  for (size_t i = 0; i + 1 < texts.size(); ++i) {
    const auto& expected = reference["cases"][i]["beam"][2];  // {"num_beams": 4}
    REQUIRE(out[i].error == nullptr);
    CHECK(std::string(out[i].text) == expected["text"].get<std::string>());
    CHECK(std::vector<int32_t>(out[i].tokens, out[i].tokens + out[i].n_tokens) == expected["tokens"].get<std::vector<int32_t>>());
    CHECK(out[i].score == doctest::Approx(expected["score"].get<double>()).epsilon(1e-4));
  }
  REQUIRE(out.back().error != nullptr);
  CHECK(std::string(out.back().error).find("empty") != std::string::npos);
  attn_translations_clear(out.data(), out.size());
  CHECK(out[0].text == nullptr);

  options.early_stopping = "sometimes";
  CHECK(attn_translate(marian.model, pointers.data(), 1, &options, out.data()) == ATTN_ERROR_FAILED);
  options = attn_translate_options_defaults();
  options.batch_size = 0;
  CHECK(attn_translate(marian.model, pointers.data(), 1, &options, out.data()) == ATTN_ERROR_INVALID_ARGUMENT);
  CHECK(attn_translate(nullptr, pointers.data(), 1, nullptr, out.data()) == ATTN_ERROR_INVALID_ARGUMENT);
  attn_translations_clear(out.data(), out.size());
}

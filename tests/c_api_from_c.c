/* attn.h compiles as strict C99 and libattn.so links from C: a bad path
 * gives a status and a message naming it, a greedy generation stops when
 * the token callback says so, and an ONNX model gives the greedy text the
 * attn command prints for it. Arguments: stories260K-hf, stories260K-onnx
 * and the attn command. */
#define _POSIX_C_SOURCE 200809L /* popen */
#include <attn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define EXPECT(condition)                                              \
  do {                                                                 \
    if (!(condition)) {                                                \
      fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #condition); \
      ++failures;                                                      \
    }                                                                  \
  } while (0)

static attn_action stop_at_three(void* user_data, int32_t token, const char* piece, size_t length) {
  int* count = (int*)user_data;
  (void)piece;
  (void)length;
  return token != ATTN_NO_TOKEN && ++*count == 3 ? ATTN_STOP : ATTN_CONTINUE;
}

/* What `attn generate -m MODEL -p PROMPT --max-length 256 --temperature 0`
 * prints (the prompt, the continuation, a newline), or NULL. Free it. */
static char* cli_greedy_text(const char* cli, const char* model, const char* prompt) {
  char command[4096];
  char* text = NULL;
  size_t length = 0, capacity = 0, n;
  FILE* pipe;
  snprintf(command, sizeof command, "'%s' generate -m '%s' -p '%s' --max-length 256 --temperature 0", cli, model,
           prompt);
  pipe = popen(command, "r");
  if (pipe == NULL) return NULL;
  do {
    if (length + 4096 + 1 > capacity) {
      capacity = 2 * (length + 4096 + 1);
      text = (char*)realloc(text, capacity);
      if (text == NULL) break;
    }
    n = fread(text + length, 1, 4096, pipe);
    length += n;
  } while (n > 0);
  if (pclose(pipe) != 0 && text != NULL) {
    free(text);
    return NULL;
  }
  if (text != NULL) text[length] = '\0';
  return text;
}

int main(int argc, char** argv) {
  attn_model* model = NULL;
  attn_session* session = NULL;
  attn_generate_options options = attn_generate_options_defaults();
  attn_generation result;
  char message[512];
  int count = 0;
  const char* prompt = "Once upon a time";
  char* expected;
  if (argc != 4) return 2;

  EXPECT(strcmp(attn_version(), ATTN_VERSION_STRING) == 0);
  EXPECT(attn_model_load("/no/such/model", NULL, &model) == ATTN_ERROR_FAILED);
  EXPECT(model == NULL);
  EXPECT(attn_last_error(message, sizeof message) > 0 && strstr(message, "/no/such/model") != NULL);

  EXPECT(attn_model_load(argv[1], NULL, &model) == ATTN_OK);
  EXPECT(attn_session_create(model, NULL, &session) == ATTN_OK);
  options.on_token = stop_at_three;
  options.user_data = &count;
  EXPECT(attn_generate(session, "Once upon a time", &options, &result) == ATTN_OK);
  EXPECT(result.n_tokens == 3 && result.stop_reason == ATTN_STOP_REASON_ABORTED);
  EXPECT(strlen(result.text) == result.text_length && result.text_length > 0);
  attn_generation_clear(&result);
  attn_session_free(session);
  attn_model_free(model);

  EXPECT(attn_model_load(argv[2], NULL, &model) == ATTN_OK);
  EXPECT(attn_session_create(model, NULL, &session) == ATTN_OK);
  options = attn_generate_options_defaults();
  options.max_length = 256;
  EXPECT(attn_generate(session, prompt, &options, &result) == ATTN_OK);
  expected = cli_greedy_text(argv[3], argv[2], prompt);
  EXPECT(expected != NULL && strlen(expected) > 200);
  if (expected != NULL && result.text != NULL) {
    EXPECT(strncmp(expected, prompt, strlen(prompt)) == 0);
    EXPECT(strlen(expected) == strlen(prompt) + result.text_length + 1);
    EXPECT(strncmp(expected + strlen(prompt), result.text, result.text_length) == 0);
  }
  free(expected);
  attn_generation_clear(&result);
  attn_session_free(session);
  attn_model_free(model);
  if (failures == 0) printf("c_api_from_c: ok\n");
  return failures == 0 ? 0 : 1;
}

/* attn.h compiles as strict C99 and libattn.so links from C: a bad path
 * gives a status and a message naming it, a greedy generation stops when
 * the token callback says so, and an ONNX model is refused with the reason
 * (package/onnx_reader_unavailable.cpp). Arguments: stories260K-hf and
 * stories260K-onnx. */
#include <attn.h>
#include <stdio.h>
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

int main(int argc, char** argv) {
  attn_model* model = NULL;
  attn_session* session = NULL;
  attn_generate_options options = attn_generate_options_defaults();
  attn_generation result;
  char message[512];
  int count = 0;
  if (argc != 3) return 2;

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

  EXPECT(attn_model_load(argv[2], NULL, &model) == ATTN_ERROR_FAILED);
  EXPECT(attn_last_error(message, sizeof message) > 0 && strstr(message, "libattn.so cannot read ONNX") != NULL);
  if (failures == 0) printf("c_api_from_c: ok\n");
  return failures == 0 ? 0 : 1;
}

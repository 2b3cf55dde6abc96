/* Streams a model's continuation of a prompt to stdout with the C API and
 * cancels it from a second thread once it has produced enough tokens, as a
 * desktop app's Stop button would.
 *
 *   stream_generate MODEL_DIR "prompt" [STOP_AFTER_TOKENS]
 *
 * Prints the pieces as they come, then a line with the stop reason and the
 * number of tokens kept. */
#include <attn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  attn_session* session;
  int stop_after;      /* tokens before the "user" presses Stop */
  int tokens;          /* produced so far (guarded by mutex) */
  int finished;        /* generation returned (guarded by mutex) */
  pthread_mutex_t mutex;
  pthread_cond_t changed;
} Stream;

static attn_action on_token(void* user_data, int32_t token, const char* piece, size_t length) {
  Stream* stream = (Stream*)user_data;
  fwrite(piece, 1, length, stdout);
  fflush(stdout);
  if (token != ATTN_NO_TOKEN) {
    pthread_mutex_lock(&stream->mutex);
    ++stream->tokens;
    pthread_cond_signal(&stream->changed);
    pthread_mutex_unlock(&stream->mutex);
  }
  return ATTN_CONTINUE;
}

/* The "Stop button": waits until enough tokens have streamed, then aborts. */
static void* stop_button(void* user_data) {
  Stream* stream = (Stream*)user_data;
  pthread_mutex_lock(&stream->mutex);
  while (stream->tokens < stream->stop_after && !stream->finished) pthread_cond_wait(&stream->changed, &stream->mutex);
  pthread_mutex_unlock(&stream->mutex);
  attn_session_abort(stream->session);
  return NULL;
}

static int fail(const char* what) {
  char message[1024];
  attn_last_error(message, sizeof message);
  fprintf(stderr, "%s: %s\n", what, message);
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL PROMPT [STOP_AFTER_TOKENS]\n", argv[0]);
    return 2;
  }
  fprintf(stderr, "attn %s\n", attn_version());
  attn_model* model = NULL;
  if (attn_model_load(argv[1], NULL, &model) != ATTN_OK) return fail("load");
  Stream stream = {0};
  stream.stop_after = argc > 3 ? atoi(argv[3]) : 20;
  pthread_mutex_init(&stream.mutex, NULL);
  pthread_cond_init(&stream.changed, NULL);
  if (attn_session_create(model, NULL, &stream.session) != ATTN_OK) return fail("session");

  attn_generate_options options = attn_generate_options_defaults();
  options.max_length = 0; /* the whole context, unless stopped */
  options.on_token = on_token;
  options.user_data = &stream;
  pthread_t stopper;
  pthread_create(&stopper, NULL, stop_button, &stream);
  attn_generation result;
  const attn_status status = attn_generate(stream.session, argv[2], &options, &result);
  pthread_mutex_lock(&stream.mutex);
  stream.finished = 1;
  pthread_cond_signal(&stream.changed);
  pthread_mutex_unlock(&stream.mutex);
  pthread_join(stopper, NULL);
  if (status != ATTN_OK) return fail("generate");

  static const char* reasons[] = {"eos", "stop_string", "max_length", "context_full", "aborted"};
  printf("\n[%s after %zu tokens]\n", reasons[result.stop_reason], result.n_tokens);
  attn_generation_clear(&result);
  attn_session_free(stream.session);
  attn_model_free(model);
  return 0;
}

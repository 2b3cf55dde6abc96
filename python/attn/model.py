"""attn.Model: a loaded model and what it can do, over the C API."""

import ctypes
import queue
import threading
from ctypes import POINTER, byref, c_char_p, c_float, c_int32, c_int64, c_size_t, c_void_p
from dataclasses import dataclass
from typing import Iterable, Iterator, List, Optional, Sequence

import numpy as np

from . import _library as C
from ._library import lib


class AttnError(RuntimeError):
    """A failed call: `status` is the C API's status name, the message says what and why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = lib.attn_status_name(status).decode()


class Cancelled(AttnError):
    """Loading was stopped by the progress callback."""


def _message(reader, *handle) -> str:
    size = reader(*handle, None, 0)
    buffer = ctypes.create_string_buffer(size + 1)
    reader(*handle, buffer, size + 1)
    return buffer.value.decode("utf-8", "replace")


def _check(status: int, reader, *handle) -> None:
    if status != C.ATTN_OK:
        error = Cancelled if status == C.ATTN_ERROR_CANCELLED else AttnError
        raise error(status, _message(reader, *handle))


def _encode_all(texts: Sequence[str], name: str):
    if isinstance(texts, str):
        raise TypeError(f"{name}: a list of strings, not one string")
    encoded = [t.encode("utf-8") for t in texts]
    return encoded, (c_char_p * len(encoded))(*encoded)


def _generate_options(max_tokens, max_length, temperature, top_k, top_p, min_p, repeat_penalty, repeat_last_n,
                      seed, stop):
    """The C options, and the Python objects they point into (keep them alive)."""
    options = lib.attn_generate_options_defaults()
    options.sampling = C.Sampling(temperature, top_k, top_p, min_p, repeat_penalty, repeat_last_n, seed)
    options.max_length = max_length
    options.max_new_tokens = max_tokens
    stops, stop_array = _encode_all(list(stop), "stop")
    options.stop_strings = stop_array
    options.n_stop_strings = len(stops)
    return options, (stops, stop_array)


def _chat_messages(messages: Sequence[dict]):
    """The C array of messages, and the encoded strings it points into."""
    if isinstance(messages, (str, dict)):
        raise TypeError("messages: a list of {\"role\": ..., \"content\": ...} dicts")
    encoded = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str) \
                or not isinstance(message.get("content"), str):
            raise TypeError(f"messages[{i}]: a dict with string \"role\" and \"content\"")
        encoded.append((message["role"].encode("utf-8"), message["content"].encode("utf-8")))
    return (C.ChatMessage * len(encoded))(*[C.ChatMessage(r, c) for r, c in encoded]), encoded


def _chat_options(template: Optional[str], add_generation_prompt: bool) -> C.ChatOptions:
    options = lib.attn_chat_options_defaults()
    options.template_path = str(template).encode() if template is not None else None
    options.add_generation_prompt = int(add_generation_prompt)
    return options


@dataclass
class Score:
    logprob: float  # sum of the natural-log probabilities of the scored tokens
    tokens: int  # tokens scored (all but the first, which is context)
    truncated_tokens: int
    token_logprobs: Optional[np.ndarray]  # float64 per scored token, with token_logprobs=True
    error: Optional[str]  # why the text could not be scored

    @property
    def nll(self) -> float:
        return -self.logprob / self.tokens if self.tokens else float("nan")

    @property
    def ppl(self) -> float:
        return float(np.exp(self.nll))


@dataclass
class Records:
    """What Model.process_records returns: the output lines, as bytes."""
    output: bytes
    errors: int  # input lines whose output line is an "error"
    tokens: int  # tokens scored (score with a decoder)


class Generation:
    """Model.generate's and Model.chat's answer.
    Iterates (once) over the pieces of text as they are generated, each
    whole UTF-8 characters. Generation starts with the iteration and runs on
    a background thread; leaving the loop early (break, close()) aborts it.
    Afterwards `text`, `tokens`, `prompt_tokens` and `stop_reason` describe
    the result, also of an aborted generation."""

    _DONE = object()

    def __init__(self, model: "Model", start, options: C.GenerateOptions, keep_alive):
        self.text = ""
        self.tokens: List[int] = []
        self.prompt_tokens = 0
        self.stop_reason: Optional[str] = None
        self._model = model
        # One piece at a time: generation waits for the reader, so leaving
        # the loop early stops it close to where the reader stopped.
        self._queue: "queue.Queue" = queue.Queue(maxsize=1)
        self._error: Optional[BaseException] = None
        self._finished = False  # the reader has seen _DONE

        def on_token(_user_data, token, piece, length):
            self._queue.put((token, ctypes.string_at(piece, length).decode("utf-8")))
            return C.ATTN_CONTINUE

        self._callback = C.TokenCallback(on_token)  # referenced while the C call runs
        options.on_token = self._callback
        self._keep_alive = (options, keep_alive)
        self._session = model._new_session()
        self._thread = threading.Thread(target=self._run, args=(start, options), daemon=True)

    def _run(self, start, options) -> None:
        result = C.Generation()
        try:
            status = start(self._session, byref(options), byref(result))
            if status != C.ATTN_OK:
                self._error = AttnError(status, _message(lib.attn_session_last_error, self._session))
            else:
                self.text = ctypes.string_at(result.text, result.text_length).decode("utf-8")
                self.tokens = result.tokens[: result.n_tokens]
                self.prompt_tokens = result.n_prompt_tokens
                self.stop_reason = C.STOP_REASONS[result.stop_reason]
        finally:
            lib.attn_generation_clear(byref(result))
            self._queue.put(self._DONE)

    def __iter__(self) -> Iterator[str]:
        if self._thread.ident is not None or self._session is None:
            raise RuntimeError("a Generation is iterated once")
        self._thread.start()
        try:
            while True:
                item = self._queue.get()
                if item is self._DONE:
                    self._finished = True
                    break
                if item[1]:
                    yield item[1]
        finally:
            self.close()
        if self._error:
            raise self._error

    def close(self) -> None:
        """Aborts the generation if it still runs (keeping what it made) and waits for it."""
        if self._session is None:
            return
        if self._thread.ident is not None and not self._finished:
            lib.attn_session_abort(self._session)
            while self._queue.get() is not self._DONE:  # unblock the callback
                pass
            self._finished = True
        if self._thread.ident is not None:
            self._thread.join()
        lib.attn_session_free(self._session)
        self._session = None

    def __del__(self):
        self.close()


class Model:
    """A model loaded from a Hugging Face directory, an .onnx file or a
    llama2.c checkpoint (which needs `tokenizer`). Immutable: share it
    between threads; each call uses a session of its own, whose KV cache
    stores keys and values as cache_type_k / cache_type_v ("f32", "f16",
    "bf16" or "q8_0", llama.cpp's --cache-type-k / -v). compute_type "bf16"
    runs prefill, scoring and embedding matmuls in bf16 (about 2x faster,
    logits within ~1 % of their range) on CPUs with AVX512_BF16, f32
    elsewhere; the attribute compute_type says which one runs."""

    def __init__(self, path, *, tokenizer=None, dtype: Optional[str] = None, threads: int = 0,
                 context_length: int = 0, cache_type_k: str = "f32", cache_type_v: str = "f32", progress=None,
                 compute_type: str = "f32"):
        if dtype not in C.DTYPES:
            raise ValueError(f"dtype: one of {sorted(k for k in C.DTYPES if k)}, not {dtype!r}")
        if compute_type not in C.COMPUTE_TYPES:
            raise ValueError(f"compute_type: one of {sorted(C.COMPUTE_TYPES)}, not {compute_type!r}")
        for name, value in (("cache_type_k", cache_type_k), ("cache_type_v", cache_type_v)):
            if value not in C.CACHE_TYPES:
                raise ValueError(f"{name}: one of {sorted(C.CACHE_TYPES)}, not {value!r}")
        self._cache_types = (C.CACHE_TYPES[cache_type_k], C.CACHE_TYPES[cache_type_v])
        options = lib.attn_load_options_defaults()
        if tokenizer is not None:
            options.tokenizer_path = str(tokenizer).encode()
        options.dtype = C.DTYPES[dtype]
        options.compute_type = C.COMPUTE_TYPES[compute_type]
        options.threads = threads
        callback = None
        if progress is not None:
            def report(_user_data, stage, fraction):
                return C.ATTN_CONTINUE if progress(stage.decode(), fraction) is not False else C.ATTN_STOP
            callback = C.ProgressCallback(report)
            options.progress = callback
        self._handle = c_void_p()
        self._context_length = context_length
        _check(lib.attn_model_load(str(path).encode(), byref(options), byref(self._handle)), lib.attn_last_error)
        info = C.ModelInfo()
        _check(lib.attn_model_get_info(self._handle, byref(info)), lib.attn_model_last_error, self._handle)
        self.architecture = info.architecture.decode()
        self.vocab_size = info.vocab_size
        self.hidden_size = info.hidden_size
        self.context_length = info.context_length
        self.is_encoder = bool(info.is_encoder)
        self.bos_id = info.bos_id
        self.eos_id = info.eos_id
        self.compute_type = next(name for name, value in C.COMPUTE_TYPES.items() if value == info.compute_type)
        self.labels = [self._label(i) for i in range(info.num_labels)]

    def _label(self, index: int) -> str:
        label = c_char_p()
        _check(lib.attn_model_label(self._handle, index, byref(label)), lib.attn_model_last_error, self._handle)
        return label.value.decode()

    def close(self) -> None:
        if getattr(self, "_handle", None):
            lib.attn_model_free(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    def __del__(self):
        self.close()

    def _new_session(self) -> c_void_p:
        options = lib.attn_session_options_defaults()
        options.context_length = self._context_length
        options.cache_type_k, options.cache_type_v = self._cache_types
        session = c_void_p()
        _check(lib.attn_session_create(self._handle, byref(options), byref(session)), lib.attn_model_last_error,
               self._handle)
        return session

    def _with_session(self, call):
        session = self._new_session()
        try:
            status = call(session)
            _check(status, lib.attn_session_last_error, session)
        finally:
            lib.attn_session_free(session)

    # ---- tokens -----------------------------------------------------------

    def tokenize(self, text: str, add_special: bool = True) -> List[int]:
        ids = POINTER(c_int32)()
        n = c_size_t()
        _check(lib.attn_tokenize(self._handle, text.encode("utf-8"), int(add_special), byref(ids), byref(n)),
               lib.attn_model_last_error, self._handle)
        try:
            return ids[: n.value]
        finally:
            lib.attn_free(ids)

    def detokenize(self, ids: Iterable[int]) -> str:
        ids = list(ids)
        array = (c_int32 * len(ids))(*ids)
        text = POINTER(ctypes.c_char)()
        length = c_size_t()
        _check(lib.attn_detokenize(self._handle, array, len(ids), byref(text), byref(length)),
               lib.attn_model_last_error, self._handle)
        try:
            return ctypes.string_at(text, length.value).decode("utf-8")
        finally:
            lib.attn_free(text)

    # ---- generation -------------------------------------------------------

    def generate(self, prompt: str, *, max_tokens: int = -1, max_length: int = 256, temperature: float = 0.0,
                 top_k: int = 40, top_p: float = 0.95, min_p: float = 0.0, repeat_penalty: float = 1.0,
                 repeat_last_n: int = 64, seed: int = 1, stop: Sequence[str] = ()) -> Generation:
        """The continuation of `prompt`, as an iterator of text pieces. max_tokens
        bounds the generated tokens (llama.cpp's -n); max_length bounds prompt +
        continuation (Hugging Face's max_length; 0: the context). Greedy by default."""
        options, keep_alive = _generate_options(max_tokens, max_length, temperature, top_k, top_p, min_p,
                                                repeat_penalty, repeat_last_n, seed, stop)
        encoded = prompt.encode("utf-8")
        return Generation(self, lambda session, o, r: lib.attn_generate(session, encoded, o, r), options, keep_alive)

    # ---- chat -------------------------------------------------------------

    def chat_template(self, messages: Sequence[dict], *, add_generation_prompt: bool = True,
                      template: Optional[str] = None) -> str:
        """`messages` ([{"role": ..., "content": ...}, ...]) rendered with the
        model's chat template (or the .jinja file `template`), as transformers'
        apply_chat_template renders them."""
        array, keep_alive = _chat_messages(messages)
        options = _chat_options(template, add_generation_prompt)
        text = POINTER(ctypes.c_char)()
        length = c_size_t()
        _check(lib.attn_chat_template_apply(self._handle, array, len(array), byref(options), byref(text),
                                            byref(length)), lib.attn_model_last_error, self._handle)
        try:
            return ctypes.string_at(text, length.value).decode("utf-8")
        finally:
            lib.attn_free(text)

    def chat(self, messages: Sequence[dict], *, template: Optional[str] = None, max_tokens: int = -1,
             max_length: int = 0, temperature: float = 0.0, top_k: int = 40, top_p: float = 0.95, min_p: float = 0.0,
             repeat_penalty: float = 1.0, repeat_last_n: int = 64, seed: int = 1,
             stop: Sequence[str] = ()) -> Generation:
        """The assistant's answer to `messages`, as an iterator of text pieces
        (like generate): the conversation rendered with the chat template, and
        generation until the end of the assistant's turn. max_length 0: the context."""
        array, message_bytes = _chat_messages(messages)
        chat_options = _chat_options(template, True)
        options, keep_alive = _generate_options(max_tokens, max_length, temperature, top_k, top_p, min_p,
                                                repeat_penalty, repeat_last_n, seed, stop)
        start = lambda session, o, r: lib.attn_chat(session, array, len(array), byref(chat_options), o, r)
        return Generation(self, start, options, (keep_alive, array, message_bytes, chat_options))

    # ---- batch tasks ------------------------------------------------------

    def embed(self, texts: Sequence[str], *, pooling: Optional[str] = None, normalize: Optional[bool] = None,
              batch_size: int = 32, truncate: bool = True) -> np.ndarray:
        """Sentence embeddings from an encoder: float32 [len(texts), hidden_size]."""
        if pooling not in C.POOLINGS:
            raise ValueError(f"pooling: one of {sorted(k for k in C.POOLINGS if k)}, not {pooling!r}")
        options = lib.attn_embed_options_defaults()
        options.pooling = C.POOLINGS[pooling]
        options.normalize = -1 if normalize is None else int(normalize)
        options.batch_size = batch_size
        options.truncate = int(truncate)
        encoded, array = _encode_all(texts, "texts")
        out = np.zeros((len(encoded), self.hidden_size), dtype=np.float32)
        self._with_session(lambda s: lib.attn_embed(s, array, len(encoded), byref(options),
                                                    out.ctypes.data_as(POINTER(c_float)), None))
        return out

    def score(self, texts: Sequence[str], *, token_logprobs: bool = False, truncate: bool = False,
              batch_size: int = 32) -> List[Score]:
        """Log-likelihood of each text under a decoder; a text that cannot be
        scored gets its `error` and does not stop the others."""
        options = lib.attn_score_options_defaults()
        options.batch_size = batch_size
        options.truncate = int(truncate)
        options.token_logprobs = int(token_logprobs)
        encoded, array = _encode_all(texts, "texts")
        scores = (C.TextScore * len(encoded))()
        try:
            self._with_session(lambda s: lib.attn_score(s, array, len(encoded), byref(options), scores))
            return [Score(s.logprob, s.tokens, s.truncated_tokens,
                          np.ctypeslib.as_array(s.token_logprobs, (s.tokens,)).copy() if s.token_logprobs else None,
                          s.error.decode() if s.error else None) for s in scores]
        finally:
            lib.attn_text_scores_clear(scores, len(encoded))

    def classify(self, texts: Sequence[str], pairs: Optional[Sequence[Optional[str]]] = None, *,
                 batch_size: int = 32, truncate: bool = False) -> np.ndarray:
        """Label scores [len(texts), len(self.labels)] from a sequence classifier."""
        options = lib.attn_classify_options_defaults()
        options.batch_size = batch_size
        options.truncate = int(truncate)
        encoded, array = _encode_all(texts, "texts")
        pair_array = None
        if pairs is not None:
            if len(pairs) != len(encoded):
                raise ValueError("pairs: one entry (or None) per text")
            pair_array = (c_char_p * len(pairs))(*[p.encode("utf-8") if p is not None else None for p in pairs])
        out = np.zeros((len(encoded), len(self.labels)), dtype=np.float32)
        self._with_session(lambda s: lib.attn_classify(s, array, pair_array, len(encoded), byref(options),
                                                       out.ctypes.data_as(POINTER(c_float)), None))
        return out

    # ---- record jobs ------------------------------------------------------

    def process_records(self, task: str, lines: Sequence[bytes], *, format: str = "text", batch_size: int = 32,
                        truncate: Optional[bool] = None, token_logprobs: bool = False,
                        pooling: Optional[str] = None, normalize: Optional[bool] = None, json: bool = False,
                        beam_size: int = 0, max_new_tokens: int = 0, length_penalty: Optional[float] = None,
                        early_stopping: Optional[str] = None, no_repeat_ngram_size: Optional[int] = None,
                        src_lang: Optional[str] = None, tgt_lang: Optional[str] = None) -> "Records":
        """Runs `task` ("score", "embed" or "translate") over input lines (bytes,
        without their newlines) and returns exactly the lines `attn score` /
        `attn embed` / `attn translate` write for them (see attn/records.h).
        `format` is "text" or "jsonl" for the whole input (detect_record_format
        decides it from the first line, as the CLI's --input-format auto).
        truncate defaults as in the CLI: off for score, on for embed. translate:
        json gives {"text","tokens","score"} lines; beam options as attn translate
        (0 / None: the model's)."""
        if task not in C.RECORD_TASKS:
            raise ValueError(f"task: one of {sorted(C.RECORD_TASKS)}, not {task!r}")
        if format not in C.RECORD_FORMATS:
            raise ValueError(f"format: one of {sorted(C.RECORD_FORMATS)}, not {format!r}")
        if pooling not in C.POOLINGS:
            raise ValueError(f"pooling: one of {sorted(k for k in C.POOLINGS if k)}, not {pooling!r}")
        options = lib.attn_record_options_defaults()
        options.format = C.RECORD_FORMATS[format]
        options.score.batch_size = options.embed.batch_size = batch_size
        options.score.truncate = int(bool(truncate))
        options.score.token_logprobs = int(token_logprobs)
        options.embed.truncate = int(truncate is None or truncate)
        options.embed.pooling = C.POOLINGS[pooling]
        options.embed.normalize = -1 if normalize is None else int(normalize)
        keep = _translate_options(options.translate, batch_size, json, beam_size, max_new_tokens, length_penalty,
                                  early_stopping, no_repeat_ngram_size, src_lang, tgt_lang)
        options.translate_json = int(json)
        lines = [line if isinstance(line, bytes) else line.encode("utf-8") for line in lines]
        for number, line in enumerate(lines, 1):
            if b"\0" in line:  # the C API takes NUL-terminated lines
                raise ValueError(f"lines[{number - 1}]: contains a NUL byte")
        array = (c_char_p * len(lines))(*lines)
        output = POINTER(ctypes.c_char)()
        errors = c_size_t()
        tokens = c_int64()
        try:
            self._with_session(lambda s: lib.attn_process_records(s, C.RECORD_TASKS[task], array, len(lines),
                                                                  byref(options), byref(output), byref(errors),
                                                                  byref(tokens)))
            return Records(ctypes.string_at(output) if output else b"", errors.value, tokens.value)
        finally:
            lib.attn_free(output)
            del keep


def _translate_options(options, batch_size, json, beam_size, max_new_tokens, length_penalty, early_stopping,
                       no_repeat_ngram_size, src_lang, tgt_lang):
    """Fills a C attn_translate_options; returns the encoded strings it points to (keep them alive)."""
    strings = [value.encode("utf-8") if value is not None else None for value in (early_stopping, src_lang, tgt_lang)]
    options.beam_size = beam_size
    options.max_new_tokens = max_new_tokens
    options.batch_size = batch_size
    options.use_length_penalty = int(length_penalty is not None)
    options.length_penalty = 1.0 if length_penalty is None else length_penalty
    options.early_stopping, options.source_language, options.target_language = strings
    options.no_repeat_ngram_size = -1 if no_repeat_ngram_size is None else no_repeat_ngram_size
    return strings


def detect_record_format(first_line: bytes) -> str:
    """"jsonl" when the input's first line is a JSON object with a "text" string, else "text"."""
    return "jsonl" if lib.attn_detect_record_format(first_line) == C.RECORD_FORMATS["jsonl"] else "text"

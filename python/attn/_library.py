"""Finds libattn and declares the C API (include/attn.h) to ctypes."""

import ctypes
import ctypes.util
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_double, c_float, c_int, c_int32, c_int64, c_size_t,
                    c_uint32, c_uint64, c_void_p)

# Enums are C ints.
c_enum = c_int

ATTN_OK = 0
ATTN_ERROR_INVALID_ARGUMENT = 1
ATTN_ERROR_FAILED = 2
ATTN_ERROR_CANCELLED = 3
ATTN_CONTINUE = 0
ATTN_STOP = 1
ATTN_NO_TOKEN = -1

STOP_REASONS = ("eos", "stop_string", "max_length", "context_full", "aborted")
DTYPES = {None: 0, "f32": 1, "f16": 2, "bf16": 3, "int8": 4, "q4_0": 5, "q8_0": 6, "q4_k": 7, "q6_k": 8, "q4_k_m": 9}
CACHE_TYPES = {"f32": 0, "f16": 1, "bf16": 2, "q8_0": 3}
COMPUTE_TYPES = {"f32": 0, "bf16": 1}
POOLINGS = {None: 0, "mean": 1, "cls": 2, "max": 3, "last": 4}
RECORD_TASKS = {"score": 0, "embed": 1, "translate": 2}
RECORD_FORMATS = {"text": 0, "jsonl": 1}

ProgressCallback = CFUNCTYPE(c_enum, c_void_p, c_char_p, c_float)
TokenCallback = CFUNCTYPE(c_enum, c_void_p, c_int32, POINTER(ctypes.c_char), c_size_t)
LogCallback = CFUNCTYPE(None, c_void_p, c_enum, c_char_p)


class LoadOptions(Structure):
    _fields_ = [("tokenizer_path", c_char_p), ("dtype", c_enum), ("threads", c_int32),
                ("progress", ProgressCallback), ("progress_user_data", c_void_p), ("compute_type", c_enum)]


class ModelInfo(Structure):
    _fields_ = [("architecture", c_char_p), ("source_format", c_char_p), ("path", c_char_p),
                ("parameter_count", c_int64), ("weight_bytes", c_int64), ("vocab_size", c_int32),
                ("hidden_size", c_int32), ("num_layers", c_int32), ("num_heads", c_int32),
                ("num_kv_heads", c_int32), ("context_length", c_int32), ("is_encoder", c_int32),
                ("num_labels", c_int32), ("multi_label", c_int32), ("bos_id", c_int32), ("eos_id", c_int32),
                ("compute_type", c_enum)]


class SessionOptions(Structure):
    _fields_ = [("context_length", c_int32), ("cache_type_k", c_enum), ("cache_type_v", c_enum)]


class Sampling(Structure):
    _fields_ = [("temperature", c_float), ("top_k", c_int32), ("top_p", c_float), ("min_p", c_float),
                ("repeat_penalty", c_float), ("repeat_last_n", c_int32), ("seed", c_uint64)]


class GenerateOptions(Structure):
    _fields_ = [("sampling", Sampling), ("max_length", c_int32), ("max_new_tokens", c_int32),
                ("stop_strings", POINTER(c_char_p)), ("n_stop_strings", c_size_t),
                ("on_token", TokenCallback), ("user_data", c_void_p)]


class Generation(Structure):
    _fields_ = [("text", POINTER(ctypes.c_char)), ("text_length", c_size_t), ("tokens", POINTER(c_int32)),
                ("n_tokens", c_size_t), ("n_prompt_tokens", c_size_t), ("stop_reason", c_enum)]


class ChatMessage(Structure):
    _fields_ = [("role", c_char_p), ("content", c_char_p)]


class ChatOptions(Structure):
    _fields_ = [("template_path", c_char_p), ("add_generation_prompt", c_int32)]


class EmbedOptions(Structure):
    _fields_ = [("pooling", c_enum), ("normalize", c_int32), ("batch_size", c_int32), ("truncate", c_int32)]


class ScoreOptions(Structure):
    _fields_ = [("batch_size", c_int32), ("truncate", c_int32), ("token_logprobs", c_int32)]


class TextScore(Structure):
    _fields_ = [("logprob", c_double), ("tokens", c_int32), ("truncated_tokens", c_int32),
                ("token_logprobs", POINTER(c_double)), ("error", c_char_p)]


class ClassifyOptions(Structure):
    _fields_ = [("batch_size", c_int32), ("truncate", c_int32)]


class TranslateOptions(Structure):
    _fields_ = [("beam_size", c_int32), ("max_new_tokens", c_int32), ("batch_size", c_int32),
                ("use_length_penalty", c_int32), ("length_penalty", c_float), ("early_stopping", c_char_p),
                ("no_repeat_ngram_size", c_int32), ("source_language", c_char_p), ("target_language", c_char_p)]


class RecordOptions(Structure):
    _fields_ = [("format", c_enum), ("score", ScoreOptions), ("embed", EmbedOptions),
                ("translate", TranslateOptions), ("translate_json", c_int32)]


_model_p = c_void_p
_session_p = c_void_p

# name: (result type, argument types)
_SIGNATURES = {
    "attn_version": (c_char_p, []),
    "attn_version_number": (c_uint32, []),
    "attn_status_name": (c_char_p, [c_enum]),
    "attn_last_error": (c_size_t, [c_char_p, c_size_t]),
    "attn_model_last_error": (c_size_t, [_model_p, c_char_p, c_size_t]),
    "attn_session_last_error": (c_size_t, [_session_p, c_char_p, c_size_t]),
    "attn_set_log_callback": (None, [LogCallback, c_void_p, c_enum]),
    "attn_free": (None, [c_void_p]),
    "attn_set_threads": (c_enum, [c_int32]),
    "attn_threads": (c_int32, []),
    "attn_load_options_defaults": (LoadOptions, []),
    "attn_model_load": (c_enum, [c_char_p, POINTER(LoadOptions), POINTER(_model_p)]),
    "attn_model_free": (None, [_model_p]),
    "attn_model_get_info": (c_enum, [_model_p, POINTER(ModelInfo)]),
    "attn_model_label": (c_enum, [_model_p, c_int32, POINTER(c_char_p)]),
    "attn_tokenize": (c_enum, [_model_p, c_char_p, c_int32, POINTER(POINTER(c_int32)), POINTER(c_size_t)]),
    "attn_detokenize": (c_enum, [_model_p, POINTER(c_int32), c_size_t, POINTER(POINTER(ctypes.c_char)),
                                 POINTER(c_size_t)]),
    "attn_session_options_defaults": (SessionOptions, []),
    "attn_session_create": (c_enum, [_model_p, POINTER(SessionOptions), POINTER(_session_p)]),
    "attn_session_free": (None, [_session_p]),
    "attn_generate_options_defaults": (GenerateOptions, []),
    "attn_generate": (c_enum, [_session_p, c_char_p, POINTER(GenerateOptions), POINTER(Generation)]),
    "attn_generation_clear": (None, [POINTER(Generation)]),
    "attn_session_abort": (c_enum, [_session_p]),
    "attn_chat_options_defaults": (ChatOptions, []),
    "attn_chat_template_apply": (c_enum, [_model_p, POINTER(ChatMessage), c_size_t, POINTER(ChatOptions),
                                          POINTER(POINTER(ctypes.c_char)), POINTER(c_size_t)]),
    "attn_chat": (c_enum, [_session_p, POINTER(ChatMessage), c_size_t, POINTER(ChatOptions),
                           POINTER(GenerateOptions), POINTER(Generation)]),
    "attn_embed_options_defaults": (EmbedOptions, []),
    "attn_embed": (c_enum, [_session_p, POINTER(c_char_p), c_size_t, POINTER(EmbedOptions), POINTER(c_float),
                            POINTER(c_int32)]),
    "attn_score_options_defaults": (ScoreOptions, []),
    "attn_score": (c_enum, [_session_p, POINTER(c_char_p), c_size_t, POINTER(ScoreOptions), POINTER(TextScore)]),
    "attn_text_scores_clear": (None, [POINTER(TextScore), c_size_t]),
    "attn_classify_options_defaults": (ClassifyOptions, []),
    "attn_classify": (c_enum, [_session_p, POINTER(c_char_p), POINTER(c_char_p), c_size_t,
                               POINTER(ClassifyOptions), POINTER(c_float), POINTER(c_int32)]),
    "attn_detect_record_format": (c_enum, [c_char_p]),
    "attn_record_options_defaults": (RecordOptions, []),
    "attn_process_records": (c_enum, [_session_p, c_enum, POINTER(c_char_p), c_size_t, POINTER(RecordOptions),
                                      POINTER(POINTER(ctypes.c_char)), POINTER(c_size_t), POINTER(c_int64)]),
}


def _candidates():
    """Where to look, in order: $ATTN_LIBRARY, beside this package, the system's library path."""
    explicit = os.environ.get("ATTN_LIBRARY")
    if explicit:
        return [explicit]
    here = os.path.dirname(os.path.abspath(__file__))
    beside = [os.path.join(here, name) for name in ("libattn.so.0", "libattn.so", "libattn.dylib")]
    found = [path for path in beside if os.path.exists(path)]
    return found + [ctypes.util.find_library("attn") or "libattn.so.0"]


# What the attn command sets before libgomp starts (tools/openmp_waiting.cpp):
# OpenMP threads spin briefly, then sleep, so a busy machine does not make
# more threads slower than one. libgomp reads it once, when it is loaded:
# this only takes effect if nothing loaded libgomp into the process before.
OPENMP_SPIN_COUNT = "1000"


def load_library():
    if "GOMP_SPINCOUNT" not in os.environ and "OMP_WAIT_POLICY" not in os.environ:
        os.environ["GOMP_SPINCOUNT"] = OPENMP_SPIN_COUNT
    errors = []
    for candidate in _candidates():
        try:
            lib = ctypes.CDLL(candidate)
            break
        except OSError as error:
            errors.append(f"{candidate}: {error}")
    else:
        raise ImportError("attn: cannot load libattn (set ATTN_LIBRARY to the path of libattn.so.0): " +
                          "; ".join(errors))
    for name, (restype, argtypes) in _SIGNATURES.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


lib = load_library()

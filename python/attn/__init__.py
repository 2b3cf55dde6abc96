"""Python bindings for attn, a CPU inference engine for Transformer models,
over its C API (include/attn.h) with ctypes. The shared library is found
through $ATTN_LIBRARY, else beside this package, else the system's library path."""

from ._library import lib as _lib
from .model import AttnError, Cancelled, Generation, Model, Records, Score, detect_record_format

__version__ = _lib.attn_version().decode()


def set_threads(threads: int) -> None:
    """Kernel threads for the whole process; 0: one per physical core."""
    if _lib.attn_set_threads(threads) != 0:
        raise ValueError("threads: must be 0 or more")


__all__ = ["AttnError", "Cancelled", "Generation", "Model", "Records", "Score", "detect_record_format", "set_threads",
           "__version__"]

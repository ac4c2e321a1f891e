"""Handing freed heap memory back to the operating system (glibc keeps it otherwise: a process that
once held a large batch would stay that large)."""
from __future__ import annotations

import ctypes
import functools


@functools.lru_cache(maxsize=1)
def _libc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to trim
        return None


def malloc_trim() -> None:
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)

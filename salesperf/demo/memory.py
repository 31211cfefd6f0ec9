"""Memory tuning for a run: keep memory freed by numpy in the process while generating
(glibc only) and give it back afterwards."""

from __future__ import annotations

import contextlib
import ctypes
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def reuse_freed_memory() -> Iterator[None]:
    """Keep memory freed by numpy in the process while generating, and give it back after.

    glibc hands every large array its own fresh pages (mmap) and returns them when the
    array is freed. Generation creates and drops many arrays of millions of rows, and on
    virtual machines that report free pages to the host each fresh page costs a host
    fault: measured, that alone makes a million-deal run half again as slow. Serving
    large blocks from the heap and not trimming it until the end avoids the churn; the
    defaults are restored and the heap trimmed afterwards. Elsewhere this is a no-op.
    """
    libc = _glibc()
    if libc is None:
        yield
        return
    m_trim_threshold, m_mmap_max = -1, -4
    libc.mallopt(m_mmap_max, 0)
    libc.mallopt(m_trim_threshold, 2**31 - 1)
    try:
        yield
    finally:
        libc.mallopt(m_mmap_max, 65536)
        libc.mallopt(m_trim_threshold, 128 * 1024)
        libc.malloc_trim(0)


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None

"""Giving back to the OS the memory a build allocated and freed."""
from __future__ import annotations


def release_freed_memory() -> None:
    """glibc keeps freed heap pages; after building a session or an index (tens of MB of
    temporaries) `malloc_trim` returns them, so the process's RSS is what it really uses."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass

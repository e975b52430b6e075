"""What this CPU can do fast, and the allocator settings that stop torch from churning memory.

Only the standard library: the engine asks these questions before torch is imported.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import sys

# glibc's mallopt parameters (malloc.h): negative numbers are the M_* constants.
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -2, -3, -8
MMAP_THRESHOLD = 32 << 20  # glibc's own ceiling for it on 64-bit
TRIM_THRESHOLD = 1 << 30
TOP_PAD = 64 << 20
BF16_FLAGS = {"avx512_bf16", "amx_bf16"}  # bf16 dot products in hardware (Zen 4+, Sapphire Rapids+)


@functools.cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags from /proc/cpuinfo (empty where there is none: macOS, Windows)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def native_bf16() -> bool:
    """Whether bf16 matrix maths runs in hardware here; elsewhere torch emulates it, slower than fp32."""
    return bool(BF16_FLAGS & cpu_flags())


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_key() -> str:
    """Names this machine's CPU for cached speed choices: the same home on another CPU re-measures."""
    wanted = sorted(cpu_flags() & {"avx2", "avx512f", "avx512_vnni", "avx_vnni", *BF16_FLAGS})
    text = "|".join([platform.machine(), cpu_name(), str(os.cpu_count()), *wanted])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@functools.cache
def _glibc() -> "ctypes.CDLL | None":
    if sys.platform != "linux":
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # musl or another libc
        return None
    return libc if hasattr(libc, "malloc_trim") else None


def cap_arenas(count: int = 2) -> bool:
    """A server: at most ``count`` malloc arenas for all its threads.

    glibc gives each new thread its own arena (up to 8 per core) and keeps what each one
    freed; under a Gradio server's worker threads that read as +80 % RSS after 320 calls.
    """
    libc = _glibc()
    if libc is None or "MALLOC_ARENA_MAX" in os.environ:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, count) == 1)


def release_free_memory() -> None:
    """Hand memory freed by the last request back to the system (between requests, not tiles)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


@functools.cache
def tune_allocator() -> bool:
    """Keep freed activation memory in the process instead of giving it back to the kernel.

    glibc hands every block over 128 KiB–32 MiB back to the kernel on free, so each layer of a
    convolutional network maps fresh pages and takes a page fault per 4 KiB: on large tiles
    up to half the wall time went to the kernel. Raising the mmap threshold to its ceiling and
    trimming only above 1 GiB lets the next tile reuse the same memory. Linux/glibc only;
    elsewhere (or with the MALLOC_* environment variables set by the user) nothing changes.
    """
    libc = _glibc()
    if libc is None or any(name.startswith("MALLOC_") for name in os.environ):
        return False
    settings = ((M_MMAP_THRESHOLD, MMAP_THRESHOLD), (M_TRIM_THRESHOLD, TRIM_THRESHOLD), (M_TOP_PAD, TOP_PAD))
    return all(libc.mallopt(option, value) == 1 for option, value in settings)

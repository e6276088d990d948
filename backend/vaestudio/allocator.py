"""glibc's malloc, told to keep the memory a training process frees (`vaestudio train` and `serve`).

A training step frees the same large buffers (activations, a conv's workspaces) that the next step
allocates again. glibc's malloc hands such memory back to the operating system: it trims the top of
a heap above M_TRIM_THRESHOLD, and it deletes a thread's extra heap as soon as that heap is empty.
Memory handed back comes back zeroed, one page fault per 4 KiB page, on every step. Whether a
process falls into that depends on the order its first allocations happened in, so identical
processes differed: in 3 of 18 starts, a `serve` of the 28x28 conv with 2 threads on 2 cores ran 24
steps a second with about 6,000 faults per step in each of training's two threads (strace: a
thread heap created and deleted several times a step), and the others 28-31 with 5-7 faults per
step. With the settings below, 14 starts in a row ran 30-34 steps a second with under 1 fault per
step (bench_scale.py prints the live servers' faults per step). A process that keeps what it frees
reuses it, and faults only while it grows to its peak.

So, on glibc only (musl, macOS and Windows have allocators of their own):
- M_TRIM_THRESHOLD and M_TOP_PAD: the top of a heap is trimmed only above TRIM_THRESHOLD_BYTES, and
  an empty thread heap is kept while it is within TOP_PAD_BYTES of what the arena needs;
- M_MMAP_THRESHOLD: setting either of the above also stops glibc raising the size above which a
  request gets a mapping of its own (from 128 KiB, on each free of a larger one, up to 32 MiB), so it
  is set to that ceiling here: requests up to 32 MiB come from the heaps and are reused; a larger
  one is still mapped and unmapped on its own.
The cost is memory: a process keeps up to its peak, as it would under jemalloc or tcmalloc.
"""

from __future__ import annotations

import ctypes
import logging
import platform

log = logging.getLogger(__name__)

# mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
TRIM_THRESHOLD_BYTES = 1 << 30
TOP_PAD_BYTES = 64 << 20  # a thread heap's size (HEAP_MAX_SIZE): an empty one is always kept
MMAP_THRESHOLD_BYTES = 32 << 20  # glibc's own ceiling for it on 64-bit (half a thread heap)

_applied: bool | None = None


def keep_freed_memory() -> bool:
    """Tells glibc's malloc to keep freed memory for reuse (see above); once per process. True where
    it took (Linux with glibc), False elsewhere or where glibc refused a value."""
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if platform.libc_ver()[0] != "glibc":  # (os.confstr where glibc answers it: no file read)
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own symbols, glibc's among them
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    settings = ((M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES), (M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES),
                (M_TOP_PAD, TOP_PAD_BYTES))
    _applied = all([mallopt(param, value) == 1 for param, value in settings])  # each is tried
    if not _applied:
        log.debug("glibc refused a mallopt setting; freed memory may go back to the system")
    return _applied

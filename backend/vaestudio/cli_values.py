"""The command line's value types (argparse `type=`s) and what `--threads` resolves to."""

from __future__ import annotations

import argparse

THREADS_AUTO = "auto"  # `--threads auto`: chosen from the cores (latent_refresh.auto_threads)


def _whole(text: str, what: str, also: str = "", least: int = 1) -> int:
    """A whole number from `least`, or the argparse error that names `what` (and `also`, another form)."""
    try:
        n = int(text)
    except ValueError:
        n = least - 1
    if n < least:
        raise argparse.ArgumentTypeError(f"expected {also}a whole number of {what} from {least}, got {text!r}")
    return n


def threads(text: str) -> int | str:
    """--threads: 'auto' or a whole number of threads from 1."""
    return text if text == THREADS_AUTO else _whole(text, "threads", f"'{THREADS_AUTO}' or ")


def processes(text: str) -> int:
    """--nproc: a whole number of processes from 1."""
    return _whole(text, "processes")


def steps(text: str) -> int:
    """train --steps: a whole number of steps from 0 (0 saves the weights as they are)."""
    return _whole(text, "steps", least=0)


def resolve_threads(threads: int | str, serving: bool) -> int:
    """--threads -> the torch intra-op thread count: 'auto' is every core this process may use,
    less one for the server loop, inference and the latent encodes when serving (at least 1), split
    among the data-parallel processes on this machine. Measured in bench/bench_scale.py (model x
    data x threads)."""
    from vaestudio.distributed import share_cores
    from vaestudio.latent_refresh import auto_threads

    return share_cores(auto_threads(serving)) if threads == THREADS_AUTO else int(threads)


def byte_size(text: str) -> int:
    """'2147483648', '500M', '2G' -> bytes (K, M, G are powers of 1024)."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    t = text.strip().upper().removesuffix("IB").removesuffix("B")
    scale = units.get(t[-1:], 1)
    try:
        n = int(float(t[:-1] if t[-1:] in units else t) * scale)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size; give bytes, or a number with K, M or G (e.g. 4G)")
    return n


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds; give 0 (off) or more, e.g. 120")
    return value

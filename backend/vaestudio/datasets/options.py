"""Checks for loader options. Options arrive from the wire (msgpack), so types are checked here,
once, and a wrong one becomes a DataError sentence naming the option and what it accepts."""

from __future__ import annotations

import math

from vaestudio.datasets.base import DataError


def as_int(name: str, value, lo: int, hi: int) -> int:
    # bool is an int in Python; `n=True` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise DataError(f"option {name!r} must be an integer from {lo} to {hi}, not {value!r}.")
    return int(value)


def as_float(name: str, value, lo: float, hi: float, *, open_ends: bool = False) -> float:
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    if ok:
        ok = lo < value < hi if open_ends else lo <= value <= hi
    if not ok:
        bounds = f"between {lo} and {hi} (exclusive)" if open_ends else f"from {lo} to {hi}"
        raise DataError(f"option {name!r} must be a number {bounds}, not {value!r}.")
    return float(value)


def as_choice(name: str, value, choices: tuple) -> object:
    if isinstance(value, bool) or value not in choices:
        raise DataError(f"option {name!r} must be one of {', '.join(map(repr, choices))}, not {value!r}.")
    return value


def as_bool(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise DataError(f"option {name!r} must be true or false, not {value!r}.")
    return value


def as_size(name: str, value, lo: int = 1, hi: int = 4096) -> tuple[int, int] | None:
    """An image size: None, an int s (s x s), or [h, w]."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value, value]
    if (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi for v in value)):
        return int(value[0]), int(value[1])
    raise DataError(f"option {name!r} must be an integer side or [height, width] with sides from {lo} to {hi}, "
                    f"not {value!r}.")

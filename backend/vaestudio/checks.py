"""Value checks shared by configs, model specs, request arguments and data options.

Values arrive from msgpack, JSON and the command line, so types are checked here, once: each check
returns the value in its canonical type or raises a UserError (ConfigError unless the caller names
another, e.g. DataError) whose sentence names the value and what is accepted. `bool` is an int in
Python, but `n=True` is a mistake, not 1, so every numeric check refuses it.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

from vaestudio.errors import ConfigError, UserError


def integer(name: str, value: Any, lo: int, hi: int, error: type[UserError] = ConfigError) -> int:
    """An int from lo to hi; a float with no fraction (2.0, as JSON may write it) counts."""
    whole = isinstance(value, int) or (isinstance(value, float) and math.isfinite(value) and value == int(value))
    if isinstance(value, bool) or not whole or not lo <= value <= hi:
        raise error(f"{name} must be an integer from {lo} to {hi}, got {value!r}")
    return int(value)


def number(name: str, value: Any, lo: float, hi: float, error: type[UserError] = ConfigError) -> float:
    """A finite int or float from lo to hi, as a float."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    if not ok or not lo <= value <= hi:
        raise error(f"{name} must be a number from {lo:g} to {hi:g}, got {value!r}")
    return float(value)


def choice(name: str, value: Any, accepted: Iterable[Any], error: type[UserError] = ConfigError) -> Any:
    accepted = tuple(accepted)
    if isinstance(value, bool) or value not in accepted:
        raise error(f"{name} must be one of {', '.join(map(str, accepted))}, got {value!r}")
    return value


def boolean(name: str, value: Any, error: type[UserError] = ConfigError) -> bool:
    if not isinstance(value, bool):
        raise error(f"{name} must be true or false, got {value!r}")
    return value


def text(name: str, value: Any, error: type[UserError] = ConfigError) -> str:
    if not isinstance(value, str):
        raise error(f"{name} must be a string, got {value!r}")
    return value


def mapping(name: str, value: Any, error: type[UserError] = ConfigError) -> dict:
    if not isinstance(value, dict):
        raise error(f"{name} must be a map, got {type(value).__name__}")
    return value


def int_list(name: str, value: Any, lo: int, hi: int, error: type[UserError] = ConfigError) -> tuple[int, ...]:
    """A non-empty list of ints, each from lo to hi."""
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        raise error(f"{name} must be a list of integers, got {value!r}")
    items = tuple(value)
    if not items:
        raise error(f"{name} must list at least one value")
    return tuple(integer(name, v, lo, hi, error) for v in items)


def known_keys(given: Iterable[str], accepted: Iterable[str], what: str, where: str = "",
               error: type[UserError] = ConfigError) -> None:
    """Unknown keys raise at once (nanoGPT's config rule) instead of being ignored:
    "unknown {what} [...]{where}; accepted: ..."."""
    accepted = tuple(accepted)
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        raise error(f"unknown {what} {unknown}{where}; accepted: {', '.join(accepted) or 'none'}")

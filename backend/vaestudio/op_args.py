"""Request arguments: the `args` map of an op, read with the checks of vaestudio.checks.

Names are quoted in messages ('n', 'z') because they are the keys the client sent.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vaestudio import checks
from vaestudio.errors import ConfigError, TooLarge
from vaestudio.wire import from_array

MAX_ITEMS = 4096  # most rows one decode/encode/sample may ask for
MAX_STEPS = 100_000  # most steps one train.step may ask for


def only(args: dict, accepted: tuple[str, ...]) -> None:
    """Unknown argument names are an error, not ignored (a typo would silently do nothing)."""
    checks.known_keys(args, accepted, "argument(s)")


def integer(args: dict, name: str, lo: int, hi: int, default: int | None = None) -> int | None:
    """An optional integer argument (absent or nil: `default`)."""
    if args.get(name) is None:
        return default
    if isinstance(args[name], float):  # on the wire, an integer argument is a msgpack int
        raise ConfigError(f"'{name}' must be an integer from {lo} to {hi}, got float")
    return checks.integer(f"'{name}'", args[name], lo, hi)


def number(args: dict, name: str, lo: float, hi: float, default: float | None = None) -> float | None:
    if args.get(name) is None:
        return default
    return checks.number(f"'{name}'", args[name], lo, hi)


def mapping(args: dict, name: str) -> dict:
    """An optional map argument (absent: {}), copied so the handler may change it."""
    return dict(checks.mapping(f"'{name}'", args.get(name, {})))


def count(args: dict, name: str) -> int:
    """A required row count: over MAX_ITEMS is too_large rather than merely invalid."""
    if name not in args:
        raise ConfigError(f"'{name}' is required: an integer from 1 to {MAX_ITEMS}")
    n = integer(args, name, 1, 2**62)
    if n > MAX_ITEMS:
        raise TooLarge(f"'{name}' is {n}; at most {MAX_ITEMS} per request")
    return n


def rows(value: Any, field: str, width: int) -> np.ndarray:
    """A 2-D f32 array (n, width), n from 1 to MAX_ITEMS, all finite."""
    a = from_array(value, field, "f32")
    if a.ndim != 2 or a.shape[1] != width:
        raise ConfigError(f"'{field}' must have shape [n, {width}] (latent_dim {width}), got {list(a.shape)}")
    if a.shape[0] > MAX_ITEMS:
        raise TooLarge(f"'{field}' has {a.shape[0]} rows; at most {MAX_ITEMS} per request")
    if a.shape[0] == 0:
        raise ConfigError(f"'{field}' must have at least one row")
    if not np.isfinite(a).all():
        raise ConfigError(f"'{field}' must hold finite numbers only")
    return a

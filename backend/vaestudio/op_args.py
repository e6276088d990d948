"""Argument checks shared by the ops: each error names the field and what is accepted."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from vaestudio.wire import ProtocolError, from_array

MAX_ITEMS = 4096  # most rows one decode/encode/sample may ask for
MAX_STEPS = 100_000  # most steps one train.step may ask for


def _int(args: dict, name: str, lo: int, hi: int, default: int | None = None, required: bool = False) -> int | None:
    if name not in args or args[name] is None:
        if required:
            raise ProtocolError("invalid_argument", f"'{name}' is required: an integer from {lo} to {hi}")
        return default
    v = args[name]
    if not isinstance(v, int) or isinstance(v, bool):
        raise ProtocolError("invalid_argument", f"'{name}' must be an integer from {lo} to {hi}, got {type(v).__name__}")
    if not lo <= v <= hi:
        raise ProtocolError("invalid_argument", f"'{name}' must be from {lo} to {hi}, got {v}")
    return v


def _size(args: dict, name: str) -> int:
    """A row count: over MAX_ITEMS is too_large rather than merely invalid."""
    v = _int(args, name, 1, 2**62, required=True)
    if v > MAX_ITEMS:
        raise ProtocolError("too_large", f"'{name}' is {v}; at most {MAX_ITEMS} per request")
    return v


def _float(args: dict, name: str, lo: float, hi: float) -> float | None:
    if name not in args or args[name] is None:
        return None
    v = args[name]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ProtocolError("invalid_argument", f"'{name}' must be a finite number from {lo:g} to {hi:g}, got {v!r}")
    if not lo <= v <= hi:
        raise ProtocolError("invalid_argument", f"'{name}' must be from {lo:g} to {hi:g}, got {v:g}")
    return float(v)


def _no_extra(args: dict, accepted: tuple[str, ...]) -> None:
    extra = sorted(set(args) - set(accepted))
    if extra:
        names = ", ".join(accepted) if accepted else "none"
        raise ProtocolError("invalid_argument", f"unknown argument(s) {extra}; accepted: {names}")


def _rows(value: Any, field: str, width: int) -> np.ndarray:
    """A 2-D f32 array (n, width), n from 1 to MAX_ITEMS, all finite."""
    a = from_array(value, field, "f32")
    if a.ndim != 2 or a.shape[1] != width:
        raise ProtocolError("invalid_argument", f"'{field}' must have shape [n, {width}] (latent_dim {width}), got {list(a.shape)}")
    if a.shape[0] > MAX_ITEMS:
        raise ProtocolError("too_large", f"'{field}' has {a.shape[0]} rows; at most {MAX_ITEMS} per request")
    if a.shape[0] == 0:
        raise ProtocolError("invalid_argument", f"'{field}' must have at least one row")
    if not np.isfinite(a).all():
        raise ProtocolError("invalid_argument", f"'{field}' must hold finite numbers only")
    return a

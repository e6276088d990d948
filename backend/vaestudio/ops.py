"""The control ops of wire contract v1: argument checks, then a call into the trainer or inference.

Each handler takes (server, args) and returns a result map, raises ProtocolError, or returns
DEFERRED after arranging for the trainer to send the reply later (train.step, train.reset).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from vaestudio import PROTOCOL_VERSION, __version__
from vaestudio.config import BATCH_RANGE, BETA_RANGE, LR_RANGE
from vaestudio.wire import ProtocolError, array, from_array

if TYPE_CHECKING:
    from vaestudio.server import Server

MAX_ITEMS = 4096  # most rows one decode/encode/sample may ask for
MAX_STEPS = 100_000  # most steps one train.step may ask for
DEFERRED = object()


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


def op_hello(server: "Server", args: dict) -> dict:
    _no_extra(args, ("client", "protocol"))
    proto = args.get("protocol", PROTOCOL_VERSION)
    if proto != PROTOCOL_VERSION:
        raise ProtocolError("invalid_argument", f"'protocol' {proto!r} is not spoken here; this server speaks 1")
    return {
        "protocol": PROTOCOL_VERSION,
        "server": "vaestudio",
        "version": __version__,
        "ops": sorted(OPS),
        "streams": list(server.STREAMS),
    }


def op_status(server: "Server", args: dict) -> dict:
    _no_extra(args, ())
    return server.status()


def op_train_start(server: "Server", args: dict) -> dict:
    _no_extra(args, ())
    server.trainer.start()
    return {"state": server.trainer.state}


def op_train_pause(server: "Server", args: dict, reply: Callable[[dict], None]) -> object:
    _no_extra(args, ())
    server.trainer.pause(reply)  # replies once the step in progress has finished
    return DEFERRED


def op_train_step(server: "Server", args: dict, reply: Callable[[dict], None]) -> object:
    _no_extra(args, ("n",))
    n = _int(args, "n", 1, MAX_STEPS, default=1)
    if server.trainer.state == "training":
        raise ProtocolError("invalid_argument", "train.step runs steps while paused; send train.pause first")
    server.trainer.request_steps(n, reply)
    return DEFERRED


def op_train_reset(server: "Server", args: dict, reply: Callable[[dict], None]) -> object:
    _no_extra(args, ("seed",))
    seed = _int(args, "seed", 0, 2**31 - 1)
    server.trainer.reset(seed, reply)
    return DEFERRED


def op_config_set(server: "Server", args: dict) -> dict:
    _no_extra(args, ("lr", "beta", "batch_size"))
    values = {
        "lr": _float(args, "lr", *LR_RANGE),
        "beta": _float(args, "beta", *BETA_RANGE),
        "batch_size": _int(args, "batch_size", *BATCH_RANGE),
    }
    return {"config": server.trainer.update_config(**{k: v for k, v in values.items() if v is not None})}


def op_decode(server: "Server", args: dict) -> dict:
    _no_extra(args, ("z",))
    if "z" not in args:
        raise ProtocolError("invalid_argument", "'z' is required: f32 array of shape [n, latent_dim]")
    z = _rows(args["z"], "z", server.trainer.model_config.latent_dim)
    return {"images": array(server.inference.decode(z), "u8")}


def op_encode(server: "Server", args: dict) -> dict:
    _no_extra(args, ("indices",))
    if "indices" not in args:
        raise ProtocolError("invalid_argument", "'indices' is required: i32 array of shape [n] (data-set rows)")
    idx = from_array(args["indices"], "indices", "i32")
    n = server.trainer.dataset.n
    if idx.ndim != 1 or idx.shape[0] == 0:
        raise ProtocolError("invalid_argument", f"'indices' must have shape [n] with n >= 1, got {list(idx.shape)}")
    if idx.shape[0] > MAX_ITEMS:
        raise ProtocolError("too_large", f"'indices' has {idx.shape[0]} rows; at most {MAX_ITEMS} per request")
    if idx.min() < 0 or idx.max() >= n:
        raise ProtocolError("invalid_argument", f"'indices' must be data-set rows from 0 to {n - 1}")
    mu, logvar = server.inference.encode(idx)
    return {"mu": array(mu, "f32"), "logvar": array(logvar, "f32")}


def op_sample(server: "Server", args: dict) -> dict:
    _no_extra(args, ("n", "seed"))
    n = _size(args, "n")
    seed = _int(args, "seed", 0, 2**62)
    z, images = server.inference.sample(n, seed)
    return {"z": array(z, "f32"), "images": array(images, "u8")}


# op name -> (handler, deferred?)  Deferred handlers receive a reply callback.
OPS: dict[str, tuple[Callable, bool]] = {
    "hello": (op_hello, False),
    "status": (op_status, False),
    "train.start": (op_train_start, False),
    "train.pause": (op_train_pause, True),
    "train.step": (op_train_step, True),
    "train.reset": (op_train_reset, True),
    "config.set": (op_config_set, False),
    "decode": (op_decode, False),
    "encode": (op_encode, False),
    "sample": (op_sample, False),
}

"""The control ops of wire contract v1: argument checks, then a call into the trainer or inference.

Each handler takes (server, args) and returns a result map, raises ProtocolError, or returns
DEFERRED after arranging for the trainer to send the reply later (train.step, train.reset).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable

import numpy as np

from vaestudio import PROTOCOL_VERSION, __version__
from vaestudio.config import LIVE_KEYS, ConfigError
from vaestudio.op_args import MAX_ITEMS, MAX_STEPS, _int, _no_extra, _rows, _size
from vaestudio.ops_runs import DEFERRED, RUN_OPS
from vaestudio.wire import ProtocolError, array, from_array

if TYPE_CHECKING:
    from vaestudio.server import Server


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
    _no_extra(args, LIVE_KEYS)
    if not args:
        raise ProtocolError("invalid_argument", f"config.set needs at least one of: {', '.join(LIVE_KEYS)}")
    for key, value in args.items():
        if isinstance(value, bool) or (isinstance(value, float) and not math.isfinite(value)):
            raise ProtocolError("invalid_argument", f"'{key}' must be a finite number or a name, got {value!r}")
    try:
        return {"config": server.trainer.update_config(**args)}
    except ConfigError as exc:
        raise ProtocolError("invalid_argument", str(exc)) from None


def _labels(server: "Server", args: dict, n: int) -> np.ndarray | None:
    """Optional `labels` i32 [n] for conditional models (omitted: label 0, or the rows' own in encode)."""
    if "labels" not in args:
        return None
    if not server.trainer.conditional:
        raise ProtocolError("invalid_argument", f"'labels' is only for conditional models; {server.trainer.spec.name} is not")
    labels = from_array(args["labels"], "labels", "i32")
    classes = server.trainer.spec.num_classes
    if labels.shape != (n,):
        raise ProtocolError("invalid_argument", f"'labels' must have shape [{n}] (one per row), got {list(labels.shape)}")
    if n and (labels.min() < 0 or labels.max() >= classes):
        raise ProtocolError("invalid_argument", f"'labels' must be classes from 0 to {classes - 1}")
    return labels


def _decoded(server: "Server", z: np.ndarray, labels: np.ndarray | None) -> dict:
    """Image data decodes to `images` (u8); vector data (toy manifolds) to its `values` (f32)."""
    if not server.trainer.dataset.image_shape:
        return {"values": array(server.inference.values(z, labels), "f32")}
    return {"images": array(server.inference.decode(z, labels), "u8")}


def op_decode(server: "Server", args: dict) -> dict:
    _no_extra(args, ("z", "labels"))
    if "z" not in args:
        raise ProtocolError("invalid_argument", "'z' is required: f32 array of shape [n, latent_dim]")
    z = _rows(args["z"], "z", server.trainer.spec.latent_dim)
    return _decoded(server, z, _labels(server, args, len(z)))


def op_encode(server: "Server", args: dict) -> dict:
    _no_extra(args, ("indices", "labels"))
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
    mu, logvar = server.inference.encode(idx, _labels(server, args, len(idx)))
    return {"mu": array(mu, "f32"), "logvar": array(logvar, "f32")}


def op_sample(server: "Server", args: dict) -> dict:
    _no_extra(args, ("n", "seed", "labels"))
    n = _size(args, "n")
    seed = _int(args, "seed", 0, 2**62)
    labels = _labels(server, args, n)
    z = server.inference.prior(n, seed)
    return {"z": array(z, "f32"), **_decoded(server, z, labels)}


# op name -> (handler, deferred?)  Deferred handlers receive a reply callback.
OPS: dict[str, tuple[Callable, bool]] = {
    **RUN_OPS,
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

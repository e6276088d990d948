"""Wire contract v1 in one place: message bodies <-> bytes, arrays <-> numpy, error replies.

protocol/README.md is the normative text; this module is its Python reading.
"""

from __future__ import annotations

from typing import Any

import msgpack
import numpy as np

from vaestudio import PROTOCOL_VERSION
from vaestudio.errors import UserError

DTYPES = {"f32": np.dtype("<f4"), "u8": np.dtype("u1"), "i32": np.dtype("<i4")}
ERROR_CODES = ("bad_request", "unknown_op", "invalid_argument", "too_large", "cancelled", "timed_out", "internal")
MAX_REQUEST_BYTES = 16 * 1024 * 1024  # larger request bodies get a too_large reply


class ProtocolError(UserError):
    """A request the wire contract refuses: `code` is one of ERROR_CODES, `message` a sentence."""

    def __init__(self, code: str, message: str):
        assert code in ERROR_CODES, code
        super().__init__(message)
        self.code = code
        self.message = message


def pack(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def unpack(body: bytes) -> Any:
    """Strict decode of one body: raises ProtocolError(bad_request) on anything malformed."""
    try:
        return msgpack.unpackb(body, raw=False, strict_map_key=False)
    except Exception as exc:  # msgpack raises several unrelated types for bad input
        raise ProtocolError("bad_request", f"request body is not valid msgpack ({type(exc).__name__})") from None


def parse_request(body: bytes) -> tuple[int | None, str, dict]:
    """Body -> (id, op, args). Raises ProtocolError; its reply carries the id once one was read."""
    if len(body) > MAX_REQUEST_BYTES:
        raise ProtocolError("too_large", f"request body is {len(body)} bytes; the limit is {MAX_REQUEST_BYTES}")
    msg = unpack(body)
    if not isinstance(msg, dict):
        raise ProtocolError("bad_request", f"request body must be a msgpack map, got {type(msg).__name__}")
    rid = msg.get("id")
    if not isinstance(rid, int) or isinstance(rid, bool):
        raise ProtocolError("bad_request", "request needs an integer 'id'")
    try:
        if msg.get("v") != PROTOCOL_VERSION:
            raise ProtocolError("bad_request", f"unsupported protocol version {msg.get('v')!r}; this server speaks v={PROTOCOL_VERSION}")
        op = msg.get("op")
        if not isinstance(op, str):
            raise ProtocolError("bad_request", "request needs a string 'op'")
        args = msg.get("args", {})
        if not isinstance(args, dict):
            raise ProtocolError("bad_request", f"'args' must be a map, got {type(args).__name__}")
    except ProtocolError as exc:
        exc.request_id = rid  # type: ignore[attr-defined]
        raise
    return rid, op, args


def ok_reply(rid: int, result: dict) -> dict:
    return {"v": PROTOCOL_VERSION, "id": rid, "ok": True, "result": result}


def error_reply(rid: int | None, code: str, message: str) -> dict:
    return {"v": PROTOCOL_VERSION, "id": rid, "ok": False, "error": {"code": code, "message": message}}


def stream_message(run: str, step: int, fields: dict) -> dict:
    return {"v": PROTOCOL_VERSION, "run": run, "step": step, **fields}


def array(a: np.ndarray, dtype: str) -> dict:
    """numpy -> wire array {dtype, shape, data}: little-endian, C order."""
    a = np.ascontiguousarray(a, dtype=DTYPES[dtype])
    return {"dtype": dtype, "shape": list(a.shape), "data": a.tobytes()}


def from_array(value: Any, field: str, dtype: str | None = None) -> np.ndarray:
    """Wire array -> numpy, checking every promise it makes. Errors name `field`."""
    accepted = "a map {dtype: 'f32'|'u8'|'i32', shape: [ints], data: bin}"
    if not isinstance(value, dict) or set(value) != {"dtype", "shape", "data"}:
        raise ProtocolError("invalid_argument", f"'{field}' must be {accepted}")
    dt, shape, data = value["dtype"], value["shape"], value["data"]
    if dt not in DTYPES:
        raise ProtocolError("invalid_argument", f"'{field}.dtype' must be one of f32, u8, i32, got {dt!r}")
    if dtype is not None and dt != dtype:
        raise ProtocolError("invalid_argument", f"'{field}' must have dtype {dtype}, got {dt}")
    if not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise ProtocolError("invalid_argument", f"'{field}.shape' must be a list of non-negative integers")
    if not isinstance(data, bytes):
        raise ProtocolError("invalid_argument", f"'{field}.data' must be msgpack bin, got {type(data).__name__}")
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    want = n * DTYPES[dt].itemsize
    if len(data) != want:
        raise ProtocolError(
            "invalid_argument", f"'{field}.data' has {len(data)} bytes but shape {shape} of {dt} needs {want}"
        )
    return np.frombuffer(data, dtype=DTYPES[dt]).reshape(shape)

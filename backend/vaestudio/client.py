"""A small Python client for notebooks, scripts and tests.

    from vaestudio.client import Client
    with Client("tcp://127.0.0.1:5555", "tcp://127.0.0.1:5556") as c:
        print(c.call("status"))
        images = c.decode([[0.0, 0.0]])          # numpy uint8 (1, 8, 8)
        topic, msg = c.next_stream(timeout=2.0)   # after c.subscribe("metrics")
        c.fetch_file(run, "samples.png", "samples.png")  # a run file, in chunks, sha256-checked
"""

from __future__ import annotations

import hashlib
import itertools
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import zmq

from vaestudio import PROTOCOL_VERSION, wire
from vaestudio.auth import check_token, use_token


class RemoteError(Exception):
    """The server answered ok: false. `code` is the wire error code."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def to_wire(a: Any, dtype: str = "f32") -> dict:
    """numpy array (or nested lists) -> wire array map."""
    return wire.array(np.asarray(a), dtype)


def from_wire(value: dict) -> np.ndarray:
    """wire array map -> numpy array (read-only view of the received bytes)."""
    return wire.from_array(value, "array")


def _arrays_to_numpy(value: Any) -> Any:
    """A reply with every wire array map (at any depth) turned into numpy."""
    if isinstance(value, dict):
        if set(value) == {"dtype", "shape", "data"}:
            return from_wire(value)
        return {k: _arrays_to_numpy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_arrays_to_numpy(v) for v in value]
    return value


class Client:
    def __init__(self, control: str = "tcp://127.0.0.1:5555", stream: str | None = None,
                 timeout: float = 5.0, context: zmq.Context | None = None, token: str | None = None):
        self.ctx = context or zmq.Context.instance()
        self.timeout = timeout
        self.token = token  # None: NULL security (loopback); else ZMTP PLAIN on both sockets
        if token is not None:
            check_token(token)  # before any socket exists, so a bad token leaks none
        self.dealer = self.ctx.socket(zmq.DEALER)
        self.dealer.setsockopt(zmq.LINGER, 0)
        # A DEALER with no live connection blocks on send (after a refused handshake libzmq drops
        # the connection for good): give up after the timeout instead of hanging.
        self.dealer.setsockopt(zmq.SNDTIMEO, max(1, int(timeout * 1000)))
        if token is not None:
            use_token(self.dealer, token)
        self.dealer.connect(control)
        self.sub: zmq.Socket | None = None
        self.stream_endpoint = stream
        self._ids = itertools.count(1)
        self._early: dict[int, dict] = {}  # replies that arrived while waiting for another id

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.dealer.close(0)
        if self.sub is not None:
            self.sub.close(0)

    # ----- request / reply -----------------------------------------------------------------------
    def send(self, op: str, args: dict | None = None) -> int:
        """Sends a request without waiting; returns its id (collect it with `reply`)."""
        rid = next(self._ids)
        try:
            self.dealer.send(wire.pack({"v": PROTOCOL_VERSION, "id": rid, "op": op, "args": args or {}}))
        except zmq.Again:
            raise TimeoutError(f"could not send {op!r} within {self.timeout} s: no connection to the server "
                               "(is it running, and does it want a token?)") from None
        return rid

    def reply(self, rid: int, timeout: float | None = None) -> dict:
        """Waits for the whole reply map of request `rid`; raises TimeoutError."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while rid not in self._early:
            left = deadline - time.monotonic()
            if left <= 0 or not self.dealer.poll(int(left * 1000) + 1):
                if rid in self._early:
                    break
                raise TimeoutError(f"no reply to request {rid} within {self.timeout if timeout is None else timeout} s")
            msg = wire.unpack(self.dealer.recv())
            self._early[msg.get("id")] = msg
        return self._early.pop(rid)

    def call(self, op: str, args: dict | None = None, timeout: float | None = None, **kwargs: Any) -> dict:
        """Request -> result map; raises RemoteError when the server says ok: false."""
        msg = self.reply(self.send(op, {**(args or {}), **kwargs}), timeout)
        if not msg.get("ok"):
            err = msg.get("error") or {}
            raise RemoteError(err.get("code", "?"), err.get("message", ""))
        return msg["result"]

    # ----- conveniences --------------------------------------------------------------------------
    def decode(self, z: Any) -> np.ndarray:
        return from_wire(self.call("decode", z=to_wire(np.atleast_2d(np.asarray(z, dtype=np.float32))))["images"])

    def encode(self, indices: Any) -> tuple[np.ndarray, np.ndarray]:
        r = self.call("encode", indices=to_wire(np.asarray(indices), "i32"))
        return from_wire(r["mu"]), from_wire(r["logvar"])

    def sample(self, n: int, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        r = self.call("sample", n=n, **({} if seed is None else {"seed": seed}))
        return from_wire(r["z"]), from_wire(r["images"])

    def trace(self, index: int, seed: int | None = None) -> dict:
        """One data-set row through the model (op `trace`): the reply with every array as numpy,
        the layers' activations included."""
        r = self.call("trace", index=index, **({} if seed is None else {"seed": seed}))
        return _arrays_to_numpy(r)

    def history(self, run: str | None = None, max_points: int = 1000) -> tuple[np.ndarray, dict]:
        """The run's metrics from its first step (op `metrics.history`): (steps (m,), {name:
        {"mean", "min", "max"} each (m,), NaN where a bucket has no value})."""
        r = self.call("metrics.history", max_points=max_points, **({} if run is None else {"run": run}))
        series = {name: {k: from_wire(v) for k, v in parts.items()} for name, parts in r["series"].items()}
        return from_wire(r["steps"]), series

    # ----- settings ------------------------------------------------------------------------------
    def check_model(self, model: dict, data: dict | None = None, timeout: float = 60.0) -> dict:
        """What run.new would build from `model` (on `data`, default the live run's data), without
        a run (op `model.check`): {"spec", "parameters", "encoder", "decoder"}; a model that does
        not fit raises RemoteError naming the layer."""
        return self.call("model.check", {"model": model, **({} if data is None else {"data": data})}, timeout)

    def browse(self, path: str = "") -> dict:
        """One of the server's --data-dir folders (op `data.browse`; "" lists the folders themselves):
        {"path", "parent", "entries": [{"name", "kind", "size", "path"}], "truncated"}."""
        return self.call("data.browse", path=path)

    # ----- run files -----------------------------------------------------------------------------
    def fetch_file(self, run: str, path: str, dest: str | os.PathLike, chunk: int | None = None,
                   attempts: int = 3) -> dict:
        """Copies the file `path` of `run`'s folder to `dest` over `run.fetch`, chunk by chunk, and
        checks the whole against the sha256 the server sent; returns {"path", "size", "sha256"}.
        A file replaced on the server meanwhile (its sha256 changes, e.g. by a save) is fetched again
        from its start, up to `attempts` times. `dest` is written under a temporary name and renamed,
        so a failed fetch leaves nothing there."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        args = {"run": run, "path": path, **({} if chunk is None else {"length": chunk})}
        for _ in range(attempts):
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as out:
                    digest, offset, first = hashlib.sha256(), 0, self.call("run.fetch", args)
                    reply = first
                    while True:
                        if reply["sha256"] != first["sha256"]:
                            break  # replaced on the server: start again
                        out.write(reply["data"])
                        digest.update(reply["data"])
                        offset += len(reply["data"])
                        if offset >= reply["size"] or not reply["data"]:
                            break
                        reply = self.call("run.fetch", {**args, "offset": offset})
                if reply["sha256"] == first["sha256"] and offset == first["size"]:
                    if digest.hexdigest() != first["sha256"]:
                        raise ValueError(f"{path} of run {run} arrived with sha256 {digest.hexdigest()}, "
                                         f"not the server's {first['sha256']}")
                    os.replace(tmp, dest)
                    return {"path": str(dest), "size": offset, "sha256": first["sha256"]}
            finally:
                Path(tmp).unlink(missing_ok=True)
        raise RuntimeError(f"{path} of run {run} changed on the server during each of {attempts} fetches")

    def delete_run(self, run: str) -> dict:
        """Deletes a saved run's folder on the server (op `run.delete`; not the live run)."""
        return self.call("run.delete", run=run)

    # ----- streams -------------------------------------------------------------------------------
    def subscribe(self, *topics: str) -> None:
        """Subscribes to stream topics (no topic: all of them)."""
        if self.sub is None:
            if self.stream_endpoint is None:
                raise ValueError("this client was made without a stream endpoint")
            self.sub = self.ctx.socket(zmq.SUB)
            self.sub.setsockopt(zmq.LINGER, 0)
            if self.token is not None:
                use_token(self.sub, self.token)
            self.sub.connect(self.stream_endpoint)
        for t in topics or ("",):
            self.sub.setsockopt(zmq.SUBSCRIBE, t.encode("ascii"))

    def next_stream(self, timeout: float | None = None, topic: str | None = None) -> tuple[str, dict]:
        """Next stream message (optionally of one topic) as (topic, map); raises TimeoutError."""
        if self.sub is None:
            raise ValueError("call subscribe() first")
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sub.poll(int(left * 1000) + 1):
                raise TimeoutError(f"no stream message{' on ' + topic if topic else ''} within {limit} s")
            name, body = self.sub.recv_multipart()
            if topic is None or name.decode() == topic:
                return name.decode(), wire.unpack(body)

"""The GDScript ZMTP/msgpack client against plain pyzmq peers (no vaestudio backend needed).

A fake backend (pyzmq ROUTER answering hello/status/train.*/decode, and a PUB streaming metrics and
latent) runs in a thread; the headless Godot script tests/e2e_client.gd talks to it with the addon.
This checks the pure-GDScript ZMTP 3.1 against libzmq itself: handshake, SUBSCRIBE, multipart
frames, long frames (a 10 000-point latent message), reconnect when the peer appears late or
restarts, and ZMTP PLAIN against pyzmq's own authenticator (the backend's vaestudio.auth).
"""

from __future__ import annotations

import json
import socket
import threading
import time

import logging

import msgpack
import numpy as np
import pytest
import zmq

from support.godot import run_script, start_script
from vaestudio.auth import PlainAuth

pytestmark = pytest.mark.godot

LATENT_POINTS = 10_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def arr(a: np.ndarray, dtype: str) -> dict:
    return {"dtype": dtype, "shape": list(a.shape), "data": a.astype({"f32": "<f4", "u8": "u1", "i32": "<i4"}[dtype]).tobytes()}


class FakeBackend:
    """ROUTER + PUB speaking wire contract v1 just enough for the client tests."""

    def __init__(self, control_port: int, stream_port: int, latent_dim: int = 2, token: str | None = None):
        self.control = f"tcp://127.0.0.1:{control_port}"
        self.stream = f"tcp://127.0.0.1:{stream_port}"
        self.latent_dim = latent_dim
        self.state = "paused"
        self.step = 0
        self.requests: list[dict] = []
        self._stop = threading.Event()
        self.ctx = zmq.Context()
        self.router = self.ctx.socket(zmq.ROUTER)
        self.router.linger = 0
        self.pub = self.ctx.socket(zmq.PUB)
        self.pub.linger = 0
        # Secured exactly as the real server secures its sockets: before they bind.
        self.auth = PlainAuth(self.ctx, token) if token else None
        if self.auth is not None:
            self.auth.secure(self.router, self.pub)
        self.router.bind(self.control)
        self.pub.bind(self.stream)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def close(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self.thread.join(5)
        self.router.close()
        self.pub.close()
        if self.auth is not None:
            self.auth.stop()
        self.ctx.term()

    def _reply(self, req: dict) -> dict:
        op, args = req.get("op"), req.get("args", {})
        result: dict
        if op == "hello":
            result = {"protocol": 1, "server": "fake", "version": "0", "ops": ["hello", "status", "train.start", "train.pause", "decode"], "streams": ["metrics", "latent"]}
        elif op == "status":
            result = {"state": self.state, "step": self.step, "epoch": 0, "run": "fake", "latent_dim": self.latent_dim, "dataset": {"name": "fake", "n": LATENT_POINTS, "shape": [8, 8]}, "config": {}, "clients": 1}
        elif op in ("train.start", "train.pause"):
            self.state = "training" if op == "train.start" else "paused"
            result = {"state": self.state}
        elif op == "decode":
            z = np.frombuffer(args["z"]["data"], "<f4").reshape(args["z"]["shape"])
            imgs = np.full((z.shape[0], 8, 8), 200, np.uint8)
            imgs[:, :4] = 50
            result = {"images": arr(imgs, "u8")}
        else:
            return {"v": 1, "id": req.get("id"), "ok": False, "error": {"code": "unknown_op", "message": f"unknown op {op!r}"}}
        return {"v": 1, "id": req["id"], "ok": True, "result": result}

    def _publish(self, rng: np.random.Generator) -> None:
        if self.state == "training":
            self.step += 1
        base = {"v": 1, "run": "fake", "step": self.step}
        metrics = {**base, "loss": 30.0, "recon": 27.0, "kl": 3.0, "lr": 1e-3, "beta": 1.0, "samples_per_s": 1000.0, "epoch": 0}
        self.pub.send_multipart([b"metrics", msgpack.packb(metrics)])
        coords = rng.standard_normal((LATENT_POINTS, self.latent_dim)).astype(np.float32)
        latent = {**base, "coords": arr(coords, "f32"), "indices": arr(np.arange(LATENT_POINTS), "i32"), "labels": arr(np.arange(LATENT_POINTS) % 10, "i32")}
        self.pub.send_multipart([b"latent", msgpack.packb(latent)])
        self.pub.send_multipart([b"unsubscribed", b"\xc1"])

    def _loop(self) -> None:
        rng = np.random.default_rng(0)
        poller = zmq.Poller()
        poller.register(self.router, zmq.POLLIN)
        next_pub = 0.0
        while not self._stop.is_set():
            if dict(poller.poll(10)).get(self.router):
                frames = self.router.recv_multipart()
                req = msgpack.unpackb(frames[-1])
                self.requests.append(req)
                self.router.send_multipart([frames[0], msgpack.packb(self._reply(req))])
            if time.monotonic() >= next_pub:
                self._publish(rng)
                next_pub = time.monotonic() + 0.05


@pytest.fixture
def fake_backend():
    b = FakeBackend(free_port(), free_port())
    yield b
    b.close()


def _run_e2e(control: str, stream: str, out, *extra: str, timeout: float = 90):
    result = run_script("res://tests/e2e_client.gd", [f"--control={control}", f"--stream={stream}", f"--out={out}", *extra], timeout=timeout)
    report = json.loads(out.read_text()) if out.exists() else {}
    return result, report


def test_client_against_pyzmq_peers(fake_backend, tmp_path):
    out = tmp_path / "e2e.json"
    result, report = _run_e2e(fake_backend.control, fake_backend.stream, out, "--bench-requests=50")
    assert result.rc == 0, result.output[-4000:]
    assert not result.script_errors(), result.output[-4000:]
    assert report["ok"] and report["errors"] == []
    assert report["early_status"]["error"]["code"] == "not_connected"
    assert report["hello"]["server"] == "fake"
    assert report["pause"]["state"] == "paused"
    assert report["status"]["latent_dim"] == 2
    latent = report["streams"]["latent"]
    assert latent["coords_shape"] == [LATENT_POINTS, 2] and latent["coords_valid"] == ""
    assert latent["labels_count"] == LATENT_POINTS
    assert report["streams"]["metrics"]["message"]["loss"] == 30.0
    assert "unsubscribed" not in report["streams"]
    assert report["decode"] == {"dtype": "u8", "shape": [1, 8, 8], "width": 8, "height": 8, "mean": 125.0}
    ops = [r["op"] for r in fake_backend.requests]
    assert ops[:5] == ["hello", "status", "train.start", "train.pause", "status"]
    assert ops.count("decode") == 51
    ids = [r["id"] for r in fake_backend.requests]
    assert len(set(ids)) == len(ids)
    assert all(r["v"] == 1 and isinstance(r["args"], dict) for r in fake_backend.requests)
    assert "BENCH decode_roundtrip_ms" in result.stdout


def test_client_waits_for_a_late_backend(tmp_path):
    control_port, stream_port = free_port(), free_port()
    control, stream = f"tcp://127.0.0.1:{control_port}", f"tcp://127.0.0.1:{stream_port}"
    out = tmp_path / "late.json"
    holder: dict[str, FakeBackend] = {}
    timer = threading.Timer(2.0, lambda: holder.setdefault("b", FakeBackend(control_port, stream_port)))
    timer.start()
    try:
        result, report = _run_e2e(control, stream, out, "--bench-requests=0", "--timeout=30")
    finally:
        timer.join()
        if "b" in holder:
            holder["b"].close()
    assert result.rc == 0, result.output[-4000:]
    assert report["ok"], report["errors"]


def test_client_reconnects_after_backend_restart(tmp_path):
    control_port, stream_port = free_port(), free_port()
    backend = FakeBackend(control_port, stream_port)
    out = tmp_path / "restart.json"
    proc = start_script("res://tests/e2e_client.gd", [f"--control={backend.control}", f"--stream={backend.stream}", f"--out={out}", "--restart", "--bench-requests=0", "--timeout=45"])
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "E2E waiting-for-restart" in line:
                backend.close()
            elif "E2E backend-gone" in line:
                backend = FakeBackend(control_port, stream_port)
            if time.monotonic() > deadline:
                break
        rc = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        backend.close()
    output = "".join(lines)
    assert rc == 0, output[-4000:]
    report = json.loads(out.read_text())
    assert report["status_after_restart"]["state"] == "paused"
    assert "retrying in" in report["error_while_down"], report["error_while_down"]


TOKEN = "lan-token-7f3a"


def test_plain_client_with_the_right_token_is_served(tmp_path):
    backend = FakeBackend(free_port(), free_port(), token=TOKEN)
    try:
        result, report = _run_e2e(backend.control, backend.stream, tmp_path / "plain.json", f"--token={TOKEN}",
                                  "--bench-requests=0", "--timeout=45")
    finally:
        backend.close()
    assert result.rc == 0, result.output[-4000:]
    assert report["ok"], report["errors"]
    assert report["status"]["latent_dim"] == 2 and "refused" not in report
    assert report["streams"]["latent"]["coords_shape"] == [LATENT_POINTS, 2]
    assert [r["op"] for r in backend.requests][:2] == ["hello", "status"]


@pytest.mark.parametrize("token,reason", [("not-" + TOKEN, "refused the token"), (None, "wants a token")])
def test_plain_client_with_a_wrong_or_no_token_is_refused(tmp_path, caplog, token, reason):
    caplog.set_level(logging.DEBUG)
    backend = FakeBackend(free_port(), free_port(), token=TOKEN)
    extra = [f"--token={token}"] if token else []
    try:
        result, report = _run_e2e(backend.control, backend.stream, tmp_path / "refused.json", *extra,
                                  "--expect-refused", "--timeout=30")
    finally:
        backend.close()
    assert result.rc == 0, result.output[-4000:]
    assert report["ok"], report["errors"]
    assert reason in report["refused"], report["refused"]
    assert report["is_refused"] and report["still_refused"]
    assert reason in report["last_error"] and "retrying in" in report["last_error"]
    assert report["refusals"] == 1  # one signal per run of refusals, not one per retry
    assert backend.requests == []  # nothing got past the handshake
    refusals = [r.getMessage() for r in caplog.records if r.name == "vaestudio.auth"]
    assert refusals and all(m.startswith("refused a connection from") for m in refusals), refusals
    if token:
        assert "from 127.0.0.1:" in refusals[0]
    assert TOKEN not in caplog.text

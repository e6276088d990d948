"""`vaestudio serve`: one zmq.Poller over a ROUTER (control) and housekeeping that feeds a PUB.

The loop never waits on a training step: ops that need the trainer to act (train.step,
train.reset) hand it a callback whose reply comes back through a queue the loop drains.
Every request gets exactly one reply, whatever it holds (protocol/README.md).
"""

from __future__ import annotations

import json
import logging
import queue
import time
from pathlib import Path

import zmq

from vaestudio import wire
from vaestudio.inference import InferenceModel
from vaestudio.ops import DEFERRED, OPS
from vaestudio.streams import StreamPublisher
from vaestudio.trainer import Trainer

log = logging.getLogger(__name__)

CLIENT_WINDOW_S = 30.0  # a control peer counts as a client this long after its last request
MAX_FRAMES = 16  # envelope frames + body; more is not a request this server understands


class Server:
    STREAMS = ("metrics", "latent", "status", "log")

    def __init__(self, trainer: Trainer, control: str, stream: str, runs_dir: Path | None = None,
                 context: zmq.Context | None = None):
        self.trainer = trainer
        self.inference = InferenceModel(trainer)
        self.runs_dir = runs_dir
        self.ctx = context or zmq.Context.instance()
        self.router = self.ctx.socket(zmq.ROUTER)
        self.router.setsockopt(zmq.LINGER, 0)
        self.router.setsockopt(zmq.ROUTER_HANDOVER, 1)
        # Beyond this a peer is cut off by libzmq itself; below it, oversized bodies get too_large.
        self.router.setsockopt(zmq.MAXMSGSIZE, 4 * wire.MAX_REQUEST_BYTES)
        self.pub = self.ctx.socket(zmq.PUB)
        self.pub.setsockopt(zmq.LINGER, 0)
        self.pub.setsockopt(zmq.SNDHWM, 8)  # a few frames per subscriber; older ones drop
        self.router.bind(control)
        self.pub.bind(stream)
        self.control_endpoint = self.router.getsockopt(zmq.LAST_ENDPOINT).decode()
        self.stream_endpoint = self.pub.getsockopt(zmq.LAST_ENDPOINT).decode()
        self.streams = StreamPublisher(self.pub, self.status)
        self._deferred: queue.Queue[tuple[list[bytes], dict]] = queue.Queue()
        self._peers: dict[bytes, float] = {}
        self._stopping = False
        self._recorded_run: str | None = None
        self.requests_served = 0

    # ----- state ---------------------------------------------------------------------------------
    def status(self) -> dict:
        t = self.trainer
        now = time.monotonic()
        for peer in [p for p, seen in self._peers.items() if now - seen > CLIENT_WINDOW_S]:
            del self._peers[peer]
        return {
            "state": t.state,
            "step": t.step,
            "epoch": t.epoch,
            "run": t.run,
            "latent_dim": t.model_config.latent_dim,
            "dataset": t.dataset.describe(),
            "config": t.config.to_dict(),
            "model": t.model_config.to_dict(),
            "clients": len(self._peers),
            "nan_recoveries": t.nan_recoveries,
        }

    # ----- the loop ------------------------------------------------------------------------------
    def serve_forever(self) -> None:
        poller = zmq.Poller()
        poller.register(self.router, zmq.POLLIN)
        log.info("control (ROUTER) on %s, streams (PUB) on %s", self.control_endpoint, self.stream_endpoint)
        timeout = 0.0
        try:
            while not self._stopping:
                events = dict(poller.poll(timeout=max(1, int(timeout * 1000))))
                if self.router in events:
                    # Drain a bounded batch so streams and deferred replies still get their turn.
                    for _ in range(64):
                        try:
                            frames = self.router.recv_multipart(zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        self._handle(frames)
                timeout = self._housekeeping()
        finally:
            self.close()

    def stop(self) -> None:
        self._stopping = True

    def close(self) -> None:
        self.trainer.stop()
        self.router.close(0)
        self.pub.close(0)

    def _record_run(self) -> None:
        """Writes <runs-dir>/<run>/config.json once per run, so every run leaves a trace."""
        run = self.trainer.run
        if self.runs_dir is None or run == self._recorded_run:
            return
        self._recorded_run = run
        folder = self.runs_dir / run
        try:
            folder.mkdir(parents=True, exist_ok=True)
            record = {"run": run, "dataset": self.trainer.dataset.describe(),
                      "model": self.trainer.model_config.to_dict(), "train": self.trainer.config.to_dict()}
            (folder / "config.json").write_text(json.dumps(record, indent=2) + "\n")
        except OSError as exc:
            log.warning("cannot write the run record in %s: %s", folder, exc)

    def _housekeeping(self) -> float:
        self._record_run()
        while True:
            try:
                envelope, reply = self._deferred.get_nowait()
            except queue.Empty:
                break
            self._send(envelope, reply)
        force_status = False
        while True:
            try:
                topic, fields = self.trainer.events.get_nowait()
            except queue.Empty:
                break
            if topic == "status":
                force_status = True
            else:
                self.streams.log(self.trainer.run, self.trainer.step, fields)
        return self.streams.tick(self.trainer, force_status)

    # ----- one request ---------------------------------------------------------------------------
    def _handle(self, frames: list[bytes]) -> None:
        # ROUTER gives [identity, (envelope...), body]; everything before the body is echoed back.
        envelope, body = frames[:-1], frames[-1]
        self._peers[frames[0]] = time.monotonic()
        self.requests_served += 1
        rid = None
        try:
            if len(frames) > MAX_FRAMES:
                raise wire.ProtocolError("bad_request", f"a request has at most {MAX_FRAMES - 1} frames, got {len(frames) - 1}")
            rid, op, args = wire.parse_request(body)
            entry = OPS.get(op)
            if entry is None:
                raise wire.ProtocolError("unknown_op", f"unknown op {op!r}; known ops: {', '.join(sorted(OPS))}")
            handler, deferred = entry
            if deferred:
                result = handler(self, args, self._deferred_reply(envelope, rid))
            else:
                result = handler(self, args)
            if result is DEFERRED:
                return
            reply = wire.ok_reply(rid, result)
        except wire.ProtocolError as exc:
            reply = wire.error_reply(getattr(exc, "request_id", rid), exc.code, exc.message)
        except Exception as exc:  # never let one request take the server down
            log.exception("op failed")
            reply = wire.error_reply(rid, "internal", f"internal error while handling the request: {type(exc).__name__}: {exc}")
        self._send(envelope, reply)

    def _deferred_reply(self, envelope: list[bytes], rid: int):
        """A callback for the trainer thread: queues the reply; the loop sends it (sockets stay here)."""

        def done(result: dict | Exception) -> None:
            if isinstance(result, Exception):
                reply = wire.error_reply(rid, "internal", str(result))
            else:
                reply = wire.ok_reply(rid, result)
            self._deferred.put((envelope, reply))

        return done

    def _send(self, envelope: list[bytes], reply: dict) -> None:
        try:
            self.router.send_multipart([*envelope, wire.pack(reply)], flags=zmq.NOBLOCK)
        except zmq.ZMQError as exc:  # peer gone or its queue full: nothing else to do
            log.debug("reply dropped: %s", exc)

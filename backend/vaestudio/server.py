"""`vaestudio serve`: one zmq.Poller over a ROUTER (control) and housekeeping that feeds a PUB.

The loop never waits on a training step: ops that need the trainer to act (train.step,
train.reset) hand it a callback whose reply comes back through a queue the loop drains.
Every request gets exactly one reply, whatever it holds (protocol/README.md).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path
from typing import Any, Callable

import zmq

from vaestudio import session_tasks, wire
from vaestudio.auth import PlainAuth
from vaestudio.config import ConfigError
from vaestudio.datasets import DataError
from vaestudio.inference import InferenceModel
from vaestudio.ops import DEFERRED, OPS
from vaestudio.runs import RunError, RunStore
from vaestudio.streams import StreamPublisher
from vaestudio.trainer import Trainer

log = logging.getLogger(__name__)

CLIENT_WINDOW_S = 30.0  # a control peer counts as a client this long after its last request
MAX_FRAMES = 16  # envelope frames + body; more is not a request this server understands


def error_reply_for(exc: Exception, rid: int | None) -> dict:
    """The one error reply an exception becomes: its own code, invalid_argument for bad user
    input (config, data, run names), internal for anything else (logged with its traceback)."""
    if isinstance(exc, wire.ProtocolError):
        return wire.error_reply(rid, exc.code, exc.message)
    if isinstance(exc, (ConfigError, DataError, RunError)):
        return wire.error_reply(rid, "invalid_argument", str(exc))
    log.error("request failed", exc_info=exc)
    return wire.error_reply(rid, "internal", f"internal error while handling the request: {type(exc).__name__}: {exc}")


class Server:
    STREAMS = ("metrics", "latent", "status", "log")

    def __init__(self, trainer: Trainer, control: str, stream: str, store: RunStore,
                 data_dirs: list[Path] | None = None, context: zmq.Context | None = None,
                 token: str | None = None):
        self.trainer = trainer
        self.inference = InferenceModel(trainer)
        self.store = store
        self.data_dirs = list(data_dirs or [])
        self._loop_calls: queue.Queue[Callable[[], None]] = queue.Queue()  # run on the loop thread
        self._replacing = False  # a run.new / run.load is being prepared
        self.ctx = context or zmq.Context.instance()
        self.router = self.ctx.socket(zmq.ROUTER)
        self.router.setsockopt(zmq.LINGER, 0)
        self.router.setsockopt(zmq.ROUTER_HANDOVER, 1)
        # Beyond this a peer is cut off by libzmq itself; below it, oversized bodies get too_large.
        self.router.setsockopt(zmq.MAXMSGSIZE, 4 * wire.MAX_REQUEST_BYTES)
        self.pub = self.ctx.socket(zmq.PUB)
        self.pub.setsockopt(zmq.LINGER, 0)
        self.pub.setsockopt(zmq.SNDHWM, 8)  # a few frames per subscriber; older ones drop
        # With a token both sockets want ZMTP PLAIN, set before bind (protocol/README.md §11).
        self.auth = PlainAuth(self.ctx, token) if token else None
        if self.auth is not None:
            self.auth.secure(self.router, self.pub)
        self.router.bind(control)
        self.pub.bind(stream)
        self.control_endpoint = self.router.getsockopt(zmq.LAST_ENDPOINT).decode()
        self.stream_endpoint = self.pub.getsockopt(zmq.LAST_ENDPOINT).decode()
        self.streams = StreamPublisher(self.pub, self.status)
        self._deferred: queue.Queue[tuple[list[bytes], dict]] = queue.Queue()
        self._peers: dict[bytes, float] = {}
        self._stopping = False

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
            "latent_dim": t.spec.latent_dim,
            "dataset": t.dataset.describe(),
            "config": t.config.to_dict(),
            "model": {**t.spec.to_dict(), "conditional": t.conditional},
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
        if self.auth is not None:  # after the sockets: without ZAP, PLAIN accepts anyone
            self.auth.stop()

    def _housekeeping(self) -> float:
        while True:
            try:
                fn = self._loop_calls.get_nowait()
            except queue.Empty:
                break
            fn()
        while True:
            try:
                envelope, reply = self._deferred.get_nowait()
            except queue.Empty:
                break
            self._send(envelope, reply)
        force_status = self._drain_events(self.trainer)
        return self.streams.tick(self.trainer, force_status)

    def _drain_events(self, trainer: Trainer) -> bool:
        """Publishes the trainer's log events; True when a status message is due."""
        force_status = False
        while True:
            try:
                topic, fields = trainer.events.get_nowait()
            except queue.Empty:
                return force_status
            if topic == "status":
                force_status = True
            else:
                self.streams.log(trainer.run, trainer.step, fields)

    # ----- one request ---------------------------------------------------------------------------
    def _handle(self, frames: list[bytes]) -> None:
        # ROUTER gives [identity, (envelope...), body]; everything before the body is echoed back.
        envelope, body = frames[:-1], frames[-1]
        self._peers[frames[0]] = time.monotonic()
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
        except Exception as exc:  # never let one request take the server down
            reply = error_reply_for(exc, getattr(exc, "request_id", rid))
        self._send(envelope, reply)

    def _deferred_reply(self, envelope: list[bytes], rid: int):
        """A callback for other threads: queues the reply; the loop sends it (sockets stay here)."""

        def done(result: dict | Exception) -> None:
            reply = error_reply_for(result, rid) if isinstance(result, Exception) else wire.ok_reply(rid, result)
            self._deferred.put((envelope, reply))

        return done

    # ----- slow work, off the loop ---------------------------------------------------------------
    def background(self, reply: Callable[[Any], None], work: Callable[[], Any]) -> None:
        """Runs work() in a thread; its result (or exception) becomes the reply."""

        def target() -> None:
            try:
                result = work()
            except Exception as exc:  # becomes an error reply; the session is untouched
                result = exc
            reply(result)

        threading.Thread(target=target, name="vaestudio-task", daemon=True).start()

    def build_trainer(self, spec, data: dict, config) -> Trainer:
        return session_tasks.build_trainer(spec, data, config, self.store, self.data_dirs)

    def load_trainer(self, run: str) -> Trainer:
        return session_tasks.load_trainer(run, self.store, self.data_dirs)

    def replace_session(self, reply: Callable[[Any], None], make: Callable[[], Trainer], paused: bool,
                        event: str = "new_run") -> None:
        """run.new / run.load: build the new trainer off the loop; only if that works, save the old
        run, stop it, and make the new one live. A failure leaves the old run training."""
        if self._replacing:
            raise wire.ProtocolError("invalid_argument", "another run.new or run.load is still in progress; wait for its reply")
        self._replacing = True

        def work() -> dict:
            try:
                new = make()
                old = self.trainer
                session_tasks.on_trainer_thread(old, old.save)
                swapped = threading.Event()

                def swap() -> None:  # on the loop thread: no request sees a half-swapped session
                    self._drain_events(old)
                    old.stop()
                    new.metric_hooks = old.metric_hooks  # e.g. TensorBoard follows the live run
                    self.trainer, self.inference = new, InferenceModel(new)
                    new.start_thread()
                    if not paused:
                        new.start()
                    new.events.put(("status", {}))
                    what = "loaded" if event == "loaded" else "now live"
                    new.events.put(("log", {"level": "info", "event": event, "message": f"{what}: {new.run} at step {new.step}"}))
                    swapped.set()

                self._loop_calls.put(swap)
                swapped.wait(30)
                return {"run": new.run, "step": new.step}
            finally:
                self._replacing = False

        self.background(reply, work)

    def export(self, reply: Callable[[Any], None], run: str, items: tuple[str, ...]) -> None:
        trainer = self.trainer

        def work() -> dict:
            result = session_tasks.export_run(run, items, trainer, self.store, self.data_dirs)
            trainer.events.put(("log", {"level": "info", "event": "exported",
                                        "message": f"exported {len(result['files'])} files into run {run}"}))
            return result

        self.background(reply, work)

    def evaluate(self, reply: Callable[[Any], None], split: str, iw_samples: int) -> None:
        trainer = self.trainer
        self.background(reply, lambda: session_tasks.evaluate_live(trainer, split, iw_samples))

    def _send(self, envelope: list[bytes], reply: dict) -> None:
        try:
            self.router.send_multipart([*envelope, wire.pack(reply)], flags=zmq.NOBLOCK)
        except zmq.ZMQError as exc:  # peer gone or its queue full: nothing else to do
            log.debug("reply dropped: %s", exc)

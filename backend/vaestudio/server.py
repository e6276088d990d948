"""`vaestudio serve`: one zmq.Poller over a ROUTER (control) and housekeeping that feeds a PUB.

The server owns the sockets and the loop, nothing else: requests go to the handlers of ops.OPS,
which act on the live `Session`. The loop never waits on a training step: a deferred handler gets
a reply callback, and replies made on other threads come back through a queue the loop drains,
ringing a bell (wakeup.py) that wakes it from a poll which, while steps run, lasts until the next
stream message is due.
Every request gets exactly one reply, whatever it holds (protocol/README.md). `decode` and `sample`
wait in a DecodeBatcher and are answered together, within a bounded share of the CPU while the run
trains (vaestudio.decode_batch), so clients hammering them cannot starve training.

When the loop stops (Ctrl-C, SIGTERM: `stop()`), the live run is saved before the trainer stops,
and with `autosave_s` it is saved that often while it trains (session.py), so a restart loses at
most that much.
"""

from __future__ import annotations

import logging
import math
import queue
from pathlib import Path

import zmq

from vaestudio import intra_op, wire
from vaestudio.decode_batch import BATCHED_OPS, DecodeBatcher
from vaestudio.errors import UserError
from vaestudio.listener import Listener
from vaestudio.ops import OPS
from vaestudio.runs import RunStore
from vaestudio.session import Session
from vaestudio.streams import StreamPublisher
from vaestudio.tasks import DeferredReply
from vaestudio.trainer import Trainer
from vaestudio.wakeup import Wakeup

log = logging.getLogger(__name__)

MAX_FRAMES = 16  # envelope frames + body; more is not a request this server understands
STOP_SAVE_WAIT_S = 60.0  # how long a stopping server waits for the trainer to save the live run


def error_reply_for(exc: Exception, rid: int | None) -> dict:
    """The one error reply an exception becomes: a UserError's own code (invalid_argument unless it
    says otherwise), internal for anything else (logged with its traceback)."""
    if isinstance(exc, UserError):
        return wire.error_reply(rid, exc.code, str(exc))
    log.error("request failed", exc_info=exc)
    return wire.error_reply(rid, "internal", f"internal error while handling the request: {type(exc).__name__}: {exc}")


class Server:

    def __init__(self, trainer: Trainer, control: str | Listener, stream: str | None = None, *, store: RunStore,
                 data_dirs: list[Path] | None = None, context: zmq.Context | None = None,
                 token: str | None = None, autosave_s: float = 0.0, save_on_stop: bool = False):
        """`control`, `stream`: the endpoints to bind, or a Listener bound already (`vaestudio
        serve` binds before it builds the run). `autosave_s`: seconds between saves of the live
        run while its step moves (0: off); `save_on_stop`: save it when the loop stops."""
        self.listener = control if isinstance(control, Listener) else Listener(control, stream, context, token)
        self.session = Session(trainer, store, data_dirs, autosave_s=autosave_s, clients=self.listener.clients)
        self.ctx = self.listener.ctx
        self.router, self.pub = self.listener.router, self.listener.pub
        self.control_endpoint = self.listener.control_endpoint
        self.stream_endpoint = self.listener.stream_endpoint
        self.streams = StreamPublisher(self.pub, self.session.status)
        self.save_on_stop = save_on_stop
        self._deferred: queue.Queue[tuple[list[bytes], dict]] = queue.Queue()
        self._wakeup = Wakeup()  # rung with each reply or loop call another thread queues
        self.session.wake_loop = self._wakeup.ring
        self.decodes = DecodeBatcher()
        self._stopping = False

    @property
    def trainer(self) -> Trainer:
        """The live run's trainer (it changes with run.new, run.load)."""
        return self.session.trainer

    # ----- the loop ------------------------------------------------------------------------------
    def serve_forever(self) -> None:
        intra_op.serial()  # its decodes run serially beside the trainer's team (intra_op.py)
        poller = zmq.Poller()
        poller.register(self.router, zmq.POLLIN)
        bell = self._wakeup.fileno()  # (a plain fd: the poller reports it by number)
        poller.register(bell, zmq.POLLIN)
        log.info("control (ROUTER) on %s, streams (PUB) on %s", self.control_endpoint, self.stream_endpoint)
        timeout = 0.0
        try:
            while not self._stopping:
                events = dict(poller.poll(timeout=max(1, math.ceil(timeout * 1000))))  # never early: a tick before its time only polls again
                if bell in events:
                    self._wakeup.drain()  # else it stays readable and the loop spins
                if self.router in events:
                    # Drain a bounded batch so streams and deferred replies still get their turn.
                    for _ in range(64):
                        try:
                            frames = self.router.recv_multipart(zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        self._handle(frames)
                self._answer_decodes()
                timeout = self._housekeeping()
                due = self.decodes.due_in(self._training())
                if due is not None:
                    timeout = min(timeout, due)
            self.decodes.flush(self.session, self._send_result)  # every request gets its reply
            if self.save_on_stop:
                self._save_live_run()
        finally:
            self.close()

    def stop(self) -> None:
        """Asks the loop to stop (from a signal handler or any thread): it saves the live run when
        `save_on_stop`, then stops the trainer and closes the sockets."""
        self._stopping = True
        self._wakeup.ring()  # out of a poll that may last until the next stream message

    def close(self) -> None:
        self.session.trainer.stop()
        self.listener.close()
        self._wakeup.close()

    def _save_live_run(self) -> None:
        """Pauses the live run, then saves it if steps ran since its last save: the save is the
        trainer's last act, so no step runs after it."""
        trainer = self.session.trainer
        trainer.pause()
        if trainer.unsaved:
            log.info("stopping: saving %s first (Ctrl-C again to stop without saving)", trainer.run)
        try:
            saved = self.session.save_now(STOP_SAVE_WAIT_S)
            if saved is not None:
                log.info("saved %s at step %d", saved["run"], saved["step"])
            elif trainer.store is not None:  # nothing new to save: still the run `--resume last` continues
                trainer.store.mark_last_live(trainer.run)
        except Exception as exc:  # the server stops anyway; the last autosave (if any) is what remains
            log.error("could not save %s before stopping: %s", trainer.run, exc)

    def _training(self) -> bool:
        return self.session.trainer.state == "training"

    def _answer_decodes(self) -> None:
        """Answers the waiting decode and sample requests together once the budget allows."""
        if self.decodes.due_in(self._training()) == 0.0:
            self.decodes.flush(self.session, self._send_result)

    def _housekeeping(self) -> float:
        """Between polls: run what other threads asked of the loop, send the replies they made,
        publish events and streams. Returns how long the next poll may wait."""
        session = self.session
        self.listener.clients()  # keeps the monitor's queue short between status messages
        session.autosave()
        while True:
            try:
                session.loop_calls.get_nowait()()
            except queue.Empty:
                break
        while True:
            try:
                envelope, reply = self._deferred.get_nowait()
            except queue.Empty:
                break
            self._send(envelope, reply)
        force_status = False
        while True:
            try:
                topic, run, step, fields = session.events.get_nowait()
            except queue.Empty:
                break
            if topic == "status":
                force_status = True
            else:
                self.streams.publish(topic, run, step, fields)
        return self.streams.tick(session.trainer, force_status)

    # ----- one request ---------------------------------------------------------------------------
    def _handle(self, frames: list[bytes]) -> None:
        # ROUTER gives [identity, (envelope...), body]; everything before the body is echoed back.
        envelope, body = frames[:-1], frames[-1]
        rid = None
        try:
            if len(frames) > MAX_FRAMES:
                raise wire.ProtocolError("bad_request", f"a request has at most {MAX_FRAMES - 1} frames, got {len(frames) - 1}")
            rid, name, args = wire.parse_request(body)
            op = OPS.get(name)
            if op is None:
                raise wire.ProtocolError("unknown_op", f"unknown op {name!r}; known ops: {', '.join(sorted(OPS))}")
            if name in BATCHED_OPS:
                self.decodes.add(envelope, rid, name, args)
                return
            if op.deferred:
                op.handler(self.session, args, self._deferred_reply(envelope, rid))
                return
            reply = wire.ok_reply(rid, op.handler(self.session, args))
        except Exception as exc:  # never let one request take the server down
            reply = error_reply_for(exc, getattr(exc, "request_id", rid))
        self._send(envelope, reply)

    def _deferred_reply(self, envelope: list[bytes], rid: int) -> DeferredReply:
        """A callback for other threads: queues the reply; the loop sends it (sockets stay here)."""

        def send(result: dict | Exception) -> None:
            reply = error_reply_for(result, rid) if isinstance(result, Exception) else wire.ok_reply(rid, result)
            self._deferred.put((envelope, reply))
            self._wakeup.ring()

        return DeferredReply((envelope[0], rid), send)

    def _send_result(self, envelope: list[bytes], rid: int, result: dict | Exception) -> None:
        self._send(envelope, error_reply_for(result, rid) if isinstance(result, Exception) else wire.ok_reply(rid, result))

    def _send(self, envelope: list[bytes], reply: dict) -> None:
        try:
            self.router.send_multipart([*envelope, wire.pack(reply)], flags=zmq.NOBLOCK)
        except zmq.ZMQError as exc:  # peer gone or its queue full: nothing else to do
            log.debug("reply dropped: %s", exc)

"""Slow work for the server, off its loop: each task runs in its own thread, is time-limited, and
can be cancelled by the client that asked for it (the `cancel` op).

A task's work receives a `Deadline` and calls `deadline.check()` between units of work (a batch of
an evaluation); that raises `Cancelled` or `TimedOut`, which become the reply. Work that never
checks still runs to its end, but its reply says nothing else went wrong.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Hashable

from vaestudio import intra_op
from vaestudio.errors import UserError

log = logging.getLogger(__name__)

DEFAULT_TIME_LIMIT_S = 600.0  # what a long op may take unless its request asks for less


class Cancelled(UserError):
    code = "cancelled"


class TimedOut(UserError):
    code = "timed_out"


@dataclass
class DeferredReply:
    """The reply of one request that is answered later (from any thread): `key` is (peer, request
    id), which names the request for `cancel`; calling it with a result map or an Exception sends it."""

    key: Hashable
    send: Callable[[Any], None]

    def __call__(self, result: Any) -> None:
        self.send(result)


class Deadline:
    def __init__(self, what: str, limit_s: float):
        self.what = what
        self.limit_s = limit_s
        self._end = time.monotonic() + limit_s
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    def check(self) -> None:
        """Raises Cancelled or TimedOut; call between units of work."""
        if self._cancelled.is_set():
            raise Cancelled(f"{self.what} was cancelled")
        if time.monotonic() > self._end:
            raise TimedOut(f"{self.what} took longer than its limit of {self.limit_s:g} s; "
                           "ask for less (fewer samples, the test split) or a larger time_limit_s")


class Tasks:
    """The running tasks, by the key of the request they answer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[Hashable, Deadline] = {}

    def start(self, reply: Callable[[Any], None], work: Callable[[Deadline], Any], what: str,
              limit_s: float = DEFAULT_TIME_LIMIT_S) -> None:
        """Runs work(deadline) in a thread; its result (or exception) becomes the reply. A
        DeferredReply's key makes the task cancellable; a plain callback's task is not."""
        key = reply.key if isinstance(reply, DeferredReply) else None
        deadline = Deadline(what, limit_s)
        if key is not None:
            with self._lock:
                self._running[key] = deadline

        def target() -> None:
            intra_op.serial()  # beside a training run: never a team of its own (intra_op.py)
            try:
                result = work(deadline)
            except Exception as exc:  # becomes an error reply; the live run is untouched
                result = exc
            finally:
                with self._lock:
                    self._running.pop(key, None)
            reply(result)

        threading.Thread(target=target, name=f"vaestudio-task-{what}", daemon=True).start()

    def cancel(self, key: Hashable) -> bool:
        """Asks the task answering `key` to stop; False when no such task is running."""
        with self._lock:
            deadline = self._running.get(key)
        if deadline is None:
            return False
        deadline.cancel()
        return True

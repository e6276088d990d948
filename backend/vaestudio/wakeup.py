"""A bell any thread can ring to wake the server loop out of its poll at once.

While steps run the loop sleeps until its next stream message is due (streams.py), a tenth of a
second, because each wake takes the interpreter, and on a machine whose cores all train a core,
from training. A reply made on another thread (the end of a `train.step`, a pause, a save) or a
call queued for the loop rings this bell, so it still goes out at once instead of at the next tick.
"""

from __future__ import annotations

import socket


class Wakeup:
    """A connected socket pair: ring() from any thread makes the read end readable; the loop polls
    its fileno() beside its ZeroMQ sockets (the poller reports a plain fd by number) and drains it."""

    def __init__(self) -> None:
        self._read, self._write = socket.socketpair()
        self._read.setblocking(False)
        self._write.setblocking(False)

    def fileno(self) -> int:
        return self._read.fileno()

    def ring(self) -> None:
        try:
            self._write.send(b"\0")
        except OSError:  # full: it is ringing already; closed: the loop has stopped
            pass

    def drain(self) -> None:
        try:
            while self._read.recv(4096):
                pass
        except OSError:  # empty (BlockingIOError), or closed
            pass

    def close(self) -> None:
        self._read.close()
        self._write.close()

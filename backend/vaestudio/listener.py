"""The server's two bound sockets, and who is connected to them.

`Listener` binds the ROUTER (control) and the PUB (streams), with ZMTP PLAIN when a token is set,
before any run exists: `vaestudio serve` binds first, so a server that cannot listen (address in
use) has written nothing. A monitor on the ROUTER counts the open control connections: libzmq
reports each accepted TCP connection and each one that closed, so a client that only watches is
counted from its connect, and one that has gone (closed, crashed, unplugged) is dropped as soon
as its TCP connection is.

The monitor is read on the server loop only (`clients`), never from another thread.
"""

from __future__ import annotations

import zmq
from zmq.utils.monitor import recv_monitor_message

from vaestudio import wire
from vaestudio.auth import REFUSAL_EVENTS, PlainAuth

CONNECTION_EVENTS = zmq.EVENT_ACCEPTED | zmq.EVENT_DISCONNECTED


class Listener:
    def __init__(self, control: str, stream: str, context: zmq.Context | None = None, token: str | None = None):
        self.ctx = context or zmq.Context.instance()
        self.router = self.ctx.socket(zmq.ROUTER)
        self.pub = self.ctx.socket(zmq.PUB)
        self.auth: PlainAuth | None = None
        self.monitor: zmq.Socket | None = None
        self._open: set[int] = set()  # the accepted connections' file descriptors
        try:
            self.router.setsockopt(zmq.LINGER, 0)
            self.router.setsockopt(zmq.ROUTER_HANDOVER, 1)
            # Beyond this a peer is cut off by libzmq itself; below it, oversized bodies get too_large.
            self.router.setsockopt(zmq.MAXMSGSIZE, 4 * wire.MAX_REQUEST_BYTES)
            self.pub.setsockopt(zmq.LINGER, 0)
            self.pub.setsockopt(zmq.SNDHWM, 8)  # a few frames per subscriber; older ones drop
            # With a token both sockets want ZMTP PLAIN, set before bind (protocol/README.md §11).
            # The ROUTER's one monitor is ours; it hands the auth its refusals.
            self.auth = PlainAuth(self.ctx, token) if token else None
            if self.auth is not None:
                self.auth.secure(self.router, self.pub, watched_elsewhere=(self.router,))
            self.monitor = self.router.get_monitor_socket(CONNECTION_EVENTS | (REFUSAL_EVENTS if token else 0))
            self.router.bind(control)
            self.pub.bind(stream)
        except BaseException:
            self.close()
            raise
        self.control_endpoint = self.router.getsockopt(zmq.LAST_ENDPOINT).decode()
        self.stream_endpoint = self.pub.getsockopt(zmq.LAST_ENDPOINT).decode()

    def clients(self) -> int:
        """Open control connections, after the monitor's news so far (server loop only)."""
        while self.monitor is not None and self.monitor.poll(0):
            event = recv_monitor_message(self.monitor)
            if event["event"] == zmq.EVENT_ACCEPTED:
                self._open.add(event["value"])
            elif event["event"] == zmq.EVENT_DISCONNECTED:
                self._open.discard(event["value"])
            elif self.auth is not None:
                self.auth.handshake_failed(event)
        return len(self._open)

    def close(self) -> None:
        if self.monitor is not None:
            self.router.disable_monitor()
            self.monitor.close(0)
            self.monitor = None
        self.router.close(0)
        self.pub.close(0)
        if self.auth is not None:  # after the sockets: without ZAP, PLAIN accepts anyone
            self.auth.stop()
            self.auth = None

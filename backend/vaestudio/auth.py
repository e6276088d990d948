"""Who may talk to the server: loopback is open, anything else needs a token (ZMTP PLAIN).

PLAIN (RFC 24/ZMTP-PLAIN) sends the username `vaestudio` and the token as the password in the
clear; it keeps strangers on a LAN out, it does not hide the traffic (use an SSH tunnel for that).
libzmq asks a ZAP handler (RFC 27) whether to accept each PLAIN handshake; pyzmq's own
`ThreadAuthenticator` is that handler here, so the password check is pyzmq's, not ours.

    auth = PlainAuth(ctx, token)      # before any socket binds
    auth.secure(router, pub)          # plain_server + zap_domain, then bind them
    ...
    auth.stop()                       # after the sockets are closed
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time

import zmq
from zmq.auth.thread import ThreadAuthenticator
from zmq.utils.monitor import recv_monitor_message

from vaestudio.errors import UserError

log = logging.getLogger(__name__)

USERNAME = "vaestudio"
ZAP_DOMAIN = "vaestudio"
TOKEN_ENV = "VAESTUDIO_TOKEN"
MAX_TOKEN_BYTES = 255  # PLAIN carries the password length in one octet
LOG_EVERY_S = 10.0  # refusals from one address are logged at most this often (clients retry fast)
_LOCAL_SCHEMES = ("ipc://", "inproc://")
# A NULL client against a PLAIN server fails either side first: here as a protocol error
# (mechanism mismatch), or, when the client noticed first and hung up, as a handshake that ended
# with no detail. Both are a client without a token.
REFUSAL_EVENTS = zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL


class AuthError(UserError):
    """A bind that needs a token and has none, or a token PLAIN cannot carry."""


def is_loopback(endpoint: str) -> bool:
    """True when only this machine can reach `endpoint`: tcp:// on 127.0.0.0/8, ::1 or localhost,
    and ipc:// or inproc://. `tcp://*`, `tcp://0.0.0.0`, interface names and other hosts are not."""
    if endpoint.startswith(_LOCAL_SCHEMES):
        return True
    if not endpoint.startswith("tcp://"):
        return False
    host = endpoint[len("tcp://"):].rpartition(":")[0]
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:  # "*", an interface name, a host name: may be reachable from outside
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def check_token(token: str) -> None:
    """Raises AuthError for a token PLAIN cannot carry (empty, or over 255 bytes of UTF-8)."""
    size = len(token.encode("utf-8"))
    if size == 0 or size > MAX_TOKEN_BYTES:
        raise AuthError(f"the token is {size} bytes long; it must be 1 to {MAX_TOKEN_BYTES} bytes of UTF-8")


def check_bind_allowed(endpoints: list[str], token: str | None) -> None:
    """Raises AuthError when an endpoint is reachable from other machines and there is no token."""
    if token:
        check_token(token)
        return
    exposed = [e for e in endpoints if not is_loopback(e)]
    if exposed:
        raise AuthError(
            f"{exposed[0]} is reachable from other machines, so the server needs a token: pass --token "
            f"or set {TOKEN_ENV}, or keep it on 127.0.0.1 and reach it through an SSH tunnel"
        )


def use_token(socket: zmq.Socket, token: str) -> None:
    """Client side: this socket will offer PLAIN with the token (set before connect)."""
    check_token(token)
    socket.plain_username = USERNAME.encode()
    socket.plain_password = token.encode("utf-8")


class _WithoutDebug:
    """pyzmq's authenticator logs an accepted PLAIN password at debug level: this stand-in for its
    logger drops debug lines so the token never reaches a log, and passes the rest on."""

    def __init__(self, logger: logging.Logger):
        self._log = logger

    def debug(self, *args: object, **kwargs: object) -> None:
        pass

    def __getattr__(self, name: str):
        return getattr(self._log, name)


class _RefusalLog:
    """One warning per peer address per LOG_EVERY_S: a refused client retries every 100 ms."""

    def __init__(self):
        self._lock = threading.Lock()
        self._last: dict[str, tuple[float, int]] = {}  # peer -> (logged at, refusals since)

    def refused(self, peer: str, why: str) -> None:
        now = time.monotonic()
        with self._lock:
            logged_at, skipped = self._last.get(peer, (-LOG_EVERY_S, 0))
            if now - logged_at < LOG_EVERY_S:
                self._last[peer] = (logged_at, skipped + 1)
                return
            self._last[peer] = (now, 0)
        more = f" ({skipped} more refusals since the last message)" if skipped else ""
        log.warning("refused a connection from %s: %s%s", peer, why, more)


class _Authenticator(ThreadAuthenticator):
    """pyzmq's authenticator, plus a log line with the peer address for every refused token."""

    def __init__(self, context: zmq.Context, refusals: _RefusalLog):
        super().__init__(context, log=_WithoutDebug(logging.getLogger("zmq.auth")))
        self._refusals = refusals
        self._peer = "an unknown address"

    def handle_zap_message(self, msg: list[bytes]):
        # Frames: version, request id, domain, address, identity, mechanism, credentials...
        # Not `async def`: this returns the parent's coroutine (pyzmq >= 25) or its result.
        if len(msg) > 3:
            self._peer = msg[3].decode("utf-8", "replace") or "an unknown address"
        return super().handle_zap_message(msg)

    def _authenticate_plain(self, domain: str, username: str, password: str) -> tuple[bool, bytes]:
        allowed, reason = super()._authenticate_plain(domain, username, password)
        if not allowed:
            self._refusals.refused(self._peer, "wrong or missing token")
        return allowed, reason


class PlainAuth:
    """Runs the ZAP authenticator for one context and makes sockets PLAIN servers.

    libzmq does not ask ZAP about a client that offers no token at all (NULL against PLAIN is a
    mechanism mismatch, refused during the greeting), so a monitor on each secured socket logs
    those; libzmq does not report the peer address for them, only the endpoint they reached.
    """

    def __init__(self, context: zmq.Context, token: str):
        check_token(token)
        self._refusals = _RefusalLog()
        self._auth = _Authenticator(context, self._refusals)
        self._auth.start()
        self._auth.configure_plain(domain=ZAP_DOMAIN, passwords={USERNAME: token})
        self._monitors: list[tuple[zmq.Socket, zmq.Socket]] = []
        self._watching = threading.Event()
        self._watcher: threading.Thread | None = None

    def secure(self, *sockets: zmq.Socket, watched_elsewhere: tuple[zmq.Socket, ...] = ()) -> None:
        """Makes each socket a PLAIN server checked by this authenticator. Call before bind:
        libzmq applies the mechanism to connections accepted after it is set. libzmq allows one
        monitor per socket: a socket in `watched_elsewhere` has its owner's, which passes its
        REFUSAL_EVENTS to `handshake_failed`; the others get one here."""
        if self._watcher is not None:
            raise RuntimeError("PlainAuth.secure() must be called once, with every socket")
        for s in sockets:
            s.plain_server = True
            s.zap_domain = ZAP_DOMAIN.encode()
            if not any(s is w for w in watched_elsewhere):
                self._monitors.append((s, s.get_monitor_socket(REFUSAL_EVENTS)))
        self._watching.set()
        self._watcher = threading.Thread(target=self._watch, name="vaestudio-auth-monitor", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        """Stops the monitor thread and the authenticator. Close the secured sockets first: a
        PLAIN socket whose ZAP handler is gone would accept anyone."""
        self._watching.clear()
        if self._watcher is not None:
            self._watcher.join(5)
            self._watcher = None
        self._auth.stop()

    def handshake_failed(self, event: dict) -> None:
        """Logs a monitor event of REFUSAL_EVENTS that means a client came without a token."""
        mismatch = (event["event"] == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
                    and event["value"] == zmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        if mismatch or event["event"] == zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL:
            where = event["endpoint"].decode("utf-8", "replace")
            self._refusals.refused(f"an unknown address to {where}", "no token (NULL security)")

    def _watch(self) -> None:
        poller = zmq.Poller()
        endpoints: dict[zmq.Socket, zmq.Socket] = {}
        for s, monitor in self._monitors:
            poller.register(monitor, zmq.POLLIN)
            endpoints[monitor] = s
        try:
            while self._watching.is_set():
                for monitor, _ in poller.poll(100):
                    self.handshake_failed(recv_monitor_message(monitor))
        finally:
            # The monitor sockets belong to this thread; the secured sockets may already be closed.
            for _, monitor in self._monitors:
                monitor.close(0)
            self._monitors.clear()

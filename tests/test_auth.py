"""Token security (protocol/README.md §11): which binds need a token, and a server with a token
serving the right client and refusing the others, over real sockets on random loopback ports."""

from __future__ import annotations

import logging
import time

import pytest

from vaestudio import auth
from vaestudio.auth import AuthError, check_bind_allowed, is_loopback
from vaestudio.client import Client
from vaestudio.errors import UserError
from vaestudio.server import Server

TOKEN = "correct-horse-battery"
WRONG = "not-the-token-42"


@pytest.mark.parametrize("endpoint", [
    "tcp://127.0.0.1:5555", "tcp://127.1.2.3:5555", "tcp://localhost:5555", "tcp://[::1]:5555",
    "tcp://127.0.0.1:*", "tcp://[::ffff:127.0.0.1]:5555", "ipc:///tmp/vaestudio.sock", "inproc://studio",
])
def test_loopback_endpoints(endpoint):
    assert is_loopback(endpoint)


@pytest.mark.parametrize("endpoint", [
    "tcp://0.0.0.0:5555", "tcp://*:5555", "tcp://192.168.1.5:5555", "tcp://[::]:5555", "tcp://eth0:5555",
    "tcp://gpu-box.local:5555", "tcp://10.0.0.1:5555", "udp://127.0.0.1:5555",
])
def test_other_endpoints_are_not_loopback(endpoint):
    assert not is_loopback(endpoint)


@pytest.mark.parametrize("endpoint", ["tcp://0.0.0.0:5555", "tcp://*:5555", "tcp://192.168.1.5:5555"])
def test_non_loopback_bind_without_token_is_refused_in_one_sentence(endpoint):
    with pytest.raises(AuthError) as info:
        check_bind_allowed(["tcp://127.0.0.1:5556", endpoint], None)
    message = str(info.value)
    assert isinstance(info.value, UserError)
    assert endpoint in message and "--token" in message and "VAESTUDIO_TOKEN" in message and "SSH" in message
    assert message.count(". ") == 0 and "\n" not in message  # one sentence
    with pytest.raises(AuthError):
        check_bind_allowed([endpoint], "")  # an empty token is no token


@pytest.mark.parametrize("endpoints,token", [
    (["tcp://127.0.0.1:5555", "tcp://127.0.0.1:5556"], None),
    (["tcp://localhost:5555", "ipc:///tmp/s"], None),
    (["tcp://0.0.0.0:5555", "tcp://*:5556"], TOKEN),
    (["tcp://192.168.1.5:5555"], TOKEN),
])
def test_loopback_or_token_binds_are_allowed(endpoints, token):
    check_bind_allowed(endpoints, token)


@pytest.mark.parametrize("token", ["x" * 256, "é" * 128])
def test_tokens_plain_cannot_carry_are_refused(token):
    with pytest.raises(AuthError, match="1 to 255 bytes"):
        check_bind_allowed(["tcp://0.0.0.0:5555"], token)
    with pytest.raises(AuthError):
        Client("tcp://127.0.0.1:1", token=token)


@pytest.fixture
def secured(make_server):
    """A paused in-process server that wants TOKEN, on random loopback ports."""
    return make_server(paused=True, token=TOKEN).server


def _client(server: Server, token: str | None, timeout: float) -> Client:
    return Client(server.control_endpoint, server.stream_endpoint, timeout=timeout, token=token)


def _wait_for_log(caplog, text: str, within: float = 5.0) -> list[str]:
    """Refusals are logged by the authenticator's thread; wait for one, bounded."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        lines = [r.getMessage() for r in caplog.records if r.name == "vaestudio.auth" and text in r.getMessage()]
        if lines:
            return lines
        time.sleep(0.05)
    return []


def test_right_token_gets_replies_and_streams(secured):
    with _client(secured, TOKEN, timeout=10.0) as c:
        assert c.call("status")["state"] == "paused"
        c.subscribe("status")
        topic, msg = c.next_stream(timeout=10.0)
        assert topic == "status" and msg["v"] == 1


@pytest.mark.parametrize("token,why", [(WRONG, "wrong or missing token"), (None, "no token")])
def test_wrong_or_missing_token_gets_nothing_and_is_logged(secured, caplog, token, why):
    caplog.set_level(logging.DEBUG)  # even debug output must not carry a token
    with _client(secured, token, timeout=1.0) as c:
        c.subscribe()
        with pytest.raises(TimeoutError):
            c.call("status")
        with pytest.raises(TimeoutError):
            c.next_stream(timeout=1.0)
    lines = _wait_for_log(caplog, why)
    assert lines, caplog.text[-3000:]
    if token is not None:
        # libzmq hands ZAP the peer's IP address; an unknown-mechanism peer has none to report.
        assert lines[0].startswith("refused a connection from 127.0.0.1:"), lines
    else:
        assert secured.control_endpoint in caplog.text or secured.stream_endpoint in caplog.text
    # The refused client did not disturb the server: the right token is still served.
    with _client(secured, TOKEN, timeout=10.0) as good:
        assert good.call("status")["state"] == "paused"
    # pyzmq's authenticator logs an accepted password at debug level unless that is silenced.
    assert TOKEN not in caplog.text and WRONG not in caplog.text


def test_a_plain_client_is_refused_by_an_open_server(make_server):
    # Loopback without a token stays NULL; a client that insists on PLAIN does not get through.
    backend = make_server()
    with Client(backend.control, backend.stream, timeout=1.0, token=TOKEN) as c:
        with pytest.raises(TimeoutError):
            c.call("status")
    with backend.client(timeout=10.0) as c:
        assert c.call("status")["state"] == "paused"


def test_repeated_refusals_from_one_address_are_logged_once(caplog):
    caplog.set_level(logging.WARNING, logger="vaestudio.auth")
    refusals = auth._RefusalLog()
    for _ in range(5):
        refusals.refused("10.1.2.3", "wrong or missing token")
    refusals.refused("10.9.9.9", "wrong or missing token")
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["refused a connection from 10.1.2.3: wrong or missing token",
                        "refused a connection from 10.9.9.9: wrong or missing token"]

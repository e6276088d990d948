"""Several clients on one server: `clients` counts open control connections (a client that only
watches included, one that has gone not), and what one client changes reaches every other's
`status` stream at once, not only with the next periodic status."""

import time

import pytest
import zmq

from support.runs import wait_new_run
from vaestudio.client import Client


def wait_for_clients(client, n: int, timeout: float = 10.0) -> int:
    """Asks status until it counts n clients; returns the last count (n, unless it never came)."""
    deadline = time.monotonic() + timeout
    while True:
        count = client.call("status")["clients"]
        if count == n or time.monotonic() > deadline:
            return count
        time.sleep(0.05)


def test_a_silent_connection_counts_until_it_closes(server, client):
    assert client.call("status")["clients"] == 1
    watcher = zmq.Context.instance().socket(zmq.DEALER)  # connects, never sends a request
    watcher.setsockopt(zmq.LINGER, 0)
    watcher.connect(server.control)
    try:
        assert wait_for_clients(client, 2) == 2
    finally:
        watcher.close(0)
    assert wait_for_clients(client, 1) == 1
    with server.client() as other:  # a second Client, then gone again
        other.call("hello")
        assert client.call("status")["clients"] == 2
    assert wait_for_clients(client, 1) == 1


def test_a_client_refused_for_its_token_is_not_counted(make_server):
    secured = make_server(token="s3cret-token")
    with Client(secured.control, timeout=5, token="s3cret-token") as good:
        assert good.call("status")["clients"] == 1
        with Client(secured.control, timeout=0.5, token="wrong-token") as bad:
            with pytest.raises(TimeoutError):
                bad.call("status")
            assert wait_for_clients(good, 1) == 1


@pytest.fixture
def watcher(server, monkeypatch):
    """A second client subscribed to `status`, on a server whose periodic status is turned off: a
    status it receives was published because of what the other client did."""
    monkeypatch.setattr("vaestudio.streams.STATUS_INTERVAL_S", 3600.0)
    with server.client() as c:
        c.subscribe("status", "latent")
        c.next_stream(timeout=10, topic="latent")  # latent repeats every second: the SUB is live
        yield c


def next_status(watcher, check, what: str) -> dict:
    """The first status on the watcher's stream for which check(status) holds."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            _, status = watcher.next_stream(timeout=max(0.1, deadline - time.monotonic()), topic="status")
        except TimeoutError:
            break
        if check(status):
            return status
    raise AssertionError(f"no status stream message showed {what}")


def test_what_one_client_changes_reaches_the_others_status_stream(client, watcher):
    client.call("config.set", beta=3.5)
    next_status(watcher, lambda s: s["config"]["beta"] == 3.5, "beta 3.5")
    client.call("train.step", n=7)
    next_status(watcher, lambda s: s["step"] == 7, "step 7 after train.step")
    client.call("train.start")
    next_status(watcher, lambda s: s["state"] == "training", "training")
    stopped = client.call("train.pause")["step"]
    next_status(watcher, lambda s: s["state"] == "paused" and s["step"] == stopped, "paused where training stopped")
    old = client.call("status")["run"]
    new = client.call("train.reset", seed=4)["run"]
    next_status(watcher, lambda s: s["run"] == new and s["step"] == 0, "the reset's new run")
    other = wait_new_run(client, model={"name": "iwae"}, paused=True)["run"]
    next_status(watcher, lambda s: s["run"] == other and s["model"]["name"] == "iwae", "run.new's run")
    client.call("run.load", run=old, timeout=60)  # the reset saved it
    next_status(watcher, lambda s: s["run"] == old and s["step"] == stopped, "run.load's run")
    client.call("latent.view", projection="dims", dims=[1, 0])
    next_status(watcher, lambda s: s["latent_view"]["dims"] == [1, 0], "the latent view")

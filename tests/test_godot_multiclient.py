"""Several clients in step, in real Godot: one backend, two Studios and a Python client.

Each Studio runs in the background with its test driver (multiclient_driver.gd), which writes what
its training fields, status bar and notice bar show, with the time of each change, and carries
out the orders the test gives it (start a new run from the Runs panel, type into a field, send a
request). What one client changes (state, config, run) shows in every other; the status bar counts
the clients; a failed request is shown once: inline where the panel shows it, else as a notice,
and always in the Log. How soon a change shows is printed (the issue asks for 1 s; a timed
assertion would fail on a loaded machine, so the test waits up to a minute and reports the lag).
"""

from __future__ import annotations

import time

import pytest

from support.backends import start_backend_process, stop_backend_process
from support.studio_watch import WatchedStudio

pytestmark = pytest.mark.godot


@pytest.fixture
def backend(tmp_path):
    """`vaestudio serve` on digits, paused (the Python client starts training), runs in tmp."""
    b = start_backend_process("--runs-dir", str(tmp_path / "runs"), "--paused")
    yield b
    stop_backend_process(b)


@pytest.fixture
def studios(backend, tmp_path):
    """Starts Studios against the backend on demand; any still running at the end is killed."""
    started: list[WatchedStudio] = []

    def start(name: str, *extra: str) -> WatchedStudio:
        studio = WatchedStudio(backend.control, backend.stream, tmp_path, name, *extra)
        started.append(studio)
        return studio

    yield start
    for studio in started:
        studio.kill()


def wait_status(client, what: str, holds, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = client.call("status")
        if holds(status):
            return status
        assert time.monotonic() < deadline, f"the backend's status never showed {what}: {status}"
        time.sleep(0.05)


def connected(now: dict) -> bool:
    return now["connected"] and bool(now["run"]) and now["beta"] != ""


def test_two_studios_and_a_python_client_follow_each_other(backend, studios):
    a = studios("a")
    a.wait_until("a connection and the live run", connected)
    # The second starts once the first has its virtual screen (xvfb-run -a picks one racily).
    b = studios("b")
    b.wait_until("a connection and the live run", connected)
    first_run = a.now()["run"]

    with backend.client() as py:
        # Three open connections: both Studios (which only watch now) and this client.
        wait_status(py, "3 clients", lambda s: s["clients"] == 3)
        for studio in (a, b):
            studio.wait_until("3 clients in the status bar", lambda now: now["bar_clients"] == "3 clients connected")

        # The Python client sets β: both Studios' β fields show it.
        t0 = time.time()
        py.call("config.set", beta=2.5)
        for studio in (a, b):
            studio.wait_until("β 2.5 in the β field", lambda now: now["beta"] == "2.5")
        lags = {s.name: s.first_shown("beta", "2.5", t0) - t0 for s in (a, b)}

        # The Python client starts training: both show it.
        t1 = time.time()
        py.call("train.start")
        for studio in (a, b):
            now = studio.wait_until("TRAINING", lambda now: now["bar_state"] == "TRAINING")
            assert "Pause" in now["run_button"], now
        lags.update({f"{s.name} state": s.first_shown("bar_state", "TRAINING", t1) - t1 for s in (a, b)})

        # Studio A starts a new run on other data from its Runs panel: B and the Python client
        # follow (run, model and data in B's status bar).
        t2 = time.time()
        a.order("new_run beta_vae moons")
        new_run = a.wait_until("a new run", lambda now: now["run"] not in ("", first_run))["run"]
        now_b = b.wait_until(f"run {new_run} in the status bar", lambda now: f"run {new_run}" in now["bar_summary"])
        assert now_b["run"] == new_run
        assert "model beta_vae" in now_b["bar_summary"] and "data: moons" in now_b["bar_summary"], now_b
        status = wait_status(py, f"run {new_run}", lambda s: s["run"] == new_run)
        assert status["model"]["name"] == "beta_vae" and status["dataset"]["name"] == "moons", status
        # From A's order: run.new builds the run first, so these include that.
        lags.update({f"{s.name} run": s.first_shown("run", new_run, t2) - t2 for s in (a, b)})
        # The new run has the default β again; both fields show it.
        for studio in (a, b):
            studio.wait_until("the new run's β", lambda now: now["beta"] == "1.0")

        # A types a β the backend refuses: A's controls say why, the Log keeps it, and no notice
        # repeats what the panel already shows.
        a.order("set_field beta -1")
        now_a = a.wait_until(
            "the refusal under the fields", lambda now: "Changing a training setting failed" in now["controls_message"]
        )
        assert "beta" in now_a["controls_message"], now_a
        now_a = a.wait_until("the refusal in the Log", lambda now: any("Changing a training setting failed" in line for line in now["log"]))
        assert now_a["notice_text"] == "", now_a
        # A request no panel shows (here sent by the driver): a notice names what failed and why.
        b.order('send config.set {"beta": -1}')
        now_b = b.wait_until("a notice of the refusal", lambda now: "Changing a training setting failed" in now["notice_text"])
        assert "beta" in now_b["notice_text"] and "invalid_argument" not in now_b["notice_text"], now_b
        assert "failed" not in now_b["controls_message"], "only the notice shows it"
        assert any("Changing a training setting failed" in line for line in now_b["log"]), now_b["log"]

    # The Python client has gone: both Studios count two clients.
    for studio in (a, b):
        studio.wait_until("2 clients", lambda now: now["bar_clients"] == "2 clients connected")
    report_a, report_b = a.finish(), b.finish()
    assert report_a["watch"]["now"]["run"] == report_b["watch"]["now"]["run"] == new_run
    print("\nlag from a change to the other clients' screens: "
          + ", ".join(f"{name} {lag:.2f} s" for name, lag in lags.items()))

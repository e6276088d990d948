"""A backend restart under a running Studio, in real Godot.

The Studio runs in the background with its test driver (multiclient_driver.gd), which writes what
it shows and carries out the test's orders. The backend is stopped (SIGTERM: it saves the live run)
and another is started on the same ports without --resume, so it trains a fresh run. The Studio
reconnects by itself, says in its Log that it lost the backend, got it back, and that a different
run came back; its notice bar offers to load the old run, and pressing that brings the run back
with its whole loss history, the latent view the user had chosen and the pins decoded again. A
request lost with the backend is reported as such. A last restart with --resume brings the same
run back, and the Studio simply carries on.
"""

from __future__ import annotations

import time

import pytest

from support.backends import Backend, serve_at, start_backend_process, stop_backend_process
from support.studio_watch import WatchedStudio

pytestmark = pytest.mark.godot

SETTLE_STEPS = 300  # steps trained before the restart, so the old run has a history to come back


@pytest.fixture
def restart(tmp_path):
    """The first backend (training digits, runs in tmp) and a way to replace it on its ports."""
    runs = tmp_path / "runs"
    backends = [start_backend_process("--runs-dir", str(runs))]

    def replace(*extra: str) -> Backend:
        old = backends[-1]
        stop_backend_process(old)
        backends.append(serve_at(old.control, old.stream, runs, *extra))
        return backends[-1]

    yield backends[0], replace
    for b in backends:
        if b.process.poll() is None:
            stop_backend_process(b)


def log_has(now: dict, *words: str) -> bool:
    return any(all(w in line for w in words) for line in now["log"])


def test_after_a_restart_the_studio_reconnects_and_offers_the_old_run_back(restart, tmp_path):
    first, replace = restart
    studio = WatchedStudio(first.control, first.stream, tmp_path, "studio")
    try:
        now = studio.wait_until(
            f"{SETTLE_STEPS} steps and a decode",
            lambda now: now["connected"] and now["step"] >= SETTLE_STEPS and now["decoded_images"] >= 1,
        )
        old_run = now["run"]
        # The user pins the z on show (the Pins tab) and colours the points by their loss.
        studio.order("tab pins")
        studio.order("pin")
        studio.order("view color=loss")
        before = studio.wait_until(
            "a decoded pin and the loss colouring",
            lambda now: now["pins"]["redecodes"] >= 1 and now["latent_view"].get("color") == "loss",
        )

        # A request in flight when the backend goes: 100 000 steps, asked while paused, take
        # minutes, so the backend is gone before it could answer.
        studio.order('send train.pause {}')
        studio.order('send train.step {"n": 100000}')
        studio.wait_until("the steps asked for", lambda now: now["orders_done"] >= 5)
        time.sleep(0.5)
        second = replace()  # SIGTERM (the old run is saved), then a fresh run on the same ports

        now = studio.wait_until(
            "the reconnect and the offer of the old run",
            lambda now: now["connected"] and now["notice_action"] == f"Load {old_run}",
        )
        assert now["run"] != old_run, now
        assert log_has(now, "Lost the backend at", first.control), now["log"]
        assert log_has(now, "Reconnected to", first.control), now["log"]
        assert log_has(now, "came back with a different run", now["run"], old_run), now["log"]
        assert log_has(now, "Stepping the training failed", "the backend went away before answering"), now["log"]
        assert old_run in now["notice_text"], now
        with second.client() as py:
            saved = {r["run"]: r for r in py.call("run.list")["runs"]}[old_run]
        assert saved["checkpoint"] and saved["step"] >= SETTLE_STEPS, saved

        # The user presses "Load <old run>": the old run is live again, with its whole history,
        # the view they had and their pin decoded by it.
        studio.order("press_notice")
        now = studio.wait_until(
            "the old run back with its history and view",
            lambda now: now["run"] == old_run
            and now["history"]["history_run"] == old_run
            and now["latent_view"].get("color") == "loss"
            and now["pins"]["redecodes"] > before["pins"]["redecodes"],
        )
        history = now["history"]
        assert history["first_step"] <= 10 and history["last_step"] >= 0.9 * saved["step"], history
        assert now["notice_action"] == "", "the offer went once the run was back"
        assert log_has(now, f"Run {old_run} is live again"), now["log"]
        assert log_has(now, "Put the latent view back", "coloured by loss"), now["log"]
        assert now["pins"]["count"] == 1 and now["pins"]["error"] == "", now["pins"]
        with second.client() as py:
            status = py.call("status")
        assert status["run"] == old_run and status["latent_view"]["color"] == "loss", status

        # A refused request from no panel: a notice names what failed and why, the Log keeps it.
        studio.order('send latent.view {"color": "z9"}')
        now = studio.wait_until(
            "a notice of the refused view", lambda now: "Changing the latent view failed" in now["notice_text"]
        )
        assert "color" in now["notice_text"] and log_has(now, "Changing the latent view failed"), now

        # Restarted with --resume, the backend comes back with the same run: nothing to offer,
        # the curve goes on from where it was.
        replace("--resume", old_run)
        now = studio.wait_until(
            "the same run back", lambda now: now["connected"] and log_has(now, "came back with the same run")
        )
        assert log_has(now, "came back with the same run", old_run), now["log"]
        assert now["run"] == old_run and now["notice_action"] == "", now
        now = studio.wait_until("its history", lambda now: now["history"]["history_run"] == old_run)
        assert now["history"]["first_step"] <= 10 and now["history"]["last_step"] >= history["last_step"], now
        report = studio.finish()
    finally:
        studio.kill()
    assert report["watch"]["now"]["run"] == old_run

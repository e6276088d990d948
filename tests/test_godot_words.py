"""What the Studio says, in real Godot: plain sentences that go when they stop being true.

A Studio on non-default ports sets β, saves (the Runs panel names the folder), and then loses its
backend: the waiting overlay gives the command that starts one where this Studio looks (both
endpoints), and the status bar drops the old run's event. Another backend comes up on the same
ports with another run on another data set (shapes): the Log says the backend went, came back and
with which run; the sentences about the old run (β set, saved) are gone; β shows the new run's;
the latent legend names the new data set's own three classes. No line the user reads names a
protocol op.
"""

from __future__ import annotations

import re

import pytest

from support.backends import serve_at, start_backend_process, stop_backend_process
from support.studio_watch import WatchedStudio

pytestmark = pytest.mark.godot

OP_NAME = re.compile(r"\b(train|run|config|data|model|latent|metrics)\.[a-z]+\b")


def log_has(now: dict, *words: str) -> bool:
    return any(all(w in line for w in words) for line in now["log"])


def test_after_a_restart_the_words_on_screen_are_about_the_new_run(tmp_path):
    runs = tmp_path / "runs"
    first = start_backend_process(runs_dir=runs)
    backends = [first]
    studio = WatchedStudio(first.control, first.stream, tmp_path, "words")
    try:
        now = studio.wait_until("training", lambda now: now["connected"] and now["step"] >= 20)
        old_run = now["run"]
        studio.order("set_field beta 4")
        studio.wait_until("β applied", lambda now: now["controls_message"] == "β set to 4.0.")
        studio.order("save")
        # (the status bar shows the backend's newest event, which a training warning may replace)
        saved = studio.wait_until("the save, in the Runs panel", lambda now: "Saved" in now["runs_panel"]["message"])
        assert f"{old_run}/" in saved["runs_panel"]["message"], "the folder it went into"

        stop_backend_process(first)
        gone = studio.wait_until("the overlay", lambda now: not now["connected"] and now["overlay"]["visible"])
        hint = gone["overlay"]["hint"]
        assert "went away" in gone["overlay"]["title"], gone["overlay"]
        assert f"--control {first.control} --stream {first.stream}" in hint and "--resume last" in hint, hint
        assert gone["bar_event"] == "", "the old run's event went with the backend"

        backends.append(serve_at(first.control, first.stream, runs, "--dataset", "shapes", "--data-opt", "n=2000"))
        back = studio.wait_until(
            "the new run and its classes",
            lambda now: now["connected"] and now["run"] not in ("", old_run)
            and now["legend"] == ["square", "ellipse", "heart"],
        )
        assert log_has(back, "Lost the backend at", first.control), back["log"]
        assert log_has(back, "Reconnected to", first.control), back["log"]
        assert log_has(back, "came back with a different run", back["run"], old_run), back["log"]
        back = studio.wait_until("β of the new run", lambda now: float(now["beta"]) == 1.0)
        assert "β set to" not in back["controls_message"], back["controls_message"]
        assert "Saved" not in back["runs_panel"]["message"], back["runs_panel"]
        assert old_run not in back["bar_event"], back["bar_event"]
        said = back["log"] + [back["controls_message"], back["runs_panel"]["message"], back["notice_text"]]
        assert not [line for line in said if OP_NAME.search(line)], said
        studio.finish()
    finally:
        studio.kill()
        for b in backends:
            if b.process.poll() is None:
                stop_backend_process(b)

"""Runs survive the server: Ctrl-C and SIGTERM save the live run before `vaestudio serve` exits,
autosave keeps it saved while it trains, `--resume last` continues the newest saved run, and a
serve that cannot start leaves no run folder behind."""

import json
import signal
import socket
import subprocess
import time

import pytest

from support.backends import free_port, start_backend_process, stop_backend_process, vaestudio
from support.runs import steps
from vaestudio.datasets import load_dataset
from vaestudio.models import ModelSpec
from vaestudio.runs import RunStore
from vaestudio.train_config import TrainConfig
from vaestudio.trainer import Trainer


def run_folders(runs) -> list[str]:
    return sorted(p.name for p in runs.iterdir() if (p / "config.json").exists()) if runs.exists() else []


def serve(*args: str, runs) -> subprocess.CompletedProcess:
    """`vaestudio serve` on free loopback ports (never the default ones another server may hold)."""
    return vaestudio("serve", "--control", f"tcp://127.0.0.1:{free_port()}", "--stream",
                     f"tcp://127.0.0.1:{free_port()}", *args, runs=runs)


def wait_for_step(client, n: int, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while (step := client.call("status")["step"]) < n:
        assert time.monotonic() < deadline, f"training did not reach step {n} (at {step})"
        time.sleep(0.1)
    return step


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_stopped_server_saves_its_run_and_resume_last_continues_it(tmp_path, signum):
    runs = tmp_path / "runs"
    b = start_backend_process("--autosave", "0", runs_dir=runs)
    try:
        with b.client() as c:
            run = c.call("status")["run"]
            wait_for_step(c, 20)
        b.process.send_signal(signum)
        out, _ = b.process.communicate(timeout=60)
    finally:
        if b.process.poll() is None:
            b.process.kill()
    assert b.process.returncode == 0 and "Traceback" not in out, out
    record = json.loads((runs / run / "config.json").read_text())
    saved = record["step"]
    assert saved >= 20 and (runs / run / "checkpoint.safetensors").is_file()
    assert f"saved {run} at step {saved}" in out and f"stopped at step {saved}" in out
    assert len((runs / run / "metrics.jsonl").read_text().splitlines()) == saved  # every step's record flushed

    resumed = start_backend_process("--resume", "last", runs_dir=runs)
    try:
        with resumed.client() as c:
            status = c.call("status")
            assert (status["run"], status["step"], status["state"]) == (run, saved, "paused")
            assert c.call("train.step", n=3)["step"] == saved + 3
    finally:
        stop_backend_process(resumed)
    assert json.loads((runs / run / "config.json").read_text())["step"] == saved + 3  # saved again on stop


def test_resume_last_is_the_run_that_was_live_last_even_with_nothing_new_to_save(tmp_path):
    """Run A is saved, then run B is saved later; a server resumes A, stops without a step (so
    nothing is written): `--resume last` must still continue A, the run it left live."""
    runs = tmp_path / "runs"
    first = start_backend_process("--autosave", "0", runs_dir=runs)
    try:
        with first.client() as c:
            run_a = c.call("status")["run"]
            wait_for_step(c, 5)
            c.call("run.new", model={"name": "vae"}, paused=True)  # saves A, B goes live
            run_b = c.call("status")["run"]
            c.call("train.step", n=2)
    finally:
        stop_backend_process(first)  # saves B: now the newest
    assert run_a != run_b and RunStore(runs).newest_resumable() == run_b
    time.sleep(0.05)  # file times must be able to tell the two stops apart
    stop_backend_process(start_backend_process("--resume", run_a, runs_dir=runs))  # A live, paused, no step
    again = start_backend_process("--resume", "last", runs_dir=runs)
    try:
        with again.client() as c:
            assert c.call("status")["run"] == run_a
    finally:
        stop_backend_process(again)


def test_autosave_writes_a_checkpoint_while_the_run_trains(tmp_path):
    runs = tmp_path / "runs"
    b = start_backend_process("--autosave", "0.5", runs_dir=runs)
    try:
        with b.client() as c:
            run = c.call("status")["run"]
        checkpoint = runs / run / "checkpoint.safetensors"
        deadline = time.monotonic() + 60
        while not checkpoint.is_file():
            assert time.monotonic() < deadline, "no autosave within 60 s at --autosave 0.5"
            time.sleep(0.1)
        assert json.loads((runs / run / "config.json").read_text())["step"] > 0
    finally:
        out = stop_backend_process(b)
    assert f"autosaved {run} at step" in out


def test_a_run_is_saved_again_only_when_its_step_moved(tmp_path):
    store = RunStore(tmp_path)
    trainer = Trainer(load_dataset("digits"), ModelSpec(), TrainConfig(), store=store)
    trainer.start_thread()
    try:
        assert trainer.save_if_unsaved() is None and not (tmp_path / trainer.run / "checkpoint.safetensors").exists()
        steps(trainer, 5)
        trainer.pause()
        assert trainer.unsaved
        checkpoint = tmp_path / trainer.run / "checkpoint.safetensors"
        assert trainer.save() == {"run": trainer.run, "step": 5}
        written = checkpoint.stat().st_mtime_ns
        assert not trainer.unsaved and trainer.save_if_unsaved() is None
        assert checkpoint.stat().st_mtime_ns == written
    finally:
        trainer.stop()


def test_a_serve_that_cannot_listen_leaves_no_run_folder(tmp_path):
    runs = tmp_path / "runs"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = f"tcp://127.0.0.1:{taken.getsockname()[1]}"
        free = f"tcp://127.0.0.1:{free_port()}"
        for control, stream in [(busy, free), (free, busy)]:
            r = vaestudio("serve", "--control", control, "--stream", stream, runs=runs)
            assert r.returncode == 2 and f"cannot listen on {control} / {stream}" in r.stderr, r.stderr
            assert "Traceback" not in r.stderr
    assert run_folders(runs) == []
    r = serve("--dataset", "nope", runs=runs)
    assert r.returncode == 2 and "unknown data set 'nope'" in r.stderr
    assert run_folders(runs) == []


def test_a_run_never_saved_is_not_resumable(tmp_path):
    runs = tmp_path / "runs"
    r = serve("--resume", "last", runs=runs)
    assert r.returncode == 2 and f"no run in {runs} has a checkpoint to resume" in r.stderr, r.stderr
    b = start_backend_process("--paused", runs_dir=runs)
    with b.client() as c:
        run = c.call("status")["run"]
    b.process.kill()  # no clean stop: the run was never saved
    b.process.wait(10)
    assert run_folders(runs) == [run] and not (runs / run / "checkpoint.safetensors").exists()
    listing = vaestudio("runs", runs=runs).stdout.splitlines()
    assert listing[0].split() == ["RUN", "MODEL", "DATA", "STEP", "UPDATED", "CHECKPOINT"]
    assert listing[1].startswith(run) and listing[1].endswith("none (never saved: not resumable)")
    r = serve("--resume", run, runs=runs)
    assert r.returncode == 2 and f"run '{run}' was never saved (it has no checkpoint)" in r.stderr, r.stderr
    r = serve("--resume", "last", runs=runs)
    assert r.returncode == 2 and "has a checkpoint to resume" in r.stderr, r.stderr

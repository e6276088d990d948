"""`vaestudio serve` as a user runs it: logs, flags, clean stop, clear errors."""

import signal
import subprocess
import sys

from conftest import REPO, free_port, start_backend_process, stop_backend_process


def test_serve_logs_where_it_listens_and_stops_cleanly_on_sigterm():
    b = start_backend_process("--paused")
    with b.client() as c:
        assert c.call("status")["state"] == "paused"
    out = stop_backend_process(b)
    assert b.process.returncode == 0, out
    assert f"control (ROUTER) on {b.control}" in out and "training vae (latent_dim 2, mlp) on digits" in out and "stopped at step 0" in out


def test_ctrl_c_stops_cleanly():
    b = start_backend_process()
    b.process.send_signal(signal.SIGINT)
    out, _ = b.process.communicate(timeout=20)
    assert b.process.returncode == 0 and "stopped at step" in out and "Traceback" not in out


def test_unknown_dataset_is_a_clear_error():
    r = subprocess.run([sys.executable, "-m", "vaestudio", "serve", "--dataset", "mnist-from-the-web"],
                       cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "unknown data set 'mnist-from-the-web'; available: digits, shapes" in r.stderr


def test_port_in_use_is_a_clear_error():
    b = start_backend_process("--paused")
    try:
        r = subprocess.run([sys.executable, "-m", "vaestudio", "serve", "--control", b.control,
                            "--stream", f"tcp://127.0.0.1:{free_port()}"], cwd=REPO, capture_output=True, text=True, timeout=60)
        assert r.returncode == 2 and f"cannot listen on {b.control}" in r.stderr
    finally:
        stop_backend_process(b)


def test_runs_dir_gets_a_record_per_run(tmp_path):
    b = start_backend_process("--paused", runs_dir=tmp_path / "runs")
    try:
        with b.client() as c:
            first = c.call("status")["run"]
            second = c.call("train.reset")["run"]
            c.call("status")
    finally:
        stop_backend_process(b)
    import json

    for run in (first, second):
        record = json.loads((tmp_path / "runs" / run / "config.json").read_text())
        assert record["run"] == run and record["model"]["latent_dim"] == 2

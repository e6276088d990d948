"""`vaestudio` as a user runs it: help with defaults, usage, logs, flags, clean stop, clear errors."""

import json
import re
import signal

import numpy as np
import pytest

from support.backends import free_port, start_backend_process, stop_backend_process, vaestudio
from vaestudio.client import RemoteError


def flat(text: str) -> str:
    """Help text with argparse's line wrapping undone."""
    return re.sub(r"\s+", " ", text)


# ---------------------------------------------------------------- help and usage

def test_no_arguments_prints_a_short_usage_with_examples():
    r = vaestudio()
    assert r.returncode == 1, r  # as `git` alone does: usage, and a status that says nothing was done
    assert r.stdout.startswith("usage: vaestudio") and "error:" not in r.stdout + r.stderr
    for command in ("serve", "train", "runs", "export", "eval"):
        assert f"\n  {command} " in r.stdout
    assert "examples:" in r.stdout and "vaestudio train --data-path" in r.stdout and "--help" in r.stdout
    assert len(r.stdout.splitlines()) < 30


def test_every_flag_shows_its_default_and_meaning():
    serve, train = (flat(vaestudio(cmd, "--help").stdout) for cmd in ("serve", "train"))
    for text in (serve, train):
        for flag, default in [("--latent-dim N", "2"), ("--lr LR", "0.001"), ("--beta BETA", "1.0"),
                              ("--batch-size N", "128"), ("--seed SEED", "0"), ("--model MODEL", "vae"),
                              ("--dataset DATASET", "digits"), ("--max-data-bytes SIZE", "2G")]:
            assert re.search(re.escape(flag) + r" [^-]*\(default: " + re.escape(default) + r"\)", text), flag
        assert "0 = never" in text and re.search(r"--checkpoint-every STEPS [^(]*\(default: 0\)", text)
        data_opt = text.split("--data-opt KEY=VALUE a data set option", 1)[1].split("--data-dir DIR ", 1)[0]
        for key in ("label_column", "normalize", "binarize", "test_fraction"):
            assert f"{key}=" in data_opt, key
        assert "model parameters" in text and "iwae k=5" in text  # where --param's keys are listed
        assert "--runs-dir DIR" in text and "-v, --verbose" in text
    assert "--control ENDPOINT" in serve and "(default: tcp://127.0.0.1:5555)" in serve
    assert "(default: tcp://127.0.0.1:5556)" in serve and "VAESTUDIO_TOKEN" in serve
    assert re.search(r"--steps N [^(]*\(default: 2000\)", train)
    for cmd in ("runs", "export", "eval"):
        text = flat(vaestudio(cmd, "--help").stdout)
        assert "--runs-dir DIR" in text and "-v, --verbose" in text, cmd
    assert "(default: 100)" in flat(vaestudio("eval", "--help").stdout)


def test_runs_dir_and_verbose_work_before_and_after_the_subcommand(tmp_path):
    for args in (["--runs-dir", str(tmp_path), "runs"], ["runs", "--runs-dir", str(tmp_path)],
                 ["-v", "runs", f"--runs-dir={tmp_path}"], ["runs", "-v", "--runs-dir", str(tmp_path)]):
        r = vaestudio(*args)
        assert r.returncode == 0 and r.stdout.strip() == f"no runs in {tmp_path}", (args, r)


def test_runs_lists_under_a_header(tmp_path):
    runs = tmp_path / "runs"
    r = vaestudio("train", "--steps", "3", "-q", runs=runs)
    assert r.returncode == 0, r.stderr
    run = json.loads(r.stdout)["run"]
    lines = vaestudio("runs", runs=runs).stdout.splitlines()
    assert lines[0].split() == ["RUN", "MODEL", "DATA", "STEP", "UPDATED", "CHECKPOINT"]
    assert lines[1].split()[:4] == [run, "vae", "digits", "3"] and lines[1].endswith(" yes")


# ---------------------------------------------------------------- serve

def test_serve_logs_where_it_listens_and_stops_cleanly_on_sigterm():
    b = start_backend_process("--paused")
    with b.client() as c:
        assert c.call("status")["state"] == "paused"
    out = stop_backend_process(b)
    assert b.process.returncode == 0, out
    assert f"control (ROUTER) on {b.control}" in out and "training vae (latent_dim 2, mlp) on digits" in out and "stopped at step 0" in out


def test_ctrl_c_stops_cleanly():
    b = start_backend_process()
    try:
        b.process.send_signal(signal.SIGINT)
        out, _ = b.process.communicate(timeout=30)
    finally:  # a server that did not stop must not outlive the test (and train on for hours)
        if b.process.poll() is None:
            b.process.kill()
        b.tmp.cleanup()
    assert b.process.returncode == 0 and "stopped at step" in out and "Traceback" not in out


def test_unknown_dataset_is_a_clear_error(tmp_path):
    r = vaestudio("serve", "--dataset", "mnist-from-the-web", runs=tmp_path)
    assert r.returncode == 2 and "unknown data set 'mnist-from-the-web'; available: digits, shapes" in r.stderr


def test_train_steps_must_be_a_whole_number_and_zero_saves_the_fresh_weights(tmp_path):
    r = vaestudio("train", "--steps", "-5", runs=tmp_path)
    assert r.returncode == 2 and "--steps: expected a whole number of steps from 0, got '-5'" in r.stderr
    r = vaestudio("train", "--steps", "0", "-q", runs=tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout)["step"] == 0, r.stderr


def test_port_in_use_is_a_clear_error(tmp_path):
    b = start_backend_process("--paused")
    try:
        r = vaestudio("serve", "--control", b.control, "--stream", f"tcp://127.0.0.1:{free_port()}", runs=tmp_path)
        assert r.returncode == 2 and f"cannot listen on {b.control}" in r.stderr
    finally:
        stop_backend_process(b)


def test_serve_on_a_public_address_needs_a_token(tmp_path):
    port = free_port()
    r = vaestudio("serve", "--control", f"tcp://0.0.0.0:{port}", "--stream", f"tcp://127.0.0.1:{free_port()}",
                  runs=tmp_path / "runs")
    assert r.returncode == 2, r
    assert (f"tcp://0.0.0.0:{port} is reachable from other machines, so the server needs a token: pass --token "
            "or set VAESTUDIO_TOKEN") in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "runs").exists()  # refused before anything is made


def test_runs_dir_gets_a_record_per_run(tmp_path):
    b = start_backend_process("--paused", runs_dir=tmp_path / "runs")
    try:
        with b.client() as c:
            first = c.call("status")["run"]
            second = c.call("train.reset")["run"]
            c.call("status")
    finally:
        stop_backend_process(b)
    for run in (first, second):
        record = json.loads((tmp_path / "runs" / run / "config.json").read_text())
        assert record["run"] == run and record["model"]["latent_dim"] == 2


# ---------------------------------------------------------------- data files

@pytest.fixture
def own_data(tmp_path):
    """A user's own data folder, outside the folder vaestudio runs in and outside any --data-dir."""
    folder = tmp_path / "mine"
    folder.mkdir()
    rng = np.random.default_rng(0)
    np.save(folder / "blobs.npy", (rng.random((120, 8, 8)) > 0.6).astype(np.float32))
    return folder


def test_train_reads_a_file_named_on_the_command_line_without_data_dir(tmp_path, own_data):
    runs = tmp_path / "runs"
    r = vaestudio("train", "--data-path", str(own_data / "blobs.npy"), "--steps", "3", "-q", runs=runs)
    assert r.returncode == 0, r.stderr
    run = json.loads(r.stdout)["run"]
    # Relative to where the user stands works too, and so do eval and export of that run, from anywhere.
    r = vaestudio("train", "--data-path", "mine/blobs.npy", "--steps", "2", "-q", runs=runs, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = vaestudio("eval", run, "--iw-samples", "0", runs=runs)
    assert r.returncode == 0 and json.loads(r.stdout)["split"] == "test", r.stderr
    r = vaestudio("export", run, "--items", "latents", runs=runs)
    assert r.returncode == 0 and "latents.npz" in json.loads(r.stdout)["files"], r.stderr
    r = vaestudio("train", "--data-path", str(own_data / "nothing.npy"), "--steps", "1", runs=runs)
    assert r.returncode == 2 and "nothing.npy does not exist" in r.stderr and "restart" not in r.stderr


def test_a_data_file_over_the_size_limit_is_refused(tmp_path, own_data):
    r = vaestudio("train", "--data-path", str(own_data / "blobs.npy"), "--max-data-bytes", "1K", "--steps", "1",
                  runs=tmp_path / "runs")
    size = (own_data / "blobs.npy").stat().st_size
    assert r.returncode == 2 and "blobs.npy is too large to load" in r.stderr, r.stderr
    assert f"({size} bytes)" in r.stderr and "(1024 bytes)" in r.stderr and "--max-data-bytes" in r.stderr
    r = vaestudio("train", "--max-data-bytes", "lots", runs=tmp_path / "runs")
    assert r.returncode == 2 and "'lots' is not a size" in r.stderr


def test_csv_error_says_how_to_pass_the_label_column(tmp_path):
    (tmp_path / "t.csv").write_text("a,b,kind\n" + "".join(f"{i},{i % 3},{'xy'[i % 2]}\n" for i in range(40)))
    r = vaestudio("train", "--data-path", str(tmp_path / "t.csv"), "--steps", "1", runs=tmp_path / "runs")
    assert r.returncode == 2 and "column 2 ('kind') holds" in r.stderr and "--data-opt label_column=" in r.stderr
    r = vaestudio("train", "--data-path", str(tmp_path / "t.csv"), "--data-opt", "label_column=kind", "--steps", "2",
                  "-q", runs=tmp_path / "runs")
    assert r.returncode == 0, r.stderr


def test_clients_stay_behind_the_data_dir_fence_and_never_see_its_folders(tmp_path, own_data):
    served = tmp_path / "served"
    served.mkdir()
    (served / "broken.npy").write_bytes(b"\x93NUMPY garbage")
    np.save(own_data / "sibling.npy", np.zeros((10, 4), np.float32))
    b = start_backend_process("--paused", "--data-dir", str(served), "--data-path", str(own_data / "blobs.npy"))
    try:
        with b.client(timeout=60) as c:
            assert c.call("status")["dataset"]["shape"] == [8, 8]  # the operator's own file: read
            cases = [("broken.npy", "broken.npy"), ("missing.npy", "was not found in the server's data folders"),
                     ("../mine/sibling.npy", "outside the allowed data folders"),
                     (str(own_data / "sibling.npy"), "outside the allowed data folders")]
            for path, words in cases:
                with pytest.raises(RemoteError) as err:
                    c.call("run.new", {"data": {"name": "file", "path": path}}, timeout=60)
                msg = err.value.message
                assert err.value.code == "invalid_argument" and words in msg and path in msg, msg
                assert str(served) not in msg and str(served.resolve()) not in msg, msg
    finally:
        stop_backend_process(b)


# ---------------------------------------------------------------- train, runs, export, eval

def test_cli_train_runs_export_eval(tmp_path):
    runs = tmp_path / "runs"
    r = vaestudio("train", "--model", "iwae", "--param", "k=3", "--steps", "40", "--batch-size", "64", "--eval", runs=runs)
    assert r.returncode == 0, r.stderr
    saved, evaluation = (json.loads(line) for line in r.stdout.strip().splitlines())
    assert saved["step"] == 40 and evaluation["split"] == "test" and np.isfinite(evaluation["elbo"])
    run = saved["run"]
    assert run.startswith("iwae-digits-")
    r = vaestudio("runs", runs=runs)
    assert run in r.stdout and "iwae" in r.stdout and "40" in r.stdout
    r = vaestudio("train", "--resume", run, "--steps", "10", "-q", runs=runs)
    assert json.loads(r.stdout)["step"] == 50
    r = vaestudio("export", run, runs=runs)
    files = json.loads(r.stdout)["files"]
    assert {"latents.npz", "samples.png", "latent_map.png", "metrics.csv", "decoder.onnx"} <= set(files)
    r = vaestudio("eval", run, "--iw-samples", "20", runs=runs)
    result = json.loads(r.stdout)
    assert result["nll"] > 0 and result["active_units"] in (0, 1, 2) and len(result["per_dim_kl"]) == 2
    r = vaestudio("eval", "no-such-run", runs=runs)
    assert r.returncode == 2 and "no run 'no-such-run'" in r.stderr
    r = vaestudio("train", "--dataset", "file", "--data-path", "/etc/hostname", "--steps", "1", runs=runs)
    # a path on the user's own command line is theirs to read (no --data-dir fence), and a file
    # that is no data set is refused with what is accepted
    assert r.returncode == 2 and "unsupported file type; accepted: .npz" in r.stderr


def test_cli_tensorboard_logs_scalars(tmp_path):
    runs = tmp_path / "runs"
    r = vaestudio("train", "--steps", "30", "-q", "--tensorboard", runs=runs)
    assert r.returncode == 0, r.stderr
    run = json.loads(r.stdout)["run"]
    events = list((runs / run / "tensorboard").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 100
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(runs / run / "tensorboard"))
    acc.Reload()
    assert {"loss", "recon", "kl"} <= set(acc.Tags()["scalars"])
    assert [e.step for e in acc.Scalars("loss")] == [10, 20, 30]


@pytest.mark.parametrize("model", ["vae", "beta_vae", "cvae", "beta_tcvae", "factor_vae", "info_vae", "iwae", "vamp", "vq_vae"])
def test_every_model_trains_headless_from_the_vaestudio(tmp_path, model):
    r = vaestudio("train", "--model", model, "--steps", "5", "--batch-size", "32", "-q", runs=tmp_path / "runs")
    assert r.returncode == 0, r.stderr
    saved = json.loads(r.stdout)
    assert saved["step"] == 5 and saved["run"].startswith(f"{model}-digits-")
    assert (tmp_path / "runs" / saved["run"] / "checkpoint.safetensors").is_file()


def test_serve_eval_every_evaluates_the_test_split_and_the_client_reads_history_and_trace():
    backend = start_backend_process("--paused", "--eval-every", "5")
    try:
        with backend.client(timeout=30) as c:
            assert c.call("status")["config"]["eval_every"] == 5
            c.call("train.step", n=10, timeout=60)
            steps, series = c.history()
            traced = c.trace(3, seed=1)
    finally:
        stop_backend_process(backend)
    evaluated = steps[np.isfinite(series["test_loss"]["mean"])]
    assert evaluated.tolist() == [5, 10], (steps, series["test_loss"])
    assert steps[0] == 1 and steps[-1] == 10 and np.isfinite(series["loss"]["mean"]).all()
    # the Python client hands the trace back as numpy, the identity z = mu + sigma * eps included
    mu, logvar, eps = traced["mu"], traced["logvar"], traced["eps"]
    assert np.array_equal(traced["z"], mu + np.exp(np.float32(0.5) * logvar) * eps)
    assert traced["index"] == 3 and all(isinstance(layer["activation"], np.ndarray) for layer in traced["layers"])

"""Runs survive: exact resume, save -> kill -> load, atomic checkpoints, no pickle, the CLI."""

import json
import queue
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import REPO, start_backend_process, stop_backend_process
from vaestudio.client import to_wire
from vaestudio.train_config import TrainConfig
from vaestudio.datasets import load_dataset
from vaestudio.models import ModelSpec
from vaestudio.runs import RunError, RunStore
from vaestudio.loading import load_trainer
from vaestudio.trainer import Trainer


def steps(trainer: Trainer, n: int) -> None:
    q: queue.Queue = queue.Queue()
    trainer.request_steps(n, q.put)
    assert isinstance(q.get(timeout=60), dict)


def save(trainer: Trainer) -> dict:
    q: queue.Queue = queue.Queue()
    trainer.call(trainer.save, q.put)
    return q.get(timeout=60)


@pytest.mark.parametrize("model", ["vae", "factor_vae", "vamp", "vq_vae"])
def test_resume_continues_exactly_where_it_stopped(tmp_path, model):
    """10 steps, save, load, 10 more == 20 steps straight: weights, optimizer, batch order, RNG."""
    store = RunStore(tmp_path)
    spec, cfg = ModelSpec(name=model), dict(batch_size=50, seed=3)
    straight = Trainer(load_dataset("digits"), spec, TrainConfig(**cfg), store=store)
    straight.start_thread()
    steps(straight, 20)
    straight.stop()

    first = Trainer(load_dataset("digits"), spec, TrainConfig(**cfg), store=store)
    first.start_thread()
    steps(first, 10)
    assert save(first)["step"] == 10
    first.stop()
    resumed = load_trainer(first.run, store, [])
    assert resumed.step == 10 and resumed.run == first.run
    resumed.start_thread()
    steps(resumed, 10)
    resumed.stop()
    for key, value in straight.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key


def test_save_kill_load_reproduces_identical_decodes(tmp_path):
    runs = tmp_path / "runs"
    z = to_wire(np.random.default_rng(0).normal(size=(16, 2)).astype(np.float32))
    b = start_backend_process(runs_dir=runs)
    with b.client() as c:
        c.call("train.pause")
        run = c.call("run.save")["run"]
        decoded = c.call("decode", z=z)["images"]["data"]
        mu = c.call("encode", indices=to_wire(np.arange(10), "i32"))["mu"]["data"]
    b.process.send_signal(signal.SIGKILL)  # no clean shutdown: only what was written survives
    b.process.wait(10)
    b2 = start_backend_process("--paused", runs_dir=runs)
    try:
        with b2.client() as c:
            assert c.call("run.load", run=run, timeout=60)["run"] == run
            assert c.call("decode", z=z)["images"]["data"] == decoded
            assert c.call("encode", indices=to_wire(np.arange(10), "i32"))["mu"]["data"] == mu
    finally:
        stop_backend_process(b2)


def test_a_crash_mid_write_leaves_the_last_good_checkpoint(tmp_path, monkeypatch):
    store = RunStore(tmp_path)
    t = Trainer(load_dataset("digits"), ModelSpec(), TrainConfig(), store=store)
    t.save()
    good = (tmp_path / t.run / "checkpoint.safetensors").read_bytes()

    def dying_save(tensors, filename, metadata=None):
        with open(filename, "wb") as f:
            f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr("vaestudio.runs.save_file", dying_save)
    with pytest.raises(OSError):
        t.save()
    assert (tmp_path / t.run / "checkpoint.safetensors").read_bytes() == good
    assert [p.name for p in (tmp_path / t.run).iterdir() if p.name.endswith(".tmp")] == []
    t.stop()


def test_checkpoints_are_safetensors_and_bad_ones_are_refused(tmp_path):
    store = RunStore(tmp_path)
    t = Trainer(load_dataset("digits"), ModelSpec(), TrainConfig(), store=store)
    t.save()
    path = tmp_path / t.run / "checkpoint.safetensors"
    header_len = int.from_bytes(path.read_bytes()[:8], "little")
    header = json.loads(path.read_bytes()[8 : 8 + header_len])
    assert header["__metadata__"]["format"] == "vaestudio-checkpoint-1"
    path.write_bytes(path.read_bytes()[:100])  # truncated
    with pytest.raises(RunError, match="cannot be read"):
        store.load_checkpoint(t.run)
    t.stop()


def cli(*args: str, runs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vaestudio", "--runs-dir", str(runs), *args],
                          cwd=REPO, capture_output=True, text=True, timeout=300)


def test_cli_train_runs_export_eval(tmp_path):
    runs = tmp_path / "runs"
    r = cli("train", "--model", "iwae", "--param", "k=3", "--steps", "40", "--batch-size", "64", "--eval", runs=runs)
    assert r.returncode == 0, r.stderr
    saved, evaluation = (json.loads(line) for line in r.stdout.strip().splitlines())
    assert saved["step"] == 40 and evaluation["split"] == "test" and np.isfinite(evaluation["elbo"])
    run = saved["run"]
    assert run.startswith("iwae-digits-")
    r = cli("runs", runs=runs)
    assert run in r.stdout and "iwae" in r.stdout and "40" in r.stdout
    r = cli("train", "--resume", run, "--steps", "10", "-q", runs=runs)
    assert json.loads(r.stdout)["step"] == 50
    r = cli("export", run, runs=runs)
    files = json.loads(r.stdout)["files"]
    assert {"latents.npz", "samples.png", "latent_map.png", "metrics.csv", "decoder.onnx"} <= set(files)
    r = cli("eval", run, "--iw-samples", "20", runs=runs)
    result = json.loads(r.stdout)
    assert result["nll"] > 0 and result["active_units"] in (0, 1, 2) and len(result["per_dim_kl"]) == 2
    r = cli("eval", "no-such-run", runs=runs)
    assert r.returncode == 2 and "no run 'no-such-run'" in r.stderr
    r = cli("train", "--dataset", "file", "--data-path", "/etc/hostname", "--steps", "1", runs=runs)
    # a path on the user's own command line is theirs to read (no --data-dir fence), and a file
    # that is no data set is refused with what is accepted
    assert r.returncode == 2 and "unsupported file type; accepted: .npz" in r.stderr


def test_cli_tensorboard_logs_scalars(tmp_path):
    runs = tmp_path / "runs"
    r = cli("train", "--steps", "30", "-q", "--tensorboard", runs=runs)
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
def test_every_model_trains_headless_from_the_cli(tmp_path, model):
    r = cli("train", "--model", model, "--steps", "5", "--batch-size", "32", "-q", runs=tmp_path / "runs")
    assert r.returncode == 0, r.stderr
    saved = json.loads(r.stdout)
    assert saved["step"] == 5 and saved["run"].startswith(f"{model}-digits-")
    assert (tmp_path / "runs" / saved["run"] / "checkpoint.safetensors").is_file()

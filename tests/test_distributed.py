"""Data-parallel training on 2 CPU processes (gloo), started as a user starts it: `vaestudio train
--nproc 2` and `vaestudio serve --nproc 2` (PyTorch's elastic launcher underneath)."""

import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from support.backends import REPO, start_backend_process, stop_backend_process, vaestudio
from vaestudio import distributed, mirror
from vaestudio.client import RemoteError
from vaestudio.datasets import load_dataset
from vaestudio.errors import ConfigError
from vaestudio.models import ModelSpec, build_model
from vaestudio.train_config import TrainConfig
from vaestudio.trainer import Trainer

AGREE = "all 2 processes hold the same weights and optimizer state"


def saved_run(stdout: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1, stdout  # rank 0 alone prints the run
    return json.loads(lines[0])


def losses(folder: Path) -> list[float]:
    return [json.loads(line)["loss"] for line in (folder / "metrics.jsonl").read_text().splitlines()]


def processes_with(text: str) -> list[int]:
    """Processes whose command line holds `text` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode():
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def test_train_with_two_processes_writes_one_run_that_eval_and_resume_accept(tmp_path):
    r = vaestudio("train", "--nproc", "2", "--steps", "60", "--batch-size", "32", "-q", runs=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    run = saved_run(r.stdout)["run"]
    folder = tmp_path / run
    assert {"config.json", "metrics.jsonl", "checkpoint.safetensors", "environment.json"} <= {p.name for p in folder.iterdir()}
    assert json.loads((folder / "environment.json").read_text())["world_size"] == 2
    assert len(list(tmp_path.iterdir())) == 1  # one run folder: the other rank writes nothing
    loss = losses(folder)
    assert len(loss) == 60 and sum(loss[-5:]) / 5 < sum(loss[:5]) / 5 - 5, loss
    assert AGREE in r.stderr, r.stderr  # every rank's weights and Adam state hashed alike after 60 steps
    with safe_open(str(folder / "checkpoint.safetensors"), "pt") as f:
        assert not [k for k in f.keys() if "module." in k]  # the inner model's weights, as one process saves

    e = vaestudio("eval", run, "--iw-samples", "0", runs=tmp_path)
    assert e.returncode == 0 and json.loads(e.stdout)["elbo"] < 0, e.stderr

    again = vaestudio("train", "--nproc", "2", "--resume", run, "--steps", "20", "-q", runs=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert saved_run(again.stdout)["step"] == 80 and AGREE in again.stderr
    assert len(losses(folder)) == 80


def test_serve_with_two_processes_trains_answers_and_stops_every_process(tmp_path):
    b = start_backend_process("--nproc", "2", "--batch-size", "32", runs_dir=tmp_path, timeout=120)
    port = b.control.rsplit(":", 1)[1]
    try:
        with b.client(timeout=30) as c:
            status = c.call("status")
            assert status["world_size"] == 2 and status["state"] == "training"
            deadline = time.time() + 60
            while c.call("status")["step"] < 20 and time.time() < deadline:
                time.sleep(0.1)
            assert c.call("status")["step"] >= 20
            with pytest.raises(RemoteError, match="--nproc") as refused:
                c.call("run.new", model={"latent_dim": 3})
            assert refused.value.code == "invalid_argument"
            c.call("config.set", lr=0.002, batch_size=16)  # live values reach the other rank too
            c.call("train.pause")
            c.call("train.reset", seed=3)
            assert c.call("train.step", n=7)["step"] == 7
            run = c.call("status")["run"]
    finally:
        out = stop_backend_process(b)  # SIGTERM to the launcher, as a user's kill sends it
    assert AGREE in out, out
    assert (tmp_path / run / "checkpoint.safetensors").is_file()  # saved on the way out
    deadline = time.time() + 10
    while processes_with(f"127.0.0.1:{port}") and time.time() < deadline:
        time.sleep(0.2)
    assert processes_with(f"127.0.0.1:{port}") == []  # the launcher and both workers are gone


def test_workers_whose_launcher_is_killed_save_the_run_and_stop(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "vaestudio", "--runs-dir", str(tmp_path), "train", "--nproc", "2",
                             "--steps", "1000000", "--batch-size", "32", "-q"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 90  # steps written to metrics.jsonl: training has begun
        while not [p for p in tmp_path.glob("*/metrics.jsonl") if p.stat().st_size] and time.time() < deadline:
            time.sleep(0.2)
        folder = list(tmp_path.glob("*/metrics.jsonl"))[0].parent
        workers = processes_with(str(tmp_path))
        assert len(workers) == 3  # the launcher and two workers
        proc.kill()  # kill -9: the launcher cannot pass anything on
        proc.communicate(timeout=10)
        deadline = time.time() + 30
        while processes_with(str(tmp_path)) and time.time() < deadline:
            time.sleep(0.2)
        assert processes_with(str(tmp_path)) == []
        assert (folder / "checkpoint.safetensors").is_file()  # rank 0 saved what it had trained
    finally:
        for pid in processes_with(str(tmp_path)):
            os.kill(pid, signal.SIGKILL)


def two_ranks(rank: int, out: Path) -> None:
    """One of two ranks (a torch.multiprocessing.spawn worker), as `--nproc 2` runs them: rank 0's
    trainer thread runs 5 steps, rank 1 follows (mirror.follow). First a VAE whose weights hold a NaN
    on rank 1 only, then a VQ-VAE, whose EMA codebook and usage buffers each rank moves by itself."""
    os.environ.update(RANK=str(rank), WORLD_SIZE="2", LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE="2")
    torch.set_num_threads(1)
    distributed.init(torch.device("cpu"), init_method=f"file://{out / 'rendezvous'}")  # no port to collide on
    results = {}
    for model in ("vae", "vq_vae"):
        t = Trainer(load_dataset("digits"), ModelSpec(name=model, latent_dim=2), TrainConfig(batch_size=32))
        if model == "vae" and rank == 1:
            with torch.no_grad():
                t.model.to_mu.weight.fill_(float("nan"))
        if rank == 0:
            t.streaming = False
            t.start_thread()
            done: queue.Queue = queue.Queue()
            t.request_steps(5, done.put)
            assert done.get(timeout=120) == {"step": 5}
        else:
            mirror.follow(t)
        t.stop()  # rank 0: tells rank 1 to stop
        results[model] = {"step": t.step, "nan_recoveries": t.nan_recoveries, "lr": t.config.lr,
                          "digest": mirror.digest(t.model, t.optimizer)}
    (out / f"{rank}.json").write_text(json.dumps(results))
    del t  # its DistributedDataParallel wrapper holds the process group
    distributed.shutdown()


def test_two_ranks_stay_identical_through_a_nan_on_one_of_them_and_through_vq_vae_ema_updates(tmp_path):
    torch.multiprocessing.spawn(two_ranks, args=(tmp_path,), nprocs=2)
    ranks = [json.loads((tmp_path / f"{rank}.json").read_text()) for rank in (0, 1)]
    assert ranks[0] == ranks[1]  # weights, buffers and optimizer state hash alike; the same step, lr, recoveries
    # rank 1's NaN made the averaged loss NaN: both skipped that step (5 real steps ran after it),
    # restored rank 0's last good copy and halved lr
    assert {k: v for k, v in ranks[0]["vae"].items() if k != "digest"} == {"step": 5, "nan_recoveries": 1, "lr": 0.0005}
    assert ranks[0]["vq_vae"]["step"] == 5 and ranks[0]["vq_vae"]["nan_recoveries"] == 0


def test_a_model_with_an_optimizer_of_its_own_is_refused_with_a_reason(monkeypatch):
    # FactorVAE trains its discriminator after each step, outside DistributedDataParallel
    monkeypatch.setattr(distributed, "_ranks", distributed.Ranks(rank=0, world_size=2, local_world_size=2))
    with pytest.raises(ConfigError, match="without --nproc"):
        Trainer(load_dataset("digits"), ModelSpec(name="factor_vae", latent_dim=2), TrainConfig())


def test_the_launcher_passes_every_flag_but_nproc_to_the_workers():
    argv = ["--runs-dir", "r", "train", "--nproc", "2", "--steps", "5", "--nproc=3", "--lr", "0.01"]
    assert distributed.without_nproc(argv) == ["--runs-dir", "r", "train", "--steps", "5", "--lr", "0.01"]


def test_the_launcher_options_suit_launchers_with_and_without_a_shutdown_timeout():
    from torch.distributed.run import get_args_parser

    here = distributed.launcher_options(2)
    assert here[:3] == ["--standalone", "--nproc-per-node", "2"]
    get_args_parser().parse_args([*here, "--module", "vaestudio", "train"])  # this torch's launcher takes them all
    older = argparse.ArgumentParser(exit_on_error=False)  # a launcher before --shutdown-timeout (torch 2.11)
    older.add_argument("--standalone", action="store_true")
    older.add_argument("--nproc-per-node")
    older.add_argument("--module", action="store_true")
    older.add_argument("script")
    older.add_argument("args", nargs=argparse.REMAINDER)
    options = distributed.launcher_options(2, older)
    assert options == ["--standalone", "--nproc-per-node", "2"]
    older.parse_args([*options, "--module", "vaestudio", "train"])


def test_a_worker_finds_its_place_in_torchruns_variables():
    env = {"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"}
    assert distributed.launched(env) and not distributed.launched({**env, "WORLD_SIZE": "1"})
    ranks = distributed.ranks_from_env(env)
    assert (ranks.rank, ranks.world_size, ranks.local_rank, ranks.parallel, ranks.leader) == (3, 4, 1, True, False)
    with pytest.raises(ConfigError, match="not a place in the run"):
        distributed.ranks_from_env({**env, "RANK": "4"})


def test_the_weights_digest_tells_one_changed_value_apart():
    model = build_model(ModelSpec(input_dim=64, image_shape=(8, 8), latent_dim=2))
    optimizer = torch.optim.Adam(model.parameters())
    before = mirror.digest(model, optimizer)
    with torch.no_grad():
        model.to_mu.bias[0] += 1e-6
    assert mirror.digest(model, optimizer) != before


@pytest.fixture(autouse=True)
def no_inherited_ranks(monkeypatch):
    """A test run under torchrun must not make these tests' own processes think they are ranks."""
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"):
        monkeypatch.delenv(key, raising=False)
    assert os.environ.get("WORLD_SIZE") is None

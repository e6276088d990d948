"""Runs: model and data lists, run.new for every model, save/list/load, export, live replacement,
and persistence (exact resume, save -> kill -> load, atomic checkpoints, no pickle)."""

import json
import signal
import time

import numpy as np
import pytest
import torch

from support.backends import start_backend_process, stop_backend_process
from support.runs import save, steps, wait_new_run
from support.schema import check_result
from vaestudio.client import RemoteError, to_wire
from vaestudio.datasets import load_dataset
from vaestudio.loading import load_trainer
from vaestudio.models import MODELS, ModelSpec
from vaestudio.runs import RunError, RunStore
from vaestudio.train_config import TrainConfig
from vaestudio.trainer import Trainer


def test_model_and_data_lists_follow_the_schema(client):
    models = client.call("model.list")
    assert not check_result("model.list", models)
    assert [m["name"] for m in models["models"]] == list(MODELS)
    assert {m["name"] for m in models["models"] if m["conditional"]} == {"cvae"}
    assert all(len(m["description"]) > 40 for m in models["models"])
    data = client.call("data.list")
    assert not check_result("data.list", data)
    names = {d["name"]: d for d in data["datasets"]}
    assert {"digits", "shapes", "moons", "swiss_roll", "circles", "file"} <= set(names)
    assert names["shapes"]["factors"] == ["shape", "scale", "orientation", "x", "y"]


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("data,arch", [({"name": "digits"}, "mlp"), ({"name": "shapes", "n": 300}, "conv")])
def test_every_model_trains_live_on_every_image_data_set(client, model, data, arch):
    run = wait_new_run(client, model={"name": model, "latent_dim": 2, "arch": arch},
                       data=data, train={"batch_size": 32}, paused=True)["run"]
    status = client.call("status")
    assert status["run"] == run and status["model"]["name"] == model and status["state"] == "paused"
    assert client.call("train.step", n=3)["step"] == 3
    shape = [8, 8] if data["name"] == "digits" else [64, 64]
    z = np.zeros((2, 2), np.float32)
    labels = {"labels": to_wire(np.array([1, 2]), "i32")} if model == "cvae" else {}
    images = client.call("decode", z=to_wire(z), **labels)["images"]
    assert images["shape"] == [2, *shape]
    sample = client.call("sample", n=3, seed=1)
    assert sample["images"]["shape"] == [3, *shape] and sample["z"]["shape"] == [3, 2]
    enc = client.call("encode", indices=to_wire(np.arange(4), "i32"))
    assert enc["mu"]["shape"] == [4, 2]
    result = client.call("eval", split="test", iw_samples=0 if model == "vq_vae" else 3, timeout=120)
    assert not check_result("eval", result)
    assert np.isfinite(result["elbo"]) and result["elbo"] == pytest.approx(-(result["recon"] + result["kl"]))
    assert ("nll" in result) == (model != "vq_vae")


def test_run_new_with_bad_input_leaves_the_live_run_training(server, client, tmp_path):
    client.call("train.start")
    live = client.call("status")["run"]
    (tmp_path / "data" / "broken.npy").write_bytes(b"\x93NUMPY garbage")
    cases = [
        ({"model": {"name": "gan"}}, "unknown model 'gan'"),
        ({"model": {"name": "iwae", "k": "ten"}}, "'k'"),
        ({"model": {"name": "vae", "input_dim": 3}}, "come from the data set"),
        ({"data": {"name": "digits", "colour": True}}, "no option 'colour'"),
        ({"data": {"name": "file", "path": "broken.npy"}}, "broken.npy"),
        ({"data": {"name": "file", "path": "../../etc/passwd"}}, "--data-dir"),
        ({"data": {"name": "file", "path": "/etc/hostname"}}, "outside the allowed data folders"),
        ({"train": {"optimizer": "lbfgs"}}, "optimizer must be one of adam, adamw, sgd"),
        ({"model": {"name": "cvae"}, "data": {"name": "swiss_roll"}}, "needs num_classes"),
    ]
    for args, words in cases:
        with pytest.raises(RemoteError) as err:
            client.call("run.new", args, timeout=60)
        assert err.value.code == "invalid_argument" and words in err.value.message, (args, err.value.message)
    status = client.call("status")
    assert status["run"] == live and status["state"] == "training"
    s0 = status["step"]
    time.sleep(0.3)
    assert client.call("status")["step"] > s0


def test_file_data_from_the_data_dir_trains(client, tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "data" / "blobs.npz", x=(rng.random((200, 12, 12)) > 0.7).astype(np.float32),
             y=rng.integers(0, 3, 200))
    wait_new_run(client, data={"name": "file", "path": "blobs.npz"}, paused=True)
    status = client.call("status")
    assert status["dataset"]["shape"] == [12, 12] and status["dataset"]["n"] == 200
    assert client.call("train.step", n=5)["step"] == 5


def test_save_list_load_and_run_names(server, client, tmp_path):
    client.call("train.step", n=30)
    run = client.call("status")["run"]
    saved = client.call("run.save")
    assert saved == {"run": run, "step": 30}
    assert (tmp_path / "runs" / run / "checkpoint.safetensors").is_file()
    listed = {r["run"]: r for r in client.call("run.list")["runs"]}
    assert listed[run]["step"] == 30 and listed[run]["model"] == "vae" and listed[run]["data"] == "digits"
    z = to_wire(np.array([[0.3, -0.2]], np.float32))
    before = client.call("decode", z=z)["images"]["data"]
    wait_new_run(client, model={"name": "iwae"}, paused=True)
    assert client.call("decode", z=z)["images"]["data"] != before
    loaded = client.call("run.load", run=run, timeout=60)
    assert loaded == {"run": run, "step": 30}
    assert client.call("decode", z=z)["images"]["data"] == before
    for bad in ("../outside", "a/b", ".hidden", "no-such-run"):
        with pytest.raises(RemoteError) as err:
            client.call("run.load", run=bad)
        assert err.value.code == "invalid_argument"
    assert client.call("status")["run"] == run


def test_export_writes_every_listed_file(server, client, tmp_path):
    client.call("train.step", n=20)
    result = client.call("run.export", timeout=120)
    assert not check_result("run.export", result)
    folder = tmp_path / "runs" / result["run"]
    expected = {"checkpoint.safetensors", "config.json", "environment.json", "metrics.csv", "latents.npz",
                "latents.csv", "samples.png", "reconstructions.png", "latent_map.png", "decoder.onnx",
                "godot/decoder.safetensors"}
    assert set(result["files"]) == expected
    for name in expected:
        assert (folder / name).stat().st_size > 0, name
    latents = np.load(folder / "latents.npz")
    assert latents["mu"].shape == (1797, 2) and latents["labels"].shape == (1797,)
    assert (folder / "metrics.csv").read_text().splitlines()[0].startswith("step,")
    assert len((folder / "metrics.csv").read_text().splitlines()) == 21
    assert (folder / "samples.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import onnx

    onnx.checker.check_model(onnx.load(str(folder / "decoder.onnx")))
    part = client.call("run.export", items=["latents"])
    assert part["files"] == ["latents.npz", "latents.csv"]
    with pytest.raises(RemoteError, match="must be a non-empty list of: checkpoint"):
        client.call("run.export", items=["everything"])
    with pytest.raises(RemoteError, match="not accepted"):
        client.call("run.export", run="../../tmp")


def test_run_new_keeps_every_client_served_while_it_builds(client):
    """A big data set builds in the background: status answers meanwhile."""
    rid = client.send("run.new", {"data": {"name": "shapes", "n": 3000}, "model": {"arch": "conv"}, "paused": True})
    t0 = time.time()
    assert client.call("status", timeout=5)["dataset"]["name"] == "digits"
    assert time.time() - t0 < 1.0
    assert client.reply(rid, timeout=120)["ok"]
    dataset = client.call("status")["dataset"]
    assert dataset == {"name": "shapes", "n": 3000, "shape": [64, 64], "num_classes": 3,
                       "class_names": ["square", "ellipse", "heart"], "source": dataset["source"]}
    assert dataset["source"]["name"] == "shapes" and dataset["source"]["n"] == 3000  # how it was made
    assert json.dumps(client.call("status"))  # still plain data


def test_steps_pending_when_the_run_is_replaced_still_get_a_reply(client):
    long = client.send("train.step", {"n": 100_000})
    new = client.call("run.new", {"paused": True}, timeout=60)
    reply = client.reply(long, timeout=30)
    assert reply["ok"] is False and reply["error"]["code"] == "internal" and "was stopped" in reply["error"]["message"]
    assert client.call("status")["run"] == new["run"]


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

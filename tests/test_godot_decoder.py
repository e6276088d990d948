"""The decoder that runs inside Godot: run.export item "godot" writes godot/decoder.safetensors, and
VaeStudioDecoder (pure GDScript, real headless Godot 4) decodes the same z's as the server's
`decode`, within 1e-4, for MLP, conv (grey and colour, non-square), custom, cvae, vq_vae and vector
decoders trained a little; broken files and bad input give an error sentence, not a crash; the
example scene (godot_client/examples/offline_decoder.tscn) draws a decoder's images with no backend."""

from __future__ import annotations

import base64
import json
import struct
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch
import zmq
from safetensors import safe_open
from safetensors.numpy import save_file
from torch import nn

from support.backends import REPO, Backend, vaestudio
from support.godot import GODOT_SH, PROJECT, ensure_imported, run_group, run_script
from support.runs import wait_new_run
from vaestudio.client import RemoteError, to_wire
from vaestudio.datasets import load_dataset
from vaestudio.godot_export import PATH, ExportError, decoder_file, write_godot_decoder
from vaestudio.models import ModelSpec, build_model
from vaestudio.runs import RunStore
from vaestudio.server import Server
from vaestudio.train_config import TrainConfig
from vaestudio.trainer import Trainer

# A custom decoder with every layer type the builder offers (shapes per example in the comments).
CUSTOM_DECODER = [
    {"type": "linear", "out": 64}, {"type": "layernorm"}, {"type": "leaky_relu", "slope": 0.1},
    {"type": "linear", "out": 128}, {"type": "batchnorm"}, {"type": "gelu"},
    {"type": "unflatten", "shape": [32, 2, 2]},
    {"type": "deconv", "out": 16, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1},  # (16, 4, 4)
    {"type": "batchnorm"}, {"type": "elu"},
    {"type": "upsample", "scale": 2, "mode": "bilinear"},  # (16, 8, 8)
    {"type": "conv", "out": 8, "kernel": 3, "padding": 1}, {"type": "layernorm"}, {"type": "tanh"},
    {"type": "dropout", "p": 0.2},
    {"type": "upsample", "scale": 3, "mode": "nearest"},  # (8, 24, 24)
    {"type": "conv", "out": 4, "kernel": 3, "stride": 3}, {"type": "relu"},  # (4, 8, 8)
    {"type": "flatten"}, {"type": "linear", "out": 64},
]
CUSTOM_ENCODER = [{"type": "linear", "out": 64}, {"type": "relu"}]

# name -> (run.new args, train steps)
RUNS = {
    "mlp": ({"model": {"name": "vae"}}, 300),
    "cvae": ({"model": {"name": "cvae"}}, 300),
    "vq_vae": ({"model": {"name": "vq_vae"}}, 300),
    "conv": ({"model": {"name": "vae", "arch": "conv"}}, 150),
    "colour_conv": ({"model": {"name": "beta_vae", "arch": "conv", "channels": [8, 16], "latent_dim": 3},
                     "data": {"name": "file", "path": "colour.npy", "likelihood": "gaussian"}}, 100),
    "custom": ({"model": {"name": "vae", "arch": "custom", "encoder": CUSTOM_ENCODER,
                          "decoder": CUSTOM_DECODER}}, 150),
    "moons": ({"data": {"name": "moons", "n": 500}, "model": {"name": "vae", "hidden": [32, 16]}}, 200),
}
ROWS = 12
TOLERANCE = 1e-4


def f32_b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, "<f4").tobytes()).decode()


def run_probe(tmp_path, cases: list[dict], name: str = "probe") -> list[dict]:
    """Runs godot_client/tests/decoder_probe.gd on `cases`; returns its results."""
    jobs, out = tmp_path / f"{name}-jobs.json", tmp_path / f"{name}-out.json"
    jobs.write_text(json.dumps({"cases": cases}))
    result = run_script("res://tests/decoder_probe.gd", [f"--jobs={jobs}", f"--out={out}"], timeout=300)
    assert result.rc == 0 and out.is_file(), result.output[-4000:]
    assert not result.script_errors(), result.output[-4000:]
    return json.loads(out.read_text())["results"]


def decoded(result: dict, n: int) -> np.ndarray:
    assert result["load_error"] == "" and result["error"] == "", result
    return np.frombuffer(base64.b64decode(result["values"]), "<f4").reshape(n, -1)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Every run of RUNS trained a little on one in-process server and exported as "godot", with
    ROWS z's per run, the server's `decode` reply and the PyTorch decoder mean at them (from the
    server's own inference model, so the same weights as the reply)."""
    tmp = tmp_path_factory.mktemp("godot-decoder")
    (tmp / "data").mkdir()
    rng = np.random.default_rng(0)
    np.save(tmp / "data" / "colour.npy", rng.random((300, 12, 10, 3), dtype=np.float32))
    store = RunStore(tmp / "runs")
    trainer = Trainer(load_dataset("digits"), ModelSpec(), TrainConfig(), store=store)
    server = Server(trainer, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", store=store, data_dirs=[tmp / "data"],
                    context=zmq.Context())
    trainer.start_thread()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    backend = Backend(server.control_endpoint, server.stream_endpoint, server=server)
    out = {}
    try:
        with backend.client(timeout=120) as client:
            for name, (args, steps) in RUNS.items():
                run = wait_new_run(client, **args, train={"seed": 0}, paused=True)["run"]
                client.call("train.step", n=steps, timeout=300)
                files = client.call("run.export", items=["godot"], timeout=120)["files"]
                assert files == [PATH]
                status = client.call("status")
                z = (rng.standard_normal((ROWS, status["latent_dim"])) * 1.5).astype(np.float32)
                labels = np.arange(ROWS) % status["model"]["num_classes"] if status["model"]["conditional"] else None
                extra = {"labels": to_wire(labels, "i32")} if labels is not None else {}
                reply = client.call("decode", z=to_wire(z), **extra)
                model = server.session.inference.model()
                with torch.no_grad():  # images: BaseVAE.decode; vectors: the unclipped means
                    mean = model.decode(torch.from_numpy(z), None if labels is None else torch.from_numpy(labels))
                if "values" in reply:
                    mean = torch.from_numpy(server.session.inference.values(z, labels))
                out[name] = {"file": tmp / "runs" / run / PATH, "z": z, "labels": labels, "reply": reply,
                             "mean": mean.numpy(), "model": model}
    finally:
        server.stop()
        thread.join(10)
        server.ctx.term()
    return out


@pytest.mark.godot
def test_godot_decodes_like_the_server(exported, tmp_path):
    names = list(exported)
    cases = [{"decoder": str(exported[n]["file"]), "z": f32_b64(exported[n]["z"]), "n": ROWS,
              "labels": [] if exported[n]["labels"] is None else exported[n]["labels"].tolist()} for n in names]
    results = run_probe(tmp_path, cases)
    for name, result in zip(names, results):
        case = exported[name]
        got = decoded(result, ROWS)
        # against PyTorch's decoder mean at the same weights (what the server's decode scales to 0-255)
        diff = np.abs(got - case["mean"]).max()
        assert diff <= TOLERANCE, f"{name}: max abs diff {diff:.2e} from PyTorch"
        reply = case["reply"]
        if "values" in reply:  # vector data: the server sends the float means themselves
            values = np.frombuffer(reply["values"]["data"], "<f4").reshape(ROWS, -1)
            assert np.abs(got - values).max() <= TOLERANCE, name
        else:  # images: the same bytes, except where a value sits on a rounding edge
            server = np.frombuffer(reply["images"]["data"], np.uint8).reshape(ROWS, -1).astype(int)
            mine = np.round(np.clip(got, 0, 1) * 255).astype(int)
            clear = np.abs((case["mean"] * 255) % 1 - 0.5) > 1e-2
            assert np.array_equal(mine[clear], server[clear]), name
            assert np.abs(mine - server).max() <= 1, name
            h, w = reply["images"]["shape"][1:3]
            assert result["image_size"] == [w, h] and result["image_shape"][:2] == [h, w], name
        model = case["model"]
        assert result["latent_dim"] == model.latent_dim and result["num_classes"] == model.num_classes
        assert result["codebook_size"] == (model.codebook.shape[0] if name == "vq_vae" else 0)
    # the decodes differ from z to z and, for the cvae, from class to class: nothing constant passed
    assert np.std(decoded(results[names.index("cvae")], ROWS), axis=0).max() > 0.05


def test_the_file_holds_the_weights_and_the_architecture(exported):
    case = exported["custom"]
    with safe_open(str(case["file"]), framework="np") as f:
        meta = json.loads(f.metadata()["vaestudio"])
        assert f.metadata()["format"] == "vaestudio-decoder"
        weight = f.get_tensor("decoder.body.0.weight")
    state = case["model"].state_dict()
    assert np.array_equal(weight, state["decoder.body.0.weight"].numpy())
    assert weight.dtype == np.float32
    kinds = [layer["type"] for layer in meta["layers"]]
    assert kinds[:7] == ["linear", "layernorm", "leaky_relu", "linear", "batchnorm", "gelu", "reshape"]
    assert {"conv_transpose2d", "upsample", "conv2d", "elu", "tanh"} <= set(kinds)
    assert "dropout" not in kinds  # identity in eval mode: left out
    assert meta["latent_dim"] == 2 and meta["output"] == "sigmoid" and meta["image_shape"] == [8, 8, 1]
    assert meta["layers"][0]["in_shape"] == [2] and meta["layers"][-1]["out_shape"] == [64]
    colour = exported["colour_conv"]
    with safe_open(str(colour["file"]), framework="np") as f:
        meta = json.loads(f.metadata()["vaestudio"])
    assert meta["image_shape"] == [12, 10, 3] and meta["body_output"] == "chw" and meta["output"] == "clamp01"
    assert meta["layers"][-1]["type"] == "crop"


def test_a_layer_the_format_cannot_express_is_named():
    model = build_model(ModelSpec(image_shape=(8, 8)))
    model.decoder.body[1] = nn.Softplus()
    with pytest.raises(ExportError, match=r"decoder layer decoder\.body\.1 \(Softplus.*not in the Godot decoder"):
        decoder_file(model)
    model.decoder.body[1] = nn.BatchNorm1d(128, track_running_stats=False)
    with pytest.raises(ExportError, match="running statistics"):
        decoder_file(model)


def test_run_export_of_an_unknown_item_lists_godot(client):
    with pytest.raises(RemoteError, match="onnx, godot"):
        client.call("run.export", items=["godot", "unity"])


def _rewrite(source, target, meta=None, tensors=None) -> None:
    """`source` with its architecture record or tensors replaced, written to `target`."""
    with safe_open(str(source), framework="np") as f:
        metadata = f.metadata()
        arrays = {k: f.get_tensor(k) for k in f.keys()}
    if meta is not None:
        metadata = {**metadata, "vaestudio": json.dumps(meta)}
    save_file({**arrays, **(tensors or {})}, str(target), metadata=metadata)


@pytest.mark.godot
def test_bad_files_and_bad_input_give_an_error_sentence(exported, tmp_path):
    good = exported["mlp"]["file"]
    data = good.read_bytes()
    meta = json.loads(safe_open(str(good), framework="np").metadata()["vaestudio"])
    (tmp_path / "truncated.safetensors").write_bytes(data[: len(data) // 2])
    (tmp_path / "header-only.safetensors").write_bytes(data[:5])
    (tmp_path / "text.safetensors").write_text("this is not a safetensors file\n")
    (tmp_path / "bad-json.safetensors").write_bytes(struct.pack("<Q", 6) + b"{nope!")
    unknown = json.loads(json.dumps(meta))
    unknown["layers"][1]["type"] = "swish"
    _rewrite(good, tmp_path / "unknown-layer.safetensors", unknown)
    _rewrite(good, tmp_path / "newer.safetensors", {**meta, "format_version": 2})
    misfit = json.loads(json.dumps(meta))
    misfit["layers"][2]["out"] = 99
    _rewrite(good, tmp_path / "misfit.safetensors", misfit)
    half = np.zeros((64, 256), np.float16)
    _rewrite(good, tmp_path / "f16.safetensors", tensors={"decoder.body.4.weight": half})
    z1 = f32_b64(np.zeros((1, 2)))
    expected = {
        "missing.safetensors": "no file at",
        "truncated.safetensors": "cut short",
        "header-only.safetensors": "not a safetensors file",
        "text.safetensors": "not a safetensors file",
        "bad-json.safetensors": "not a JSON map",
        "unknown-layer.safetensors": "layer 1 has type 'swish'; this decoder runs linear, conv2d",
        "newer.safetensors": "decoder format version 2; this reader reads version 1",
        "misfit.safetensors": "layer 2 (linear): its hyper-parameters, tensors and shapes",
        "f16.safetensors": "tensor decoder.body.4.weight is F16; this reader takes F32 only",
    }
    cases = [{"decoder": str(tmp_path / name), "z": z1, "n": 1} for name in expected]
    cases += [
        {"decoder": str(good), "z": f32_b64(np.zeros((1, 3))), "n": 1},  # z of the wrong width
        {"decoder": str(exported["cvae"]["file"]), "z": z1, "n": 1, "labels": [10]},  # no class 10
        {"decoder": str(exported["moons"]["file"]), "z": z1, "n": 1},  # image() of vector data
    ]
    results = run_probe(tmp_path, cases, "bad")
    for (name, message), result in zip(expected.items(), results):
        assert message in result["load_error"], (name, result["load_error"])
        assert str(tmp_path / name) in result["load_error"], result["load_error"]  # names the file
    assert results[-3]["error"] == "z has 3 values but this decoder takes 2 (latent_dim)"
    assert results[-2]["error"] == "label 10 is not a class of this decoder: give -1 or 0 to 9"
    assert results[-1]["error"] == "" and "image_size" not in results[-1]


@pytest.mark.godot
def test_the_cli_exports_a_decoder_godot_loads(tmp_path):
    runs = tmp_path / "runs"
    trained = vaestudio("train", "--steps", "30", "-q", runs=runs)
    assert trained.returncode == 0, trained.stderr
    run = json.loads(trained.stdout)["run"]
    exported = vaestudio("export", run, "--items", "godot", runs=runs)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["files"][-1] == PATH
    (result,) = run_probe(tmp_path, [{"decoder": str(runs / run / PATH), "z": f32_b64(np.zeros((2, 2))), "n": 2}])
    values = decoded(result, 2)
    assert values.shape == (2, 64) and ((values >= 0) & (values <= 1)).all()


def run_example(tmp_path, *args: str) -> dict:
    """The offline decoder example, headless, through its driver scene; returns the driver's report."""
    ensure_imported()
    report = tmp_path / "example.json"
    cmd = [str(GODOT_SH), "--headless", "--path", str(PROJECT), "res://tests/drivers/offline_decoder_driver.tscn",
           "--", f"--report={report}", *args]
    proc = run_group(cmd, 120, "the offline decoder example")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0 and report.is_file(), output[-3000:]
    assert "SCRIPT ERROR" not in output, output[-3000:]
    return json.loads(report.read_text())


@pytest.mark.godot
def test_the_example_scene_draws_a_cvae_row_per_class_with_no_backend(exported, tmp_path):
    report = run_example(tmp_path, f"--decoder={exported['cvae']['file']}")
    assert report["problem"] == "" and not report["message_visible"]
    assert report["num_classes"] == 10 and report["tiles"] == 100 and report["textured"] == 100
    assert report["images_shown"] == 100 and report["tile_image_size"] == [8, 8]
    assert report["reroll_changed"] and "10 classes" in report["info"]
    report = run_example(tmp_path, f"--decoder={exported['conv']['file']}")
    assert report["tiles"] == 60 and report["textured"] == 60 and report["num_classes"] == 0


@pytest.mark.godot
def test_the_example_scene_says_how_to_get_a_decoder(tmp_path):
    missing = tmp_path / "nowhere" / "decoder.safetensors"
    report = run_example(tmp_path, f"--decoder={missing}")
    assert report["message_visible"] and report["tiles"] == 0
    assert f"no file at {missing}" in report["problem"] and "vaestudio export RUN --items godot" in report["problem"]


@pytest.mark.godot
def test_the_decoder_benchmark_prints_a_figure_per_decoder():
    ensure_imported()
    r = subprocess.run([sys.executable, "bench/bench_godot_decoder.py", "--rows", "2", "--rounds", "1"], cwd=REPO,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("digits_mlp", "mnist_mlp_784_400_20", "digits_conv", "mnist_conv_28x28"):
        assert f"BENCH godot_decoder {name} p50=" in r.stdout, r.stdout


def _custom(decoder: list[dict]) -> nn.Module:
    return build_model(ModelSpec(arch="custom", image_shape=(8, 8), input_dim=64, encoder=CUSTOM_ENCODER,
                                 decoder=decoder)).eval()


@pytest.mark.godot
def test_awkward_scales_and_wide_activations_match_pytorch(tmp_path):
    """What a short training run may not reach: nearest upsampling by 41 (where PyTorch's float32
    index is not i // 41), bilinear with align_corners, and GELU/ELU/tanh/sigmoid far from 0."""
    torch.manual_seed(0)
    nearest = _custom([{"type": "linear", "out": 4}, {"type": "unflatten", "shape": [1, 2, 2]},
                       {"type": "upsample", "scale": 41}, {"type": "conv", "out": 1, "kernel": 10, "stride": 10}])
    corners = _custom([{"type": "linear", "out": 18}, {"type": "unflatten", "shape": [2, 3, 3]},
                       {"type": "upsample", "scale": 3, "mode": "bilinear"},
                       {"type": "conv", "out": 1, "kernel": 2, "stride": 1}])  # (1, 8, 8)
    corners.decoder.body[2] = nn.Upsample(scale_factor=3, mode="bilinear", align_corners=True)
    wide = _custom([{"type": "linear", "out": 64}, {"type": "gelu"}, {"type": "linear", "out": 64}, {"type": "elu"},
                    {"type": "linear", "out": 64}, {"type": "tanh"}, {"type": "linear", "out": 64}])
    wide.decoder.body.insert(6, nn.Sigmoid())
    with torch.no_grad():
        for layer in wide.decoder.body:
            if isinstance(layer, nn.Linear):
                layer.weight.mul_(8.0)  # pre-activations spread over about -30 to 30
    z = torch.randn(16, 2) * 2
    cases, means = [], []
    for i, model in enumerate((nearest, corners, wide)):
        folder = tmp_path / f"m{i}"
        folder.mkdir()
        write_godot_decoder(folder, model)
        cases.append({"decoder": str(folder / PATH), "z": f32_b64(z.numpy()), "n": 16})
        with torch.no_grad():
            means.append(model.decode(z).numpy())
    for name, result, mean in zip(("nearest x41", "bilinear align_corners", "wide activations"),
                                  run_probe(tmp_path, cases), means):
        diff = np.abs(decoded(result, 16) - mean).max()
        assert diff <= TOLERANCE, f"{name}: max abs diff {diff:.2e}"
        assert mean.std() > 0.01, name  # the outputs vary: a wrong index or curve would show

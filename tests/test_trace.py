"""`trace`: one example through every model and architecture, layer by layer. The reparameterisation
identity holds on the arrays as received, the layers are the model's own (names, order, shapes),
activations are cut to at most 4096 values, and bad arguments get invalid_argument."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from support.schema import check_result
from vaestudio.client import RemoteError, from_wire, to_wire
from vaestudio.datasets import load_dataset
from vaestudio.models import MODELS, ModelSpec, build_model
from vaestudio.models.registry import fit_spec
from vaestudio.trace import MAX_VALUES, WEIGHT_KINDS, downsample, trace

torch.set_num_threads(1)

DIGITS = load_dataset("digits")
SHAPES = load_dataset("shapes", n=64)  # 64x64 images: conv maps larger than 4096 values in total


def small_model(name: str, arch: str, dataset=DIGITS, latent_dim: int = 3):
    torch.manual_seed(0)
    spec = fit_spec(ModelSpec(name=name, arch=arch, latent_dim=latent_dim, hidden=(32,), channels=(8, 16)), dataset)
    return build_model(spec).eval()


def arrays(result: dict, *names: str) -> list[np.ndarray]:
    return [from_wire(result[n]) for n in names]


def assert_reparameterisation_holds(result: dict) -> None:
    mu, logvar, eps, z = arrays(result, "mu", "logvar", "eps", "z")
    assert mu.dtype == logvar.dtype == eps.dtype == z.dtype == np.float32
    recomputed = mu + np.exp(np.float32(0.5) * logvar) * eps  # float32 throughout, as a client would
    assert np.all(np.abs(z - recomputed) <= np.spacing(np.abs(z))), (z, recomputed)


def own_output_shapes(model, x: torch.Tensor, label: int) -> dict[str, tuple[int, ...]]:
    """Every weight layer of the encoder and decoder bodies -> its output shape (batch left out), by
    hooks of this test's own on the model's modules during encode and decode."""
    shapes: dict[str, tuple[int, ...]] = {}
    handles = []
    for part in ("encoder", "decoder"):
        for name, module in getattr(model, part).body.named_modules():
            if isinstance(module, tuple(cls for cls, _ in WEIGHT_KINDS)):
                def hook(_m, _i, out, key=f"{part}.body.{name}"):
                    shapes[key] = tuple(out.shape[1:])
                handles.append(module.register_forward_hook(hook))
    y = torch.tensor([label]) if model.conditional else None
    with torch.no_grad():
        mu, _ = model.encode(x, y)
        model.decode_logits(mu, y)
    for h in handles:
        h.remove()
    return shapes


@pytest.mark.parametrize("arch", ["mlp", "conv"])
@pytest.mark.parametrize("name", list(MODELS))
def test_trace_of_every_model_and_architecture(name, arch):
    model = small_model(name, arch)
    x = DIGITS.x[7:8]
    label = int(DIGITS.labels[7])
    r = trace(model, x, label, seed=0, beta=2.0, image_shape=DIGITS.image_shape)
    assert_reparameterisation_holds(r)
    mu, logvar = arrays(r, "mu", "logvar")
    with torch.no_grad():
        want_mu, want_logvar = model.encode(x, torch.tensor([label]) if model.conditional else None)
    assert np.array_equal(mu, want_mu.numpy()) and np.array_equal(logvar, want_logvar.numpy())

    layers = r["layers"]
    own = own_output_shapes(model, x, label)
    assert [layer["name"] for layer in layers] == list(own)  # every weight layer, in forward order
    assert [layer["shape"] for layer in layers] == [list(s) for s in own.values()]
    parts = [layer["part"] for layer in layers]
    assert parts == sorted(parts, key=["encoder", "decoder"].index) and {"encoder", "decoder"} <= set(parts)
    for layer in layers:
        act = from_wire(layer["activation"])
        assert act.size <= MAX_VALUES and np.isfinite(act).all()
        assert act.ndim == (3 if layer["kind"] in ("conv", "conv_transpose") else 1), layer["name"]
        assert 0.0 <= layer["frac_zero"] <= 1.0 and layer["std"] >= 0.0
    if arch == "conv":
        assert {"conv", "linear"} <= {layer["kind"] for layer in layers}
        assert "conv_transpose" in {layer["kind"] for layer in layers if layer["part"] == "decoder"}

    assert from_wire(r["input"]).shape == from_wire(r["recon"]).shape == (1, 8, 8)
    assert from_wire(r["input"]).dtype == np.uint8
    loss = r["loss"]
    assert loss["loss"] == pytest.approx(loss["recon"] + loss["beta"] * loss["kl"])
    assert from_wire(loss["kl_per_dim"]).shape == (3,)
    assert loss["beta"] == (1.0 if name == "vq_vae" else 2.0)


def test_layers_follow_the_activation_after_each_weight_layer():
    """An MLP's hidden layer output passed its ReLU: no negative value, and the statistics are those
    of the whole output."""
    model = small_model("vae", "mlp")
    r = trace(model, DIGITS.x[:1], None, 0, 1.0, DIGITS.image_shape)
    hidden = r["layers"][0]
    act = from_wire(hidden["activation"])
    assert hidden["kind"] == "linear" and act.min() >= 0.0
    with torch.no_grad():
        want = torch.relu(model.encoder.body[0](DIGITS.x[:1]))[0].numpy()
    assert np.array_equal(act, want)
    assert hidden["mean"] == pytest.approx(float(want.mean())) and hidden["frac_zero"] == float((want == 0).mean())


def test_large_conv_outputs_are_cut_to_4096_values():
    model = small_model("vae", "conv", SHAPES)
    r = trace(model, SHAPES.x[:1], None, 0, 1.0, SHAPES.image_shape)
    first = r["layers"][0]
    assert first["shape"] == [8, 32, 32]  # 8192 values: the first 4 channels are sent
    assert from_wire(first["activation"]).shape == (4, 32, 32)
    assert from_wire(r["input"]).shape == (1, 64, 64)


def test_downsampling_rules():
    dense = np.arange(10_000, dtype=np.float32)
    small = downsample(dense)  # groups of ceil(10000 / 4096) = 3 values, the last one shorter
    assert small.shape == (3334,) and small[0] == 1.0 and small[-1] == 9999.0
    one_big_map = np.ones((2, 100, 100), dtype=np.float32)
    pooled = downsample(one_big_map)
    assert pooled.shape[0] == 1 and pooled.size <= MAX_VALUES and np.allclose(pooled, 1.0)
    assert downsample(np.zeros((3, 1, 10_000), np.float32)).size <= MAX_VALUES
    assert downsample(np.zeros((16, 8, 8), np.float32)).shape == (16, 8, 8)


def test_variant_fields():
    x, label = DIGITS.x[3:4], 3
    cvae = trace(small_model("cvae", "mlp"), x, label, 0, 1.0, DIGITS.image_shape)
    assert from_wire(cvae["layers"][0]["activation"]).shape == (32,)

    iwae_model = small_model("iwae", "mlp")
    iwae = trace(iwae_model, x, None, 0, 1.0, DIGITS.image_shape)
    zs, log_w, w = (from_wire(iwae["iw"][k]) for k in ("z", "log_weights", "weights"))
    k = iwae_model.hparams.k
    assert zs.shape == (k, 3) and log_w.shape == w.shape == (k,)
    assert np.array_equal(zs[0], from_wire(iwae["z"])[0])  # the traced z is the first sample
    assert w.sum() == pytest.approx(1.0) and np.allclose(w, np.exp(log_w - log_w.max()) / np.exp(log_w - log_w.max()).sum())
    assert iwae["loss"]["iw_bound"] == pytest.approx(float(np.log(np.mean(np.exp(log_w.astype(np.float64))))), rel=1e-5)

    vq_model = small_model("vq_vae", "mlp")
    vq = trace(vq_model, x, None, 0, 1.0, DIGITS.image_shape)
    mu, logvar, eps, z = arrays(vq, "mu", "logvar", "eps", "z")
    assert not logvar.any() and not eps.any() and np.array_equal(z, mu)
    code = from_wire(vq["code"])
    distances = ((vq_model.codebook.detach().numpy() - mu[0]) ** 2).sum(1)
    assert vq["code_index"] == int(distances.argmin()) and np.array_equal(code, vq_model.codebook.detach()[vq["code_index"]].numpy())
    with torch.no_grad():
        want = vq_model.decode(torch.from_numpy(code[None].copy()))
    assert np.array_equal(from_wire(vq["recon"]), (want.numpy() * 255).round().astype(np.uint8).reshape(1, 8, 8))

    vamp = trace(small_model("vamp", "mlp"), x, None, 0, 1.0, DIGITS.image_shape)
    pseudo = from_wire(vamp["pseudo_inputs"])
    assert pseudo.shape == (16, 8, 8) and pseudo.dtype == np.uint8


def test_vector_data_sends_values():
    moons = load_dataset("moons", n=200)
    r = trace(small_model("vae", "mlp", moons, latent_dim=2), moons.x[:1], None, 0, 1.0, moons.image_shape)
    assert from_wire(r["input"]).dtype == np.float32 and np.array_equal(from_wire(r["input"]), moons.x[:1].numpy())
    assert from_wire(r["recon"]).shape == (1, 2)


# ----- through the server -----------------------------------------------------------------------------
def trace_call(c, **args) -> dict:
    r = c.call("trace", **args)
    assert not check_result("trace", r)
    assert_reparameterisation_holds(r)
    return r


def test_trace_over_the_wire(make_server):
    server = make_server(paused=True, latent_dim=2)
    with server.client() as c:
        c.call("train.step", n=20)
        r = trace_call(c, index=11)
        status = c.call("status")
        assert (r["run"], r["step"], r["model"], r["index"]) == (status["run"], 20, "vae", 11)
        assert r["label"] == int(DIGITS.labels[11])
        mu, logvar = c.encode([11])
        assert np.array_equal(from_wire(r["mu"]), mu) and np.array_equal(from_wire(r["logvar"]), logvar)
        images = from_wire(c.call("data.get", indices=to_wire([11], "i32"))["images"])
        assert np.array_equal(from_wire(r["input"]), images)

        again, other = trace_call(c, index=11), trace_call(c, index=11, seed=5)
        assert np.array_equal(from_wire(again["eps"]), from_wire(r["eps"]))
        assert not np.array_equal(from_wire(other["eps"]), from_wire(r["eps"]))

        x = DIGITS.x[11:12].numpy()
        by_value = trace_call(c, x=to_wire(x))
        assert by_value["index"] is None and by_value["label"] is None
        assert np.array_equal(from_wire(by_value["z"]), from_wire(r["z"]))  # the same row, the same seed


@pytest.mark.parametrize(("args", "words"), [
    ({}, ["exactly one of 'index'", "'x'"]),
    ({"index": 0, "x": to_wire(np.zeros((1, 64)))}, ["exactly one of 'index'"]),
    ({"index": 1797}, ["'index'", "0 to 1796"]),
    ({"index": -1}, ["'index'", "0 to 1796"]),
    ({"index": 1.5}, ["'index'", "integer"]),
    ({"x": to_wire(np.zeros((1, 63)))}, ["'x'", "[1, 64]"]),
    ({"x": to_wire(np.zeros((2, 64)))}, ["'x'", "[1, 64]"]),
    ({"x": to_wire(np.full((1, 64), np.nan))}, ["'x'", "finite"]),
    ({"x": to_wire(np.zeros((1, 64)), "i32")}, ["'x'", "f32"]),
    ({"index": 0, "labels": to_wire([1], "i32")}, ["'labels'", "conditional"]),
    ({"index": 0, "seed": -1}, ["'seed'", "0 to 2147483647"]),
    ({"index": 0, "seed": 2**31}, ["'seed'", "0 to 2147483647"]),
    ({"index": 0, "seeds": 1}, ["unknown argument", "seed"]),
])
def test_bad_arguments_are_invalid_argument(server, args, words):
    with server.client() as c:
        with pytest.raises(RemoteError) as err:
            c.call("trace", **args)
    assert err.value.code == "invalid_argument"
    for w in words:
        assert w in err.value.message, err.value.message


def test_conditional_label_over_the_wire(make_server):
    server = make_server(model="cvae", latent_dim=2)
    with server.client() as c:
        own = trace_call(c, index=4)
        assert own["label"] == int(DIGITS.labels[4])
        chosen = trace_call(c, index=4, labels=to_wire([7], "i32"))
        assert chosen["label"] == 7 and not np.array_equal(from_wire(chosen["mu"]), from_wire(own["mu"]))
        assert trace_call(c, x=to_wire(DIGITS.x[4:5].numpy()))["label"] == 0
        with pytest.raises(RemoteError) as err:
            c.call("trace", index=4, labels=to_wire([10], "i32"))
    assert err.value.code == "invalid_argument" and "0 to 9" in err.value.message


@pytest.mark.parametrize(("model", "fields"), [("iwae", ["iw"]), ("vq_vae", ["code_index", "code"]),
                                               ("vamp", ["pseudo_inputs"])])
def test_variant_fields_over_the_wire(make_server, model, fields):
    server = make_server(model=model, latent_dim=2)
    with server.client() as c:
        c.call("train.step", n=5)
        r = trace_call(c, index=0)
    assert r["model"] == model and all(f in r for f in fields)


def test_trace_while_training_uses_the_snapshot(make_server):
    server = make_server(paused=False, latent_dim=2, beta=3.0)
    with server.client() as c:
        steps = [trace_call(c, index=0)["step"] for _ in range(20)]
        assert steps == sorted(steps)
        assert c.call("trace", index=0)["loss"]["beta"] == 3.0

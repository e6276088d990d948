"""model.check over real sockets: what run.new would build, checked without a run (protocol/README.md
§5.5): the normalised spec, the parameter count and every layer's output shape; a spec that does not
fit names the layer; the live run trains on, untouched."""

import pytest

from support.schema import check_result
from vaestudio.client import RemoteError
from vaestudio.datasets import load_dataset
from vaestudio.models import ModelSpec, build_model, fit_spec

CONV_ENCODER = [{"type": "conv", "out": 8, "kernel": 3, "stride": 2, "padding": 1}, {"type": "relu"},
                {"type": "flatten"}, {"type": "linear", "out": 32}]
DECONV_DECODER = [{"type": "linear", "out": 128}, {"type": "relu"}, {"type": "unflatten", "shape": [8, 4, 4]},
                  {"type": "deconv", "out": 1}]


def trainable(spec: ModelSpec, data: str = "digits") -> int:
    model = build_model(fit_spec(spec, load_dataset(data)))
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_the_default_model_on_the_live_data(client):
    r = client.check_model({})
    assert not check_result("model.check", r)
    live = client.call("status")["model"]  # the live run is this very default model
    assert r["spec"] == {k: v for k, v in live.items() if k != "conditional"}
    assert r["parameters"] == trainable(ModelSpec())
    assert r["encoder"] == [["linear", [256]], ["relu", [256]], ["linear", [128]], ["relu", [128]]]
    assert r["decoder"] == [["linear", [128]], ["relu", [128]], ["linear", [256]], ["relu", [256]], ["linear", [64]]]


def test_a_custom_conv_model_gets_one_shape_per_layer_and_its_params_filled_in(client):
    model = {"name": "iwae", "arch": "custom", "latent_dim": 3, "encoder": CONV_ENCODER, "decoder": DECONV_DECODER, "k": 7}
    r = client.check_model(model)
    assert r["encoder"] == [["conv", [8, 4, 4]], ["relu", [8, 4, 4]], ["flatten", [128]], ["linear", [32]]]
    assert r["decoder"] == [["linear", [128]], ["relu", [128]], ["unflatten", [8, 4, 4]], ["deconv", [1, 8, 8]]]
    assert r["spec"]["params"] == {"k": 7} and r["spec"]["input_dim"] == 64 and r["spec"]["image_shape"] == [8, 8]
    assert r["spec"]["decoder"][-1] == {"type": "deconv", "out": 1}  # as given; defaults apply when built
    spec = ModelSpec(name="iwae", arch="custom", latent_dim=3, encoder=CONV_ENCODER, decoder=DECONV_DECODER,
                     params={"k": 7})
    assert r["parameters"] == trainable(spec)


def test_a_conditional_conv_model_sees_the_labels(client):
    r = client.check_model({"name": "cvae", "arch": "conv", "channels": [16]})
    assert r["spec"]["num_classes"] == 10 and r["encoder"][0] == ["conv", [16, 4, 4]]
    assert r["decoder"][0] == ["linear", [128]] and r["decoder"][-1] == ["crop", [1, 8, 8]]
    assert r["parameters"] == trainable(ModelSpec(name="cvae", arch="conv", channels=(16,)))


@pytest.mark.parametrize("model,words", [
    ({"arch": "custom", "encoder": [{"type": "linear", "out": 8}],
      "decoder": [{"type": "linear", "out": 48}, {"type": "unflatten", "shape": [3, 4, 4]}, {"type": "linear", "out": 64}]},
     "decoder layer 2 (linear) needs flat features but its input has shape [3, 4, 4]"),
    ({"arch": "custom", "encoder": [{"type": "linear", "out": 8}], "decoder": [{"type": "linear", "out": 63}]},
     "the custom decoder ends with shape [63] but the data needs 64 values per example"),
    ({"arch": "custom", "encoder": [{"type": "conv", "out": 4, "kernel": 9}], "decoder": [{"type": "linear", "out": 64}]},
     "encoder layer 0 (conv) cannot take input of shape [1, 8, 8]"),
    ({"arch": "custom", "encoder": [{"type": "linear", "out": 0}], "decoder": [{"type": "linear", "out": 64}]},
     "encoder layer 0 (linear): 'out' must be an integer from 1 to 8192"),
    ({"arch": "custom", "encoder": [{"type": "linear"}], "decoder": [{"type": "linear", "out": 64}]},
     "encoder layer 0 (linear): missing key 'out'"),
    ({"name": "iwae", "k": 0}, "model 'iwae': parameter 'k' must be an integer from 1 to 5000, got 0"),
    ({"latent_dim": 300}, "latent_dim must be an integer from 1 to 256"),
    ({"input_dim": 3}, "come from the data set and cannot be set"),
])
def test_a_model_that_does_not_fit_is_refused_naming_the_layer_and_the_run_goes_on(client, model, words):
    before = client.call("status")
    with pytest.raises(RemoteError) as err:
        client.check_model(model)
    assert err.value.code == "invalid_argument" and words in err.value.message, err.value.message
    after = client.call("status")
    assert (after["run"], after["model"], after["step"]) == (before["run"], before["model"], before["step"])


def test_other_data_is_built_and_the_live_run_keeps_training_meanwhile(client):
    client.call("train.start")
    run = client.call("status")["run"]
    rid = client.send("model.check", {"model": {"arch": "conv"}, "data": {"name": "shapes", "n": 3000}})
    # while the data set is drawn and the model built in a task, the loop answers and training steps
    steps = [client.call("status")["step"] for _ in range(3)]
    reply = client.reply(rid, timeout=120)
    assert reply["ok"], reply
    r = reply["result"]
    assert r["spec"]["image_shape"] == [64, 64] and r["spec"]["num_classes"] == 3
    assert r["encoder"][0] == ["conv", [32, 32, 32]] and r["decoder"][-1] == ["crop", [1, 64, 64]]
    status = client.call("status")
    assert status["step"] > steps[0] and status["state"] == "training"
    assert status["run"] == run and status["dataset"]["name"] == "digits" and status["model"]["arch"] == "mlp"


def test_the_live_data_set_is_reused_when_the_data_args_name_it(server, client, monkeypatch):
    import vaestudio.ops_settings as ops_settings

    built = []
    real = ops_settings.load_data
    monkeypatch.setattr(ops_settings, "load_data", lambda data, dirs: built.append(data) or real(data, dirs))
    client.check_model({}, data={"name": "digits"})
    client.check_model({}, data={"name": "digits", "seed": 0, "test_fraction": 0.1})
    assert built == []  # the live digits, options at their defaults: no rebuild
    r = client.check_model({}, data={"name": "digits", "binarize": 0.5})
    assert built == [{"name": "digits", "binarize": 0.5}] and r["spec"]["input_dim"] == 64
    with pytest.raises(RemoteError, match="option 'noise' must be a number from 0 to 10"):
        client.check_model({}, data={"name": "moons", "noise": -1})


def test_vector_data_of_the_live_run(make_server):
    with make_server(dataset="moons").client() as c:
        r = c.check_model({"hidden": [16]})
    assert r["spec"]["likelihood"] == "gaussian" and r["spec"]["input_dim"] == 2 and r["spec"]["image_shape"] == []
    assert r["encoder"] == [["linear", [16]], ["relu", [16]]] and r["decoder"][-1] == ["linear", [2]]
    with make_server(dataset="moons").client() as c, pytest.raises(RemoteError, match="arch 'conv' needs image data"):
        c.check_model({"arch": "conv"})


def test_a_huge_model_is_counted_without_allocating_its_weights(client):
    """Four 8192-wide layers each way: 404 million parameters (1.6 GB of float32) that a check would
    otherwise allocate on every form edit; it counts them on the meta device instead."""
    w, d, z = 8192, 64, 2
    expected = (d * w + w + 3 * (w * w + w)) + 2 * (w * z + z) + (z * w + w + 3 * (w * w + w) + w * d + d)
    r = client.check_model({"hidden": [w] * 4})
    assert r["parameters"] == expected == 403_816_516
    assert client.call("status")["state"] == "paused"


def test_checking_draws_nothing_from_torchs_random_numbers():
    """Dropout in the live run draws from torch's global RNG; a check on another thread must not."""
    import torch

    from vaestudio.models.summary import summarize

    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    summarize(ModelSpec(name="vamp", arch="conv"), load_dataset("digits"))
    assert torch.equal(torch.rand(3), expected)

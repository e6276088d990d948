"""The control ops over real sockets on random loopback ports: hello, status, training controls,
live config, inference (decode, encode, sample), and every error code."""

import json
import time

import msgpack
import numpy as np
import pytest
import zmq

from support.backends import REPO
from support.runs import wait_new_run
from support.schema import SCHEMA, check_result
from vaestudio.client import RemoteError, from_wire, to_wire
from vaestudio.ops import OPS

VECTORS = json.loads((REPO / "protocol" / "vectors" / "messages.json").read_text())


def test_schema_lists_exactly_the_ops_the_server_has():
    assert set(SCHEMA["ops"]) == set(OPS)


def test_hello(client):
    r = client.call("hello", client="pytest", protocol=1)
    assert r["protocol"] == 1 and r["server"] == "vaestudio"
    assert set(r["ops"]) == set(OPS) and r["streams"] == ["metrics", "latent", "status", "log", "dims", "recons", "layers", "eval"]
    assert not check_result("hello", r)


def test_status_describes_the_session(client):
    r = client.call("status")
    assert not check_result("status", r)
    assert r["state"] == "paused" and r["step"] == 0 and r["latent_dim"] == 2
    assert r["dataset"] == {"name": "digits", "n": 1797, "shape": [8, 8], "num_classes": 10,
                            "class_names": [str(i) for i in range(10)],
                            "source": {"name": "digits", "test_fraction": 0.1, "seed": 0, "binarize": None,
                                       "exclude_labels": []}}
    assert r["clients"] == 1


def test_clients_counts_distinct_peers(server, client):
    with server.client() as other:
        other.call("hello")
        assert client.call("status")["clients"] == 2


def test_start_pause_step_reset(client):
    assert client.call("train.start") == {"state": "training"}
    time.sleep(0.5)
    paused = client.call("train.pause")
    assert paused["state"] == "paused" and paused["step"] > 0
    assert client.call("train.step", n=25) == {"step": paused["step"] + 25}
    assert client.call("status")["step"] == paused["step"] + 25
    old_run = client.call("status")["run"]
    reset = client.call("train.reset", seed=7)
    assert reset["step"] == 0 and reset["run"] != old_run
    assert client.call("status")["run"] == reset["run"]


def test_train_step_while_training_is_refused_and_training_goes_on(client):
    client.call("train.start")
    with pytest.raises(RemoteError) as err:
        client.call("train.step", n=5)
    assert err.value.code == "invalid_argument" and "pause" in err.value.message
    s1 = client.call("status")["step"]
    time.sleep(0.3)
    assert client.call("status")["step"] > s1


def test_config_set_changes_live_values(client):
    r = client.call("config.set", lr=0.002, beta=4.0, batch_size=32)
    assert r["config"]["lr"] == 0.002 and r["config"]["beta"] == 4.0 and r["config"]["batch_size"] == 32
    client.call("train.step", n=1)
    assert client.call("status")["config"]["beta"] == 4.0


def test_config_set_live_training_options(client):
    r = client.call("config.set", kl_warmup="linear", warmup_steps=100, free_bits=0.5, grad_clip=5.0, schedule="cosine")
    assert (r["config"]["kl_warmup"], r["config"]["free_bits"], r["config"]["schedule"]) == ("linear", 0.5, "cosine")
    client.call("train.step", n=10)
    client.subscribe("metrics")
    client.call("train.start")
    _, m = client.next_stream(topic="metrics", timeout=10)
    assert m["beta"] < 1.0 and "grad_norm" in m  # warm-up scales beta; clipping reports the norm


def test_decode_returns_one_image_per_row(client):
    z = np.array([[0, 0], [1, -1], [3, 3]], dtype=np.float32)
    images = client.decode(z)
    assert images.shape == (3, 8, 8) and images.dtype == np.uint8
    assert not np.array_equal(images[0], images[2])


def test_decode_follows_training(client):
    before = client.decode([[0.5, 0.5]])
    client.call("train.step", n=50)
    assert not np.array_equal(before, client.decode([[0.5, 0.5]]))


def test_encode_matches_the_latent_stream_and_rows(client):
    mu, logvar = client.encode([0, 5, 1796])
    assert mu.shape == (3, 2) and logvar.shape == (3, 2)
    client.subscribe("latent")
    _, msg = client.next_stream(topic="latent", timeout=5)
    coords = np.frombuffer(msg["coords"]["data"], "<f4").reshape(msg["coords"]["shape"])
    assert np.allclose(coords[[0, 5, 1796]], mu, atol=1e-5)


def test_sample_is_seeded(client):
    z1, im1 = client.sample(4, seed=3)
    z2, im2 = client.sample(4, seed=3)
    assert z1.shape == (4, 2) and im1.shape == (4, 8, 8)
    assert np.array_equal(z1, z2) and np.array_equal(im1, im2)
    z3, _ = client.sample(4, seed=4)
    assert not np.array_equal(z1, z3)


def test_sample_temperature_scales_the_prior(client):
    base = client.call("sample", n=64, seed=5)
    cool = client.call("sample", n=64, seed=5, temperature=0.5)
    assert not check_result("sample", cool)
    z1, z_half = from_wire(base["z"]), from_wire(cool["z"])
    assert np.allclose(z_half, 0.5 * z1, atol=1e-6)  # the same draws, half the spread
    with pytest.raises(RemoteError, match="'temperature' must be a number from 0.001 to 100"):
        client.call("sample", n=4, temperature=-1.0)


def test_vq_vae_samples_at_a_low_temperature_come_from_its_most_used_codes(client):
    wait_new_run(client, model={"name": "vq_vae", "codebook_size": 8}, data={"name": "digits"}, paused=True)
    client.call("train.step", n=100, timeout=60)
    cold = from_wire(client.call("sample", n=256, seed=1, temperature=0.01)["z"])
    warm = from_wire(client.call("sample", n=256, seed=1, temperature=10.0)["z"])
    distinct = lambda z: len({tuple(np.round(row, 4)) for row in z})  # noqa: E731
    assert distinct(cold) < distinct(warm)


def test_data_get_returns_the_rows_as_the_data_set_holds_them(client):
    from vaestudio.datasets import load_dataset

    rows = np.array([0, 5, 1796], np.int32)
    r = client.call("data.get", indices=to_wire(rows, "i32"))
    assert not check_result("data.get", r)
    images, labels = from_wire(r["images"]), from_wire(r["labels"])
    digits = load_dataset("digits")
    assert images.shape == (3, 8, 8) and images.dtype == np.uint8
    assert np.array_equal(images, np.round(digits.x[rows].numpy() * 255).astype(np.uint8).reshape(3, 8, 8))
    assert labels.tolist() == digits.labels[rows].tolist()
    for bad, words in [(np.array([1797], np.int32), "data-set rows from 0 to 1796"),
                       (np.array([-1], np.int32), "data-set rows from 0 to 1796"),
                       (np.zeros(5000, np.int32), "at most 4096")]:
        with pytest.raises(RemoteError, match=words):
            client.call("data.get", indices=to_wire(bad, "i32"))


def test_data_get_gives_vector_data_as_values(client):
    wait_new_run(client, data={"name": "moons"}, paused=True)
    r = client.call("data.get", indices=to_wire(np.array([0, 1], np.int32), "i32"))
    assert "images" not in r and from_wire(r["values"]).shape == (2, 2) and from_wire(r["labels"]).shape == (2,)


def test_conditional_decode_changes_with_the_label(client):
    wait_new_run(client, model={"name": "cvae"}, data={"name": "digits"}, paused=True)
    client.call("train.step", n=200, timeout=60)
    z = to_wire(np.zeros((1, 2), np.float32))
    zero = client.call("decode", z=z, labels=to_wire(np.array([0]), "i32"))["images"]["data"]
    one = client.call("decode", z=z, labels=to_wire(np.array([1]), "i32"))["images"]["data"]
    default = client.call("decode", z=z)["images"]["data"]
    assert zero != one and default == zero
    with pytest.raises(RemoteError, match="classes from 0 to 9"):
        client.call("decode", z=z, labels=to_wire(np.array([10]), "i32"))


def test_toy_data_decodes_to_values(client):
    wait_new_run(client, data={"name": "moons"}, paused=True)
    assert client.call("status")["model"]["likelihood"] == "gaussian"
    client.call("train.step", n=5)
    r = client.call("decode", z=to_wire(np.zeros((3, 2), np.float32)))
    assert not check_result("decode", r) and r["values"]["shape"] == [3, 2]


@pytest.mark.parametrize("case", VECTORS["bad_requests"], ids=lambda c: c["description"])
def test_bad_request_vectors_get_their_error(client, case):
    client.dealer.send(bytes.fromhex(case["hex"]))
    assert client.dealer.poll(5000)
    reply = msgpack.unpackb(client.dealer.recv(), raw=False)
    assert reply["ok"] is False and reply["v"] == 1
    assert reply["error"]["code"] == case["code"], reply
    assert reply["id"] == case["id"]
    assert isinstance(reply["error"]["message"], str) and len(reply["error"]["message"]) > 10
    assert client.call("status")["state"] == "paused"  # still answering


@pytest.mark.parametrize(
    "op,args,code,words",
    [
        ("decode", {}, "invalid_argument", "'z' is required"),
        ("decode", {"z": to_wire(np.zeros((1, 2), np.float32), "u8")}, "invalid_argument", "dtype f32"),
        ("decode", {"z": to_wire(np.full((1, 2), np.nan, np.float32))}, "invalid_argument", "finite"),
        ("decode", {"z": to_wire(np.zeros((5000, 2), np.float32))}, "too_large", "at most 4096"),
        ("encode", {"indices": to_wire(np.array([0, 1797]), "i32")}, "invalid_argument", "0 to 1796"),
        ("encode", {"indices": to_wire(np.zeros((2, 2)), "i32")}, "invalid_argument", "shape [n]"),
        ("sample", {"n": 0}, "invalid_argument", "from 1"),
        ("sample", {}, "invalid_argument", "'n' is required"),
        ("config.set", {"beta": "high"}, "invalid_argument", "beta must be a number from 0 to 1000"),
        ("config.set", {"batch_size": 0}, "invalid_argument", "batch_size must be an integer from 1 to 4096"),
        ("config.set", {"kl_warmup": "sometimes"}, "invalid_argument", "kl_warmup must be one of none, linear, cyclic"),
        ("config.set", {"momentum": 0.9}, "invalid_argument", "accepted: lr, beta, batch_size, free_bits"),
        ("config.set", {}, "invalid_argument", "needs at least one of"),
        ("decode", {"z": to_wire(np.zeros((1, 2), np.float32)), "labels": to_wire(np.zeros(1), "i32")},
         "invalid_argument", "only for conditional models"),
        ("train.reset", {"seed": -1}, "invalid_argument", "'seed'"),
        ("hello", {"protocol": 2}, "invalid_argument", "speaks 1"),
    ],
)
def test_invalid_arguments_name_the_field_and_what_is_accepted(client, op, args, code, words):
    with pytest.raises(RemoteError) as err:
        client.call(op, args)
    assert err.value.code == code and words in err.value.message, err.value.message


def test_oversized_body_is_too_large(client):
    client.dealer.send(msgpack.packb({"v": 1, "id": 99, "op": "status", "args": {"pad": b"\0" * (17 * 2**20)}}))
    assert client.dealer.poll(10000)
    reply = msgpack.unpackb(client.dealer.recv())
    assert reply["error"]["code"] == "too_large" and reply["id"] is None
    assert client.call("status")["step"] == 0


def test_internal_errors_are_replied_and_the_server_survives(server, client, monkeypatch):
    def broken(*_):
        raise RuntimeError("boom")

    monkeypatch.setattr(server.server.session.inference, "decode_many", broken)
    with pytest.raises(RemoteError) as err:
        client.decode([[0, 0]])
    assert err.value.code == "internal" and "boom" in err.value.message
    assert client.call("status")["state"] == "paused"


def test_envelope_frames_are_echoed_for_req_sockets(server):
    ctx = zmq.Context.instance()
    req = ctx.socket(zmq.REQ)
    req.setsockopt(zmq.LINGER, 0)
    req.connect(server.control)
    req.send(msgpack.packb({"v": 1, "id": 1, "op": "status", "args": {}}))
    assert req.poll(5000)
    assert msgpack.unpackb(req.recv())["ok"] is True
    req.close()


def test_out_of_order_replies_are_matched_by_id(client):
    slow = client.send("train.step", {"n": 300})
    fast = client.send("status")
    assert client.reply(fast)["ok"] and client.reply(slow)["result"]["step"] == 300

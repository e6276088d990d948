"""Style transfer (protocol/README.md §5.4): `style` on a conditional model, `analogy` and `attribute`
on any model, over the wire and as `vaestudio style` / `vaestudio analogy`."""

import json
import time

import numpy as np
import pytest
from PIL import Image
from sklearn.linear_model import LogisticRegression

from support.backends import vaestudio
from support.schema import check_result
from vaestudio.client import RemoteError, from_wire, to_wire
from vaestudio.datasets import load_dataset

CVAE_STEPS = 1500  # measured: a probe on real digits then reads every tile of a 10x10 grid as its column's label


def _real_digit_probe() -> LogisticRegression:
    """A logistic regression trained on the real digits' training split: the judge of a tile's class."""
    d = load_dataset("digits")
    return LogisticRegression(max_iter=2000, random_state=0).fit(d.x[d.train_idx].numpy(), d.labels[d.train_idx].numpy())


def test_a_cvae_draws_each_source_row_as_each_label(make_server):
    with make_server(model="cvae", latent_dim=8).client(timeout=60) as c:
        c.call("train.step", n=CVAE_STEPS, timeout=180)
        rows = np.arange(10) * 17
        r = c.call("style", indices=to_wire(rows, "i32"), labels=to_wire(np.arange(10), "i32"))
        assert not check_result("style", r), check_result("style", r)
        images = from_wire(r["images"])
        assert images.shape == (10, 10, 8, 8) and images.dtype == np.uint8
        predicted = _real_digit_probe().predict(images.reshape(100, 64) / 255.0).reshape(10, 10)
        right = predicted == np.arange(10)[None, :]  # column j should read as digit j
        assert right.mean() >= 0.8, predicted  # measured 1.0 at 1500 steps

        # each tile is the decode of the row's mu (encoded with its own label) under the column's label
        mu = from_wire(c.call("encode", indices=to_wire(rows[:3], "i32"))["mu"])
        z = np.repeat(mu, 2, axis=0)
        labels = np.tile([4, 9], 3).astype(np.int32)
        decoded = from_wire(c.call("decode", z=to_wire(z), labels=to_wire(labels, "i32"))["images"])
        assert np.abs(decoded.reshape(3, 2, 8, 8).astype(int) - images[:3][:, [4, 9]]).max() <= 1

        # a z given directly is drawn the same way; no labels means every class
        by_z = from_wire(c.call("style", z=to_wire(mu))["images"])
        assert by_z.shape == (3, 10, 8, 8) and np.abs(by_z.astype(int) - images[:3]).max() <= 1
        default = from_wire(c.call("style")["images"])  # the test split's first 180 (< 256) rows x 10 labels
        assert default.shape == (180, 10, 8, 8)


def test_style_on_a_model_that_is_not_conditional_names_it(client):
    with pytest.raises(RemoteError) as err:
        client.call("style", indices=to_wire(np.array([0]), "i32"), labels=to_wire(np.array([1]), "i32"))
    assert err.value.code == "invalid_argument"
    assert "conditional" in err.value.message and "vae is not conditional" in err.value.message


@pytest.mark.parametrize("args,code,words", [
    ({"labels": to_wire(np.array([10]), "i32")}, "invalid_argument", "'labels' must be classes from 0 to 9"),
    ({"labels": to_wire(np.zeros((2, 2)), "i32")}, "invalid_argument", "'labels' must have shape [m]"),
    ({"indices": to_wire(np.array([0]), "i32"), "z": to_wire(np.zeros((1, 2), np.float32))}, "invalid_argument",
     "at most one of 'indices'"),
    ({"z": to_wire(np.zeros((1, 3), np.float32))}, "invalid_argument", "'z' must have shape [n, 2]"),
    ({"indices": to_wire(np.array([1797]), "i32")}, "invalid_argument", "data-set rows from 0 to 1796"),
    ({"z": to_wire(np.zeros((500, 2), np.float32))}, "too_large", "500 sources x 10 labels"),
])
def test_style_refuses_bad_input_and_training_goes_on(make_server, args, code, words):
    with make_server(model="cvae", paused=False).client() as c:
        with pytest.raises(RemoteError) as err:
            c.call("style", **args)
        assert err.value.code == code and words in err.value.message, err.value.message
        step = c.call("status")["step"]
        time.sleep(0.3)
        assert c.call("status")["step"] > step


def test_analogy_decodes_mu_c_plus_mu_b_minus_mu_a(make_server):
    with make_server(latent_dim=4).client() as c:
        c.call("train.step", n=200, timeout=60)
        r = c.call("analogy", a=3, b=8, c=11)
        assert not check_result("analogy", r), check_result("analogy", r)
        mu = from_wire(c.call("encode", indices=to_wire(np.array([3, 8, 11]), "i32"))["mu"]).astype(np.float64)
        z = from_wire(r["z"])
        assert z.shape == (1, 4)
        np.testing.assert_allclose(z[0], mu[2] + mu[1] - mu[0], atol=1e-5)
        assert np.array_equal(from_wire(r["images"]), from_wire(c.call("decode", z=r["z"])["images"]))
        sources = c.call("data.get", indices=to_wire(np.array([3, 8, 11]), "i32"))
        assert np.array_equal(from_wire(r["sources"]["images"]), from_wire(sources["images"]))
        assert np.array_equal(from_wire(r["sources"]["labels"]), from_wire(sources["labels"]))


def test_analogy_refuses_missing_and_out_of_range_rows(client):
    for args, words in (({"a": 0, "b": 1}, "'c' is required"), ({"a": 0, "b": 1, "c": 1797}, "'c' must be"),
                        ({"a": -1, "b": 1, "c": 2}, "'a' must be"), ({"a": 0.5, "b": 1, "c": 2}, "'a' must be")):
        with pytest.raises(RemoteError) as err:
            client.call("analogy", **args)
        assert err.value.code == "invalid_argument" and words in err.value.message, err.value.message


def test_attribute_is_the_class_mean_difference_of_the_training_rows(make_server):
    digits = load_dataset("digits")
    with make_server(latent_dim=4).client() as c:
        c.call("train.step", n=200, timeout=60)
        r = c.call("attribute", from_label=1, to_label=7)
        assert not check_result("attribute", r), check_result("attribute", r)
        train = digits.train_idx.numpy()
        mu = from_wire(c.call("encode", indices=to_wire(train, "i32"))["mu"]).astype(np.float64)
        y = digits.labels.numpy()[train]
        expected = mu[y == 7].mean(0) - mu[y == 1].mean(0)
        np.testing.assert_allclose(from_wire(r["vector"]), expected, atol=1e-5)
        assert r["norm"] == pytest.approx(np.linalg.norm(expected), rel=1e-5)
        assert r["counts"] == [int((y == 1).sum()), int((y == 7).sum())]
        for args, words in (({"from_label": 1, "to_label": 10}, "'to_label' must be a class from 0 to 9"),
                            ({"from_label": 1}, "'to_label' is required"),
                            ({"from_label": 1.0, "to_label": 2}, "integer class id")):
            with pytest.raises(RemoteError) as err:
                c.call("attribute", **args)
            assert err.value.code == "invalid_argument" and words in err.value.message, err.value.message


def test_attribute_needs_labels(make_server):
    with make_server(dataset="swiss_roll").client() as c:
        with pytest.raises(RemoteError) as err:
            c.call("attribute", from_label=0, to_label=1)
        assert err.value.code == "invalid_argument" and "swiss_roll has no labels" in err.value.message


def test_vaestudio_style_writes_a_grid_png_and_analogy_prints_its_vectors(tmp_path):
    runs = tmp_path / "runs"
    trained = vaestudio("train", "--model", "cvae", "--steps", "300", "--latent-dim", "4", "-q", runs=runs)
    assert trained.returncode == 0, trained.stderr
    run = json.loads(trained.stdout)["run"]
    out = tmp_path / "grid.png"
    r = vaestudio("style", run, "--rows", "0", "1", "2", "--labels", "3", "5", "--out", str(out), "--json", runs=runs)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["shape"] == [3, 2, 8, 8]
    with Image.open(out) as picture:  # 3 rows x 2 columns of 8x8 tiles with 2-px gutters, scaled up
        assert picture.width * 3 == picture.height * 2
    table = vaestudio("style", run, "--rows", "0", runs=runs)
    assert table.returncode == 0 and "drawn as labels [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]" in table.stdout
    bad = vaestudio("style", run, "--labels", "12", runs=runs)
    assert bad.returncode == 2 and "'labels' must be classes from 0 to 9" in bad.stderr

    analogy = vaestudio("analogy", run, "0", "1", "2", runs=runs)
    assert analogy.returncode == 0, analogy.stderr
    assert "row 0 is to row 1 as row 2 is to z" in analogy.stdout and "c + b - a" in analogy.stdout
    plain = vaestudio("train", "--steps", "50", "-q", runs=runs)
    not_conditional = vaestudio("style", json.loads(plain.stdout)["run"], runs=runs)
    assert not_conditional.returncode == 2 and "vae is not conditional" in not_conditional.stderr

"""Feature learning (protocol/README.md §5.4): linear/PCA/raw probes, 5-NN and the confusion matrix on
labelled data, MIG and DCI on data with ground-truth factors, over the wire and as `vaestudio features`."""

import json
import time

import numpy as np
import pytest

from support.backends import vaestudio
from support.schema import check_result
from vaestudio.client import RemoteError, from_wire
from vaestudio.datasets import load_dataset
from vaestudio.usecases.features import mig

PROBES = ("probe_accuracy", "probe_accuracy_raw", "probe_accuracy_pca", "knn_accuracy")


def test_features_on_digits_probe_mu_well_above_chance(make_server):
    with make_server(latent_dim=8).client(timeout=60) as c:
        c.call("train.step", n=1000, timeout=120)
        r = c.call("features", timeout=120)
        assert not check_result("features", r), check_result("features", r)
        assert r["split"] == "test" and r["classes"] == 10 and r["n"] == 180 and r["n_train"] == 1617
        assert all(0.0 <= r[k] <= 1.0 for k in PROBES)
        assert r["probe_accuracy"] > 0.6 and r["knn_accuracy"] > 0.6, r  # chance is 0.1; measured 0.9 / 0.94
        assert r["probe_accuracy_raw"] > 0.9  # digits are nearly linearly separable in pixels
        confusion = from_wire(r["confusion"])
        assert confusion.shape == (10, 10) and confusion.sum() == 180
        # its diagonal is the probe's hits, its rows the true classes of the test split
        assert np.trace(confusion) / 180 == pytest.approx(r["probe_accuracy"])
        digits = load_dataset("digits")
        assert confusion.sum(1).tolist() == np.bincount(digits.labels[digits.test_idx].numpy(), minlength=10).tolist()
        assert "mig" not in r and "dci" not in r  # digits have no ground-truth factors

        train = c.call("features", split="train", timeout=120)
        assert train["n"] == 1617 and from_wire(train["confusion"]).sum() == 1617


def test_features_on_shapes_give_mig_and_dci_in_the_unit_interval(make_server):
    data = {"n": 2000, "orientations": 4}  # 4 angles: the boosted trees fit 4 classes, not 40
    with make_server(dataset="shapes", data_options=data, latent_dim=6).client(timeout=60) as c:
        c.call("train.step", n=300, timeout=180)
        r = c.call("features", timeout=300)
        assert not check_result("features", r), check_result("features", r)
        assert r["classes"] == 3 and all(0.0 <= r[k] <= 1.0 for k in PROBES)
        assert 0.0 <= r["mig"] <= 1.0
        assert set(r["dci"]) == {"disentanglement", "completeness", "informativeness"}
        assert all(0.0 <= v <= 1.0 for v in r["dci"].values()), r["dci"]
        assert r["dci"]["informativeness"] > 0.25  # shape, scale, angle, x, y guessed from mu above chance


def test_features_on_factors_without_labels_give_only_mig_and_dci(make_server):
    with make_server(dataset="swiss_roll", data_options={"n": 600}).client(timeout=60) as c:
        c.call("train.step", n=200, timeout=60)
        r = c.call("features", timeout=300)
        assert not check_result("features", r), check_result("features", r)
        assert set(r) == {"split", "mig", "dci"}, r


def test_mig_is_one_for_codes_that_copy_the_factors_and_zero_for_noise():
    rng = np.random.default_rng(0)
    factors = rng.integers(0, 20, size=(2, 5000))  # (F, n)
    copy = factors.T.astype(np.float64)  # code j = factor j exactly
    # 1 up to the plug-in estimate's bias: two independent 20-value codes share ~0.04 nats at n = 5000
    assert mig(copy, factors) > 0.97
    assert mig(rng.normal(size=(5000, 2)), factors) < 0.05


def test_features_refuse_unlabelled_data_without_factors_and_bad_args(make_server, tmp_path):
    np.save(tmp_path / "data" / "rows.npy", np.random.default_rng(0).random((300, 5)).astype(np.float32))
    with make_server(dataset="file", data_options={"path": str(tmp_path / "data" / "rows.npy")},
                     paused=False).client() as c:
        with pytest.raises(RemoteError) as err:
            c.call("features")
        assert err.value.code == "invalid_argument"
        assert "needs a labelled data set or one with ground-truth factors; file has neither" in err.value.message
        for args, words in (({"split": "validation"}, "'split' must be"),
                            ({"time_limit_s": 0.0}, "'time_limit_s' must be a number from 0.1"),
                            ({"rows": 3}, "rows")):
            with pytest.raises(RemoteError) as err:
                c.call("features", **args)
            assert err.value.code == "invalid_argument" and words in err.value.message, err.value.message
        step = c.call("status")["step"]
        time.sleep(0.3)
        assert c.call("status")["step"] > step


def test_features_past_their_time_limit_reply_timed_out_and_training_goes_on(make_server):
    with make_server(dataset="shapes", data_options={"n": 2000}, paused=False).client(timeout=60) as c:
        with pytest.raises(RemoteError) as err:
            c.call("features", time_limit_s=0.1, timeout=120)
        assert err.value.code == "timed_out" and "features took longer than its limit of 0.1 s" in err.value.message
        step = c.call("status")["step"]
        time.sleep(0.3)
        assert c.call("status")["step"] > step


def test_vaestudio_features_prints_the_probes_and_confusion(tmp_path):
    runs = tmp_path / "runs"
    trained = vaestudio("train", "--steps", "300", "--latent-dim", "4", "-q", runs=runs)
    assert trained.returncode == 0, trained.stderr
    run = json.loads(trained.stdout)["run"]
    table = vaestudio("features", run, runs=runs)
    assert table.returncode == 0, table.stderr
    for words in ("10 classes, probes fitted on 1617 train rows, scored on 180", "PCA (4 components)",
                  "5 nearest neighbours", "confusion of the mu probe"):
        assert words in table.stdout, table.stdout
    out = json.loads(vaestudio("features", run, "--split", "train", "--json", runs=runs).stdout)
    assert out["n"] == 1617 and np.array(out["confusion"]).sum() == 1617
    assert all(0 <= out[k] <= 1 for k in PROBES)

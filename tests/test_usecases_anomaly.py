"""Anomaly detection (protocol/README.md §5.4): exclude_labels, scores and ROC over the wire, the long
(importance-sampled) form as a task, bad input, and `vaestudio anomaly` on a run and on a file."""

import json
import time

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from support.backends import vaestudio
from support.runs import wait_new_run
from support.schema import check_result
from vaestudio.client import RemoteError, from_wire, to_wire
from vaestudio.datasets import DataError, load_dataset

TRAIN_STEPS = 1000


def test_exclude_labels_takes_the_class_out_of_the_training_split_only():
    plain, without = load_dataset("digits"), load_dataset("digits", exclude_labels=[0, 3])
    assert torch.equal(plain.test_idx, without.test_idx) and torch.equal(plain.x, without.x)
    assert not set(without.labels[without.train_idx].tolist()) & {0, 3}
    assert set(plain.train_idx.tolist()) - set(without.train_idx.tolist()) == {
        i for i in plain.train_idx.tolist() if plain.labels[i] in (0, 3)}
    assert {0, 3} <= set(without.labels[without.test_idx].tolist())
    again = load_dataset(**json.loads(json.dumps(without.source)))  # the run's record rebuilds it
    assert torch.equal(again.train_idx, without.train_idx) and without.source["exclude_labels"] == [0, 3]
    for name, options, words in [
        ("digits", {"exclude_labels": list(range(10))}, "leaves no training rows"),
        ("digits", {"exclude_labels": [10]}, "must hold class ids of digits, from 0 to 9; got [10]"),
        ("digits", {"exclude_labels": "0"}, "must be a list of class ids"),
        ("swiss_roll", {"exclude_labels": [0]}, "has no option 'exclude_labels'"),
    ]:
        with pytest.raises(DataError, match=words.replace("[", r"\[").replace("]", r"\]")):
            load_dataset(name, **options)


def test_a_model_trained_without_zeros_scores_the_zeros_as_unusual(make_server):
    with make_server().client(timeout=120) as c:
        wait_new_run(c, data={"name": "digits", "exclude_labels": [0]}, model={"latent_dim": 8}, paused=True)
        c.call("train.step", n=TRAIN_STEPS, timeout=120)
        r = c.call("anomaly", positive_labels=[0])
        assert not check_result("anomaly", r), check_result("anomaly", r)
        scores, labels, indices = from_wire(r["scores"]), from_wire(r["labels"]), from_wire(r["indices"])
        test_idx = load_dataset("digits").test_idx.numpy()
        assert np.array_equal(indices, test_idx) and scores.shape == labels.shape == (180,)
        assert np.isfinite(scores).all() and scores.min() > 0  # nats of a Bernoulli likelihood
        zeros = labels == 0
        assert scores[zeros].mean() > scores[~zeros].mean()
        # measured: AUC 0.955 (negative ELBO), 0.987 (IS-NLL, k = 100) at these settings
        assert r["auc"] == pytest.approx(roc_auc_score(zeros, scores)) and r["auc"] > 0.85
        fpr, tpr = from_wire(r["roc_fpr"]), from_wire(r["roc_tpr"])
        assert len(fpr) == len(tpr) <= 256 and (fpr[0], tpr[-1]) == (0, 1) and np.all(np.diff(fpr) >= 0)
        assert 0 < r["average_precision"] <= 1

        iw = c.call("anomaly", positive_labels=[0], iw_samples=50, timeout=120)  # a task, like eval
        assert iw["auc"] > 0.85 and np.isfinite(from_wire(iw["scores"])).all()
        seeded = [from_wire(c.call("anomaly", seed=5)["scores"]) for _ in range(2)]
        assert np.array_equal(*seeded)


def test_rows_given_as_x_get_scores_only(make_server):
    with make_server().client() as c:
        x = np.random.default_rng(0).random((5, 64)).astype(np.float32)
        r = c.call("anomaly", x=to_wire(x))
        assert not check_result("anomaly", r) and set(r) == {"scores"} and from_wire(r["scores"]).shape == (5,)


def test_bad_anomaly_input_answers_invalid_argument_and_training_goes_on(make_server):
    with make_server(paused=False).client() as c:
        x = to_wire(np.zeros((2, 64)), "f32")
        for args, words in [
            ({"iw_samples": 6000}, "'iw_samples' must be an integer from 0 to 5000"),
            ({"positive_labels": [12]}, "'positive_labels' must be a non-empty list of class ids from 0 to 9"),
            ({"positive_labels": "0"}, "'positive_labels' must be a list of integers"),
            ({"positive_labels": [0], "x": x}, "'positive_labels' works on data-set rows"),
            ({"positive_labels": [0], "indices": to_wire(np.array([0, 10]), "i32")}, "not none or all of them"),
            ({"x": to_wire(np.zeros((2, 3)), "f32")}, "'x' must have shape [n, 64]"),
            ({"time_limit_s": 0}, "'time_limit_s' must be a number from 0.1"),
            ({"colour": 1}, "unknown argument(s) ['colour']"),
        ]:
            with pytest.raises(RemoteError) as err:
                c.call("anomaly", args)
            assert err.value.code == "invalid_argument" and words in err.value.message, (args, err.value.message)
        with pytest.raises(RemoteError) as err:
            c.call("anomaly", iw_samples=5000, time_limit_s=0.2, timeout=60)
        assert err.value.code == "timed_out"
        s0 = c.call("status")["step"]
        time.sleep(0.3)
        assert c.call("status")["state"] == "training" and c.call("status")["step"] > s0


def test_positive_labels_on_unlabelled_data_and_exclude_labels_that_leave_nothing_are_refused(make_server):
    with make_server(dataset="swiss_roll").client(timeout=60) as c:
        assert from_wire(c.call("anomaly")["scores"]).shape == (200,)  # unlabelled rows still get scores
        with pytest.raises(RemoteError) as err:
            c.call("anomaly", positive_labels=[0])
        assert err.value.code == "invalid_argument" and "needs a labelled data set; swiss_roll has no labels" in err.value.message
        for data, words in [({"name": "digits", "exclude_labels": list(range(10))}, "leaves no training rows"),
                            ({"name": "swiss_roll", "exclude_labels": [0]}, "no option 'exclude_labels'")]:
            with pytest.raises(RemoteError) as err:
                c.call("run.new", data=data, timeout=60)
            assert err.value.code == "invalid_argument" and words in err.value.message
        assert c.call("status")["dataset"]["name"] == "swiss_roll"  # the live run is untouched


def test_vaestudio_anomaly_on_a_run_and_on_your_own_file(tmp_path):
    runs = tmp_path / "runs"
    trained = vaestudio("train", "--steps", "300", "--latent-dim", "8", "--data-opt", "exclude_labels=[0]", "-q",
                        runs=runs)
    assert trained.returncode == 0, trained.stderr
    run = json.loads(trained.stdout)["run"]
    out = json.loads(vaestudio("anomaly", run, "--positive-labels", "0", "--json", runs=runs).stdout)
    assert out["n"] == 180 and len(out["scores"]) == 180 and out["score"] == "negative ELBO"
    assert out["auc"] == pytest.approx(roc_auc_score(np.array(out["labels"]) == 0, out["scores"]))
    table = vaestudio("anomaly", run, "--top", "3", runs=runs).stdout.splitlines()
    assert table[1] == "most unusual 3:" and table[2].split() == ["rank", "row", "label", "score"] and len(table) == 6

    digits = load_dataset("digits")
    np.save(tmp_path / "mine.npy", digits.x[:40].numpy().reshape(40, 8, 8))
    mine = json.loads(vaestudio("anomaly", run, "--file", str(tmp_path / "mine.npy"), "--json", runs=runs).stdout)
    assert mine["n"] == 40 and mine["indices"] == list(range(40)) and np.isfinite(mine["scores"]).all()
    np.save(tmp_path / "wide.npy", np.zeros((3, 9, 9), np.float32))
    wide = vaestudio("anomaly", run, "--file", str(tmp_path / "wide.npy"), runs=runs)
    assert wide.returncode == 2 and "has 81 values per row" in wide.stderr and "takes 64" in wide.stderr
    unlabelled = vaestudio("anomaly", run, "--file", str(tmp_path / "mine.npy"), "--positive-labels", "0", runs=runs)
    assert unlabelled.returncode == 2 and "needs a labelled data set" in unlabelled.stderr

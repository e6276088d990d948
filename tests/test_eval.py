"""Evaluation: the eval op's figures, and long ops that are cancelled or run out of time."""

import time

import pytest

from vaestudio.client import RemoteError


def test_eval_reports_elbo_nll_and_active_units(client):
    client.call("train.step", n=300, timeout=60)
    r = client.call("eval", split="test", iw_samples=50, timeout=120)
    assert r["n"] == 180 and r["active_units"] in (1, 2) and len(r["per_dim_kl"]) == 2
    # the importance-sampled bound is tighter than the single-sample ELBO (up to sampling noise)
    assert r["nll"] <= -r["elbo"] + 0.5
    assert sum(r["per_dim_kl"]) == pytest.approx(r["kl"], rel=1e-4)
    train = client.call("eval", split="train")
    assert train["n"] == 1617 and "nll" not in train


def test_cancel_stops_a_long_eval_and_training_goes_on(client):
    client.call("train.start")
    step0 = client.call("status")["step"]
    rid = client.send("eval", {"split": "train", "iw_samples": 5000})  # minutes of work on this CPU
    time.sleep(0.5)
    t0 = time.monotonic()
    assert client.call("cancel", id=rid) == {"cancelled": True}
    error = client.reply(rid, timeout=30)["error"]
    assert error == {"code": "cancelled", "message": "eval was cancelled"}
    assert time.monotonic() - t0 < 20  # it stopped at its next batch, not at its end
    assert client.call("cancel", id=rid) == {"cancelled": False}  # nothing left to cancel
    assert client.call("status")["step"] > step0


def test_a_long_eval_past_its_time_limit_replies_timed_out(client):
    with pytest.raises(RemoteError) as err:
        client.call("eval", split="train", iw_samples=5000, time_limit_s=0.5, timeout=60)
    assert err.value.code == "timed_out" and "limit of 0.5 s" in str(err.value)
    assert client.call("eval", split="test")["n"] == 180  # the next eval is served as usual


def test_cancel_reaches_only_the_requests_of_the_same_client(server, client):
    rid = client.send("eval", {"split": "train", "iw_samples": 5000})
    time.sleep(0.3)
    with server.client() as other:
        assert other.call("cancel", id=rid) == {"cancelled": False}
    assert client.call("cancel", id=rid) == {"cancelled": True}
    assert client.reply(rid, timeout=30)["error"]["code"] == "cancelled"


def test_export_checks_its_deadline_between_pieces_and_stops(tmp_path):
    """run.export is a long op too: it asks its deadline between pieces of work and stops there."""
    from vaestudio.datasets import load_dataset
    from vaestudio.export import export_model_files
    from vaestudio.models import ModelSpec, build_model, fit_spec
    from vaestudio.tasks import Deadline, TimedOut

    data = load_dataset("digits")
    model = build_model(fit_spec(ModelSpec(), data))
    deadline = Deadline("run.export", 0.05)
    time.sleep(0.1)
    with pytest.raises(TimedOut, match="run.export took longer than its limit of 0.05 s"):
        export_model_files(tmp_path, model, data, ("latents", "samples"), check=deadline.check)
    assert not list(tmp_path.iterdir())  # stopped before writing anything
    assert export_model_files(tmp_path, model, data, ("latents", "samples"), check=lambda: None) == [
        "latents.npz", "latents.csv", "samples.png"]


def test_run_export_takes_a_time_limit(client):
    with pytest.raises(RemoteError, match="'time_limit_s' must be a number from 0.1 to 3600"):
        client.call("run.export", items=["samples"], time_limit_s=0)
    assert client.call("run.export", items=["samples"], time_limit_s=60, timeout=60)["files"] == ["samples.png"]

"""metrics.history: exact buckets over known series, NaN for missing fields, since_step and
max_points; over the wire: the live run from step 1, a saved run by name, after run.load and a
resume, and argument errors."""

import json
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support.runs import save, steps, wait_new_run
from support.schema import check_result
from vaestudio.client import RemoteError, from_wire
from vaestudio.datasets import load_dataset
from vaestudio.history import MetricsHistory
from vaestudio.loading import load_trainer
from vaestudio.models import ModelSpec
from vaestudio.runs import RunStore
from vaestudio.step_records import FLUSH_S
from vaestudio.train_config import TrainConfig
from vaestudio.trainer import Trainer


def filled(records) -> MetricsHistory:
    history = MetricsHistory()
    for record in records:
        history.append(record)
    return history


def expected_buckets(steps, values, since, max_points):
    """The buckets by their definition, one at a time: (last steps, means, mins, maxs)."""
    width = -(-(steps[-1] - since) // max_points)
    out = []
    for k in range(max_points):
        inside = (steps > since + k * width) & (steps <= since + (k + 1) * width)
        if inside.any():
            v = values[inside]
            v = v[~np.isnan(v)]
            stats = (v.mean(), v.min(), v.max()) if len(v) else (np.nan,) * 3
            out.append((steps[inside][-1], *stats))
    return width, [np.array(col) for col in zip(*out)]


def test_buckets_are_exact_over_a_known_series():
    rng = np.random.default_rng(0)
    noise = rng.normal(size=1000).astype(np.float32)
    history = filled({"step": s, "loss": float(s), "noise": float(noise[s - 1])} for s in range(1, 1001))
    b = history.bucket(0, 7)
    assert (b.first_step, b.last_step, b.bucket) == (1, 1000, 143)  # ceil(1000 / 7)
    assert b.steps.tolist() == [143, 286, 429, 572, 715, 858, 1000]
    # loss = step: a bucket of steps a..b has mean (a + b) / 2, min a, max b
    starts = np.array([1, 144, 287, 430, 573, 716, 859])
    assert b.series["loss"]["mean"].tolist() == ((starts + b.steps) / 2).tolist()
    assert b.series["loss"]["min"].tolist() == starts.tolist()
    assert b.series["loss"]["max"].tolist() == b.steps.tolist()
    _, (last, mean, lo, hi) = expected_buckets(np.arange(1, 1001), noise, 0, 7)
    assert b.steps.tolist() == last.tolist()
    np.testing.assert_allclose(b.series["noise"]["mean"], mean, rtol=1e-6, atol=1e-7)
    assert b.series["noise"]["min"].tolist() == lo.tolist() and b.series["noise"]["max"].tolist() == hi.tolist()


def test_fields_missing_from_a_record_are_nan_in_its_buckets():
    records = []
    for s in range(1, 1001):
        r = {"step": s, "loss": 1.0, "run": "ignored: not a number"}
        if s % 100 == 0:
            r["test_loss"] = float(s)  # an evaluation every 100 steps
        if s > 500:
            r["grad_norm"] = 2.0  # a field that appears later
        records.append(r)
    b = filled(records).bucket(0, 20)  # buckets of 50 steps
    assert list(b.series) == ["loss", "test_loss", "grad_norm"]
    test = b.series["test_loss"]["mean"]
    assert np.isnan(test[0::2]).all() and test[1::2].tolist() == list(range(100, 1001, 100))
    grad = b.series["grad_norm"]
    for stat in ("mean", "min", "max"):
        assert np.isnan(grad[stat][:10]).all() and grad[stat][10:].tolist() == [2.0] * 10
    assert b.series["loss"]["mean"].tolist() == [1.0] * 20


def test_since_step_and_max_points_are_honoured_for_any_steps():
    rng = np.random.default_rng(1)
    steps = np.cumsum(rng.integers(1, 5, size=3000))  # gaps, as after skipped NaN steps
    values = rng.normal(size=3000).astype(np.float32)
    values[rng.random(3000) < 0.3] = np.nan
    history = filled({"step": int(s), **({} if np.isnan(v) else {"x": float(v)})} for s, v in zip(steps, values))
    for since, max_points in [(0, 1), (0, 4096), (0, 1000), (17, 33), (int(steps[1500]), 10), (int(steps[-2]), 5)]:
        b = history.bucket(since, max_points)
        width, (last, mean, lo, hi) = expected_buckets(steps, values, since, max_points)
        assert b.bucket == width and len(b.steps) <= max_points
        assert b.steps.tolist() == last.tolist()
        assert (b.first_step, b.last_step) == (steps[0], steps[-1])
        np.testing.assert_allclose(b.series["x"]["mean"], mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(b.series["x"]["min"], lo)
        np.testing.assert_array_equal(b.series["x"]["max"], hi)
    after_last = history.bucket(int(steps[-1]), 100)
    assert len(after_last.steps) == 0 and after_last.series["x"]["mean"].shape == (0,)
    assert history.bucket(0, 1).steps.tolist() == [steps[-1]]


def test_an_empty_history_answers_zero_steps():
    b = MetricsHistory().bucket(0, 1000)
    assert (b.first_step, b.last_step, len(b.steps), b.series) == (0, 0, 0, {})


odd_records = st.lists(st.fixed_dictionaries(
    {"step": st.integers(1, 40)},
    optional={"run": st.sampled_from(["a", "b"]) | st.floats(0, 1, width=32),
              "loss": st.floats(-1e6, 1e6, width=32) | st.none() | st.booleans(),
              "kl": st.floats(0, 10, width=32), "test_loss": st.floats(0, 10, width=32), "flag": st.booleans()}),
    max_size=60)
training_records = st.lists(  # a run's: the same fields every step, steps rising (a batch may rewind)
    st.tuples(st.integers(1, 60), st.floats(-1e6, 1e6, width=32), st.floats(0, 10, width=32) | st.none() | st.booleans()),
    max_size=60,
).map(lambda rows: [{"run": "r", "step": s, "loss": a, "kl": b} for s, a, b in sorted(rows, key=lambda row: row[0])])
record_lists = training_records | odd_records


@given(batches=st.lists(record_lists, max_size=4))
@settings(max_examples=200, deadline=None)
def test_extend_keeps_what_append_one_record_at_a_time_keeps(batches):
    """The trainer hands its records over in batches (extend); any sequence, rewinds, repeated
    steps, new fields, strings and odd values included, ends as append() would leave it."""
    one_by_one, batched = MetricsHistory(), MetricsHistory()
    for batch in batches:
        for record in batch:
            one_by_one.append(record)
        batched.extend(batch)
        assert batched.names == one_by_one.names
        assert batched.steps().tolist() == one_by_one.steps().tolist()
        for name in one_by_one.names:
            np.testing.assert_array_equal(batched.column(name), one_by_one.column(name))


def test_extend_writes_a_training_runs_records_in_blocks_past_the_first_capacity():
    history = MetricsHistory()
    records = [{"run": "r", "step": s, "loss": 1.0 / s, "kl": 2.0} for s in range(1, 3001)]
    for start in range(0, 3000, 700):  # batches across the 1024-row capacity and its doublings
        history.extend(records[start : start + 700])
    assert len(history) == 3000 and history.steps().tolist() == list(range(1, 3001))
    np.testing.assert_allclose(history.column("loss"), [1.0 / s for s in range(1, 3001)], rtol=1e-6)
    assert history.names == ["loss", "kl"]


def test_a_reader_sees_a_consistent_prefix_while_the_trainer_appends():
    history = MetricsHistory()  # grows from 1024 rows by doubling while the reader reads
    done = threading.Event()

    def writer():
        for s in range(1, 60_001):
            history.append({"step": s, "loss": float(s), **({"late": 1.0} if s > 30_000 else {})})
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    seen = 0
    while not done.is_set() or seen < 2:
        b = history.bucket(0, 64)
        seen += done.is_set()
        if not len(b.steps):
            continue
        loss = b.series["loss"]
        assert np.all(np.diff(b.steps) > 0) and b.steps[-1] == b.last_step
        assert loss["max"].tolist() == b.steps.tolist() and not np.isnan(loss["mean"]).any()
        assert loss["min"][0] == 1.0 and np.all(loss["min"][1:] == b.steps[:-1] + 1)
    thread.join()
    assert len(history) == 60_000


def test_load_reads_a_resumed_runs_file_as_the_run_went(tmp_path):
    """A resumed run rewrote steps 6-8 after its checkpoint at 5; a cut line is skipped; an
    evaluation written as a second record of step 7 merges into it."""
    lines = [{"step": s, "loss": 10.0 + s} for s in range(1, 11)]
    lines += [{"step": s, "loss": 100.0 + s} for s in range(6, 9)]
    lines.insert(12, {"step": 7, "test_loss": 3.5})  # right after the rewritten step 7
    text = "\n".join(json.dumps(r) for r in lines) + '\n{"step": 9, "lo'
    (tmp_path / "metrics.jsonl").write_text(text)
    history = MetricsHistory.load(tmp_path / "metrics.jsonl")
    assert history.steps().tolist() == list(range(1, 9))
    assert history.column("loss").tolist() == [11, 12, 13, 14, 15, 106, 107, 108]
    assert np.isnan(history.column("test_loss")).sum() == 7 and history.column("test_loss")[6] == 3.5
    assert MetricsHistory.load(tmp_path / "metrics.jsonl", up_to_step=5).steps().tolist() == [1, 2, 3, 4, 5]
    assert len(MetricsHistory.load(tmp_path / "missing.jsonl")) == 0
    clean = tmp_path / "clean.jsonl"  # strictly increasing: the columnar fast path
    clean.write_text("\n".join(json.dumps({"step": s, "kl": 1.0, "beta": 1.0, **({"tc": 2.0} if s > 2 else {})})
                               for s in range(1, 5)))
    fast = MetricsHistory.load(clean)
    assert fast.names == ["kl", "beta", "tc"] and np.isnan(fast.column("tc")[:2]).all() and len(fast) == 4


def test_a_resumed_trainer_continues_its_history_from_the_checkpoint(tmp_path):
    store = RunStore(tmp_path / "runs")
    trainer = Trainer(load_dataset("digits"), ModelSpec(latent_dim=2), TrainConfig(), store=store)
    trainer.start_thread()
    steps(trainer, 50)
    save(trainer)
    steps(trainer, 20)  # run past the checkpoint, then stop without saving (as a kill would)
    trainer.stop()
    resumed = load_trainer(trainer.run, store, [])
    assert resumed.history.steps().tolist() == list(range(1, 51))
    resumed.start_thread()
    steps(resumed, 5)
    resumed.stop()
    assert resumed.history.bucket(0, 1000).steps.tolist() == list(range(1, 56))
    assert store.read_history(trainer.run).steps().tolist() == list(range(1, 56))  # the file, rewound


def history(client, **args) -> dict:
    r = client.call("metrics.history", args, timeout=30)
    assert not check_result("metrics.history", r), check_result("metrics.history", r)
    return r


def arrays(r) -> tuple[np.ndarray, dict]:
    series = {name: {k: from_wire(v) for k, v in stats.items()} for name, stats in r["series"].items()}
    return from_wire(r["steps"]), series


def test_the_live_run_is_answered_from_its_first_step(make_server):
    server = make_server(paused=False)
    with server.client() as client:
        deadline = time.monotonic() + 60
        while client.call("status")["step"] < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
        before = client.call("status")
        time.sleep(3 * FLUSH_S)  # while training, the steps reach the history within FLUSH_S
        r = history(client, max_points=10)
        steps_, series = arrays(r)
        assert r["run"] == before["run"] and r["first_step"] == 1 and r["last_step"] >= before["step"]
        assert 0 < len(steps_) <= 10 and steps_[-1] == r["last_step"]
        assert {"loss", "recon", "kl", "lr", "beta", "batch_size", "samples_per_s", "epoch"} <= set(series)
        assert all(len(s[k]) == len(steps_) for s in series.values() for k in ("mean", "min", "max"))
        assert np.all(series["loss"]["min"] <= series["loss"]["mean"])
        later = history(client, since_step=r["last_step"], max_points=4096)
        assert later["bucket"] == 1 and np.all(from_wire(later["steps"]) > r["last_step"])
        reset = client.call("train.reset", seed=1, timeout=30)  # a new run: a new history; the old one on disk
        assert history(client)["run"] == reset["run"]
        old = history(client, run=r["run"])
        assert old["first_step"] == 1 and old["last_step"] >= r["last_step"]


def test_history_survives_save_and_load_and_reads_other_runs(client):
    client.call("train.step", n=120)
    first = client.call("run.save")["run"]
    live = history(client, max_points=40)
    assert (live["first_step"], live["last_step"], live["bucket"]) == (1, 120, 3)
    every_step = arrays(history(client, max_points=4096))[1]["loss"]["mean"]  # (120,)
    wait_new_run(client, paused=True)
    assert history(client)["last_step"] == 0  # the new run has no steps yet
    from_disk = history(client, run=first, max_points=40)
    assert from_disk["run"] == first and (from_disk["first_step"], from_disk["last_step"]) == (1, 120)
    assert from_disk["steps"] == live["steps"] and from_disk["series"] == live["series"]
    assert list(from_disk["series"]) == list(live["series"])  # the same order: loss first, as the records
    client.call("train.step", n=5)
    assert (history(client)["first_step"], history(client)["last_step"]) == (1, 5)
    assert client.call("run.load", run=first, timeout=60)["step"] == 120
    client.call("train.step", n=10)
    loaded = history(client, max_points=4096)
    steps_, series = arrays(loaded)
    assert loaded["run"] == first and steps_.tolist() == list(range(1, 131))
    assert series["loss"]["mean"][:120].tolist() == every_step.tolist()  # the saved steps, read from disk
    assert not np.isnan(series["loss"]["mean"]).any()


@pytest.mark.parametrize("args,words", [
    ({"max_points": 0}, "'max_points' must be an integer from 1 to 4096"),
    ({"max_points": 5000}, "'max_points' must be an integer from 1 to 4096"),
    ({"since_step": -1}, "'since_step' must be an integer from 0"),
    ({"since_step": 1.5}, "'since_step' must be an integer"),
    ({"run": "no-such-run"}, "no run 'no-such-run'"),
    ({"run": "../outside"}, "is not accepted"),
    ({"run": 7}, "'run' must be a run name"),
    ({"runs": "x"}, "unknown argument(s) ['runs']"),
])
def test_bad_arguments_are_invalid_argument(client, args, words):
    with pytest.raises(RemoteError) as err:
        client.call("metrics.history", args)
    assert err.value.code == "invalid_argument" and words in err.value.message

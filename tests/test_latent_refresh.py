"""The latent stream's encodes off the training thread, batched metrics records, headless `train`
paying for no streaming, and `--threads auto` (backend/vaestudio/latent_refresh.py)."""

import json
import os
import queue
import threading
import time

import pytest
import torch

from vaestudio import cli
from vaestudio.datasets import load_dataset
from vaestudio.latent_refresh import BUDGET_FREE, BUDGET_SHARED, FLOOR_PERIOD_S, LATENT_REFRESH_S, LatentRefresher, plan
from vaestudio.models import ModelSpec
from vaestudio.projection import LatentView
from vaestudio.runs import RunStore
from vaestudio.train_config import TrainConfig
from vaestudio.trainer import Trainer


def wait_for(condition, what: str, timeout: float = 30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.005)
    raise AssertionError(f"gave up waiting for {what}")


def make_trainer(monkeypatch, cores: int) -> Trainer:
    """A digits trainer with one intra-op thread on a machine of `cores` cores: 2 leave the latent
    encodes a core of their own (their thread), 1 leaves none (inline, on the trainer's thread)."""
    monkeypatch.setattr("vaestudio.trainer.available_cores", lambda: cores)
    t = Trainer(load_dataset("digits"), ModelSpec(latent_dim=4), TrainConfig(batch_size=32, seed=3), threads=1)
    t.start_thread()
    return t


@pytest.fixture
def trainer(monkeypatch):
    t = make_trainer(monkeypatch, cores=2)
    assert not t._latent.inline
    yield t
    t.stop()


@pytest.fixture(params=["own thread", "inline"])
def any_trainer(request, monkeypatch):
    """Both places the encodes run: what the stream shows must not depend on it."""
    t = make_trainer(monkeypatch, cores=2 if request.param == "own thread" else 1)
    assert t._latent.inline == (request.param == "inline")
    yield t
    t.stop()


def encode_subset(trainer: Trainer) -> tuple[torch.Tensor, torch.Tensor]:
    """The subset's posterior means at the trainer's own weights, as the stream should show them."""
    model = trainer.model.eval()
    with torch.no_grad():
        return model.encode(trainer.x[trainer.latent_indices], None)


def test_training_goes_on_while_a_latent_encode_is_stuck(trainer, monkeypatch):
    wait_for(lambda: trainer.latest_latent, "the first latent frame")
    refresher = trainer._latent
    entered, release = threading.Event(), threading.Event()
    encode_rows = refresher._encode_rows

    def slow(*args, **kwargs):  # an encode that takes as long as the test wants, on the latent thread only
        if threading.current_thread().name == "vaestudio-latent":
            entered.set()
            release.wait(60)
        return encode_rows(*args, **kwargs)

    monkeypatch.setattr(refresher, "_encode_rows", slow)
    trainer.start()
    assert entered.wait(30), "the latent thread never encoded while training"
    stuck_at = trainer.step
    wait_for(lambda: trainer.step >= stuck_at + 100, "100 steps while the latent encode is stuck")
    release.set()
    q: queue.Queue = queue.Queue()
    trainer.pause(q.put)
    paused = q.get(timeout=30)
    # the pause answers only once the latent frame shows exactly the weights training stopped at
    lat = trainer.latest_latent
    assert lat["step"] == paused["step"] == trainer.step
    mu, _ = encode_subset(trainer)
    assert torch.allclose(torch.from_numpy(lat["coords"]), mu @ torch.from_numpy(lat["basis"]).T, atol=1e-5)


def test_a_new_view_is_encoded_at_once_while_paused(any_trainer):
    trainer = any_trainer
    wait_for(lambda: trainer.latest_latent, "the first latent frame, paused")
    q: queue.Queue = queue.Queue()
    trainer.request_steps(20, q.put)
    assert q.get(timeout=30) == {"step": 20}
    assert trainer.latest_latent["step"] == 20  # a train.step ends with a frame of its last weights
    trainer.set_latent_view(LatentView(projection="dims", dims=(3, 1), color="z2"))
    lat = wait_for(lambda: trainer.latest_latent if trainer.latest_latent["color_by"] == "z2" else None,
                   "a frame in the new view")
    mu, _ = encode_subset(trainer)
    assert lat["step"] == 20 and lat["axes"] == ["z3", "z1"]
    assert torch.allclose(torch.from_numpy(lat["coords"]), mu[:, [3, 1]], atol=1e-5)
    assert torch.allclose(torch.from_numpy(lat["color"]), mu[:, 2], atol=1e-5)
    assert trainer.state == "paused" and trainer.step == 20


def test_with_no_core_free_the_trainer_thread_encodes_within_its_budget_and_keeps_2_hz(monkeypatch):
    trainer = make_trainer(monkeypatch, cores=1)
    refresher = trainer._latent
    where, spent = [], []
    encode = refresher._encode

    def timed(*args, **kwargs):  # which thread encodes, and for how long
        started = time.perf_counter()
        encode(*args, **kwargs)
        where.append(threading.current_thread().name)
        spent.append(time.perf_counter() - started)

    monkeypatch.setattr(refresher, "_encode", timed)
    try:
        trainer.start()
        wait_for(lambda: trainer.step > 0, "training")
        step0, encodes0, began = trainer.step, len(where), time.perf_counter()
        seen = set()
        while time.perf_counter() < began + 3.0:  # the distinct frames of 3 seconds
            seen.add(trainer.latest_latent["step"])
            time.sleep(0.01)
        elapsed, steps, encodes = time.perf_counter() - began, trainer.step - step0, len(where) - encodes0
    finally:
        trainer.stop()
    assert set(where) == {"vaestudio-trainer"}
    assert not any(t.name == "vaestudio-latent" for t in threading.enumerate())
    assert steps > 100 and len(seen) >= 6, f"{len(seen)} frames in 3 s: slower than 2 Hz"
    # on the schedule, not after every step: at most one frame per LATENT_REFRESH_S, within budget
    assert encodes <= elapsed / LATENT_REFRESH_S + 1 and encodes < steps / 10
    # (the schedule plans from a smoothed cost per row, so an encode slower than the last ones
    # overshoots it a little: digits' frames here cost about the budget itself, 2.8 ms per 0.19 s)
    took = sum(spent[-encodes:])
    assert took <= 1.2 * BUDGET_SHARED * elapsed, f"encodes took {took:.3f} s of {elapsed:.1f} s"


def test_the_schedule_keeps_2_hz_by_encoding_rolling_chunks_when_a_whole_encode_does_not_fit():
    # digits: 1 797 rows at ~1 us a row fit the fastest rate whole, on a free core or not
    assert plan(1e-6, 1797, 0.05) == (LATENT_REFRESH_S, 1797)
    # shapes: 0.26 s for 10 000 rows; beside training on a free core (a tenth of it) whole
    # encodes every 2.6 s would miss 2 Hz, so frames come at 2 Hz with about a fifth of the rows each
    assert plan(0.26 / 10_000, 10_000, BUDGET_FREE) == (FLOOR_PERIOD_S, 1923)
    # with every core training, 1.5 % of wall time: 2 Hz frames, each re-encoding 288 rows
    period, rows = plan(0.26 / 10_000, 10_000, BUDGET_SHARED)
    assert (period, rows) == (FLOOR_PERIOD_S, 288)
    assert rows * 0.26 / 10_000 / period <= BUDGET_SHARED


def test_a_chunked_frame_reencodes_its_rows_and_reprojects_all_at_the_newest_step(trainer):
    """Rolling chunks: the frame carries the newest step, its chunk at the newest weights and the
    other rows as they were last encoded."""
    wait_for(lambda: trainer.latest_latent, "the first latent frame")
    trainer.stop()  # this test drives the refresher by hand
    refresher = LatentRefresher(trainer.x, trainer.labels, trainer.latent_indices)
    refresher._model = trainer.model.eval()
    view = LatentView(projection="dims", dims=(0, 1))
    old = trainer.snapshot
    refresher._encode(old, view, whole=True, fresh_view=True)
    before = refresher.latest["coords"].copy()
    with torch.no_grad():
        for p in trainer.model.parameters():
            p.add_(0.05)
    new = type(old)(old.version + 1, old.run, old.step + 7, old.spec,
                    {k: v.detach().clone() for k, v in trainer.model.state_dict().items()})
    refresher._chunk = 100
    refresher._encode(new, view, whole=False, fresh_view=False)
    frame = refresher.latest
    mu, _ = encode_subset(trainer)
    assert frame["step"] == old.step + 7 and frame["coords"].shape == before.shape
    assert torch.allclose(torch.from_numpy(frame["coords"][:100]), mu[:100, :2], atol=1e-5)
    assert (frame["coords"][100:] == before[100:]).all() and not (frame["coords"][:100] == before[:100]).all()


def test_metrics_records_are_all_in_the_file_in_order_after_save_pause_and_stop(tmp_path):
    store = RunStore(tmp_path / "runs")
    t = Trainer(load_dataset("digits"), ModelSpec(latent_dim=2), TrainConfig(batch_size=16), store=store)
    t.start_thread()
    path = store.folder(t.run) / "metrics.jsonl"

    def steps() -> list[int]:
        return [json.loads(line)["step"] for line in path.read_text().splitlines()]

    try:
        q: queue.Queue = queue.Queue()
        t.request_steps(300, q.put)
        q.get(timeout=60)
        t.call(t.save, q.put)
        q.get(timeout=60)
        assert steps() == list(range(1, 301))
        t.start()
        wait_for(lambda: t.step >= 320, "more steps")
        t.pause(q.put)
        paused = q.get(timeout=30)["step"]
        assert steps() == list(range(1, paused + 1))
        t.request_steps(5, q.put)
        q.get(timeout=30)
    finally:
        t.stop()
    assert steps() == list(range(1, paused + 6))


def test_headless_train_encodes_no_latent_frame_and_writes_every_step(tmp_path, monkeypatch):
    calls = []
    original = LatentRefresher._encode

    def counted(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(LatentRefresher, "_encode", counted)
    threads = torch.get_num_threads()
    try:
        assert cli.main(["--runs-dir", str(tmp_path), "train", "--steps", "250", "-q", "--threads", "1"]) == 0
    finally:
        torch.set_num_threads(threads)
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    lines = (folder / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == list(range(1, 251))
    assert calls == []


def test_threads_auto_leaves_a_core_to_the_server_and_numbers_are_checked():
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    served, headless = cli.resolve_threads("auto", serving=True), cli.resolve_threads("auto", serving=False)
    assert 1 <= served <= cores and served == max(1, cores - 1) and headless == cores
    assert cli.resolve_threads(3, serving=True) == 3
    parser = cli.build_parser()
    assert parser.parse_args(["serve"]).threads == "auto"
    assert parser.parse_args(["train", "--threads", "2"]).threads == 2
    for bad in ("0", "two", "-1"):
        with pytest.raises(SystemExit):
            parser.parse_args(["train", "--threads", bad])

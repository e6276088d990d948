"""The trainer thread on its own: controls, live config, NaN recovery, outputs."""

import queue
import time

import pytest
import torch

from vaestudio.errors import ConfigError
from vaestudio.train_config import TrainConfig
from vaestudio.datasets import load_dataset
from vaestudio.models import ModelSpec
from vaestudio import trainer_outputs as trainer_module
from vaestudio.trainer import Trainer


def load_digits():
    return load_dataset("digits")


@pytest.fixture
def trainer():
    t = Trainer(load_digits(), ModelSpec(latent_dim=2), TrainConfig(batch_size=64, seed=1))
    t.start_thread()
    yield t
    t.stop()


def wait_result(q: queue.Queue, timeout: float = 30.0):
    return q.get(timeout=timeout)


def test_steps_while_paused_run_exactly_n(trainer):
    q: queue.Queue = queue.Queue()
    trainer.request_steps(7, q.put)
    assert wait_result(q) == {"step": 7}
    trainer.request_steps(3, q.put)
    assert wait_result(q) == {"step": 10}
    time.sleep(0.2)
    assert trainer.step == 10 and trainer.state == "paused"


def test_start_then_pause_reports_where_it_stopped(trainer):
    trainer.start()
    deadline = time.time() + 20
    while trainer.step < 20 and time.time() < deadline:
        time.sleep(0.01)
    q: queue.Queue = queue.Queue()
    trainer.pause(q.put)
    result = wait_result(q)
    assert result["state"] == "paused"
    time.sleep(0.3)
    assert trainer.step == result["step"] >= 20


@pytest.mark.parametrize("share, interval", [(trainer_module.SNAPSHOT_SHARE, trainer_module.SNAPSHOT_INTERVAL_S),
                                             (1e-9, trainer_module.SNAPSHOT_MAX_INTERVAL_S)],
                         ids=["cheap copy", "costly copy"])
def test_weights_snapshots_come_less_often_where_a_copy_costs_more(monkeypatch, share, interval):
    """A copy of the weights that would take more than SNAPSHOT_SHARE of the time is made less often
    (a copy of a large model ten times a second would slow training), but twice a second at least."""
    monkeypatch.setattr(trainer_module, "SNAPSHOT_SHARE", share)
    t = Trainer(load_digits(), ModelSpec(latent_dim=2), TrainConfig(batch_size=64))
    t.start_thread()
    try:
        t.start()
        time.sleep(0.3)
        first = t.snapshot.version
        time.sleep(2.0)
        made = t.snapshot.version - first
    finally:
        t.stop()
    assert t._snapshot_interval == interval
    assert 2.0 / interval * 0.5 <= made <= 2.0 / interval + 2, made


def test_reset_gives_new_weights_and_run_and_step_zero(trainer):
    q: queue.Queue = queue.Queue()
    trainer.request_steps(5, q.put)
    wait_result(q)
    old_run, old_w = trainer.run, trainer.snapshot.state["to_mu.weight"].clone()
    trainer.reset(seed=42, done=q.put)
    result = wait_result(q)
    assert result["step"] == 0 and result["run"] != old_run and trainer.run == result["run"]
    assert not torch.equal(old_w, trainer.snapshot.state["to_mu.weight"])


def test_same_seed_reproduces_the_same_trajectory():
    runs = []
    for _ in range(2):
        t = Trainer(load_digits(), ModelSpec(latent_dim=2), TrainConfig(batch_size=32, seed=5))
        t.start_thread()
        q: queue.Queue = queue.Queue()
        t.request_steps(15, q.put)
        wait_result(q)
        runs.append((t.latest_metrics["loss"], t.snapshot.state["to_mu.weight"].clone()))
        t.stop()
    assert runs[0][0] == runs[1][0] and torch.equal(runs[0][1], runs[1][1])


def test_live_config_reaches_the_next_step(trainer):
    trainer.update_config(lr=0.01, beta=3.0, batch_size=16)
    q: queue.Queue = queue.Queue()
    trainer.request_steps(1, q.put)
    wait_result(q)
    m = trainer.latest_metrics
    assert (m["lr"], m["beta"], m["batch_size"]) == (0.01, 3.0, 16)
    assert trainer.optimizer.param_groups[0]["lr"] == 0.01
    assert abs(m["loss"] - (m["recon"] + 3.0 * m["kl"])) < 1e-3


def test_invalid_config_is_refused_and_leaves_config_alone():
    with pytest.raises(ConfigError, match="lr must be a number from"):
        TrainConfig(lr=-1).validate()
    with pytest.raises(ConfigError, match="unknown training key"):
        TrainConfig.from_dict({"lr": 0.1, "nesterov": True})


def test_nan_loss_is_skipped_weights_restored_and_lr_lowered(trainer):
    q: queue.Queue = queue.Queue()
    trainer.request_steps(5, q.put)
    wait_result(q)
    time.sleep(0.15)  # let a last-good copy be taken
    lr_before = trainer.config.lr
    # poison the weights as a diverging step would: the next loss is NaN
    with torch.no_grad():
        trainer.model.to_mu.weight.fill_(float("nan"))
    trainer.request_steps(3, q.put)
    assert wait_result(q)["step"] == 8  # the NaN step was not counted; 3 real steps ran
    assert trainer.nan_recoveries == 1
    assert trainer.config.lr == pytest.approx(lr_before / 2)
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())
    events = []
    while not trainer.events.empty():
        events.append(trainer.events.get())
    assert any(t == "log" and f["event"] == "nan_recovered" and step == 5 for t, _, step, f in events)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_weight_that_is_not_finite_never_becomes_the_last_good_copy(trainer, bad):
    """The copy the NaN recovery restores is taken only of finite weights; a refresh over a bad
    weight keeps the older copy."""
    q: queue.Queue = queue.Queue()
    trainer.request_steps(3, q.put)
    wait_result(q)
    good = {k: v.clone() for k, v in trainer._last_good[0].items()}
    with torch.no_grad():
        trainer.model.to_mu.weight[0, 0] = bad
    assert not trainer._weights_finite()
    trainer._refresh_outputs(views=False)  # the trainer is paused: nothing else touches its copies
    assert all(torch.equal(good[k], v) for k, v in trainer._last_good[0].items())
    with torch.no_grad():
        trainer.model.to_mu.weight[0, 0] = 0.0
    assert trainer._weights_finite()
    trainer._refresh_outputs(views=False)
    assert trainer._last_good[0]["to_mu.weight"][0, 0] == 0.0


def test_latent_output_covers_the_data_with_labels(trainer):
    deadline = time.time() + 30  # the first encode runs on the latent thread, just after the start
    while trainer.latest_latent is None and time.time() < deadline:
        time.sleep(0.01)
    lat = trainer.latest_latent
    assert lat["coords"].shape == (1797, 2) and lat["indices"].shape == (1797,)
    assert sorted(set(lat["labels"].tolist())) == list(range(10))

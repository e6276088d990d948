"""The dashboard's streams (dims, recons, layers, eval), the training watch and eval_every
(protocol/README.md §6, §6.2): each checked against what the model itself says at the same step."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import torch

from support.schema import check_stream
from vaestudio.client import RemoteError, from_wire, to_wire
from vaestudio.evaluate import ACTIVE_UNIT_THRESHOLD
from vaestudio.watch import CLEAR_AFTER, Observation, Watch


def decoded(body: dict) -> dict:
    return {k: from_wire(v) if isinstance(v, dict) and "dtype" in v else v for k, v in body.items()}


def message_at(client, topic: str, step: int, timeout: float = 15.0) -> dict:
    """The first `topic` message stamped with `step` (arrays decoded); it is schema-checked."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        _, body = client.next_stream(topic=topic, timeout=timeout)
        assert not check_stream(topic, body), check_stream(topic, body)
        if body["step"] == step:
            return decoded(body)
    raise AssertionError(f"no {topic} message at step {step}")


def log_events(client, seconds: float) -> list[dict]:
    """Every `log` message that arrives within `seconds`."""
    found, deadline = [], time.time() + seconds
    while (left := deadline - time.time()) > 0:
        try:
            found.append(client.next_stream(topic="log", timeout=left)[1])
        except TimeoutError:
            break
    return found


def test_dims_stream_while_training_and_its_kl_is_the_kl_of_its_batch(make_server):
    b = make_server(paused=False, latent_dim=4)
    trainer = b.server.trainer
    with b.client() as c:
        c.subscribe("dims")
        c.next_stream(topic="dims", timeout=10)
        steps, t0 = set(), time.time()
        while time.time() - t0 < 4.0:
            steps.add(c.next_stream(topic="dims", timeout=5)[1]["step"])
        assert len(steps) >= 3, f"{len(steps)} distinct dims steps in 4 s of training"  # >= 1 Hz, a second's slack
        step = c.call("train.pause", timeout=30)["step"]
        dims = message_at(c, "dims", step)
        rows = trainer.dims_indices.numpy()
        assert dims["rows"] == len(rows) == 256 and np.isin(rows, trainer.dataset.train_idx.numpy()).all()
        assert dims["kl_per_dim"].shape == (4,) and np.isclose(dims["kl_per_dim"].sum(), dims["kl"], rtol=1e-6)
        # the same rows encoded through the encode op at the paused weights: closed-form KL per dim
        mu, logvar = c.encode(rows)
        kl = -0.5 * (1 + logvar - mu**2 - np.exp(logvar))  # (256, 4)
        assert np.allclose(kl.mean(0), dims["kl_per_dim"], rtol=1e-4, atol=1e-5)
        assert np.isclose(kl.mean(0).sum(), dims["kl"], rtol=1e-4)
        assert dims["active_units"] == int((mu.var(axis=0, ddof=1) > ACTIVE_UNIT_THRESHOLD).sum())
        # a new run gets a dims message of its own at once
        run = c.call("train.reset", timeout=30)["run"]
        assert message_at(c, "dims", 0)["run"] == run


def test_recons_are_fixed_test_rows_and_their_decodes_at_the_posterior_mean(make_server):
    b = make_server(paused=True, latent_dim=2)
    test_rows = b.server.trainer.dataset.test_idx.numpy()
    with b.client() as c:
        c.subscribe("recons")
        first = message_at(c, "recons", c.call("train.step", n=40, timeout=60)["step"])
        msg = message_at(c, "recons", c.call("train.step", n=5, timeout=60)["step"])
        idx = msg["indices"]
        assert 1 <= len(idx) <= 16 and np.isin(idx, test_rows).all() and np.array_equal(idx, first["indices"])
        assert msg["originals"].shape == msg["recons"].shape == (len(idx), 8, 8)
        assert msg["originals"].dtype == msg["recons"].dtype == np.uint8
        assert np.array_equal(msg["originals"], from_wire(c.call("data.get", indices=to_wire(idx, "i32"))["images"]))
        mu, _ = c.encode(idx)
        expected = c.decode(mu).astype(int)
        assert np.abs(msg["recons"].astype(int) - expected).max() <= 1  # float rounding at .5 only
        assert not np.array_equal(msg["recons"], first["recons"])  # five steps later the weights moved


def own_parameter_layers(model: torch.nn.Module) -> list[tuple[str, list[torch.Tensor]]]:
    return [(name or "model", list(m.parameters(recurse=False))) for name, m in model.named_modules()
            if list(m.parameters(recurse=False))]


def test_layers_norms_are_the_paused_models_weight_and_gradient_norms(make_server):
    b = make_server(paused=True, latent_dim=3)
    model = b.server.trainer.model
    with b.client() as c:
        c.subscribe("layers")
        msg = message_at(c, "layers", c.call("train.step", n=7, timeout=60)["step"])
        layers = own_parameter_layers(model)
        assert msg["names"] == [name for name, _ in layers] and "to_mu" in msg["names"]
        weights = [torch.sqrt(sum(p.detach().double().pow(2).sum() for p in ps)).item() for _, ps in layers]
        grads = [torch.sqrt(sum(p.grad.double().pow(2).sum() for p in ps)).item() for _, ps in layers]
        assert np.allclose(msg["weight_norm"], weights, rtol=1e-5)
        assert np.allclose(msg["grad_norm"], grads, rtol=1e-5)  # no clipping: the grads as backward left them
        assert np.isclose(msg["grad_norm_total"], np.sqrt(np.sum(np.square(grads))), rtol=1e-5)


def test_layers_gradient_norms_are_taken_before_clipping(make_server):
    b = make_server(paused=True, latent_dim=2, grad_clip=1e-3)
    with b.client() as c, b.client() as m:
        c.subscribe("layers")
        m.subscribe("metrics")
        step = c.call("train.step", n=3, timeout=60)["step"]
        layers = message_at(c, "layers", step)
        metrics = message_at(m, "metrics", step)
        # clip_grad_norm_ reports the norm it found before scaling the gradients down to 1e-3
        assert layers["grad_norm_total"] > 1e-2 and np.isclose(layers["grad_norm_total"], metrics["grad_norm"], rtol=1e-4)


def test_watch_posts_collapse_once_when_no_unit_stays_active(make_server):
    b = make_server(paused=True, latent_dim=2, beta=1000.0)
    with b.client() as c, b.client() as logs:
        c.subscribe("dims")
        logs.subscribe("log")
        c.call("train.step", n=600, timeout=120)
        for _ in range(2 * CLEAR_AFTER):  # each train.step ends with a layers snapshot the watch checks
            step = c.call("train.step", n=1, timeout=60)["step"]
        assert message_at(c, "dims", step)["active_units"] == 0
        events = [m for m in log_events(logs, 2.0) if m["event"] == "collapse"]
        assert len(events) == 1, events
        assert events[0]["level"] == "warning" and "free bits" in events[0]["message"]
        assert not check_stream("log", events[0])


def test_watch_posts_divergence_once_on_an_exploding_learning_rate(make_server):
    b = make_server(paused=True, latent_dim=2, lr=10.0)
    with b.client() as c:
        c.subscribe("log")
        c.call("train.step", n=200, timeout=120)
        for _ in range(2 * CLEAR_AFTER):
            c.call("train.step", n=1, timeout=60)
        events = [m for m in log_events(c, 2.0) if m["event"] == "divergence"]
        assert len(events) == 1, events
        assert events[0]["level"] == "warning" and "lower lr" in events[0]["message"]


def test_watch_logic_vanishing_gradients_and_clearing():
    """The watch on its own: each warning once while its condition holds, again after it cleared."""
    watch = Watch()

    def seen(step: int, grad: float, objective: float = 30.0, active: int | None = 2) -> list[str]:
        return [event for event, _ in watch.observe(Observation(step, objective, grad, active))]

    assert seen(100, 1e-9) == [] and seen(120, 0.0) == []  # below 1e-7 for 20 steps only
    assert seen(150, 1e-9) == ["vanishing_gradients"]
    assert seen(200, 1e-9) == []  # still vanishing: not posted again
    assert [seen(200 + i, 1.0) for i in range(CLEAR_AFTER)] == [[]] * CLEAR_AFTER  # cleared
    assert seen(300, 0.0) == [] and seen(360, 0.0) == ["vanishing_gradients"]
    assert seen(400, 1.0, objective=301.0) == ["divergence"]  # over 10x the lowest loss, 30
    assert seen(401, float("nan")) == [] and seen(600, 1.0, active=0) == ["collapse"]
    assert seen(10, 1.0, active=0) == []  # (the step count says: warm-up, no collapse yet)


def test_eval_every_publishes_eval_and_adds_test_terms_to_the_metrics_records(make_server):
    b = make_server(paused=True, latent_dim=2)
    with b.client() as c:
        c.subscribe("eval")
        assert c.call("config.set", eval_every=50)["config"]["eval_every"] == 50
        step = c.call("train.step", n=100, timeout=120)["step"]
        ev = message_at(c, "eval", step)
        assert ev["split"] == "test" and ev["n"] == len(b.server.trainer.dataset.test_idx)
        assert np.isclose(ev["elbo"], -(ev["recon"] + ev["kl"]))
        run = c.call("run.save", timeout=60)["run"]
        path = b.server.session.store.folder(run) / "metrics.jsonl"
        records = {r["step"]: r for r in map(json.loads, path.read_text().splitlines())}
        with_test = sorted(s for s, r in records.items() if "test_loss" in r)
        assert with_test == [50, 100], with_test
        assert np.isclose(records[100]["test_loss"], -ev["elbo"]) and np.isclose(records[100]["test_kl"], ev["kl"])
        assert np.isclose(records[100]["test_recon"], ev["recon"])
        assert c.call("config.set", eval_every=0)["config"]["eval_every"] == 0


@pytest.mark.parametrize("bad", [-1, 10**9 + 1, 2.5, "10", True, None])
def test_eval_every_refuses_what_is_not_a_step_count(client, bad):
    with pytest.raises(RemoteError) as err:
        client.call("config.set", eval_every=bad)
    assert err.value.code == "invalid_argument" and "eval_every" in str(err.value)
    assert client.call("status")["config"]["eval_every"] == 0

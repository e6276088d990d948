"""The PUB streams: every topic with its schema fields, and rate limiting."""

import re
import time
from types import SimpleNamespace

import msgpack
import numpy as np
import pytest
import torch
import zmq

from support.schema import check_stream
from vaestudio.client import RemoteError, from_wire
from vaestudio.projection import LatentView, Projector
from vaestudio.streams import IDLE_TICK_S, METRICS_INTERVAL_S, StreamPublisher


def test_streams_carry_every_topic_with_schema_fields(make_server):
    b = make_server(paused=False)
    with b.client() as c:
        c.subscribe()
        seen: dict[str, dict] = {}
        deadline = time.time() + 15
        while not {"metrics", "latent", "status"} <= set(seen) and time.time() < deadline:
            topic, body = c.next_stream(timeout=5)
            seen[topic] = body
        assert {"metrics", "latent", "status"} <= set(seen)
        for topic, body in seen.items():
            assert not check_stream(topic, body), check_stream(topic, body)
        lat = seen["latent"]
        assert lat["coords"]["shape"] == [1797, 2] and lat["labels"]["shape"] == [1797]
        c.call("train.reset")
        deadline = time.time() + 10
        while time.time() < deadline:
            topic, body = c.next_stream(timeout=5)
            if topic == "log" and body["event"] == "reset":
                break
        else:
            pytest.fail("no log message for the reset")


def test_metrics_stream_is_rate_limited(make_server):
    b = make_server(paused=False)
    with b.client() as c:
        c.subscribe("metrics")
        c.next_stream(timeout=5)
        t0, n = time.time(), 0
        while time.time() - t0 < 1.0:
            c.next_stream(timeout=5)
            n += 1
        assert 6 <= n <= 13  # 10 Hz nominal (a loop waking at the wrong time would halve it)


# ----- the latent projection (protocol/README.md §6.1) ------------------------------------------------

def latent_message(client, timeout: float = 10.0, after_step: int = -1) -> dict:
    """The next `latent` message (arrays decoded) whose step is past `after_step`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        _, body = client.next_stream(topic="latent", timeout=timeout)
        if body["step"] > after_step:
            return {k: from_wire(v) if isinstance(v, dict) and "dtype" in v else v for k, v in body.items()}
    raise AssertionError("no new latent message")


def test_a_wide_latent_space_is_streamed_on_three_aligned_principal_axes(make_server):
    b = make_server(paused=True, latent_dim=8)
    with b.client() as c:
        c.subscribe("latent")
        step = c.call("train.step", n=200, timeout=60)["step"]
        first = latent_message(c, after_step=step - 1)
        assert first["projection"] == "pca" and sorted(first["axes"]) == ["PC1", "PC2", "PC3"]
        assert first["coords"].shape == (1797, 3) and first["basis"].shape == (3, 8)
        assert np.allclose(first["basis"] @ first["basis"].T, np.eye(3), atol=1e-4)  # orthonormal axes
        assert 0 < first["explained"].sum() <= 1.0001 and first["kl_per_dim"].shape == (8,)
        # coords are the rows' posterior means on the axes; z = a + basisᵀ (p − basis a) maps back
        mu, _ = c.encode(first["indices"][:50])
        assert np.allclose(mu @ first["basis"].T, first["coords"][:50], atol=1e-4)
        anchor = first["center"]
        p = first["coords"][7]
        z = anchor + first["basis"].T @ (p - first["basis"] @ anchor)
        assert np.allclose(first["basis"] @ z, p, atol=1e-4)  # the mapped z projects back onto p
        # training moves the points; the axes follow instead of flipping or swapping
        step = c.call("train.step", n=20, timeout=60)["step"]
        second = latent_message(c, after_step=step - 1)
        assert second["axes"] == first["axes"]
        overlap = np.sum(second["basis"] * first["basis"], axis=1)
        # the two leading axes barely move; the third may turn when PC3 and PC4 carry almost the same
        # variance (early in training), but it never flips
        leading = np.argsort(first["explained"])[-2:]
        assert (overlap[leading] > 0.9).all() and (overlap >= 0).all(), (first["axes"], overlap)


def test_the_latent_message_stays_small_at_256_dimensions_and_10000_points(make_server):
    b = make_server(paused=False, latent_dim=256, dataset="moons", data_options={"n": 10000})
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"latent")
    sub.connect(b.stream)
    try:
        sizes, started = [], time.time()
        while time.time() - started < 4 and sub.poll(5000):
            topic, body = sub.recv_multipart()
            sizes.append(len(body))
        msg = msgpack.unpackb(body)
        assert msg["coords"]["shape"] == [10000, 3] and msg["basis"]["shape"] == [3, 256]
        assert max(sizes) <= 256 * 1024, max(sizes)
        assert len(sizes) >= 2 * 3, f"{len(sizes)} latent messages in 4 s"  # >= 2 Hz, with a second's slack
    finally:
        sub.close(0)


def test_latent_view_chooses_dimensions_and_colours(make_server):
    b = make_server(paused=True, latent_dim=8)
    with b.client() as c:
        c.subscribe("latent")
        c.call("train.step", n=50, timeout=60)
        assert c.call("latent.view", dims=[5, 2], color="loss") == {"view": {"projection": "dims", "dims": [5, 2], "color": "loss"}}
        msg = latent_message(c)
        while msg["color_by"] != "loss":
            msg = latent_message(c)
        mu, _ = c.encode(msg["indices"][:20])
        assert msg["axes"] == ["z5", "z2"] and np.allclose(msg["coords"][:20], mu[:, [5, 2]], atol=1e-5)
        assert msg["color"].shape == (1797,) and (msg["color"] > 0).all()  # a negative ELBO is positive
        assert c.call("status")["latent_view"]["color"] == "loss"
        c.call("latent.view", color="z3")
        msg = latent_message(c)
        while msg["color_by"] != "z3":
            msg = latent_message(c)
        assert np.allclose(msg["color"][:20], mu[:, 3], atol=1e-5) and msg["axes"] == ["z5", "z2"]
        assert c.call("latent.view", projection="pca")["view"]["projection"] == "pca"
        for args, words in [({"projection": "tsne"}, "'projection' must be one of pca, dims"),
                            ({"dims": [8]}, "'dims' must be dimensions from 0 to 7"),
                            ({"dims": [1, 1]}, "distinct"), ({"color": "z9"}, "'color' must be 'label', 'loss'"),
                            ({"colour": "loss"}, "unknown argument(s) ['colour']")]:
            with pytest.raises(RemoteError, match=re.escape(words)):
                c.call("latent.view", **args)


def test_the_pca_basis_is_aligned_when_components_swap_rank():
    """Two dimensions whose variances cross: PCA would swap its first two axes; the projector keeps
    each axis where it was and renames it, and flips no sign."""
    gen = torch.Generator().manual_seed(0)
    base = torch.randn(2000, 5, generator=gen)
    projector = Projector()
    view = LatentView()
    logvar = torch.zeros(2000, 5)
    first = projector.project(base * torch.tensor([3.0, 2.0, 1.0, 0.5, 0.1]), logvar, view)
    second = projector.project(-0.0 + base * torch.tensor([2.0, 3.0, 1.0, 0.5, 0.1]), logvar, view)
    assert first["axes"] == ["PC1", "PC2", "PC3"] and second["axes"] == ["PC2", "PC1", "PC3"]
    assert (torch.sum(first["basis"] * second["basis"], dim=1) > 0.99).all()
    fresh = Projector().project(base * torch.tensor([2.0, 3.0, 1.0, 0.5, 0.1]), logvar, view)
    assert fresh["axes"] == ["PC1", "PC2", "PC3"]  # without history, plain rank order


def test_choosing_the_view_again_puts_the_principal_axes_back_in_rank_order(make_server):
    b = make_server(paused=True, latent_dim=8)
    with b.client() as c:
        c.subscribe("latent")
        c.call("train.step", n=30, timeout=60)
        # the default at 8 dimensions is already pca: go through "dims" first, so the message awaited
        # below cannot be one published before the view was chosen again
        c.call("latent.view", projection="dims")
        msg = latent_message(c)
        while msg["projection"] != "dims":
            msg = latent_message(c)
        c.call("latent.view", projection="pca")
        msg = latent_message(c)
        while msg["projection"] != "pca":
            msg = latent_message(c)
        assert msg["axes"] == ["PC1", "PC2", "PC3"]
        assert msg["explained"][0] >= msg["explained"][1] >= msg["explained"][2]


def test_while_steps_run_the_loop_wakes_only_when_the_next_metrics_message_is_due():
    """Each wake of the server loop takes the interpreter from the training thread: while steps run
    it sleeps until metrics are next due (10 Hz), and only while none runs at the idle tick."""
    ctx = zmq.Context.instance()
    pub = ctx.socket(zmq.PUB)
    pub.bind("inproc://tick-test")
    try:
        streams = StreamPublisher(pub, lambda: {"run": "r", "step": 0, "state": "paused"})
        trainer = SimpleNamespace(latest_metrics=None, latest_latent=None, latest_dims=None, latest_recons=None,
                                  latest_layers=None, latest_eval=None)
        assert streams.tick(trainer) == IDLE_TICK_S  # nothing trained yet
        trainer.latest_metrics = {"run": "r", "step": 1, "loss": 1.0}
        wait = streams.tick(trainer)  # publishes step 1
        assert METRICS_INTERVAL_S * 0.8 < wait <= METRICS_INTERVAL_S
        trainer.latest_metrics = {"run": "r", "step": 2, "loss": 1.0}
        time.sleep(METRICS_INTERVAL_S * 0.4)
        wait = streams.tick(trainer)  # too soon for step 2: sleep until it is due, not a fixed tick
        assert 0 < wait <= METRICS_INTERVAL_S * 0.6
        time.sleep(wait)
        assert METRICS_INTERVAL_S * 0.8 < streams.tick(trainer) <= METRICS_INTERVAL_S  # step 2 went out
        time.sleep(METRICS_INTERVAL_S)
        assert streams.tick(trainer) == IDLE_TICK_S  # no step since: paused
    finally:
        pub.close(0)


def test_a_reply_made_on_the_trainer_thread_wakes_the_sleeping_loop(make_server):
    """The loop may sleep until its next stream message is due; a reply another thread makes (here
    the end of a `train.step`) rings its bell and goes out at once, not at the next tick."""
    b = make_server()
    b.server.streams.tick = lambda trainer, force_status=False: 30.0  # a loop that would sleep 30 s
    with b.client(timeout=10) as c:
        c.call("status")  # the loop has taken its new, long timeout
        assert c.call("train.step", n=3, timeout=10)["step"] == 3  # a TimeoutError after 10 s without the bell


def test_after_the_bell_rang_the_paused_loop_goes_back_to_its_idle_tick(make_server):
    """A rung bell is drained: a loop that left it readable would spin on a core beside training."""
    b = make_server()
    with b.client(timeout=10) as c:
        assert c.call("train.step", n=2)["step"] == 2  # its reply rang the bell
        c.call("status")
        server, ticks = b.server, []
        housekeeping = server._housekeeping
        server._housekeeping = lambda: ticks.append(1) or housekeeping()
        time.sleep(1.0)
        assert len(ticks) <= 2 / IDLE_TICK_S, f"{len(ticks)} loop turns in a second while paused"

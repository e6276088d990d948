"""`decode` and `sample` answered together (vaestudio.decode_batch): each request gets exactly the
bytes it would get alone, its own error when it is bad, and exactly one reply however many come at
once; inference runs within its share of the time while training."""

from __future__ import annotations

import numpy as np
import pytest
import zmq

from vaestudio import wire
from vaestudio.datasets import load_dataset
from vaestudio.decode_batch import DecodeBatcher, InferenceBudget
from vaestudio.models import ModelSpec
from vaestudio.ops_inference import decode, sample
from vaestudio.runs import RunStore
from vaestudio.session import Session
from vaestudio.train_config import TrainConfig
from vaestudio.trainer import Trainer


def live_session(tmp_path, dataset: str, spec: ModelSpec, **options) -> Session:
    """A session on a freshly built run (its weights as initialised: the bytes only have to agree)."""
    store = RunStore(tmp_path / "runs")
    return Session(Trainer(load_dataset(dataset, **options), spec, TrainConfig(), store=store), store)


def answered_together(session: Session, requests: list[tuple[str, dict]]) -> dict[int, dict | Exception]:
    """Every request queued, then one flush: request id (its index) -> its result or error."""
    batcher, out = DecodeBatcher(), {}
    for rid, (op, args) in enumerate(requests):
        batcher.add([b"peer"], rid, op, args)

    def send(envelope: list[bytes], rid: int, result: dict | Exception) -> None:
        assert envelope == [b"peer"] and rid not in out, "one reply per request, to its own peer"
        out[rid] = result

    batcher.flush(session, send)
    assert sorted(out) == list(range(len(requests)))
    return out


def answered_alone(session: Session, op: str, args: dict) -> dict:
    return {"decode": decode, "sample": sample}[op](session, args)


def z_arg(rng: np.random.Generator, n: int, dim: int) -> dict:
    return wire.array(rng.uniform(-3, 3, (n, dim)).astype(np.float32), "f32")


CASES = [
    pytest.param("digits", ModelSpec(latent_dim=2), {}, id="digits-mlp"),
    pytest.param("digits", ModelSpec(latent_dim=3, arch="conv"), {}, id="digits-conv"),
    pytest.param("shapes", ModelSpec(latent_dim=4), {"n": 300}, id="shapes-64x64"),
    pytest.param("moons", ModelSpec(latent_dim=2), {}, id="moons-values"),
]


@pytest.mark.parametrize("dataset, spec, options", CASES)
def test_requests_answered_together_get_the_bytes_each_gets_alone(tmp_path, dataset, spec, options):
    session = live_session(tmp_path, dataset, spec, **options)
    dim = session.trainer.spec.latent_dim
    rng = np.random.default_rng(0)
    requests = [("decode", {"z": z_arg(rng, n, dim)}) for n in (1, 1, 3, 8, 1, 9, 40, 2, 1, 5, 1, 1)]
    requests += [("sample", {"n": 2, "seed": 7}), ("sample", {"n": 1, "seed": 8, "temperature": 0.5})]
    together = answered_together(session, requests)
    assert session.inference.coalescable, "rows of different requests shared passes"
    key = "images" if session.trainer.dataset.image_shape else "values"
    for rid, (op, args) in enumerate(requests):
        alone = answered_alone(session, op, args)
        assert together[rid][key] == alone[key], f"request {rid} ({op}) differs when answered with others"
        assert together[rid].get("z") == alone.get("z")


def test_a_bad_request_gets_its_own_error_and_the_others_their_decodes(tmp_path):
    session = live_session(tmp_path, "digits", ModelSpec(latent_dim=2))
    rng = np.random.default_rng(1)
    good = [("decode", {"z": z_arg(rng, 1, 2)}), ("decode", {"z": z_arg(rng, 3, 2)}), ("sample", {"n": 2, "seed": 1})]
    bad = [("decode", {"z": z_arg(rng, 1, 5)}),  # wrong width
           ("decode", {"z": wire.array(np.array([[np.nan, 0]], np.float32), "f32")}),
           ("decode", {"z": z_arg(rng, 1, 2), "labels": wire.array(np.array([1]), "i32")}),  # not conditional
           ("decode", {}),
           ("sample", {"n": 5000})]
    requests = [good[0], bad[0], good[1], bad[1], bad[2], bad[3], good[2], bad[4]]
    out = answered_together(session, requests)
    for rid, (op, args) in enumerate(requests):
        if (op, args) in good:
            assert out[rid]["images"] == answered_alone(session, op, args)["images"]
        else:
            assert isinstance(out[rid], Exception) and getattr(out[rid], "code", None) in ("invalid_argument", "too_large")
    messages = [str(out[rid]) for rid in (1, 3, 4, 5, 7)]
    for words, message in zip(("shape [n, 2]", "finite", "only for conditional", "'z' is required", "at most 4096"), messages):
        assert words in message, message


def test_each_request_of_a_conditional_model_keeps_its_own_labels(tmp_path):
    session = live_session(tmp_path, "digits", ModelSpec(name="cvae", latent_dim=2))
    z = wire.array(np.full((2, 2), 0.5, np.float32), "f32")
    labels = [None, [0, 0], [3, 3], [9, 1], [1, 9], [5, 5]]
    requests = [("decode", {"z": z, **({} if lab is None else {"labels": wire.array(np.array(lab), "i32")})})
                for lab in labels]
    out = answered_together(session, requests)
    images = [wire.from_array(out[rid]["images"], "images") for rid in range(len(requests))]
    for rid, (op, args) in enumerate(requests):
        assert out[rid]["images"] == answered_alone(session, op, args)["images"]
    assert np.array_equal(images[0], images[1]), "no labels decodes as label 0"
    assert not np.array_equal(images[1][0], images[2][0]), "the label changes the image"
    assert np.array_equal(images[3][0], images[4][1]) and np.array_equal(images[3][1], images[4][0])


def test_every_one_of_many_concurrent_decodes_is_answered_once_while_training(make_server):
    backend = make_server(paused=False)
    ctx = zmq.Context.instance()
    sockets = [ctx.socket(zmq.DEALER) for _ in range(8)]
    rng = np.random.default_rng(2)
    sent: dict[int, bytes] = {}
    try:
        for i, s in enumerate(sockets):
            s.setsockopt(zmq.LINGER, 0)
            s.connect(backend.control)
            for j in range(25):  # 200 requests in flight at once
                rid = i * 1000 + j
                z = rng.uniform(-3, 3, (1 + j % 3, 2)).astype(np.float32)
                args = {"z": wire.array(z, "f32")} if j != 7 else {"z": wire.array(z[:, :1], "f32")}  # one bad per client
                s.send(wire.pack({"v": 1, "id": rid, "op": "decode", "args": args}))
                sent[rid] = z.tobytes()
        replies: dict[int, dict] = {}
        poller = zmq.Poller()
        for s in sockets:
            poller.register(s, zmq.POLLIN)
        while len(replies) < len(sent):
            events = poller.poll(20_000)
            assert events, f"{len(sent) - len(replies)} requests never answered"
            for s, _ in events:
                reply = wire.unpack(s.recv())
                assert reply["id"] in sent and reply["id"] not in replies, "a reply to each request, once"
                replies[reply["id"]] = reply
        assert not poller.poll(300), "no reply beyond one per request"
        for rid, reply in replies.items():
            assert reply["ok"] == (rid % 1000 != 7), reply
            if reply["ok"]:
                assert reply["result"]["images"]["shape"] == [1 + rid % 1000 % 3, 8, 8]
        with backend.client() as c:
            assert c.call("status")["state"] == "training"
    finally:
        for s in sockets:
            s.close(0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_budget_holds_inference_to_its_share_of_the_time():
    clock = FakeClock()
    budget = InferenceBudget(share=0.2, burst_s=0.05, max_wait_s=0.02, clock=clock)
    assert budget.wait_s() == 0.0, "a quiet server answers at once"
    budget.spend(0.04)  # within the burst
    assert budget.wait_s() == 0.0
    budget.spend(0.012)  # 2 ms past the burst: 10 ms at a share of 0.2
    assert budget.wait_s() == pytest.approx(0.010)
    clock.now += 0.010
    assert budget.wait_s() == pytest.approx(0.0)
    budget.spend(1.0)  # one huge flush: the next still waits no more than max_wait_s
    assert budget.wait_s() == pytest.approx(0.02)
    clock.now += 10.0  # a quiet spell refills no more than the burst
    budget.spend(0.05)
    assert budget.wait_s() == 0.0
    budget.spend(0.001)
    assert budget.wait_s() == pytest.approx(0.005)

"""Malformed and random requests: every one answered, the server alive, training unharmed."""

import random
import time

import msgpack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vaestudio.ops import OPS

# Ops that stop or replace the live run are left out: a flipped byte that turns a request into a
# valid `train.pause` (say, by renaming its `args` key) is obeyed, and the tests check training goes on.
STOPPING_OPS = {"train.pause", "train.reset", "run.new", "run.load"}
OP_NAMES = sorted(set(OPS) - STOPPING_OPS) + ["", "fly", "decode ", "STATUS"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20), st.binary(max_size=64),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)
arrays = st.fixed_dictionaries({
    "dtype": st.sampled_from(["f32", "u8", "i32", "f64", ""]),
    "shape": st.lists(st.integers(min_value=-2, max_value=6000), max_size=3),
    "data": st.binary(max_size=64),
})
args = st.dictionaries(st.sampled_from(["n", "z", "seed", "lr", "beta", "batch_size", "indices", "client", "protocol", "x"]),
                       st.one_of(values, arrays), max_size=4)
requests = st.fixed_dictionaries({
    "v": st.one_of(st.just(1), values), "id": st.one_of(st.integers(min_value=0, max_value=2**31), values),
    "op": st.one_of(st.sampled_from(OP_NAMES), values), "args": st.one_of(args, values),
})


def ask(dealer, body: bytes) -> dict:
    dealer.send(body)
    assert dealer.poll(10000), f"no reply to {body[:60]!r}"
    return msgpack.unpackb(dealer.recv(), raw=False, strict_map_key=False)


def test_1200_random_byte_strings_each_get_one_error_reply(make_server):
    b = make_server(paused=False)
    rng = random.Random(1234)
    with b.client() as c:
        step0 = c.call("status")["step"]
        for i in range(1200):
            kind = i % 3
            if kind == 0:
                body = rng.randbytes(rng.randint(0, 80))
            elif kind == 1:  # a valid request with bytes flipped
                good = bytearray(msgpack.packb({"v": 1, "id": i, "op": rng.choice(OP_NAMES), "args": {"n": rng.randint(-5, 9)}}))
                for _ in range(rng.randint(1, 3)):
                    good[rng.randrange(len(good))] = rng.randrange(256)
                body = bytes(good)
            else:  # truncated
                good = msgpack.packb({"v": 1, "id": i, "op": "decode", "args": {"z": {"dtype": "f32", "shape": [1, 2], "data": b"\0" * 8}}})
                body = good[: rng.randint(0, len(good) - 1)]
            reply = ask(c.dealer, body)
            assert reply["v"] == 1 and isinstance(reply["ok"], bool)
            if not reply["ok"]:
                assert reply["error"]["code"] in ("bad_request", "unknown_op", "invalid_argument", "too_large", "cancelled")
        assert not c.dealer.poll(200), "a request was answered more than once"
        time.sleep(0.3)
        status = c.call("status")
        assert status["state"] == "training" and status["step"] > step0 and status["nan_recoveries"] == 0


def test_hypothesis_structured_requests(make_server):
    b = make_server(paused=True)
    c = b.client()

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
    @given(requests)
    def check(req):
        try:
            body = msgpack.packb(req, use_bin_type=True)
        except (OverflowError, ValueError):
            return
        reply = ask(c.dealer, body)
        assert reply["v"] == 1 and isinstance(reply["ok"], bool)
        if not reply["ok"]:
            assert reply["error"]["code"] in ("bad_request", "unknown_op", "invalid_argument", "too_large", "cancelled"), reply
            assert reply["error"]["message"]

    check()
    # the session is intact: still answering, weights finite, stepping works
    c.call("train.pause")
    before = c.call("status")["step"]
    assert c.call("train.step", n=3)["step"] == before + 3
    c.close()

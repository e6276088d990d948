"""A client written only from protocol/README.md: plain pyzmq + msgpack + numpy, no vaestudio imports.

It drives a real `vaestudio serve` subprocess through everything the contract offers.
"""

import time

import msgpack
import numpy as np
import zmq


class Plain:
    def __init__(self, control: str, stream: str):
        self.ctx = zmq.Context()
        self.dealer = self.ctx.socket(zmq.DEALER)
        self.dealer.connect(control)
        self.sub = self.ctx.socket(zmq.SUB)
        self.sub.connect(stream)
        self.next_id = 0

    def call(self, op: str, **args):
        self.next_id += 1
        self.dealer.send(msgpack.packb({"v": 1, "id": self.next_id, "op": op, "args": args}, use_bin_type=True))
        while True:
            assert self.dealer.poll(10000), f"no reply to {op}"
            reply = msgpack.unpackb(self.dealer.recv(), raw=False)
            if reply["id"] == self.next_id:
                return reply

    def stream(self, topic: str) -> dict:
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.sub.poll(1000):
                name, body = self.sub.recv_multipart()
                if name == topic.encode():
                    return msgpack.unpackb(body, raw=False)
        raise AssertionError(f"no {topic} message")

    def close(self):
        for s in (self.dealer, self.sub):
            s.close(0)
        self.ctx.term()


def arr(a: np.ndarray, dtype: str) -> dict:
    np_dtype = {"f32": "<f4", "i32": "<i4", "u8": "u1"}[dtype]
    a = np.ascontiguousarray(a, dtype=np_dtype)
    return {"dtype": dtype, "shape": list(a.shape), "data": a.tobytes()}


def unarr(m: dict) -> np.ndarray:
    return np.frombuffer(m["data"], {"f32": "<f4", "i32": "<i4", "u8": "u1"}[m["dtype"]]).reshape(m["shape"])


def test_plain_client_does_everything(backend):
    c = Plain(backend.control, backend.stream)
    try:
        for topic in (b"metrics", b"latent", b"status", b"log"):
            c.sub.setsockopt(zmq.SUBSCRIBE, topic)
        hello = c.call("hello", client="plain", protocol=1)["result"]
        assert hello["protocol"] == 1 and "decode" in hello["ops"]
        m = c.stream("metrics")
        assert m["v"] == 1 and m["loss"] == m["loss"] and m["samples_per_s"] > 0
        lat = c.stream("latent")
        coords = unarr(lat["coords"])
        assert coords.shape[1] == 2 and len(unarr(lat["labels"])) == len(coords)
        assert c.stream("status")["state"] == "training"

        paused = c.call("train.pause")["result"]
        assert c.call("train.step", n=4)["result"]["step"] == paused["step"] + 4
        images = unarr(c.call("decode", z=arr(np.zeros((2, 2)), "f32"))["result"]["images"])
        assert images.shape == (2, 8, 8)
        enc = c.call("encode", indices=arr(np.arange(3), "i32"))["result"]
        assert unarr(enc["mu"]).shape == (3, 2) and unarr(enc["logvar"]).shape == (3, 2)
        s = c.call("sample", n=5, seed=1)["result"]
        assert unarr(s["z"]).shape == (5, 2) and unarr(s["images"]).shape == (5, 8, 8)
        cfg = c.call("config.set", lr=0.0005, beta=0.5, batch_size=64)["result"]["config"]
        assert (cfg["lr"], cfg["beta"], cfg["batch_size"]) == (0.0005, 0.5, 64)
        reset = c.call("train.reset", seed=2)["result"]
        assert reset["step"] == 0
        log = c.stream("log")
        if log["event"] == "saved":  # the old run, which train.reset saves first (§5.2)
            log = c.stream("log")
        assert log["event"] == "reset" and log["run"] == reset["run"]
        assert c.call("train.start")["result"]["state"] == "training"
        status = c.call("status")["result"]
        assert status["run"] == reset["run"] and status["config"]["beta"] == 0.5
        err = c.call("no.such.op")
        assert err["ok"] is False and err["error"]["code"] == "unknown_op"
    finally:
        c.close()

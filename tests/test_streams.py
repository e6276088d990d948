"""The PUB streams: every topic with its schema fields, and rate limiting."""

import time

import pytest

from support.schema import check_stream


def test_streams_carry_every_topic_with_schema_fields(make_server):
    b = make_server(paused=False)
    with b.client() as c:
        c.subscribe()
        seen: dict[str, dict] = {}
        deadline = time.time() + 15
        while len(seen) < 3 and time.time() < deadline:
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
        assert 5 <= n <= 25  # 20 Hz nominal

"""Golden vectors (protocol/vectors) against the reference msgpack and this package's wire module."""

import json
import struct
from pathlib import Path

import msgpack
import numpy as np
import pytest

from vaestudio import wire

VECTORS = Path(__file__).resolve().parent.parent / "protocol" / "vectors"
MSGPACK = json.loads((VECTORS / "msgpack.json").read_text())
MESSAGES = json.loads((VECTORS / "messages.json").read_text())


def untag(v):
    """Tagged JSON (protocol/README.md §10) -> Python value."""
    if isinstance(v, list):
        return [untag(x) for x in v]
    if isinstance(v, dict):
        if len(v) == 1:
            (k, x), = v.items()
            if k in ("$f64", "$f32"):
                return float(x)
            if k == "$bin":
                return bytes.fromhex(x)
            if k == "$int":
                return int(x)
            if k == "$map":
                return {untag(a): untag(b) for a, b in x}
            if k == "$ext":
                return msgpack.ExtType(x[0], bytes.fromhex(x[1]))
        return {k: untag(x) for k, x in v.items()}
    return v


@pytest.mark.parametrize("case", MSGPACK["valid"], ids=lambda c: c["description"])
def test_valid_msgpack_decodes_to_its_value(case):
    value = msgpack.unpackb(bytes.fromhex(case["hex"]), raw=False, strict_map_key=False)
    assert value == untag(case["value"])


@pytest.mark.parametrize("case", [c for c in MSGPACK["valid"] if c.get("canonical", True) and "$f32" not in json.dumps(c["value"])],
                         ids=lambda c: c["description"])
def test_valid_msgpack_encodes_to_its_hex(case):
    assert wire.pack(untag(case["value"])).hex() == case["hex"]


@pytest.mark.parametrize("case", MSGPACK["invalid"], ids=lambda c: c["description"])
def test_invalid_msgpack_is_rejected_as_bad_request(case):
    with pytest.raises(wire.ProtocolError) as err:
        wire.parse_request(bytes.fromhex(case["hex"]))
    assert err.value.code == "bad_request"


@pytest.mark.parametrize("case", MESSAGES["messages"], ids=lambda c: c["description"])
def test_message_bodies_round_trip(case):
    value = untag(case["value"])
    assert wire.pack(value).hex() == case["hex"]
    assert wire.unpack(bytes.fromhex(case["hex"])) == value


def test_request_vectors_parse():
    for case in MESSAGES["messages"]:
        if case["kind"] == "request":
            rid, op, args = wire.parse_request(bytes.fromhex(case["hex"]))
            assert (rid, op) == (case["value"]["id"], case["value"]["op"])


def test_array_vector_is_little_endian_c_order():
    case = next(c for c in MESSAGES["messages"] if c["description"] == "decode one 2-D point")
    z = wire.from_array(untag(case["value"])["args"]["z"], "z", "f32")
    assert z.tolist() == [[0.5, -1.0]]
    assert untag(case["value"])["args"]["z"]["data"] == struct.pack("<2f", 0.5, -1.0)


def test_array_round_trip_and_errors():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert np.array_equal(wire.from_array(wire.array(a, "f32"), "a"), a)
    bad = [
        ([1.0, 2.0], "must be a map"),
        ({"dtype": "f64", "shape": [1], "data": b"\0" * 8}, "dtype' must be one of"),
        ({"dtype": "f32", "shape": [2], "data": b"\0" * 4}, "has 4 bytes but shape"),
        ({"dtype": "f32", "shape": [-1], "data": b""}, "non-negative integers"),
        ({"dtype": "f32", "shape": [1], "data": "abcd"}, "must be msgpack bin"),
    ]
    for value, message in bad:
        with pytest.raises(wire.ProtocolError, match=message) as err:
            wire.from_array(value, "a")
        assert err.value.code == "invalid_argument"

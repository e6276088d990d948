"""Compression (protocol/README.md §5.4): codes a client can decode by the documented codec, the rate
and PSNR per bit depth, bad bits, `eval`'s bits_per_dim, and `vaestudio compress`."""

import json
import math
import time

import numpy as np
import pytest

from support.backends import REPO, vaestudio
from support.schema import check_result
from vaestudio.client import RemoteError, from_wire, to_wire
from vaestudio.usecases.compress import pack, unpack

VECTORS = json.loads((REPO / "protocol" / "vectors" / "messages.json").read_text())


def decode_codes(codes: bytes, n: int, lo: np.ndarray, hi: np.ndarray, bits: int) -> np.ndarray:
    """The codec of §5.4 as a client writes it: (n, Z) float32 latents from the packed codes."""
    z_dim = len(lo)
    per_row = math.ceil(z_dim * bits / 8)
    bitmap = np.unpackbits(np.frombuffer(codes, np.uint8).reshape(n, per_row), axis=1)[:, : z_dim * bits]
    q = (bitmap.reshape(n, z_dim, bits).astype(np.int64) << np.arange(bits - 1, -1, -1)).sum(2)  # MSB first
    return (lo + q / (2**bits - 1) * (hi - lo)).astype(np.float32)


def test_codes_decode_to_the_servers_reconstructions_and_psnr_grows_with_bits(make_server):
    with make_server(latent_dim=8).client(timeout=60) as c:
        c.call("train.step", n=500, timeout=120)
        rows = to_wire(np.arange(0, 1797, 60), "i32")  # 30 rows
        psnr = {}
        for bits in (1, 7, 8, 16):
            r = c.call("compress", indices=rows, bits=bits)
            assert not check_result("compress", r), check_result("compress", r)
            assert r["bytes_per_row"] == math.ceil(8 * bits / 8) and len(r["codes"]) == 30 * r["bytes_per_row"]
            assert r["raw_bytes_per_row"] == 64
            lo, hi = from_wire(r["lo"]), from_wire(r["hi"])
            assert lo.shape == hi.shape == (8,) and np.all(lo <= hi)
            z = decode_codes(r["codes"], 30, lo, hi, bits)
            mine = from_wire(c.call("decode", z=to_wire(z))["images"])
            recon = from_wire(r["reconstructions"])
            assert recon.shape == (30, 8, 8) and np.abs(mine.astype(int) - recon).max() <= 1
            psnr[bits] = r["psnr_mean"]
            assert r["psnr_mean"] == pytest.approx(from_wire(r["psnr"]).mean(), rel=1e-5)
        assert psnr[1] < psnr[8] <= psnr[16] + 0.01, psnr


def test_packing_pads_each_row_to_whole_bytes_msb_first():
    rng = np.random.default_rng(0)
    for z_dim in (1, 2, 3, 5):
        for bits in range(1, 17):
            q = rng.integers(0, 2**bits, size=(4, z_dim))
            codes = pack(q, bits)
            assert len(codes) == 4 * math.ceil(z_dim * bits / 8)
            assert np.array_equal(unpack(codes, 4, z_dim, bits), q)
    assert pack(np.array([[1, 0, 1]]), 1) == bytes([0b10100000])
    vector = next(m["value"] for m in VECTORS["messages"] if m["description"].startswith("compress reply"))
    codes = bytes.fromhex(vector["result"]["codes"]["$bin"])  # the golden vector: the levels its description names
    assert "levels [0, 7, 3] and [5, 2, 6]" in next(m["description"] for m in VECTORS["messages"]
                                                    if m["description"].startswith("compress reply"))
    assert unpack(codes, 2, 3, 3).tolist() == [[0, 7, 3], [5, 2, 6]]


def test_vector_data_compresses_to_values(make_server):
    with make_server(dataset="moons").client() as c:
        r = c.call("compress", bits=5)
        assert from_wire(r["reconstructions"]).shape == (200, 2) and r["raw_bytes_per_row"] == 8
        assert r["bytes_per_row"] == 2 and len(r["codes"]) == 400  # latent_dim 2 x 5 bits = 10 bits -> 2 bytes


def test_bad_bits_answer_invalid_argument_and_training_goes_on(make_server):
    with make_server(paused=False).client() as c:
        for args, words in [({}, "'bits' is required"), ({"bits": 0}, "'bits' must be an integer from 1 to 16"),
                            ({"bits": 17}, "'bits' must be an integer from 1 to 16"),
                            ({"bits": 8.5}, "'bits' must be an integer from 1 to 16"),
                            ({"bits": 8, "indices": to_wire(np.array([[1, 2]]), "i32")}, "'indices' must have shape [n]")]:
            with pytest.raises(RemoteError) as err:
                c.call("compress", args)
            assert err.value.code == "invalid_argument" and words in err.value.message, (args, err.value.message)
        s0 = c.call("status")["step"]
        time.sleep(0.3)
        assert c.call("status")["state"] == "training" and c.call("status")["step"] > s0


def test_eval_reports_bits_per_dim(client):
    client.call("train.step", n=100, timeout=60)
    with_nll = client.call("eval", iw_samples=20, timeout=120)
    assert with_nll["bits_per_dim"] == pytest.approx(with_nll["nll"] / (64 * math.log(2)))
    plain = client.call("eval")
    assert not check_result("eval", plain)
    assert plain["bits_per_dim"] == pytest.approx(-plain["elbo"] / (64 * math.log(2)))


def test_vaestudio_compress_prints_a_rate_distortion_table(tmp_path):
    runs = tmp_path / "runs"
    trained = vaestudio("train", "--steps", "200", "--latent-dim", "8", "-q", runs=runs)
    assert trained.returncode == 0, trained.stderr
    run = json.loads(trained.stdout)["run"]
    out = json.loads(vaestudio("compress", run, "--bits", "1", "8", "16", "--rows", "50", "--json", runs=runs).stdout)
    assert [r["bits"] for r in out["results"]] == [1, 8, 16] and out["n"] == 50 and out["latent_dim"] == 8
    assert [r["bytes_per_row"] for r in out["results"]] == [1, 8, 16] and out["results"][1]["ratio"] == 8.0
    table = vaestudio("compress", run, runs=runs).stdout.splitlines()
    assert table[1].split() == ["bits", "bytes/row", "raw", "bytes/row", "ratio", "PSNR", "(dB)"]
    assert table[2].split()[:4] == ["8", "8", "64", "8.0x"]
    bad = vaestudio("compress", run, "--bits", "17", runs=runs)
    assert bad.returncode == 2 and "'bits' must be an integer from 1 to 16" in bad.stderr

"""End to end: the real `vaestudio serve` (the `backend` fixture) and the Godot addon, headless.

tests/e2e_client.gd connects with VaeStudioClient, receives `metrics` and `latent`, calls
hello, train.pause, status and decode, prints BENCH lines and writes what came back as JSON.
"""

from __future__ import annotations

import json
import re

import pytest

from support.godot import run_script

pytestmark = pytest.mark.godot


def test_godot_client_against_backend(backend, tmp_path):
    out = tmp_path / "e2e.json"
    result = run_script(
        "res://tests/e2e_client.gd",
        [f"--control={backend.control}", f"--stream={backend.stream}", f"--out={out}",
         "--timeout=90", "--bench-requests=200"],
        timeout=180,
    )
    tail = result.output[-5000:]
    assert result.rc == 0, tail
    assert not result.script_errors(), tail
    report = json.loads(out.read_text())
    assert report["ok"] and report["errors"] == [], report["errors"]
    assert report["early_status"]["error"]["code"] == "not_connected"

    hello = report["hello"]
    assert hello["protocol"] == 1
    assert {"hello", "status", "decode", "train.pause"} <= set(hello["ops"])

    metrics = report["streams"]["metrics"]["message"]
    for key in ("v", "run", "step", "loss", "recon", "kl"):
        assert key in metrics, key
    latent = report["streams"]["latent"]
    assert latent["coords_valid"] == ""
    n, dim = latent["coords_shape"]
    assert n > 0 and dim == backend.latent_dim
    assert latent["labels_count"] == n

    assert report["status"]["state"] == "paused"
    assert report["status"]["latent_dim"] == backend.latent_dim
    image = report["decode"]
    assert image["dtype"] == "u8" and image["shape"][0] == 1
    assert image["width"] > 0 and image["height"] > 0
    assert 0.0 <= image["mean"] <= 255.0

    # Benchmarks are printed, not asserted (the figures go into the README).
    bench = re.findall(r"^BENCH (\S+) p50=(\S+) p99=(\S+)", result.stdout, re.MULTILINE)
    assert {name for name, _, _ in bench} >= {"latent_frame_decode_ms", "image_to_texture_ms", "decode_roundtrip_ms"}
    for name, p50, p99 in bench:
        print(f"BENCH {name} p50={p50} p99={p99}")

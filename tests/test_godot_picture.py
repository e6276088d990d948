"""Picture test: the main scene under Xvfb (compatibility renderer) against a live backend.

The Studio runs inside the test driver scene (godot_client/tests/drivers/studio_driver.tscn),
whose `--screenshot=PATH` mode waits for latent frames and one decoded image, saves the frame as
PNG and writes PATH.json with what was on screen (points drawn, decoded images, and the
on-screen rectangles of the latent plane and the decoded image). The test checks the report and
then the picture itself: the plane holds many points in several label colours and the decoded
image is a real image, not a flat patch. The shipped UI scripts hold no test code.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import threading
import zlib
from pathlib import Path

import pytest
import zmq

import godot_runner
from support.backends import free_port
from vaestudio.datasets import load_dataset
from vaestudio.models import ModelSpec
from vaestudio.runs import RunStore
from vaestudio.server import Server
from vaestudio.train_config import TrainConfig
from vaestudio.trainer import Trainer

pytestmark = pytest.mark.godot

SCENE_TIMEOUT_S = 60  # the scene's own limit; the process gets more
PROCESS_TIMEOUT_S = 150
DRIVER_SCENE = "res://tests/drivers/studio_driver.tscn"


# --- a small PNG reader (8-bit RGB/RGBA, no interlace: what Godot's save_png writes) ----------


def read_png(path: Path) -> tuple[int, int, list[bytes]]:
    """Returns (width, height, rows); each row holds width RGBA pixels (4 bytes each)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat, header = 8, bytearray(), None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    assert header is not None, "PNG without IHDR"
    width, height, depth, color_type, _, _, interlace = header
    assert depth == 8 and color_type in (2, 6) and interlace == 0, f"unsupported PNG {header}"
    bpp = 4 if color_type == 6 else 3
    raw = zlib.decompress(bytes(idat))
    stride = width * bpp
    rows: list[bytes] = []
    prior = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(kind, line, prior, bpp)
        rows.append(bytes(line) if bpp == 4 else _rgb_to_rgba(line))
        prior = line
    return width, height, rows


def _unfilter(kind: int, line: bytearray, prior: bytearray, bpp: int) -> None:
    """Undoes one scanline's filter in place (PNG spec, section 9)."""
    n = len(line)
    if kind == 0:
        return
    if kind == 1:
        for i in range(bpp, n):
            line[i] = (line[i] + line[i - bpp]) & 0xFF
    elif kind == 2:
        for i in range(n):
            line[i] = (line[i] + prior[i]) & 0xFF
    elif kind == 3:
        for i in range(n):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prior[i]) >> 1)) & 0xFF
    elif kind == 4:
        for i in range(n):
            a = line[i - bpp] if i >= bpp else 0
            b = prior[i]
            c = prior[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + pred) & 0xFF
    else:
        raise AssertionError(f"bad PNG filter type {kind}")


def _rgb_to_rgba(line: bytearray) -> bytes:
    out = bytearray()
    for i in range(0, len(line), 3):
        out += line[i : i + 3] + b"\xff"
    return bytes(out)


def region_pixels(rows: list[bytes], rect: list[int]) -> list[tuple[int, int, int]]:
    x, y, w, h = rect
    pixels = []
    for row in rows[y : y + h]:
        for i in range(x * 4, (x + w) * 4, 4):
            pixels.append((row[i], row[i + 1], row[i + 2]))
    return pixels


def hue_bucket(r: int, g: int, b: int) -> int:
    """One of 12 hue sectors of a saturated colour."""
    hi, lo = max(r, g, b), min(r, g, b)
    d = hi - lo
    if hi == r:
        h = ((g - b) / d) % 6
    elif hi == g:
        h = (b - r) / d + 2
    else:
        h = (r - g) / d + 4
    return int(h * 2) % 12


# --- running the scene ---------------------------------------------------------------------


def run_main_scene(*user_args: str) -> subprocess.CompletedProcess[str]:
    """Runs main.tscn inside the test driver scene, which reads the driver arguments."""
    godot_runner.ensure_imported()
    if os.environ.get("GODOT") and not shutil.which("xvfb-run"):
        pytest.skip("$GODOT is set but xvfb-run is missing; the picture test needs a virtual screen")
    cmd = [
        str(godot_runner.GODOT_SH),
        "--xvfb",
        "--rendering-driver",
        "opengl3",
        "--path",
        str(godot_runner.PROJECT),
        DRIVER_SCENE,
        "--",
        *user_args,
    ]
    return godot_runner.run_group(cmd, PROCESS_TIMEOUT_S, "the main scene")


def script_problems(output: str) -> list[str]:
    """Lines where Godot reported a script error or a GDScript warning."""
    keys = ("SCRIPT ERROR", "Parse Error", "GDScript::", "res://ui/", "res://main",
            "res://tests/")
    return [line for line in output.splitlines() if any(k in line for k in keys)]


def test_main_scene_shows_points_and_a_decoded_image(backend, tmp_path):
    shot = tmp_path / "studio.png"
    proc = run_main_scene(
        f"--control={backend.control}",
        f"--stream={backend.stream}",
        f"--screenshot={shot}",
        "--screenshot-frames=5",
        "--screenshot-after=2",
        f"--screenshot-timeout={SCENE_TIMEOUT_S}",
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"scene exited with {proc.returncode}:\n{output[-4000:]}"
    assert not script_problems(output), "\n".join(script_problems(output))
    report = json.loads(shot.with_suffix(".json").read_text())
    assert report["connected"] and not report["timed_out"], report
    assert report["latent_frames"] >= 5 and report["metrics_frames"] >= 1, report
    assert report["points_drawn"] >= 100, report
    assert report["decoded_images"] >= 1 and report["image_visible"], report
    assert report["latent_dim"] == backend.latent_dim, report

    width, height, rows = read_png(shot)
    assert (width, height) == (report["width"], report["height"]) == (1280, 720)
    everywhere = {row[i : i + 3] for row in rows[::4] for i in range(0, width * 4, 16)}
    assert len(everywhere) > 200, f"only {len(everywhere)} distinct colours: a blank picture?"

    # The latent plane below its header and legend: many saturated pixels (the points) in several
    # label hues.
    x, y, w, h = report["latent_rect"]
    plane = region_pixels(rows, [x, y + 64, w, h - 64])
    coloured = [p for p in plane if max(p) - min(p) > 60 and max(p) > 90]
    hues = {hue_bucket(*p) for p in coloured}
    assert len(coloured) > 4000, f"only {len(coloured)} point-coloured pixels on the latent plane"
    assert len(hues) >= 5, f"points show only {len(hues)} hue sectors: {sorted(hues)}"

    # The decoded image: grey levels with real contrast, not a flat or empty patch.
    image = region_pixels(rows, report["image_rect"])
    greys = {p[0] // 8 for p in image if abs(p[0] - p[1]) < 8 and abs(p[1] - p[2]) < 8}
    brightness = sorted(sum(p) // 3 for p in image)
    spread = brightness[int(len(brightness) * 0.95)] - brightness[int(len(brightness) * 0.05)]
    assert len(greys) >= 4 and spread > 60, f"decoded image looks flat: {len(greys)} greys, {spread}"


def test_main_scene_waits_for_an_absent_backend(tmp_path):
    shot = tmp_path / "waiting.png"
    proc = run_main_scene(
        f"--control=tcp://127.0.0.1:{free_port()}",
        f"--stream=tcp://127.0.0.1:{free_port()}",
        f"--screenshot={shot}",
        "--screenshot-timeout=2",
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 3, f"expected the timed-out exit code 3:\n{output[-4000:]}"
    assert not script_problems(output), "\n".join(script_problems(output))
    report = json.loads(shot.with_suffix(".json").read_text())
    assert report["timed_out"] and not report["connected"] and report["points_drawn"] == 0
    width, height, rows = read_png(shot)
    assert (width, height) == (1280, 720)


TOKEN = "studio-token-7"


@pytest.fixture
def secured(tmp_path):
    """An in-process server that trains and wants TOKEN (ZMTP PLAIN), on random loopback ports."""
    store = RunStore(tmp_path / "runs")
    trainer = Trainer(load_dataset("digits"), ModelSpec(name="vae", latent_dim=2), TrainConfig(), store=store)
    server = Server(trainer, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", store=store, context=zmq.Context(),
                    token=TOKEN)
    trainer.start_thread()
    trainer.start()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.stop()
    thread.join(10)
    server.ctx.term()


def test_connect_dialog_reconnects_elsewhere_with_a_token(secured, tmp_path):
    # The Studio starts where nothing listens; Connect in the dialog moves it to the backend.
    shot = tmp_path / "reconnected.png"
    proc = run_main_scene(
        f"--control=tcp://127.0.0.1:{free_port()}",
        f"--stream=tcp://127.0.0.1:{free_port()}",
        f"--connect-to={secured.control_endpoint},{secured.stream_endpoint},{TOKEN}",
        f"--screenshot={shot}",
        "--screenshot-frames=3",
        f"--screenshot-timeout={SCENE_TIMEOUT_S}",
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"scene exited with {proc.returncode}:\n{output[-4000:]}"
    assert not script_problems(output), "\n".join(script_problems(output))
    report = json.loads(shot.with_suffix(".json").read_text())
    assert report["connected"] and not report["refused"], report
    assert (report["control"], report["stream"]) == (secured.control_endpoint, secured.stream_endpoint)
    assert report["latent_frames"] >= 3 and report["decoded_images"] >= 1, report
    assert TOKEN not in output, "the token must never be printed"


def test_a_refused_token_is_named_on_the_overlay(secured, tmp_path):
    shot = tmp_path / "refused.png"
    proc = run_main_scene(
        f"--control={secured.control_endpoint}",
        f"--stream={secured.stream_endpoint}",
        "--token=not-the-token",
        f"--screenshot={shot}",
        "--screenshot-timeout=4",
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 3, f"expected the timed-out exit code 3:\n{output[-4000:]}"
    assert not script_problems(output), "\n".join(script_problems(output))
    report = json.loads(shot.with_suffix(".json").read_text())
    assert not report["connected"] and report["refused"], report
    assert report["connection_problem"].startswith("Refused:"), report["connection_problem"]
    assert "token" in report["connection_problem"], report["connection_problem"]

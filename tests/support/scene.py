"""The Studio's main scene for tests: run it under Xvfb through the test driver scene, read the
PNG it saves (a plain zlib PNG reader, no image library), and pick out script errors."""

from __future__ import annotations

import json
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

from support import godot as godot_runner

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


def _scene_command(user_args: tuple[str, ...], godot_args: tuple[str, ...] = ()) -> list[str]:
    godot_runner.ensure_imported()
    if os.environ.get("GODOT") and not shutil.which("xvfb-run"):
        godot_runner.skip_without_godot("$GODOT is set but xvfb-run is missing; the picture tests need a virtual screen")
    return [
        str(godot_runner.GODOT_SH),
        "--xvfb",
        "--rendering-driver",
        "opengl3",
        *godot_args,
        "--path",
        str(godot_runner.PROJECT),
        DRIVER_SCENE,
        "--",
        *user_args,
    ]


def run_main_scene(*user_args: str, godot_args: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """Runs main.tscn inside the test driver scene, which reads the driver arguments; `godot_args` go
    to Godot itself (e.g. ("--resolution", "1024x600") for the window's size)."""
    return godot_runner.run_group(_scene_command(user_args, godot_args), PROCESS_TIMEOUT_S, "the main scene")


def start_main_scene(*user_args: str) -> subprocess.Popen[str]:
    """Starts main.tscn inside the test driver scene in the background, in its own process group,
    its output going to a temporary file (a pipe nobody reads could fill up and stall it). Several
    may run at once; end each with finish_scene."""
    out = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen(_scene_command(user_args), stdout=out, stderr=subprocess.STDOUT, text=True,
                            cwd=godot_runner.REPO, start_new_session=True)
    proc.output_file = out  # type: ignore[attr-defined]
    return proc


def finish_scene(proc: subprocess.Popen[str], timeout: float = PROCESS_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """Waits for a scene from start_main_scene and returns its exit code and output. Past `timeout`
    its whole process group (Godot, Xvfb, the wrapper) is killed and the test fails."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        pytest.fail(f"the main scene ran past {timeout} s; output so far:\n{_output_of(proc)[-4000:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, _output_of(proc), "")


def stop_scene(proc: subprocess.Popen[str]) -> None:
    """Kills a scene from start_main_scene that is still running (for a test's cleanup)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _output_of(proc: subprocess.Popen[str]) -> str:
    out = proc.output_file  # type: ignore[attr-defined]
    out.seek(0)
    return out.read()


def connected_scene_report(backend, shot: Path, *driver_args: str) -> dict:
    """Runs the Studio against `backend` until its driver saves `shot` (5 frames in), checks that it
    exited cleanly with no script problem, connected and did not time out, and returns the report
    (the JSON the driver writes beside the picture)."""
    proc = run_main_scene(
        f"--control={backend.control}",
        f"--stream={backend.stream}",
        f"--screenshot={shot}",
        "--screenshot-frames=5",
        f"--screenshot-timeout={SCENE_TIMEOUT_S}",
        *driver_args,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"scene exited with {proc.returncode}:\n{output[-4000:]}"
    assert not script_problems(output), "\n".join(script_problems(output))
    report = json.loads(shot.with_suffix(".json").read_text())
    assert report["connected"] and not report["timed_out"], report
    return report


def script_problems(output: str) -> list[str]:
    """Lines where Godot reported a script error or a GDScript warning."""
    keys = ("SCRIPT ERROR", "Parse Error", "GDScript::", "res://ui/", "res://main",
            "res://tests/")
    return [line for line in output.splitlines() if any(k in line for k in keys)]

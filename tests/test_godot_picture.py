"""Picture test: the main scene under Xvfb (compatibility renderer) against a live backend.

The Studio runs inside the test driver scene (godot_client/tests/drivers/studio_driver.tscn),
whose `--screenshot=PATH` mode waits for latent frames and one decoded image, saves the frame as
PNG and writes PATH.json with what was on screen (points drawn, decoded images, and the
on-screen rectangles of the latent plane and the decoded image). The test checks the report and
then the picture itself: the plane holds many points in several label colours and the decoded
image is a real image, not a flat patch. The shipped UI scripts hold no test code.

At the smallest window the Studio takes (1024 x 600) and at full HD, the layout probe
(tests/drivers/layout_probe.gd) opens every view and side tab and reports the rectangles of the
header's and the readouts' parts and whatever reaches outside its parent or the window: the header
and the readouts must lie inside the window without overlapping, and nothing may be cut off.
"""

from __future__ import annotations

import json

import pytest

from support.backends import free_port
from support.scene import (
    SCENE_TIMEOUT_S,
    connected_scene_report,
    hue_bucket,
    read_png,
    region_pixels,
    run_main_scene,
    script_problems,
)

Rect = list[float]  # [x, y, width, height], in the window's pixels

pytestmark = pytest.mark.godot

def test_main_scene_shows_points_and_a_decoded_image(backend, tmp_path):
    shot = tmp_path / "studio.png"
    report = connected_scene_report(backend, shot, "--screenshot-after=2")
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


def _inside(rect: Rect, width: float, height: float) -> bool:
    x, y, w, h = rect
    return x >= -0.5 and y >= -0.5 and x + w <= width + 0.5 and y + h <= height + 0.5 and w > 0 and h > 0


def _overlap(a: Rect, b: Rect) -> bool:
    return (a[0] < b[0] + b[2] - 0.5 and b[0] < a[0] + a[2] - 0.5
            and a[1] < b[1] + b[3] - 0.5 and b[1] < a[1] + a[3] - 0.5)


def _overlapping(parts: dict[str, Rect]) -> list[str]:
    names = sorted(parts)
    return [f"{a} {parts[a]} and {b} {parts[b]}" for i, a in enumerate(names) for b in names[i + 1:]
            if _overlap(parts[a], parts[b])]


@pytest.mark.parametrize("width,height", [(1024, 600), (1920, 1080)], ids=["1024x600", "1920x1080"])
def test_the_main_screen_fits_the_window(backend, tmp_path, width, height):
    shot = tmp_path / f"window-{width}x{height}.png"
    proc = run_main_scene(
        f"--control={backend.control}",
        f"--stream={backend.stream}",
        f"--screenshot={shot}",
        "--screenshot-frames=3",
        f"--screenshot-timeout={SCENE_TIMEOUT_S}",
        "--layout-probe",
        godot_args=("--resolution", f"{width}x{height}"),
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"scene exited with {proc.returncode}:\n{output[-4000:]}"
    assert not script_problems(output), "\n".join(script_problems(output))
    report = json.loads(shot.with_suffix(".json").read_text())
    layout = report["layout"]
    assert layout["window"] == [width, height] and layout["min_size"] == [1024, 600], layout
    assert layout["content_scale"] == 1.0 and layout["viewport"] == [width, height], layout
    png_width, png_height, rows = read_png(shot)
    assert (png_width, png_height) == (width, height)

    # Nothing is cut off in any view of the main area or any side tab.
    cut_off = {view: parts for view, parts in layout["cut_off"].items() if parts}
    assert not cut_off, json.dumps(cut_off, indent=1)
    assert {"Latent space", "Dashboard", "Data flow", "Settings", "Export", "Use cases/Anomaly",
            "side/Training", "side/Runs"} <= set(layout["cut_off"]), sorted(layout["cut_off"])

    # The header (connection, run, state) and the six readouts lie in the window, apart.
    header, readouts = layout["header"], layout["readouts"]
    assert {"Title", "Connection", "ConnectButton", "Run", "State"} <= set(header), header
    assert set(readouts) == {"Step", "Epoch", "Samples/s", "Loss", "Recon", "KL"}, readouts
    for name, rect in {**header, **readouts}.items():
        assert _inside(rect, width, height), f"{name} {rect} is not inside the {width}x{height} window"
    assert not _overlapping(header), _overlapping(header)
    assert not _overlapping(readouts), _overlapping(readouts)
    # The latent view's corner pieces: its header and legend, the hint, the x caption, Fit.
    corners = layout["corners"]
    assert not _overlapping(corners), _overlapping(corners)
    for name, rect in corners.items():
        assert _inside(rect, width, height), f"{name} {rect} is cut off"

    # The state ("TRAINING", green) is drawn where the report says.
    state = region_pixels(rows, [round(v) for v in header["State"]])
    assert any(g > 150 and g > r + 60 and g > b + 40 for r, g, b in state), "no green TRAINING in the header"
    # The run's name shows whole in the header (its tooltip too), not cut off at its end.
    assert report["run"] in layout["run_text"] and report["run"] in layout["run_tooltip"], layout["run_text"]
    assert layout["run_name_width"] <= header["Run"][2], (layout["run_name_width"], header["Run"])

    # The side column and the decoded image grow with the window.
    side, image = layout["side"], layout["image"]
    if width >= 1920:
        assert side[2] >= 600 and image[2] >= 220, (side, image)
    else:
        assert 340 <= side[2] <= 420 and image[2] >= 100, (side, image)


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
def secured(make_server):
    """An in-process server that trains and wants TOKEN (ZMTP PLAIN), on random loopback ports."""
    return make_server(paused=False, token=TOKEN).server


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

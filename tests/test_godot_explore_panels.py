"""The z, Pins and Interpolate tabs of the Studio against a live, training backend (8 latent dims).

The Studio runs inside the test driver scene under Xvfb; its explore panels driver
(godot_client/tests/drivers/explore_panels_driver.gd) opens the tab with `--tab=z|pins|interpolate`
and operates the panel through its public methods, as its sliders, buttons and menus do. The report
says what the panel showed and sent: one slider per dimension ordered by the frame's `kl_per_dim`
(protocol §6.1) and the decode of an edited z; the pins' decodes, re-sent in one `decode` request as
new latent frames arrive; the rows of one `decode` request along a path between two pins (§5).
"""

from __future__ import annotations

import math

import pytest

from support.backends import start_backend_process, stop_backend_process
from support.scene import connected_scene_report, read_png, region_pixels

pytestmark = pytest.mark.godot

LATENT_DIM = 8
INACTIVE_KL = 0.05


@pytest.fixture(scope="module")
def wide_backend():
    backend = start_backend_process("--seed", "0", "--latent-dim", str(LATENT_DIM))
    try:
        yield backend
    finally:
        stop_backend_process(backend)


def _open_tab(backend, tmp_path, tab: str, *driver_args: str) -> tuple[dict, dict, object]:
    shot = tmp_path / f"{tab}.png"
    report = connected_scene_report(backend, shot, f"--tab={tab}", *driver_args)
    panel = report["explore_panels"]
    assert panel["finished"] and panel["tab"] == tab, panel
    return report, panel, shot


def _contrast(rows: list[bytes], rect: list[int]) -> int:
    brightness = sorted(sum(p) // 3 for p in region_pixels(rows, rect))
    return brightness[int(len(brightness) * 0.95)] - brightness[int(len(brightness) * 0.05)]


def _norm(z: list[float]) -> float:
    return math.sqrt(sum(v * v for v in z))


def _angle(a: list[float], b: list[float]) -> float:
    cos = sum(x * y for x, y in zip(a, b)) / (_norm(a) * _norm(b))
    return math.acos(max(-1.0, min(1.0, cos)))


def test_sliders_show_every_dimension_by_kl_and_decode_an_edited_z(wide_backend, tmp_path):
    report, panel, shot = _open_tab(wide_backend, tmp_path, "z", "--slide=top,1.5")
    assert report["latent_dim"] == LATENT_DIM
    assert panel["slider_count"] == LATENT_DIM, panel
    # Ordered by the newest frame's KL, most active first; the inactive ones dimmed.
    kl = panel["frame_kl"]
    assert len(kl) == LATENT_DIM and panel["order_kl"] == pytest.approx(kl), panel
    assert sorted(panel["order"]) == list(range(LATENT_DIM)), panel
    shown = [kl[d] for d in panel["order"]]
    assert shown == sorted(kl, reverse=True), f"sliders not by descending KL: {shown}"
    assert set(panel["dimmed"]) == {d for d in range(LATENT_DIM) if kl[d] < INACTIVE_KL}, panel
    assert all(r >= 0.15 for r in panel["half_ranges"]), panel["half_ranges"]

    # The slider moved exactly its dimension of the decoded z, and the picture changed.
    dim = panel["slide_dim"]
    # "top" was the most active dimension when the driver slid it; training may have reordered
    # the sliders by the time of the report, but that dimension is still an active one
    assert dim not in panel["dimmed"], (dim, panel["order"], panel["dimmed"])
    before, after = panel["z_before"], panel["z_after"]
    assert len(before) == len(after) == LATENT_DIM, panel
    assert after[dim] == pytest.approx(1.5, abs=1e-6), after
    assert abs(before[dim] - 1.5) > 0.05, "the slide must move the dimension"
    assert [d for d in range(LATENT_DIM) if after[d] != before[d]] == [dim], (before, after)
    assert panel["slider_values"][dim] == pytest.approx(1.5, abs=1e-6), panel["slider_values"]
    assert panel["image_after"] != panel["image_before"], "the decoded image did not change"

    width, height, rows = read_png(shot)
    x, y, w, h = panel["sliders_rect"]
    assert w >= 300 and h >= 200 and x + w <= width and y + h <= height, panel["sliders_rect"]


def test_pins_are_decoded_again_while_training(wide_backend, tmp_path):
    report, panel, shot = _open_tab(wide_backend, tmp_path, "pins", "--pin-count=3")
    assert panel["pins_error"] == "", panel
    pins = panel["pins"]
    assert len(pins) == 3 and all(len(z) == LATENT_DIM for z in pins), pins
    assert len({tuple(z) for z in pins}) == 3, "three distinct pins"
    assert panel["pin_images"] == 3 and panel["pin_images_distinct"] == 3, panel
    assert panel["rows_sent"] == 3, "one decode request carries every pin"
    assert panel["overlay_pins_drawn"] == 3, "every pin is marked on the latent view"
    # New latent frames arrive at 5–10 Hz; the pins follow the training model, decoded again at
    # most every 0.3 s (StudioLiveDecode.INTERVAL_MS), never faster than their replies.
    window = panel["window_s"]
    assert panel["frames_in_window"] >= 3, panel
    assert 2 <= panel["redecodes_in_window"] <= window / 0.3 + 1, panel

    width, height, rows = read_png(shot)
    x, y, w, h = panel["pins_rect"]
    assert w >= 300 and h >= 200 and x + w <= width and y + h <= height, panel["pins_rect"]
    assert _contrast(rows, panel["pins_rect"]) > 80


@pytest.mark.parametrize("mode", ["linear", "slerp"])
def test_interpolation_between_two_pins_is_one_request_and_plays(wide_backend, tmp_path, mode):
    report, panel, shot = _open_tab(
        wide_backend, tmp_path, "interpolate", "--interp-steps=10", f"--interp-mode={mode}"
    )
    assert panel["interp_error"] == "", panel
    a, b = panel["pins"][:2]
    rows = panel["rows"]
    assert len(rows) == 10 and all(len(z) == LATENT_DIM for z in rows), rows
    assert rows[0] == pytest.approx(a, abs=1e-6) and rows[-1] == pytest.approx(b, abs=1e-6)
    assert panel["spherical"] == (mode == "slerp"), panel
    if mode == "linear":
        for i, z in enumerate(rows):
            t = i / 9
            assert z == pytest.approx([x + t * (y - x) for x, y in zip(a, b)], abs=1e-5), i
    else:
        # Equal turns, and the norm goes evenly from |a| to |b| (no dip through the origin).
        turns = [_angle(rows[i], rows[i + 1]) for i in range(9)]
        assert max(turns) - min(turns) < 1e-3, turns
        assert sum(turns) == pytest.approx(_angle(a, b), abs=1e-3)
        for i, z in enumerate(rows):
            t = i / 9
            assert _norm(z) == pytest.approx(_norm(a) + t * (_norm(b) - _norm(a)), abs=1e-4), i
        middle = [(x + y) / 2 for x, y in zip(a, b)]
        assert _norm(rows[4]) > _norm(middle) or _angle(a, b) < 1e-3
    assert panel["frames_shown"] == 10 and panel["frames_distinct"] >= 5, panel
    assert panel["session_path"] == 10, "the session holds the path for drawing"
    assert panel["overlay_path_points"] == 10 and panel["overlay_pins_drawn"] == 2, panel
    # Play walked along the filmstrip to its end; the inspector shows the last frame.
    assert panel["frames_played"] >= 5 and panel["play_index"] == 9, panel
    assert panel["decoded_is_last"], panel

    width, height, rows_px = read_png(shot)
    x, y, w, h = panel["interp_rect"]
    assert w >= 300 and h >= 200 and x + w <= width and y + h <= height, panel["interp_rect"]
    tiles = panel["filmstrip_rects"]
    assert len(tiles) == 10 and all(tw >= 32 and th >= 32 for _, _, tw, th in tiles), tiles
    assert all(_contrast(rows_px, rect) > 80 for rect in tiles[:: 3]), "each frame is a picture"


def test_pins_survive_a_run_of_another_width_and_are_decoded_by_its_model(tmp_path):
    """Three pins at latent_dim 8; a new run at latent_dim 4 (a `run.new`, as the Runs panel sends
    it): the pins stay, cut to the new width, and the new model decodes them."""
    backend = start_backend_process("--seed", "0", "--latent-dim", str(LATENT_DIM))
    try:
        report, panel, shot = _open_tab(backend, tmp_path, "pins", "--pin-count=3", "--pins-new-run=4")
    finally:
        stop_backend_process(backend)
    assert panel["run_error"] == "" and panel["pins_error"] == "", panel
    assert panel["run_after"] != panel["run_before"], panel
    before, after = panel["pins_before_run"], panel["pins"]
    assert len(before) == len(after) == 3 and all(len(z) == LATENT_DIM for z in before), panel
    assert all(len(z) == 4 for z in after), after
    for old, new in zip(before, after):
        assert new == pytest.approx(old[:4], abs=1e-6), "a pin keeps its first four coordinates"
    assert "8 to 4" in panel["pins_note"], panel["pins_note"]
    assert panel["pin_images"] == 3 and panel["rows_sent"] == 3, panel
    assert panel["pin_image_hashes"] != panel["pin_images_before_run"], "the new model decoded the pins"
    assert panel["overlay_pins_drawn"] == 3, "the pins are still marked on the latent view"

"""The Samples and Grid tabs of the Studio against a live, training backend.

The Studio runs inside the test driver scene under Xvfb; its panels driver
(godot_client/tests/drivers/panels_driver.gd) opens the tab with `--tab=samples|grid` and operates
the panel through its public methods, as its slider, button and spin box do. The report says what
the panel showed and sent: the samples grid before and after a temperature change and a re-roll
(protocol §5 `sample`), and the manifold mosaic of n × n decodes from one `decode` request over the
plane's extent (§6.1), refreshed as new latent frames arrive.
"""

from __future__ import annotations

import pytest

from support.backends import start_backend_process, stop_backend_process
from support.scene import connected_scene_report, read_png, region_pixels

pytestmark = pytest.mark.godot

SAMPLES = 16


@pytest.fixture(scope="module")
def digits_backend():
    backend = start_backend_process("--seed", "0")
    try:
        yield backend
    finally:
        stop_backend_process(backend)


def _open_tab(backend, tmp_path, tab: str, *driver_args: str) -> tuple[dict, dict, object]:
    shot = tmp_path / f"{tab}.png"
    report = connected_scene_report(backend, shot, f"--tab={tab}", *driver_args)
    panels = report["panels"]
    assert panels["finished"], panels
    return report, panels, shot


def _contrast(rows: list[bytes], rect: list[int]) -> int:
    brightness = sorted(sum(p) // 3 for p in region_pixels(rows, rect))
    return brightness[int(len(brightness) * 0.95)] - brightness[int(len(brightness) * 0.05)]


def test_samples_grid_follows_the_temperature_and_rerolls(digits_backend, tmp_path):
    report, panel, shot = _open_tab(digits_backend, tmp_path, "samples", "--samples-temperature=0.5")
    assert panel["samples_error"] == "", panel
    assert panel["samples_shown"] == SAMPLES and panel["samples_distinct"] >= SAMPLES - 2, panel

    # The temperature reached the request, and the backend drew the same z (same seed) at half
    # the spread: z ~ N(0, T²I).
    assert panel["temperature_first"] == 1.0 and panel["temperature_second"] == 0.5, panel
    assert panel["samples_last_args"] == {"n": SAMPLES, "seed": panel["seed_rerolled"], "temperature": 0.5}
    assert panel["seed_second"] == panel["seed_first"], panel
    ratio = panel["z_norm_second"] / panel["z_norm_first"]
    assert abs(ratio - 0.5) < 1e-3, f"z at T=0.5 is {ratio:.4f} of z at T=1 with the same seed"

    # Re-roll: a new seed, new z, new pictures.
    assert panel["seed_rerolled"] != panel["seed_second"], panel
    assert panel["z_changed_by_reroll"], panel
    assert panel["samples_changed_by_reroll"] >= SAMPLES - 2, panel
    assert panel["class_images"] == 0, "a plain VAE shows no class row"

    # On screen: the grid of samples has real contrast, not a flat patch.
    width, height, rows = read_png(shot)
    assert (width, height) == (1280, 720)
    x, y, w, h = panel["samples_rect"]
    assert w >= 300 and h >= 250 and x + w <= width and y + h <= height, panel["samples_rect"]
    assert _contrast(rows, panel["samples_rect"]) > 80


@pytest.mark.parametrize("n", [6, 16])
def test_grid_mosaic_has_n_by_n_distinct_tiles_and_follows_training(digits_backend, tmp_path, n):
    report, panel, shot = _open_tab(digits_backend, tmp_path, "grid", f"--grid-n={n}")
    assert panel["grid_error"] == "", panel
    assert panel["grid_n"] == n and panel["grid_tiles"] == n * n, panel
    assert panel["grid_rows_sent"] == n * n, "one decode request carries every tile"
    tile_w, tile_h = panel["grid_tile_size"]
    assert panel["grid_mosaic_size"] == [n * tile_w + n - 1, n * tile_h + n - 1], panel
    # A smooth decoder over the data's spread: neighbours differ a little, most tiles clearly.
    assert panel["grid_tiles_distinct"] >= n * n * 0.9, panel
    assert panel["grid_tiles_distinct_coarse"] >= n * n * 0.5, panel
    # The extent is the spread of the frame's points, not a fixed square.
    x0, y0, w, h = panel["grid_extent"]
    assert 0.5 < w < 20 and 0.5 < h < 20, panel["grid_extent"]

    # Auto: the backend trains, new latent frames arrive (5–10 Hz) and the mosaic is decoded
    # again, at most about twice a second.
    window = panel["grid_auto_window_s"]
    assert panel["grid_auto"] and 2 <= panel["grid_auto_refreshes"] <= 2.5 * window + 1, panel

    width, height, rows = read_png(shot)
    x, y, w, h = panel["grid_rect"]
    assert w >= 300 and h >= 250 and x + w <= width and y + h <= height, panel["grid_rect"]
    assert _contrast(rows, panel["grid_rect"]) > 80


def test_conditional_model_shows_one_z_as_every_class(tmp_path):
    backend = start_backend_process("--seed", "0", "--model", "cvae")
    try:
        report, panel, shot = _open_tab(backend, tmp_path, "samples")
    finally:
        stop_backend_process(backend)
    assert report["conditional"] and report["num_classes"] == 10, report
    assert panel["samples_shown"] == SAMPLES and panel["samples_error"] == "", panel
    assert panel["class_images"] == 10 and panel["class_distinct"] >= 5, panel


def test_vector_data_is_shown_as_numbers_and_the_grid_says_why_it_is_empty(tmp_path):
    backend = start_backend_process("--seed", "0", "--dataset", "moons")
    try:
        _, samples, _ = _open_tab(backend, tmp_path, "samples")
        _, grid, _ = _open_tab(backend, tmp_path, "grid", "--grid-n=4")
    finally:
        stop_backend_process(backend)
    assert samples["samples_shown"] == 0 and samples["samples_error"] == "", samples
    assert samples["samples_values"] == SAMPLES * 2 and samples["samples_value_width"] == 2, samples
    assert "vector data" in grid["grid_error"], grid

"""The Data tab of the Studio (data space of vector data) against a live, training backend.

The Studio runs inside the test driver scene under Xvfb; its data-space driver
(godot_client/tests/drivers/data_space_driver.gd) opens the tab with `--tab=data` and waits until
the view has drawn every row it fetched with `data.get` (protocol §5), and the model's
reconstructions (`encode` the rows, `decode` their μ) have been refreshed twice while the backend
trains. The report says what was drawn; the test compares it with the data as the Python client
gets it, and looks at the picture where the decoded point's marker is.
"""

from __future__ import annotations

import pytest

from support.backends import start_backend_process, stop_backend_process
from support.scene import connected_scene_report, read_png, region_pixels
from vaestudio.client import from_wire, to_wire

pytestmark = pytest.mark.godot

MOONS_ROWS = 2000  # the moons data set's default size
ACCENT = (0xFF, 0xD2, 0x3F)  # StudioPalette.ACCENT, the decoded point's marker


@pytest.fixture(scope="module")
def moons_backend():
    backend = start_backend_process("--seed", "0", "--dataset", "moons")
    try:
        yield backend
    finally:
        stop_backend_process(backend)


def _open_data_tab(backend, tmp_path, *driver_args: str) -> tuple[dict, dict, object]:
    shot = tmp_path / "data.png"
    report = connected_scene_report(backend, shot, "--tab=data", *driver_args)
    data = report["data_space"]
    assert data["finished"], data
    return report, data, shot


def _moons_rows(backend) -> list[list[float]]:
    with backend.client(timeout=30.0) as client:
        rows: list[list[float]] = []
        for start in range(0, MOONS_ROWS, 1000):
            result = client.call("data.get", indices=to_wire(list(range(start, start + 1000)), "i32"))
            rows.extend(from_wire(result["values"]).tolist())
    return rows


def test_moons_rows_reconstructions_and_the_decoded_point(moons_backend, tmp_path):
    report, data, shot = _open_data_tab(moons_backend, tmp_path, "--decode-at=0.5,-0.5")
    assert data["error"] == "" and not data["is_images"], data

    # Every row of the data set drawn, in two colours (the two moons).
    assert data["dataset_rows"] == MOONS_ROWS and data["value_width"] == 2, data
    assert data["rows_fetched"] == data["rows_drawn"] == MOONS_ROWS, data
    assert data["labels_distinct"] == 2, data

    # The view's bounds are the data's, as the Python client fetches them.
    rows = _moons_rows(moons_backend)
    xs, ys = [r[0] for r in rows], [r[1] for r in rows]
    expected = [min(xs), min(ys), max(xs), max(ys)]
    assert data["data_bounds"] == pytest.approx(expected, abs=1e-5), (data["data_bounds"], expected)

    # Reconstructions of every row, refreshed while training, drawn inside the plot and lying
    # over the data (a trained model's decodes of μ stay within the data's span, roughly).
    assert data["recon_updates"] >= 2, data
    assert data["reconstructions"] == data["reconstructions_drawn"] == MOONS_ROWS, data
    rx0, ry0, rx1, ry1 = data["recon_bounds"]
    x0, y0, x1, y1 = expected
    assert (rx1 - rx0) > 0.5 * (x1 - x0) and (ry1 - ry0) > 0.5 * (y1 - y0), data["recon_bounds"]

    # The decode of the picked point is the marker, and it is drawn where the report says.
    values = data["decoded_values"]
    assert report["decoded_vectors"] >= 1 and len(values) == 2, data
    assert data["decoded_marker"] == pytest.approx(values), data
    width, height, png_rows = read_png(shot)
    px, py, pw, ph = data["plot_rect"]
    assert pw >= 300 and ph >= 200 and px + pw <= width and py + ph <= height, data["plot_rect"]
    mx, my = data["decoded_marker_screen"]
    assert px <= mx < px + pw and py <= my < py + ph, (data["decoded_marker_screen"], data["plot_rect"])
    around = region_pixels(png_rows, [mx - 10, my - 10, 21, 21])
    accent = [p for p in around if all(abs(c - a) <= 40 for c, a in zip(p, ACCENT))]
    assert len(accent) >= 20, f"only {len(accent)} marker-coloured pixels around {mx, my}"


def test_image_data_says_so_instead_of_a_plot(tmp_path):
    backend = start_backend_process("--seed", "0")  # digits
    try:
        _, data, _ = _open_data_tab(backend, tmp_path)
    finally:
        stop_backend_process(backend)
    assert data["is_images"] and data["rows_drawn"] == 0, data
    assert data["message"] == "The data are images: see the inspector.", data

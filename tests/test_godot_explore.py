"""Exploring a latent space wider than the screen: the Studio against `vaestudio serve --latent-dim 8`.

The Studio runs inside the test driver scene under Xvfb; its explore driver
(godot_client/tests/drivers/explore_driver.gd) operates the latent view's header controls and presses
the left button on the plane with a synthetic InputEventMouseButton, which goes through the view's
own input handling. The report says what the view showed (axes, captions) and what the pick decoded:
a full z of latent_dim values through the frame's center (protocol §6.1), not a 2-vector padded with
zeros.
"""

from __future__ import annotations

import pytest

from support.backends import start_backend_process, stop_backend_process
from support.scene import connected_scene_report, read_png, region_pixels

pytestmark = pytest.mark.godot

LATENT_DIM = 8


@pytest.fixture
def wide_backend():
    backend = start_backend_process("--latent-dim", str(LATENT_DIM), "--seed", "0")
    try:
        yield backend
    finally:
        stop_backend_process(backend)


def _explore(backend, tmp_path, *driver_args: str, latent_dim: int = LATENT_DIM) -> tuple[dict, dict, object]:
    shot = tmp_path / "explore.png"
    report = connected_scene_report(backend, shot, *driver_args)
    assert report["latent_dim"] == latent_dim, report
    return report, report["explore"], shot


def _close(a: list[float], b: list[float], tol: float = 1e-4) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= tol * max(1.0, abs(y)) for x, y in zip(a, b))


def test_a_pick_on_the_pca_plane_decodes_a_full_z(wide_backend, tmp_path):
    report, explore, shot = _explore(wide_backend, tmp_path, "--pick-at=0.55,0.6")
    assert explore["finished"], explore
    assert explore["projection"] == "pca" and explore["axis_count"] == 3, explore
    assert all(name.startswith("PC") for name in explore["axes"]), explore["axes"]
    assert explore["frame_latent_dim"] == LATENT_DIM and len(explore["center"]) == LATENT_DIM
    x_caption, y_caption = explore["axis_captions"]
    assert x_caption.startswith(f"x: {explore['axes'][0]} · ") and x_caption.endswith("% of variance")
    assert y_caption.startswith(f"y: {explore['axes'][1]} · "), y_caption
    assert explore["controls_visible"] and explore["projection_control_visible"], explore

    # The pick decoded a full z: latent_dim values, the frame's to_z of the picked point through
    # the center, lying on that point of the plane, and not the point padded with zeros.
    z = explore["decoded_z"]
    assert report["decoded_z_length"] == len(z) == LATENT_DIM, report
    assert explore["pick_sent"] and len(explore["picked"]) == 2, explore
    assert _close(z, explore["expected_z"]), (z, explore["expected_z"])
    assert _close(explore["decoded_on_axes"][:2], explore["picked"], 1e-3), explore
    assert any(abs(v) > 1e-4 for v in z[2:]), f"z looks zero-padded: {z}"
    assert report["decoded_images"] >= 2, report  # the center first, then the pick

    # The decoded image is on screen, with real contrast.
    width, height, rows = read_png(shot)
    assert (width, height) == (1280, 720)
    image = region_pixels(rows, report["image_rect"])
    brightness = sorted(sum(p) // 3 for p in image)
    spread = brightness[int(len(brightness) * 0.95)] - brightness[int(len(brightness) * 0.05)]
    assert spread > 60, f"decoded image looks flat: spread {spread}"


def test_chosen_dims_and_a_loss_colouring_through_the_header(wide_backend, tmp_path):
    report, explore, shot = _explore(
        wide_backend, tmp_path, "--view-dims=3,5", "--view-colour=loss", "--pick-at=0.5,0.55"
    )
    assert explore["finished"], explore
    assert explore["projection"] == "dims" and explore["axes"] == ["z3", "z5"], explore
    assert explore["axis_captions"] == ["x: z3", "y: z5"], explore
    assert explore["color_by"] == "loss" and explore["has_color_values"], explore
    z = explore["decoded_z"]
    assert len(z) == LATENT_DIM and _close(z, explore["expected_z"]), explore
    # With chosen dims a pick sets exactly those two dimensions and keeps the anchor's others.
    assert _close([z[3], z[5]], explore["picked"], 1e-3), explore
    assert _close(explore["decoded_on_axes"], explore["picked"], 1e-3), explore

    # The points are drawn in the ramp's colours, not the label palette: many saturated pixels.
    width, height, rows = read_png(shot)
    x, y, w, h = report["latent_rect"]
    plane = region_pixels(rows, [x, y + 100, w, h - 160])
    coloured = [p for p in plane if max(p) - min(p) > 60 and max(p) > 90]
    assert len(coloured) > 2000, f"only {len(coloured)} point-coloured pixels on the latent plane"


def test_vector_data_decodes_values_not_images(tmp_path):
    backend = start_backend_process("--dataset", "moons", "--seed", "0")
    try:
        report, explore, _ = _explore(backend, tmp_path, "--pick-at=0.5,0.55", latent_dim=2)
    finally:
        stop_backend_process(backend)
    assert explore["finished"], explore
    # A decode of vector data replies `values`: the Studio keeps it and says it in numbers.
    assert report["decoded_vectors"] >= 2 and report["decoded_images"] == 0, report
    values = explore["decoded_values"]
    assert len(values) == 2, explore
    assert explore["values_in_words"] == "x = (%.2f, %.2f)" % tuple(values), explore


def test_a_one_dimensional_latent_space_still_picks(tmp_path):
    backend = start_backend_process("--latent-dim", "1", "--seed", "0")
    try:
        report, explore, _ = _explore(backend, tmp_path, "--pick-at=0.4,0.5", latent_dim=1)
    finally:
        stop_backend_process(backend)
    assert explore["finished"] and explore["axis_count"] == 1, explore
    assert explore["axes"] == ["z0"] and explore["axis_captions"] == ["x: z0", ""], explore
    assert len(explore["decoded_z"]) == 1 and _close(explore["decoded_z"], explore["picked"][:1]), explore
    assert not explore["projection_control_visible"], explore


# --- a data point: hover names it, a click shows its original and its reconstruction ----------


@pytest.fixture
def paused_backend():
    """A paused backend after 300 steps: its weights stay put, so the test's own `encode` and
    `decode` see exactly what the Studio saw."""
    backend = start_backend_process("--latent-dim", "2", "--seed", "0", "--paused")
    try:
        with backend.client(timeout=30.0) as c:
            c.call("train.step", n=300)
        yield backend
    finally:
        stop_backend_process(backend)


def _a_streamed_row(backend, nth: int) -> int:
    from vaestudio.client import from_wire

    with backend.client(timeout=10.0) as c:
        c.subscribe("latent")
        _, message = c.next_stream(timeout=10.0, topic="latent")
    return int(from_wire(message["indices"])[nth])


def test_hovering_a_point_names_its_label_and_row(paused_backend, tmp_path):
    row = _a_streamed_row(paused_backend, 17)
    _, explore, _ = _explore(paused_backend, tmp_path, f"--hover-row={row}", latent_dim=2)
    assert explore["finished"], explore
    assert explore["hovered_row"] == row, explore
    label = explore["hovered_label"]
    assert 0 <= label <= 9, explore
    assert explore["hover_caption"] == f"label {label} · row {row}", explore
    with paused_backend.client() as c:
        from vaestudio.client import from_wire, to_wire

        data = c.call("data.get", indices=to_wire([row], "i32"))
    assert int(from_wire(data["labels"])[0]) == label


def test_clicking_a_point_shows_its_original_and_reconstruction(paused_backend, tmp_path):
    import numpy as np

    from vaestudio.client import from_wire, to_wire

    row = _a_streamed_row(paused_backend, 40)
    report, explore, shot = _explore(paused_backend, tmp_path, f"--click-row={row}", latent_dim=2)
    assert explore["finished"] and explore["selected_row"] == row, explore
    point = explore["data_point"]
    assert point["row"] == row and point["complete"] and not point["error"], point
    with paused_backend.client() as c:
        data = c.call("data.get", indices=to_wire([row], "i32"))
        mu, logvar = c.encode([row])
        recon = c.decode(mu)
    original = from_wire(data["images"])[0]
    assert point["label"] == int(from_wire(data["labels"])[0])
    assert point["image_size"] == [original.shape[1], original.shape[0]]
    assert np.array_equal(np.array(point["original"], dtype=np.uint8), original.reshape(-1))
    assert np.allclose(point["mu"], mu[0], atol=1e-5) and np.allclose(point["logvar"], logvar[0], atol=1e-5)
    got = np.array(point["reconstruction"], dtype=np.int16)
    assert np.abs(got - recon[0].reshape(-1).astype(np.int16)).max() <= 1, "reconstruction differs"
    kl = 0.5 * float(np.sum(mu[0] ** 2 + np.exp(logvar[0]) - 1.0 - logvar[0]))
    assert abs(point["kl"] - kl) <= 1e-3 * max(1.0, kl), (point["kl"], kl)
    mse = float(np.mean(((original.astype(np.float64) - recon[0]) / 255.0) ** 2))
    assert abs(point["recon_error"] - mse) <= 1e-3, (point["recon_error"], mse)
    assert point["heading"].startswith(f"Data row {row}"), point
    assert "KL" in point["detail_text"] and "z0 μ" in point["posterior_text"], point

    # On screen: each frame shows its image, cell by cell (nearest filtering, aspect kept),
    # below the caption band at the top.
    _, _, rows = read_png(shot)
    for rect_key, pixels in (("original_rect", original), ("reconstruction_rect", recon[0])):
        x, y, w, h = point[rect_key]
        n_rows, n_cols = pixels.shape[:2]
        scale = min(w / n_cols, h / n_rows)
        x0, y0 = x + (w - n_cols * scale) / 2, y + (h - n_rows * scale) / 2
        diffs = []
        for r in range(n_rows):
            py = int(y0 + (r + 0.5) * scale)
            if py < y + 20:
                continue  # the caption
            for col in range(n_cols):
                px = int(x0 + (col + 0.5) * scale)
                shown = rows[py][px * 4]
                diffs.append(abs(int(shown) - int(pixels[r, col])))
        diffs.sort()
        assert diffs[int(len(diffs) * 0.95)] <= 3, f"{rect_key}: the picture differs from the data"


# --- three axes: the 3-D view ------------------------------------------------------------------


def _plane_pixels(report: dict, shot) -> list[tuple[int, int, int]]:
    """The latent view's pixels below its header and above its hint."""
    _, _, rows = read_png(shot)
    x, y, w, h = report["latent_rect"]
    return region_pixels(rows, [x, y + 100, w, h - 160])


def _share_changed(a: list[tuple[int, int, int]], b: list[tuple[int, int, int]]) -> float:
    changed = sum(1 for p, q in zip(a, b) if sum(abs(u - v) for u, v in zip(p, q)) > 60)
    return changed / max(1, len(a))


def test_the_3d_view_shows_every_point_and_orbits(tmp_path):
    backend = start_backend_process("--latent-dim", str(LATENT_DIM), "--seed", "0", "--paused")
    try:
        with backend.client(timeout=30.0) as c:
            c.call("train.step", n=200)
        for name in ("flat", "front", "orbit"):
            (tmp_path / name).mkdir()
        # The same paused weights each time: the pictures differ only by what the view does.
        report_2d, explore_2d, shot_2d = _explore(backend, tmp_path / "flat", "--view-colour=label")
        report_3d, explore_3d, shot_3d = _explore(backend, tmp_path / "front", "--view-3d")
        report_orbit, explore_orbit, shot_orbit = _explore(
            backend, tmp_path / "orbit", "--view-3d", "--orbit=120,40"
        )
    finally:
        stop_backend_process(backend)
    assert explore_2d["finished"] and not explore_2d["view_3d"], explore_2d
    assert explore_2d["view_3d_toggle_visible"] and explore_2d["axis_count"] == 3, explore_2d
    for explore in (explore_3d, explore_orbit):
        assert explore["finished"] and explore["view_3d"], explore
        assert explore["points_3d"] == 1797, explore
    # The drag turned the camera by what the view's orbit rate makes of 120 × 40 pixels.
    yaw0, pitch0 = explore_orbit["orbit_yaw_pitch_before"]
    yaw1, pitch1 = explore_orbit["orbit_yaw_pitch_after"]
    assert explore_orbit["orbit_sent"] and yaw1 < yaw0 - 0.5 and pitch1 > pitch0 + 0.2, explore_orbit
    assert abs(explore_orbit["camera_yaw"] - yaw1) < 1e-6, explore_orbit

    flat = _plane_pixels(report_2d, shot_2d)
    front = _plane_pixels(report_3d, shot_3d)
    turned = _plane_pixels(report_orbit, shot_orbit)
    coloured = [p for p in front if max(p) - min(p) > 60 and max(p) > 90]
    assert len(coloured) > 2000, f"only {len(coloured)} point-coloured pixels in the 3-D view"
    assert _share_changed(flat, front) > 0.03, "the 3-D view looks like the plane"
    assert _share_changed(front, turned) > 0.03, "orbiting did not change the 3-D picture"

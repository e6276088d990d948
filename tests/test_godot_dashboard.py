"""The Dashboard page of the Studio against a live backend (protocol/README.md: `metrics.history`,
the `dims`, `recons`, `layers` and `eval` streams, the watch's `log` warnings).

The Studio runs inside the test driver scene under Xvfb with `--view=dashboard`; the dashboard
driver (godot_client/tests/drivers/dashboard_driver.gd) waits for the run's history and the streams
to be drawn, then operates the chart with mouse events as a user does (ticks a series in the
legend, clicks the smoothing slider, turns the wheel over the chart, double-clicks it, drags a
range of steps, rests the pointer on it) and reports what was shown.
"""

from __future__ import annotations

import time

import pytest

from support.backends import start_backend_process, stop_backend_process
from support.scene import connected_scene_report, read_png, region_pixels
from vaestudio.datasets import load_dataset
from vaestudio.models import ModelSpec, build_model, fit_spec

pytestmark = pytest.mark.godot

LATENT_DIM = 8
JOIN_AFTER_STEPS = 500
EVAL_EVERY = 100


def _contrast(rows: list[bytes], rect: list[int]) -> int:
    brightness = sorted(sum(p) // 3 for p in region_pixels(rows, rect))
    return brightness[int(len(brightness) * 0.97)] - brightness[int(len(brightness) * 0.03)]


def _model_layers() -> list[str]:
    """The digits MLP's parameter-holding modules, in the model's own order (module paths)."""
    spec = fit_spec(ModelSpec(name="vae", latent_dim=LATENT_DIM), load_dataset("digits"))
    model = build_model(spec)
    return [name for name, module in model.named_modules() if list(module.parameters(recurse=False))]


@pytest.fixture(scope="module")
def late_report(tmp_path_factory):
    """A client that joins a run after more than 500 steps, with test evaluations on; the backend
    is paused while it joins (so the history spans fewer than 1000 steps: one step per bucket) and
    the driver presses Run, so live metrics follow the history."""
    backend = start_backend_process("--seed", "0", "--latent-dim", str(LATENT_DIM))
    try:
        with backend.client() as c:
            c.call("config.set", {"eval_every": EVAL_EVERY})
            deadline = time.monotonic() + 60
            while c.call("status")["step"] < JOIN_AFTER_STEPS + EVAL_EVERY and time.monotonic() < deadline:
                time.sleep(0.1)
            c.call("train.pause")
            joined_at = c.call("status")["step"]
        assert JOIN_AFTER_STEPS <= joined_at < 1000, joined_at
        shot = tmp_path_factory.mktemp("dashboard") / "dashboard.png"
        report = connected_scene_report(
            backend, shot, "--view=dashboard", "--dash-resume", "--dash-series=lr",
            "--dash-smoothing=0.95", "--dash-zoom=2", "--dash-drag=0.2,0.5", "--dash-hover=0.6",
        )
    finally:
        stop_backend_process(backend)
    dash = report["dashboard"]
    assert dash["finished"], dash
    return report, dash, shot, joined_at


def test_a_late_client_sees_the_whole_run_then_live_points(late_report):
    report, dash, _, joined_at = late_report
    assert dash["history_error"] == "" and dash["history_run"] == dash["run"] == report["run"], dash
    loss = dash["loss"]
    assert loss["first"] <= 2, f"the curve starts at step {loss['first']}, not at the run's start"
    assert dash["history_last_step"] >= joined_at, dash["history_last_step"]
    # Live metrics follow the history: every step once, rising, and some after its last step.
    assert loss["rising"], loss
    assert loss["after_history"] >= 1 and loss["last"] > dash["history_last_step"], loss
    # Test evaluations every 100 steps: test_loss beside the training loss.
    assert dash["test_loss_points"] >= 1 and "test_loss" in dash["drawn_series"], dash
    for name in ("loss", "recon", "kl", "lr", "beta", "test_loss"):
        assert name in dash["series"], (name, dash["series"])


def test_the_chart_is_operated_as_a_user_does(late_report):
    _, dash, _, _ = late_report
    before, after = dash["before"], dash["after"]
    assert "lr" not in before["shown"] and "lr" in after["shown"], "ticking lr in the legend shows it"
    assert before["smoothing"] == pytest.approx(0.6)
    assert after["smoothing"] == pytest.approx(0.95, abs=0.02), after["smoothing"]
    moved = [abs(a - b) for a, b in zip(before["loss_line_y"], after["loss_line_y"])]
    assert len(moved) == 24 and max(moved) > 0.5, f"the smoothed line did not change: {moved}"
    # Two wheel notches over the middle: about 0.8² of the steps remain on show.
    lo, hi = after["x_span"]
    zlo, zhi = after["x_span_zoomed"]
    assert lo <= zlo < zhi <= hi and (zhi - zlo) < 0.75 * (hi - lo), (after["x_span"], after["x_span_zoomed"])
    # A double-click shows the whole run again; a drag over 0.2–0.5 of the plot shows the steps that
    # were under it when pressed, though the live run grew while the button was held.
    rlo, rhi = after["x_span_reset"]
    assert rlo <= 2 and rhi >= zhi, after["x_span_reset"]
    assert after["last_step_at_release"] > rhi, "the run grew during the drag (else nothing here is tested)"
    dlo, dhi = after["x_span_dragged"]
    width = rhi - rlo
    assert dlo == pytest.approx(rlo + 0.2 * width, abs=0.03 * width), (after["x_span_reset"], dlo)
    assert dhi == pytest.approx(rlo + 0.5 * width, abs=0.03 * width), (after["x_span_reset"], dhi)
    assert dash["zoom"] == [dlo, dhi], "the dragged range stays on show"
    readout = dash["readout"]
    assert dlo <= readout["step"] <= dhi, readout
    assert set(readout["values"]) >= {"loss", "recon", "kl", "lr"}, readout


def test_dims_recons_and_layers_are_drawn_from_their_streams(late_report):
    _, dash, shot, _ = late_report
    dims = dash["dims"]
    assert dims["bars"] == LATENT_DIM, dims
    assert dims["active_units"] == dims["stream_active_units"] and 0 < dims["active_units"] <= LATENT_DIM, dims
    assert sum(dims["kl"]) == pytest.approx(dims["stream_kl"], rel=1e-3), "the bars sum to the batch KL"
    n = dash["recons_n"]
    assert 2 <= n <= 16 and dash["recons_updates"] >= 2, dash
    assert len(set(dash["recons_original_hashes"])) == n, "n distinct test rows"
    assert len(set(dash["recons_recon_hashes"])) == n, "n distinct reconstructions"
    assert len(dash["recons_tile_rects"]) == 2 * n, dash["recons_tile_rects"]
    assert dash["layers_names"] == dash["layers_stream_names"] == _model_layers(), dash["layers_names"]

    width, height, rows = read_png(shot)
    assert (width, height) == (1280, 720)
    for key in ("chart_rect", "dims_rect", "recons_rect", "layers_rect"):
        x, y, w, h = dash[key]
        assert w >= 150 and h >= 60 and x + w <= width and y + h <= height, (key, dash[key])
        assert _contrast(rows, dash[key]) > 60, f"{key} looks empty"
    for rect in dash["recons_tile_rects"][::5]:
        assert rect[2] >= 24 and _contrast(rows, rect) > 60, f"tile {rect} is not a picture"


def test_a_collapse_warning_shows_as_a_banner(tmp_path):
    """β = 50 pushes every dimension to the prior: after the watch's warm-up the backend posts a
    `collapse` warning, which the Dashboard shows as a banner (the client is there from step 0: the
    backend starts paused and the driver presses Run)."""
    backend = start_backend_process("--seed", "0", "--latent-dim", str(LATENT_DIM), "--beta", "50", "--paused")
    try:
        shot = tmp_path / "collapse.png"
        report = connected_scene_report(backend, shot, "--view=dashboard", "--dash-resume", "--dash-banner")
    finally:
        stop_backend_process(backend)
    dash = report["dashboard"]
    assert dash["finished"] and dash["banner_visible"], dash
    assert "collapse" in dash["banner_events"] and "collapse" in report["log_events"], dash
    assert "Posterior collapse" in dash["banner_text"] and "free bits" in dash["banner_text"], dash["banner_text"]
    assert dash["dims"]["active_units"] == 0, dash["dims"]
    width, height, rows = read_png(shot)
    assert _contrast(rows, dash["banner_rect"]) > 60, "the banner is drawn"

"""The Denoise, Anomaly and Compression pages of the Studio against a live backend (protocol/README.md
§5.4: `denoise`, `anomaly`, `compress`; the data option `exclude_labels`).

The Studio runs inside the test driver scene under Xvfb with `--use-case=NAME` (main.gd opens the
page); the driver (godot_client/tests/drivers/usecases_driver_a.gd) waits for the page's first
result, operates its controls with mouse events as a user does (the level and bits sliders, a class
check box, the threshold slider, the buttons), waits for the new result and reports what is shown.
"""

from __future__ import annotations

import json
import math
import time

import pytest

from support.backends import start_backend_process, stop_backend_process
from support.scene import connected_scene_report, read_png, region_pixels

pytestmark = pytest.mark.godot

LATENT_DIM = 8
TRAINED_STEPS = 2000


def _contrast(shot, rect: list[int]) -> int:
    """The spread of brightness in a region of the picture (0 for a blank one)."""
    _, _, rows = read_png(shot)
    brightness = sorted(sum(p) // 3 for p in region_pixels(rows, rect))
    return brightness[int(len(brightness) * 0.97)] - brightness[int(len(brightness) * 0.03)]


def _near(pixel: tuple[int, int, int], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 24 for a, b in zip(pixel, colour))


def _train(backend, steps: int = TRAINED_STEPS, timeout: float = 120.0) -> None:
    with backend.client() as c:
        deadline = time.monotonic() + timeout
        while c.call("status")["step"] < steps and time.monotonic() < deadline:
            time.sleep(0.2)
        assert c.call("status")["step"] >= steps, "the backend did not train in time"


@pytest.fixture(scope="module")
def trained_backend():
    """An 8-dim VAE on digits after 2000 steps, still training."""
    backend = start_backend_process("--seed", "0", "--latent-dim", str(LATENT_DIM))
    try:
        _train(backend)
        yield backend
    finally:
        stop_backend_process(backend)


def test_denoised_rows_beat_the_noisy_ones(trained_backend, tmp_path):
    shot = tmp_path / "denoise.png"
    report = connected_scene_report(trained_backend, shot, "--use-case=denoise", "--uc-level=0.4")
    page = report["usecases_a"]
    assert page["finished"] and page["error"] == "", page
    assert page["last_args"]["noise"] == {"kind": "gaussian", "level": pytest.approx(0.4)}
    assert page["rows"] == 8 and page["tiles"]["count"] == 24, "8 rows of clean | noisy | denoised"
    assert page["mean_denoised"] > page["mean_noisy"] + 1.0, (page["mean_noisy"], page["mean_denoised"])
    gain = page["mean_denoised"] - page["mean_noisy"]
    assert page["gain_text"] == f"{gain:+.1f} dB gain"
    assert f"noisy {page['mean_noisy']:.1f} dB" in page["summary"], page["summary"]
    assert all("→" in caption and caption.endswith(" dB") for caption in page["captions"]), page["captions"]
    # It ran again by itself while the model trained (about once a second).
    assert page["results_shown"] >= 3, page["results_shown"]
    for rect in page["tiles"]["rects"]:
        assert rect[2] >= 40 and _contrast(shot, rect) > 60, ("a blank tile", rect)


@pytest.fixture(scope="module")
def anomaly_report(tmp_path_factory):
    """A run trained without the 0s (exclude_labels [0]); the page scores the test split with 0 as
    the positive class, moves the threshold and shows the flagged rows in the latent view."""
    backend = start_backend_process("--seed", "0")
    try:
        with backend.client() as c:
            c.call("run.new", {"model": {"latent_dim": LATENT_DIM},
                               "data": {"name": "digits", "exclude_labels": [0]}})
            deadline = time.monotonic() + 60
            while c.call("status")["latent_dim"] != LATENT_DIM and time.monotonic() < deadline:
                time.sleep(0.2)
        _train(backend)
        shot = tmp_path_factory.mktemp("anomaly") / "anomaly.png"
        report = connected_scene_report(backend, shot, "--use-case=anomaly", "--uc-positive=0",
                                        "--uc-threshold=0.5", "--uc-show-latent")
    finally:
        stop_backend_process(backend)
    return report, shot


def test_anomaly_page_finds_the_class_left_out_of_training(anomaly_report):
    report, _ = anomaly_report
    page = report["usecases_a"]
    assert page["finished"] and page["error"] == "", page
    assert page["positives"] == [0] and page["last_args"]["positive_labels"] == [0], page["last_args"]
    assert page["classes"] == 10
    assert page["auc"] > 0.8 and 0.0 < page["average_precision"] <= 1.0, (page["auc"], page["average_precision"])
    assert page["roc_note"] == f"AUC {page['auc']:.3f} · AP {page['average_precision']:.3f}"
    assert page["roc_points"] >= 3
    positives, others = page["histogram_positives"], page["histogram_others"]
    assert len(positives) == len(others) == 24 and sum(positives) + sum(others) == page["n"]
    assert 5 <= sum(positives) < page["n"], "the test split keeps the 0s"
    # The most unusual rows, highest first, shown as tiles.
    scores = page["unusual_scores"]
    assert len(scores) == 8 and scores == sorted(scores, reverse=True) and scores[0] == page["max_score"]
    assert page["tiles"]["count"] == 8


def test_flagged_rows_are_ringed_in_the_latent_view(anomaly_report):
    report, shot = anomaly_report
    page = report["usecases_a"]
    flagged = page["flagged_rows"]
    assert 0 < len(flagged) < page["n"], "the threshold half-way along flags some rows"
    assert page["flagged"] == len(flagged) and sorted(page["highlighted_rows"]) == sorted(flagged)
    assert page["overlay_visible"], "Show in the latent view switched the main area to it"
    assert page["highlights_drawn"] == len(flagged), "every flagged row is in the latent frame"
    # The rings are the accent yellow; the class colours of digits have none that bright.
    _, _, rows = read_png(shot)
    ring = [p for p in region_pixels(rows, page["overlay_rect"]) if p[0] > 230 and p[1] > 190 and p[2] < 110]
    assert len(ring) > 10 * len(flagged), len(ring)


def test_train_without_a_class_starts_a_run_that_leaves_it_out(tmp_path):
    backend = start_backend_process("--seed", "0", runs_dir=tmp_path)
    try:
        with backend.client() as c:
            before = c.call("status")["run"]
        report = connected_scene_report(backend, tmp_path / "shot.png", "--use-case=anomaly",
                                        "--uc-train-without=3")
        with backend.client() as c:
            deadline = time.monotonic() + 30
            while c.call("status")["run"] == before and time.monotonic() < deadline:
                time.sleep(0.2)
            run = c.call("status")["run"]
    finally:
        stop_backend_process(backend)
    page = report["usecases_a"]
    assert page["started_run"] == run, (page["started_run"], run)
    config = json.loads((tmp_path / run / "config.json").read_text())
    assert config["data"]["exclude_labels"] == [3], config["data"]


def test_compression_bits_set_the_bytes_per_image(trained_backend, tmp_path):
    shot = tmp_path / "compression.png"
    report = connected_scene_report(trained_backend, shot, "--use-case=compression", "--uc-bits=4")
    page = report["usecases_a"]
    assert page["finished"] and page["error"] == "", page
    assert page["first"] == {"bits": 8, "bytes": math.ceil(LATENT_DIM * 8 / 8)}
    assert page["shown_bits"] == page["bits"] == 4 and page["last_args"]["bits"] == 4
    assert page["latent_dim"] == LATENT_DIM and page["bytes"] == math.ceil(LATENT_DIM * 4 / 8)
    assert page["raw"] == 64 and page["ratio"] == pytest.approx(64 / page["bytes"])
    assert page["headline"] == f"{page['bytes']} B per image"
    # The rate–distortion curve: one point per bit depth, bits per image = 8·ceil(Z·b/8).
    curve = page["curve"]
    assert [b for b, _, _ in curve] == [1, 2, 4, 6, 8, 12, 16]
    assert all(x == 8 * math.ceil(LATENT_DIM * b / 8) for b, x, _ in curve), curve
    assert curve[-1][2] > curve[0][2] + 1.0, "more bits, less distortion"
    assert page["tiles_cells_per_row"] == 2, "original | decoded"
    for rect in page["tiles"]["rects"]:
        assert _contrast(shot, rect) > 60, ("a blank tile", rect)
    _, _, rows = read_png(shot)
    line = [p for p in region_pixels(rows, page["plot_rect"]) if _near(p, (0x4E, 0x9B, 0xF0))]
    assert len(line) > 300, f"the curve is drawn ({len(line)} pixels of its colour)"


def test_vector_data_shows_numbers_and_unlabelled_data_has_no_positives(tmp_path):
    """swiss_roll: 3 values a row and no labels."""
    backend = start_backend_process("--seed", "0", "--dataset", "swiss_roll")
    try:
        _train(backend, steps=500)
        denoise = connected_scene_report(backend, tmp_path / "d.png", "--use-case=denoise")
        anomaly = connected_scene_report(backend, tmp_path / "a.png", "--use-case=anomaly", "--uc-positive=0")
    finally:
        stop_backend_process(backend)
    page = denoise["usecases_a"]
    assert page["finished"] and page["error"] == "" and page["tiles"]["count"] == 24, page
    for rect in page["tiles"]["rects"]:
        _, _, rows = read_png(tmp_path / "d.png")
        text = [p for p in region_pixels(rows, rect) if sum(p) // 3 > 150]
        assert len(text) > 30, ("a blank cell: its numbers are missing", rect, len(text))
    page = anomaly["usecases_a"]
    assert page["finished"] and page["error"] == "", page
    assert page["classes"] == 0 and page["positives"] == [] and "positive_labels" not in page["last_args"]
    assert page["auc"] is None and page["roc_note"] == "unlabelled data: no positives"
    assert page["train_without_disabled"], "no class to leave out of unlabelled data"
    assert page["n"] > 0 and page["tiles"]["count"] == 8, "the most unusual rows, as numbers"

"""The Style, Features and Generation pages of the Studio's Use cases view against a live backend
(protocol/README.md §5.4: `style`, `analogy`, `attribute`, `features`, `generation`).

The Studio runs inside the test driver scene under Xvfb with `--use-case=NAME`; the driver
(godot_client/tests/drivers/usecases_driver_b.gd) types rows into the pages' fields, picks classes
in the attribute menus, clicks the t slider and the Run button as a user does, and reports what
the pages show. MIG and DCI on shapes take minutes over the wire on a small machine: the GDScript
unit tests (test_usecases_b.gd) show them from the protocol's `features` vector instead.
"""

from __future__ import annotations

import pytest

from support.backends import start_backend_process, stop_backend_process
from support.scene import connected_scene_report, read_png, region_pixels

pytestmark = pytest.mark.godot

DIGIT_NAMES = [str(i) for i in range(10)]


def _contrast(rows: list[bytes], rect: list[int]) -> int:
    brightness = sorted(sum(p) // 3 for p in region_pixels(rows, rect))
    return brightness[int(len(brightness) * 0.97)] - brightness[int(len(brightness) * 0.03)]


def _page(backend_args: list[str], tmp_path, use_case: str, *driver_args: str):
    backend = start_backend_process("--seed", "0", *backend_args)
    try:
        shot = tmp_path / f"{use_case}.png"
        report = connected_scene_report(backend, shot, f"--use-case={use_case}", *driver_args)
    finally:
        stop_backend_process(backend)
    part = report["usecases_b"]
    assert part["finished"], part
    return part[use_case], shot


@pytest.fixture(scope="module")
def cvae_style(tmp_path_factory):
    return _page(["--model", "cvae"], tmp_path_factory.mktemp("style"), "style",
                 "--uc-rows=7,21,40", "--uc-analogy=3,8,12", "--uc-attribute=1,7,1.5")


def test_a_cvae_style_grid_has_each_row_as_every_class(cvae_style):
    style, shot = cvae_style
    assert style["grid_error"] == "", style["grid_error"]
    assert style["grid_sources"] == [7, 21, 40], "the typed rows are the grid's rows"
    assert (style["grid_rows"], style["grid_cols"]) == (3, 10), style
    assert style["grid_image_cells"] == 30 and style["grid_distinct"] == 30, style
    assert style["grid_titles"] == DIGIT_NAMES, "the data set's classes head the columns"
    assert style["grid_captions"] == ["row 7", "row 21", "row 40"], style["grid_captions"]
    _, _, rows = read_png(shot)
    assert _contrast(rows, style["grid_rect"]) > 80, "the grid's region shows digits"


def test_the_analogy_result_tile_appears(cvae_style):
    style, shot = cvae_style
    assert style["analogy_error"] == "" and style["analogy_rows"] == [3, 8, 12], style
    assert style["analogy_cells"] == 4 and style["analogy_distinct"] >= 3, style
    assert len(style["analogy_z"]) == 2 and style["analogy_result_hash"] != 0, style
    _, _, rows = read_png(shot)
    assert _contrast(rows, style["analogy_rect"]) > 80


def test_the_attribute_slider_changes_the_decoded_image(cvae_style):
    style, shot = cvae_style
    assert style["attribute_error"] == "", style["attribute_error"]
    assert (style["attribute_from"], style["attribute_to"]) == (1, 7), style
    assert style["attribute_vector_size"] == 2 and style["attribute_norm"] > 0, style
    assert min(style["attribute_counts"]) > 0, style["attribute_counts"]
    assert style["attribute_t"] == pytest.approx(1.5), "the slider was clicked at t = 1.5"
    # Each decode shows z beside z + t·v from one request: equal at t = 0, apart at t = 1.5.
    assert style["attribute_hash_t0"] == style["attribute_base_hash_t0"] != 0, style
    assert style["attribute_hash_t"] != style["attribute_base_hash_t"], "z + 1.5·v decodes otherwise"
    _, _, rows = read_png(shot)
    assert _contrast(rows, style["attribute_rect"]) > 80


def test_rows_picked_in_the_latent_view_join_the_grid_and_fill_the_analogy(tmp_path):
    style, _ = _page(["--model", "cvae"], tmp_path, "style", "--uc-pick=5,9,13")
    assert style["grid_sources"][:3] == [13, 9, 5], "each pick joins the grid at the top"
    assert style["grid_captions"][:3] == ["row 13", "row 9", "row 5"], style["grid_captions"]
    assert style["grid_error"] == "" and style["grid_distinct"] == style["grid_cells"], style
    assert style["analogy_rows"] == [5, 9, 13], "picks fill a, b, c in turn"
    assert style["analogy_error"] == "" and style["analogy_cells"] == 4, style


def test_a_plain_vae_says_why_there_is_no_class_grid_and_still_does_analogies(tmp_path):
    style, _ = _page([], tmp_path, "style")
    assert style["grid_cells"] == 0, style
    assert "No class grid for this model" in style["grid_error"], style["grid_error"]
    assert "vae" in style["grid_error"] and "conditional" in style["grid_error"], style["grid_error"]
    assert style["analogy_error"] == "" and style["analogy_cells"] == 4, style
    assert style["attribute_error"] == "" and style["attribute_vector_size"] == 2, style


def test_features_shows_probe_bars_and_a_confusion_matrix(tmp_path):
    features, shot = _page([], tmp_path, "features", "--uc-run-features")
    assert features["error"] == "", features["error"]
    assert features["names"] == ["probe on μ", "probe on raw", "probe on PCA", "5-NN on μ"]
    assert all(0.0 <= v <= 1.0 for v in features["values"]) and len(features["values"]) == 4
    assert features["classes"] == 10 and features["chance"] == pytest.approx(0.1), features
    assert features["values"][0] > 2 * features["chance"], "μ of a training vae beats chance"
    assert features["confusion_classes"] == 10 and features["confusion_names"] == DIGIT_NAMES
    assert features["confusion_total"] > 0, features
    assert all(s == pytest.approx(1.0, abs=1e-4) for s in features["confusion_row_sums"]), features
    assert not features["factor_bars_visible"] and features["factor_names"] == [], features
    assert features["measured_step"] > 0, features
    _, _, rows = read_png(shot)
    assert _contrast(rows, features["probe_rect"]) > 80
    assert _contrast(rows, features["confusion_rect"]) > 80


def test_generation_shows_samples_psnr_and_diversity(tmp_path):
    generation, shot = _page([], tmp_path, "generation")
    assert generation["quality_error"] == "", generation["quality_error"]
    quality = generation["quality"]
    assert quality["n"] == 256 and quality["psnr"] > 5.0, quality
    assert 0.0 < quality["diversity"] < 5.0 and quality["sample_diversity"] > 0, quality
    assert generation["psnr_text"] == "%.1f dB" % quality["psnr"], generation["psnr_text"]
    assert generation["diversity_text"] == "%.2f" % quality["diversity"], generation
    assert generation["samples_shown"] >= 1 and generation["sample_hashes"] >= 8, generation
    _, _, rows = read_png(shot)
    assert _contrast(rows, generation["samples_rect"]) > 80
    assert _contrast(rows, generation["bars_rect"]) > 40

"""The Data flow page of the Studio against a live, training backend (op `trace`, protocol §5.3).

The Studio runs inside the test driver scene under Xvfb with `--view="data flow"`; its data-flow
driver (godot_client/tests/drivers/dataflow_driver.gd) types a row into the page's spin box,
counts the traces shown over three seconds while the backend trains, and clicks Resample through
synthetic mouse events. The report says what the canvas drew: one column per layer of the model
with its name and shape (maps for conv layers, bars for dense ones), the μ, σ·ε and z rows of the
latent column, the label chips of a conditional model, and where on screen all of it is.
"""

from __future__ import annotations

import pytest

from support.backends import start_backend_process, stop_backend_process
from support.scene import connected_scene_report, read_png, region_pixels

pytestmark = pytest.mark.godot

LATENT_DIM = 8
ROW = 5
# The digits MLP with the default hidden sizes [256, 128]: encoder 64→256→128, decoder
# Z→128→256→64 (the heads μ and log σ² belong to the latent column).
MLP_LAYERS = [("encoder.body.0", [256]), ("encoder.body.2", [128]), ("decoder.body.0", [128]),
              ("decoder.body.2", [256]), ("decoder.body.4", [64])]


def _flow(backend_args: list[str], tmp_path, *driver_args: str) -> tuple[dict, dict, list[bytes]]:
    backend = start_backend_process("--seed", "0", *backend_args)
    try:
        shot = tmp_path / "flow.png"
        report = connected_scene_report(backend, shot, "--view=data flow", *driver_args)
    finally:
        stop_backend_process(backend)
    flow = report["data_flow"]
    assert flow["finished"] and flow["error"] == "" and flow["message"] == "", flow
    _, _, rows = read_png(shot)
    return report, flow, rows


def _contrast(rows: list[bytes], rect: list[int], tail: float = 0.05) -> int:
    """Brightness spread of a region between its `tail` and 1 − `tail` quantiles."""
    brightness = sorted(sum(p) // 3 for p in region_pixels(rows, rect))
    return brightness[int(len(brightness) * (1 - tail))] - brightness[int(len(brightness) * tail)]


def _inside(inner: list[int], outer: list[int]) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return ox <= x and oy <= y and x + w <= ox + ow + 1 and y + h <= oy + oh + 1


@pytest.fixture(scope="module")
def mlp_flow(tmp_path_factory):
    return _flow(["--latent-dim", str(LATENT_DIM)], tmp_path_factory.mktemp("mlp"),
                 f"--flow-row={ROW}", "--flow-resample")


def test_traces_arrive_at_two_a_second_while_training(mlp_flow):
    _, flow, _ = mlp_flow
    assert flow["window_training"], "the backend trained throughout the window"
    rate = flow["window_traces"] / flow["window_s"]
    print(f"traces shown while training: {rate:.2f} /s ({flow['window_traces']} in {flow['window_s']:.2f} s)")
    assert rate >= 2.0, flow


def test_every_layer_of_the_model_is_drawn_with_its_shape(mlp_flow):
    report, flow, rows = mlp_flow
    trace = flow["trace"]
    assert trace["index"] == ROW and flow["row"] == ROW, "the typed row is the one traced"
    assert [(layer["name"], layer["shape"]) for layer in trace["layers"]] == [
        (name, shape) for name, shape in MLP_LAYERS]
    columns = flow["columns"]
    assert [c["what"] for c in columns] == ["input", "layer", "layer", "latent", "layer", "layer",
                                            "layer", "output"], columns
    drawn = [(c["name"], c["shape"], c["drawn_as"]) for c in columns if c["what"] == "layer"]
    assert drawn == [(name, shape, "bars") for name, shape in MLP_LAYERS], drawn
    # Left to right, each inside the page, the page inside the 1280×720 window.
    xs = [c["rect"][0] for c in columns]
    assert xs == sorted(xs) and len(set(xs)) == len(xs), xs
    assert _inside(flow["canvas_rect"], [0, 0, report["width"], report["height"]]), flow["canvas_rect"]
    assert all(_inside(c["rect"], flow["canvas_rect"]) for c in columns), columns
    # Every column's picture is a picture: the digit, its reconstruction and each layer's bars.
    for column in columns:
        if "texture_rect" in column:
            assert _contrast(rows, column["texture_rect"]) > 60, column
    assert _contrast(rows, flow["graph_rect"]) > 120


def test_the_latent_column_shows_z_as_mu_plus_sigma_eps(mlp_flow):
    _, flow, _ = mlp_flow
    latent = flow["latent"]
    assert latent["dims"] == list(range(LATENT_DIM)), "all 8 dimensions fit"
    shown = latent["rows"]
    for d in range(LATENT_DIM):
        assert shown["sigma_eps"][d] == pytest.approx(shown["sigma"][d] * shown["eps"][d], abs=1e-5)
        assert shown["z"][d] == pytest.approx(shown["mu"][d] + shown["sigma_eps"][d], abs=1e-5), d
    assert flow["trace"]["identity_error"] < 1e-5
    assert len(shown["kl"]) == LATENT_DIM and all(k >= 0 for k in shown["kl"]), shown["kl"]


def test_resample_draws_a_new_eps(mlp_flow):
    _, flow, _ = mlp_flow
    before, after = flow["before_resample"], flow["after_resample"]
    assert before["seed"] == 0, "a live view starts on the default seed: the same ε each time"
    assert after["seed"] != before["seed"] and flow["seed"] == after["seed"], flow
    assert len(after["eps"]) == LATENT_DIM and after["eps"] != before["eps"], (before, after)
    assert after["z"] != before["z"], "a new ε moves z"
    # The resampled z feeds the decoder: its first layer's bars changed (the input did not).
    first_decoder = 1 + sum(1 for name, _ in MLP_LAYERS if name.startswith("encoder"))
    assert after["image_hashes"][0] == before["image_hashes"][0]
    assert after["image_hashes"][first_decoder] != before["image_hashes"][first_decoder]
    x, y, w, h = flow["resample_rect"]
    cx, cy = flow["clicked_at"]
    assert x <= cx <= x + w and y <= cy <= y + h, "the click landed on the button"


def test_a_conv_model_draws_activation_maps(tmp_path):
    _, flow, rows = _flow(["--latent-dim", str(LATENT_DIM), "--arch", "conv"], tmp_path)
    layers = flow["trace"]["layers"]
    maps = [c for c in flow["columns"] if c.get("drawn_as") == "map"]
    three_d = [layer for layer in layers if len(layer["shape"]) == 3]
    assert three_d and len(maps) == len(three_d), (layers, maps)
    assert [c["shape"] for c in maps] == [layer["shape"] for layer in three_d]
    assert any(layer["shape"][1:] == [8, 8] for layer in three_d), "a decoder map at full size"
    drawn = [c for c in flow["columns"] if c["what"] == "layer"]
    assert [(c["name"], c["shape"]) for c in drawn] == [(la["name"], la["shape"]) for la in layers]
    # After a ReLU most of a map is 0 (the ramp's dark end); the rest lights up.
    for column in maps:
        assert _contrast(rows, column["texture_rect"], tail=0.01) > 60, column
    assert len(set(flow["image_hashes"])) == len(flow["image_hashes"]), "every map differs"


def test_a_cvae_shows_its_label_entering_encoder_and_decoder(tmp_path):
    """The row is picked as a click on its point in the latent view picks it."""
    _, flow, rows = _flow(["--model", "cvae"], tmp_path, f"--flow-pick={ROW}")
    trace = flow["trace"]
    assert trace["index"] == ROW and flow["spin_value"] == ROW, "the picked row is traced and shown"
    assert trace["model"] == "cvae" and trace["label"] >= 0, trace
    chips = flow["chips"]
    assert [c["at"] for c in chips] == ["encoder", "decoder"], chips
    assert all(c["label"] == trace["label"] for c in chips), chips
    columns = flow["columns"]
    first_decoder = next(c for c in columns if c.get("name", "").startswith("decoder"))
    first_encoder = next(c for c in columns if c.get("name", "").startswith("encoder"))
    for chip, column in zip(chips, [first_encoder, first_decoder]):
        assert abs(chip["rect"][0] - column["rect"][0]) < 20, (chip, column)
        assert _contrast(rows, chip["rect"]) > 60, chip


@pytest.mark.parametrize("model, part", [("iwae", "iw_rows"), ("vq_vae", "code_index"),
                                         ("vamp", "pseudo_tiles")])
def test_a_variant_draws_its_own_part(tmp_path, model, part):
    """iwae: its k samples of z with their weights (and Animate draws new seeds as it goes); vq_vae:
    the nearest code and its index; vamp: its pseudo-inputs as tiles."""
    extra = ["--flow-animate"] if model == "iwae" else []
    _, flow, rows = _flow(["--model", model, "--latent-dim", str(LATENT_DIM)], tmp_path, *extra)
    assert flow["trace"]["model"] == model
    latent = flow["latent"]
    assert part in latent, latent
    if model == "iwae":
        assert latent["iw_rows"] >= 2, latent
        assert flow["seed"] != 0, "Animate drew new seeds"
    elif model == "vq_vae":
        assert latent["code_index"] >= 0
        # The encoder's output is used as it is: no noise, z = μ.
        assert latent["rows"]["z"] == latent["rows"]["mu"] and not any(latent["rows"]["eps"])
    else:
        assert 1 <= latent["pseudo_tiles"] <= 16, latent
    latent_rect = next(c["rect"] for c in flow["columns"] if c["what"] == "latent")
    assert _contrast(rows, latent_rect) > 60

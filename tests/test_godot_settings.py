"""The Settings tab of the Studio in real Godot against a live backend (protocol/README.md §5.5:
`model.list`/`data.list` Params, `model.check`, `data.browse`; `config.set`, `run.new`).

The Studio runs inside the test driver scene under Xvfb with `--view=settings`; the settings driver
(godot_client/tests/drivers/settings_driver.gd) types into the forms, picks in the option buttons,
edits the custom layer rows, double-clicks in the Browse dialog and presses Check and New run, the
same code as the controls, then reports what the page showed. The backend is asked directly what
it runs, so a form that only looks right cannot pass.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from support.backends import start_backend_process, stop_backend_process
from support.scene import connected_scene_report

pytestmark = pytest.mark.godot

CSV_ROWS = 240
CSV_FEATURES = 12
CSV_CLASSES = 3


def _write_csv(path: Path) -> None:
    """A labelled table: CSV_FEATURES numeric columns and a `label` column of CSV_CLASSES ids."""
    lines = [",".join([f"f{j}" for j in range(CSV_FEATURES)] + ["label"])]
    for i in range(CSV_ROWS):
        cells = [f"{((i * 7 + j * 3) % 17) / 17:.4f}" for j in range(CSV_FEATURES)]
        lines.append(",".join(cells + [str(i % CSV_CLASSES)]))
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def backend(tmp_path):
    """`vaestudio serve` on digits with a --data-dir that holds tables/points.csv."""
    data = tmp_path / "data"
    (data / "tables").mkdir(parents=True)
    _write_csv(data / "tables" / "points.csv")
    b = start_backend_process("--data-dir", str(data))
    b.csv = data / "tables" / "points.csv"
    yield b
    stop_backend_process(b)


def run_settings(backend, tmp_path: Path, steps: list[str], *extra: str) -> dict:
    """Runs the Studio on the Settings tab through `steps`; returns the page's report (the
    driver ran every step, the scene connected and exited cleanly)."""
    report = connected_scene_report(
        backend, tmp_path / "settings.png", "--view=settings", "--settings-steps=" + "|".join(steps), *extra
    )
    settings = report["settings"]
    assert settings["finished"] and settings["error"] == "", settings
    return settings


def wait_for_marker(marker: Path, text: str, timeout: float = 90.0) -> bool:
    """Waits until the driver has written `text` into `marker` (its cue for a second client)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text() == text:
            return True
        time.sleep(0.05)
    return False


def test_new_run_with_a_variant_parameter_and_mlp_widths(backend, tmp_path):
    with backend.client() as c:
        before = c.call("status")
    settings = run_settings(backend, tmp_path, [
        "model=beta_tcvae", "param.beta_tc=4", "param.gamma=2", "spec.hidden=64, 32",
        "spec.latent_dim=3", "newrun",
    ])
    # The forms were built from model.list: every model, and beta_tcvae's own parameters.
    assert {"vae", "beta_tcvae", "iwae", "vq_vae"} <= set(settings["models"]), settings["models"]
    assert {"alpha", "beta_tc", "gamma", "dataset_size"} <= set(settings["params"]), settings["params"]

    # run.new went out with what the forms held, and the backend trains exactly that now.
    new_run = settings["new_run"]
    assert new_run and new_run != before["run"], settings
    with backend.client() as c:
        status = c.call("status")
    model = status["model"]
    assert status["run"] == new_run and model["name"] == "beta_tcvae", status
    assert model["params"]["beta_tc"] == 4.0 and model["params"]["gamma"] == 2.0, model
    assert model["hidden"] == [64, 32] and model["latent_dim"] == 3, model
    assert status["config"] == before["config"], "the training keys went along unchanged"

    # The page shows the new run's values, with nothing left pending.
    assert settings["selected_model"] == "beta_tcvae" and not settings["pending"], settings
    assert settings["spec"]["hidden"] == [64, 32] and settings["spec"]["latent_dim"] == 3
    assert settings["params"]["beta_tc"] == 4.0, settings["params"]
    assert new_run in settings["view_message"], settings["view_message"]


def test_live_keys_apply_at_once_bad_values_are_refused_and_other_clients_are_followed(backend, tmp_path):
    with backend.client() as c:
        before = c.call("status")
    marker = tmp_path / "ready"
    at_marker: dict = {}

    def second_client() -> None:
        with backend.client() as other:
            if wait_for_marker(marker, "ready"):
                at_marker.update(other.call("status"))
                other.call("config.set", {"beta": 2.5})
            # The run.new waits until the form has shown beta (it resets the config).
            if wait_for_marker(marker, "beta shown"):
                other.call("run.new", {"model": {"name": "iwae", "latent_dim": 3, "k": 7}})

    thread = threading.Thread(target=second_client, daemon=True)
    thread.start()
    settings = run_settings(backend, tmp_path, [
        "train.grad_clip=5", "train.batch_size=5000", "train.lr=fast", "marker=ready",
        "await.train.beta=2.5", "marker=beta shown", "await.spec.latent_dim=3", "await.param.k=7",
    ], f"--settings-marker={marker}")
    thread.join(timeout=30)

    # grad_clip went to the running training through config.set: the same run took it.
    assert settings["applied"]["grad_clip"] == 5.0, settings["applied"]
    assert at_marker["run"] == before["run"] and at_marker["config"]["grad_clip"] == 5.0, at_marker
    assert at_marker["config"]["batch_size"] == before["config"]["batch_size"], at_marker["config"]

    # Bad values were refused in their fields, saying what is accepted; nothing was sent.
    messages = settings["messages"]
    assert "from 1 to 4096" in messages["train.batch_size"], messages
    assert "a number from 1e-07 to 10" in messages["train.lr"] and '"fast"' in messages["train.lr"]
    assert "batch_size" not in settings["applied"] and not settings["apply_errors"], settings

    # Another client's config.set showed in the beta field (the driver waited for 2.5 there), then
    # its run.new in the model forms, without a click here; the new run's config is its own.
    assert settings["follow_ms"] >= 0, settings
    print(f"\nanother client's config.set showed in the form {settings['follow_ms']} ms after the cue")
    assert settings["selected_model"] == "iwae" and settings["params"]["k"] == 7, settings
    assert settings["spec"]["latent_dim"] == 3, settings["spec"]
    with backend.client() as c:
        status = c.call("status")
    assert status["model"]["name"] == "iwae" and status["run"] == settings["status_run"], status
    assert settings["train"]["beta"] == status["config"]["beta"], (settings["train"], status["config"])


def test_a_custom_decoder_that_does_not_fit_names_its_layer_and_training_goes_on(backend, tmp_path):
    with backend.client() as c:
        before = c.call("status")
    settings = run_settings(backend, tmp_path, [
        "spec.arch=custom", "decoder.1.type=conv", "decoder.1.out=8", "check", "newrun", "steps=50",
        "decoder.1.type=relu", "decoder.2.out=96", "check",
    ])
    after = [s["after"] for s in settings["steps"]]
    # model.check refused the conv on flat features; the sentence stands under decoder row 1,
    # which it names.
    checked = after[3]
    assert checked["check_error"].startswith("decoder layer 1 (conv)"), checked
    assert checked["decoder_messages"]["1"] == checked["check_error"], checked
    # New run with it was refused too, the server's sentence shown at that layer again.
    assert after[4]["decoder_messages"]["1"].startswith("decoder layer 1 (conv)"), after[4]
    refused = after[4]["view_error"]
    assert "run.new refused" in refused and "decoder layer 1 (conv)" in refused, refused
    assert "The live run goes on." in refused, refused
    assert "run.new" not in settings["results"], settings["results"]
    with backend.client() as c:
        status = c.call("status")
    assert status["run"] == before["run"] and status["state"] == "training", status
    assert status["step"] >= before["step"] + 50, (before["step"], status["step"])

    # Fixed (the conv back to a relu, one width changed), model.check passes and each decoder
    # row shows the shape that comes out of it.
    assert settings["check_error"] == "" and settings["check"]["parameters"] > 0, settings
    shapes = [entry[1] for entry in settings["check"]["decoder"]]
    assert shapes == [[128], [128], [96], [96], [64]], shapes
    assert settings["decoder_shapes"] == ["→ 128", "→ 128", "→ 96", "→ 96", "→ 64"], settings
    assert settings["decoder_messages"] == {} and "✓ fits" in settings["check_text"], settings


def test_a_csv_picked_in_the_browse_dialog_trains_a_new_run(backend, tmp_path):
    with backend.client() as c:
        before = c.call("status")["run"]
        root = c.call("data.browse")["entries"][0]
    assert root["kind"] == "dir", root
    settings = run_settings(backend, tmp_path, [
        "data=file", "option.path=nowhere/missing.csv", "newrun",
        f"browse={root['name']}/tables/points.csv", "option.label_column=label", "newrun",
    ])
    # A path typed by hand that is not there: the server's sentence is shown at `path`, and the
    # bar says the live run goes on.
    refused = settings["steps"][2]["after"]
    assert "missing.csv" in refused["messages"]["option.path"], refused
    assert refused["view_error"].startswith("run.new refused (shown at the field it names)"), refused
    assert "The live run goes on." in refused["view_error"], refused

    # The dialog listed the folder through data.browse, with the file's size; picking the file
    # filled the path.
    entry = next(e for e in settings["browser_entries"] if e["name"] == "points.csv")
    assert entry["size"] == backend.csv.stat().st_size and entry["kind"] == "file", entry
    assert settings["options"]["path"] == entry["path"], settings["options"]
    assert settings["options"]["label_column"] == "label", settings["options"]
    assert "option.path" not in settings["messages"], settings["messages"]

    # The second New run trains on the picked file.
    with backend.client() as c:
        status = c.call("status")
    assert settings["new_run"] and settings["new_run"] != before, settings
    assert status["run"] == settings["new_run"] and status["dataset"]["name"] == "file", status
    assert status["dataset"]["n"] == CSV_ROWS and status["dataset"]["num_classes"] == CSV_CLASSES
    assert status["dataset"]["shape"] == [CSV_FEATURES], status["dataset"]

"""The Studio's Runs panel and conditional decoding, in real Godot against a live backend.

The test driver scene (godot_client/tests/drivers/) drives the panel through its public methods
and signals, the same code as its buttons: `--auto-new-run=MODEL` selects MODEL in the model list
(filled from `model.list`) and presses New run; `--auto-actions=eval,save,export,load,list,delete`
then presses those buttons in turn (`delete` picks each `--auto-delete` run in the Load dialog,
presses Delete… and confirms); `--auto-label=N` picks class N in the selector the inspector shows
for a conditional model. The screenshot mode waits for the new run's own latent frames and a
decode of it, and writes what the panel holds and did into its JSON report.
"""

from __future__ import annotations

import json
import shutil
import time

import pytest

from support.backends import start_backend_process, stop_backend_process
from support.scene import read_png, run_main_scene, script_problems

pytestmark = pytest.mark.godot

SCENE_TIMEOUT_S = 60


@pytest.fixture
def runs_backend(tmp_path):
    """`vaestudio serve` training a plain VAE on digits, its runs in the test's own folder."""
    runs = tmp_path / "runs"
    b = start_backend_process("--runs-dir", str(runs))
    b.runs_dir = runs
    yield b
    stop_backend_process(b)


def run_scene(backend, shot, *extra: str) -> dict:
    proc = run_main_scene(
        f"--control={backend.control}",
        f"--stream={backend.stream}",
        f"--screenshot={shot}",
        "--screenshot-frames=3",
        f"--screenshot-timeout={SCENE_TIMEOUT_S}",
        "--tab=runs",
        *extra,
    )
    output = proc.stdout + proc.stderr
    assert not script_problems(output), "\n".join(script_problems(output))
    report = json.loads(shot.with_suffix(".json").read_text())
    assert proc.returncode == 0, f"scene exited with {proc.returncode}: {report}\n{output[-3000:]}"
    return report


def test_new_conditional_run_from_the_panel_decodes_with_a_label(runs_backend, tmp_path):
    shot = tmp_path / "runs.png"
    report = run_scene(
        runs_backend,
        shot,
        "--auto-new-run=cvae",
        "--auto-label=3",
        "--auto-actions=eval,save,export",
    )
    panel = report["runs_panel"]
    assert panel["error"] == "" and panel["auto_finished"] and not report["timed_out"], report

    # The lists came from model.list and data.list.
    assert "cvae" in panel["models"] and "vq_vae" in panel["models"], panel["models"]
    assert "digits" in panel["datasets"] and "file" in panel["datasets"], panel["datasets"]

    # run.new went out through the panel, and the scene now shows that run: its own latent
    # frames, and a decode carrying the label picked in the inspector's class selector.
    new_run = panel["results"]["run.new"]["run"]
    assert report["run"] == new_run and new_run.startswith("cvae-"), report
    assert report["model"] == "cvae" and report["conditional"] and report["num_classes"] == 10
    assert report["run_latent_frames"] >= 3 and report["points_drawn"] >= 100, report
    assert report["run_decoded_images"] >= 1 and report["decoded_label"] == 3, report

    # Evaluate shows the test ELBO, its terms, the IS-NLL and the active units.
    evaluation = panel["results"]["eval"]
    for key in ("elbo", "recon", "kl", "nll", "active_units"):
        assert isinstance(evaluation[key], (int, float)), evaluation
    assert "test ELBO" in panel["result_text"] or "checkpoint" in panel["result_text"]

    # Save wrote a checkpoint into the run's folder under --runs-dir; Export… opened the Export
    # tab with the live run picked (the copy itself: test_godot_export.py).
    assert panel["results"]["run.save"]["run"] == new_run
    assert (runs_backend.runs_dir / new_run / "checkpoint.safetensors").is_file()
    assert "run.export" not in panel["results"], panel["results"]
    assert panel["export_requested"] == new_run and panel["export_view_visible"], panel
    assert panel["export_view_run"] == new_run, panel

    # The backend agrees: the live run is the panel's, and it is listed.
    with runs_backend.client() as c:
        status = c.call("status")
        assert status["run"] == new_run and status["model"]["name"] == "cvae"
        assert new_run in [r["run"] for r in c.call("run.list")["runs"]]

    # The `log` stream reached the Studio (new_run, saved: latest-wins may drop some).
    assert report["log_events"], report
    width, height, _ = read_png(shot)
    assert (width, height) == (1280, 720)


def test_save_then_load_from_the_panel(runs_backend, tmp_path):
    report = run_scene(
        runs_backend, tmp_path / "load.png", "--auto-new-run=vae", "--auto-actions=save,load"
    )
    panel = report["runs_panel"]
    assert panel["error"] == "" and not report["timed_out"], report
    saved = panel["results"]["run.save"]
    loaded = panel["results"]["run.load"]
    # The newest run is the one just saved: loading it comes back at the saved step, paused.
    assert loaded["run"] == saved["run"] == panel["results"]["run.new"]["run"], panel["results"]
    assert loaded["step"] == saved["step"], panel["results"]
    assert "Loaded" in panel["message"], panel["message"]
    with runs_backend.client() as c:
        status = c.call("status")
        assert status["run"] == saved["run"] and status["state"] == "paused", status


def test_a_bad_data_file_shows_the_servers_sentence_and_keeps_the_run(runs_backend, tmp_path):
    with runs_backend.client() as c:
        before = c.call("status")["run"]
    report = run_scene(
        runs_backend,
        tmp_path / "bad.png",
        "--auto-new-run=vae",
        "--auto-data=file",
        "--auto-data-path=nowhere/missing.npz",
    )
    panel = report["runs_panel"]
    assert panel["error"].startswith("Starting a new run failed: "), panel
    assert "invalid_argument" not in panel["error"] and "run.new" not in panel["error"], panel
    assert "missing.npz" in panel["error"] and panel["message"] == panel["error"], panel
    assert "run.new" not in panel["results"], panel["results"]
    # The live run is untouched and still streaming into the scene.
    assert report["run"] == before and report["run_latent_frames"] >= 3, report


def wait_for_run(client, run: str) -> None:
    for _ in range(300):
        if client.call("status")["run"] == run:
            return
        time.sleep(0.1)
    raise AssertionError(f"{run} never became live")


def test_the_load_list_shows_saved_runs_newest_first_and_deletes_after_confirmation(tmp_path):
    runs = tmp_path / "runs"
    backend = start_backend_process("--runs-dir", str(runs), "--autosave", "0")
    try:
        # Three runs, each saved a second after the one before (run.new saves the live run too),
        # and a folder without a checkpoint (a run that never saved), which cannot be loaded.
        with backend.client() as c:
            first = c.call("status")["run"]
            c.call("run.save")
            time.sleep(1.1)
            second = c.call("run.new", {"paused": True})["run"]
            wait_for_run(c, second)
            time.sleep(1.1)
            third = c.call("run.new", {"paused": True})["run"]
            wait_for_run(c, third)
            time.sleep(1.1)
            c.call("run.save")
            unsaved = runs / "unsaved-run"
            unsaved.mkdir()
            shutil.copy(runs / first / "config.json", unsaved / "config.json")
            listed = {r["run"]: r for r in c.call("run.list")["runs"]}
        assert not listed["unsaved-run"]["checkpoint"] and listed[third]["live"], listed
        report = run_scene(
            backend,
            tmp_path / "load.png",
            "--auto-actions=list,delete,delete",
            f"--auto-delete=live,{first}",
        )
        panel = report["runs_panel"]
        assert panel["auto_finished"] and not report["timed_out"], panel
        shown, after = ([entry["run"] for entry in listing] for listing in panel["load_lists"])
        # Only runs with a checkpoint, newest first (the live one too: it was saved).
        assert shown == [third, second, first], panel["load_lists"]
        assert [e["step"] for e in panel["load_lists"][0]] == [listed[r]["step"] for r in shown]
        # The live run cannot be deleted: its Delete… is disabled and the panel says why.
        live_delete, first_delete = panel["deletes"]
        assert live_delete == {"run": third, "button_disabled": True, "refused": True}, live_delete
        assert first_delete == {"run": first, "button_disabled": False, "refused": False}
        # The confirmed delete removed the run's folder on the server, and the list shows it.
        assert panel["results"]["run.delete"] == {"run": first, "deleted": True}, panel["results"]
        assert after == [third, second], panel["load_lists"]
        assert not (runs / first).exists() and (runs / second).is_dir()
        with backend.client() as c:
            assert first not in [r["run"] for r in c.call("run.list")["runs"]]
            assert c.call("status")["run"] == third
    finally:
        stop_backend_process(backend)

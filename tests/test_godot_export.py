"""The Export tab in real Godot against a live backend whose runs are in a temporary folder.

The test driver (godot_client/tests/drivers/export_driver.gd, `--view=export`) picks the run, the
items and a folder given here, presses Export (and Retry after a failure) and the Studio-side save
buttons, and writes what the tab showed into the screenshot's JSON report. The tests then check
what a user would: every file the server listed is in the folder and equal to the server's file
byte for byte; a folder that cannot be written is refused before anything is fetched; a backend
killed mid-export leaves no partial file and an error, and Retry finishes the copy; the Studio's
own pictures decode to the sizes they should have and the points CSV has a row per point.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from support.backends import REPO, Backend, free_port, start_backend_process, stop_backend_process
from support.scene import run_main_scene, script_problems

pytestmark = pytest.mark.godot

SCENE_TIMEOUT_S = 120
EVERY_ITEM = "checkpoint,config,metrics,latents,samples,reconstructions,latent_map,onnx,godot"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_export_scene(backend, shot: Path, *args: str) -> dict:
    proc = run_main_scene(
        f"--control={backend.control}",
        f"--stream={backend.stream}",
        f"--screenshot={shot}",
        "--screenshot-frames=3",
        f"--screenshot-timeout={SCENE_TIMEOUT_S}",
        "--view=export",
        *args,
    )
    output = proc.stdout + proc.stderr
    assert not script_problems(output), "\n".join(script_problems(output))
    report = json.loads(shot.with_suffix(".json").read_text())
    assert proc.returncode == 0, f"scene exited with {proc.returncode}: {report}\n{output[-3000:]}"
    assert not report["timed_out"] and report["export"]["finished"], report
    return report


def part_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.part"))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A cvae (its decoder takes labels, so the server leaves the ONNX file out) trained by a
    backend with autosave off, so its files stay as exported; the scene exports every item in
    256 KiB chunks, then saves each Studio picture, the points and a 3-frame sequence."""
    tmp = tmp_path_factory.mktemp("export")
    runs = tmp / "runs"
    backend = start_backend_process("--runs-dir", str(runs), "--model", "cvae", "--autosave", "0")
    try:
        report = run_export_scene(
            backend,
            tmp / "export.png",
            f"--export-to={tmp / 'dest'}",
            f"--export-items={EVERY_ITEM}",
            "--export-chunk=262144",
            "--studio-save=latent,decoded,strip,grid,points",
            f"--studio-to={tmp / 'studio'}",
            "--studio-sequence=1,3",
        )
        with backend.client() as c:
            step_after = c.call("status")["step"]
        yield {"report": report, "dest": tmp / "dest", "runs": runs, "step_after": step_after,
               "studio": tmp / "studio"}
    finally:
        stop_backend_process(backend)


def test_every_file_arrives_byte_for_byte(exported):
    report, dest = exported["report"], exported["dest"]
    export = report["export"]
    assert export["state"] == "DONE" and export["error"] == "", export
    run = export["run"]
    assert run == export["selected_run"] == report["run"], "the live run is picked by default"
    server_folder = exported["runs"] / run
    files = export["files"]
    assert export["done"] == files and "godot/decoder.safetensors" in files, export
    for name in files:
        here, there = dest / name, server_folder / name
        assert here.is_file(), name
        assert sha256(here) == sha256(there) == export["remote"][name]["sha256"], name
    assert export["bytes_done"] == export["bytes_total"] == sum((dest / f).stat().st_size for f in files)
    # 256 KiB chunks: the checkpoint took several requests, each file at least one.
    assert export["chunks_fetched"] == sum(max(1, math.ceil(export["remote"][f]["size"] / 262144))
                                           for f in files if export["remote"][f]["size"] > 0)
    assert part_files(dest) == []
    # A conditional model has no ONNX decoder: the tab says so, and names the reason.
    assert [s.split(": ")[0] for s in export["skipped"]] == ["onnx"], export["skipped"]
    assert "Skipped: onnx: the model takes class labels" in export["message"], export["message"]
    assert export["message"].startswith(f"Exported {len(files)} file(s) of {run} into {dest}/")
    # Training went on throughout.
    assert exported["step_after"] > report["step"] > 0


def test_studio_pictures_points_and_sequence(exported):
    report, studio = exported["report"], exported["studio"]
    export = report["export"]
    assert export["save_errors"] == {} and export["driver_error"] == "", export
    saved = {kind: Path(path) for kind, path in export["saved"].items()}
    assert set(saved) == {"latent", "decoded", "strip", "grid", "points"}, saved
    assert all(path.parent == studio for path in saved.values()), saved
    sources = export["sources"]

    def size(kind: str) -> tuple[int, int]:
        with Image.open(saved[kind]) as image:
            image.load()  # decodes every pixel
            return image.size

    # The decoded 8×8 digit, ×32 by nearest; the 10 frames of the path, ×12 each (96 px) on a
    # strip with 4 px gaps; the grid mosaic scaled to reach 512 px.
    assert sources["decoded"]["size"] == [8, 8] and size("decoded") == (256, 256)
    count = sources["strip"]["count"]
    assert count == 10 and size("strip") == (count * (96 + 4) + 4, 96 + 8)
    mosaic_w, mosaic_h = sources["grid"]["size"]
    factor = math.ceil(512 / max(mosaic_w, mosaic_h))
    assert size("grid") == (mosaic_w * factor, mosaic_h * factor)
    # The latent view at its own size, or 800 × 600 while it was never laid out (this tab
    # opened first).
    view_w, view_h = sources["latent"]["size"]
    laid_out = view_w >= 400 and view_h >= 300
    assert size("latent") == ((view_w, view_h) if laid_out else (800, 600))
    # One CSV row per point of the latest latent frame, as many as the latent view draws.
    lines = saved["points"].read_text().strip().splitlines()
    assert lines[0].startswith("point,row,label,z0,z1") and lines[0].endswith(",in_view")
    assert len(lines) - 1 == sources["points"]["points"] == report["points_drawn"] > 0
    rows = [line.split(",") for line in lines[1:]]
    assert {len(r) for r in rows} == {len(lines[0].split(","))}
    assert all(0 <= int(r[2]) <= 9 for r in rows), "labelled digits"
    # The sequence: three numbered pictures, and frames.csv with each one's step.
    folder = Path(export["sequence_folder"])
    assert folder.parent == studio and export["sequence_frames"] == 3
    frames = sorted(folder.glob("frame_*.png"))
    assert [f.name for f in frames] == ["frame_00001.png", "frame_00002.png", "frame_00003.png"]
    steps = (folder / "frames.csv").read_text().strip().splitlines()
    assert steps[0] == "frame,step,file" and len(steps) == 4
    assert [int(line.split(",")[1]) for line in steps[1:]] == sorted(int(line.split(",")[1]) for line in steps[1:])


def test_a_folder_that_cannot_be_written_is_refused_first(tmp_path):
    runs = tmp_path / "runs"
    backend = start_backend_process("--runs-dir", str(runs))
    try:
        blocker = tmp_path / "a_file"
        blocker.write_text("a file, not a folder")
        report = run_export_scene(backend, tmp_path / "refused.png", f"--export-to={blocker / 'out'}")
        export = report["export"]
        assert export["state"] == "FAILED", export
        assert export["error"].startswith(f"Cannot create the folder {blocker / 'out'}/"), export
        assert "is a file" in export["error"] and export["message"] == export["error"]
        # Nothing was asked of the server: no run.export, no file listed, none written anywhere.
        assert export["files"] == [] and export["done"] == [], export
        assert not (runs / report["run"] / "latents.csv").exists()
        assert "exported" not in report["log_events"], report["log_events"]
        assert blocker.read_text() == "a file, not a folder"
    finally:
        stop_backend_process(backend)


def serve(runs: Path, control: str, stream: str) -> subprocess.Popen:
    """`vaestudio serve` on given endpoints (a restart on the same ones), once it answers."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "vaestudio", "--runs-dir", str(runs), "serve", "--control", control,
         "--stream", stream, "--autosave", "0"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    with Backend(control, stream).client(timeout=1.0) as c:
        for _ in range(60):
            try:
                c.call("status", timeout=1.0)
                return proc
            except TimeoutError:
                assert proc.poll() is None, "vaestudio serve exited"
    proc.kill()
    raise RuntimeError("vaestudio serve did not answer within 60 s")


def test_a_backend_killed_mid_export_leaves_no_partial_file_and_retry_finishes(tmp_path):
    runs, dest = tmp_path / "runs", tmp_path / "dest"
    control, stream = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    procs = [serve(runs, control, stream)]
    seen: dict = {}

    def kill_once_the_checkpoint_is_in() -> None:
        # The checkpoint is the first file; the others (metrics, latents) still come after it.
        deadline = time.monotonic() + SCENE_TIMEOUT_S
        while time.monotonic() < deadline and not (dest / "checkpoint.safetensors").is_file():
            time.sleep(0.005)
        procs[0].kill()
        procs[0].wait()
        if (dest / "checkpoint.safetensors").is_file():
            seen["checkpoint_inode"] = (dest / "checkpoint.safetensors").stat().st_ino
        time.sleep(1.0)
        procs.append(serve(runs, control, stream))

    killer = threading.Thread(target=kill_once_the_checkpoint_is_in)
    killer.start()
    try:
        report = run_export_scene(
            Backend(control, stream),
            tmp_path / "killed.png",
            f"--export-to={dest}",
            "--export-items=checkpoint,config,metrics,latents",
            "--export-chunk=16384",
            "--export-retry",
        )
    finally:
        killer.join()
        for proc in procs:
            proc.kill()
            proc.wait()
    export = report["export"]
    first, last = export["attempts"][0], export["attempts"][-1]
    # The kill stopped the copy: the error says where and why, and no .part file was left.
    assert first["state"] == "FAILED" and export["retried"], export["attempts"]
    assert first["error"].startswith("The export stopped at "), first
    assert "disconnected" in first["error"] and "Retry goes on" in first["error"], first
    assert first["parts"] == [], first
    assert "checkpoint.safetensors" in first["done"], first
    # Retry went on with the rest once the backend was back: every file is whole and equal to
    # the one the killed server wrote, and the checkpoint copied before the kill was kept.
    assert last["state"] == "DONE" and export["state"] == "DONE", export["attempts"]
    folder = runs / export["run"]
    assert export["done"] == export["files"] and len(export["files"]) == 6, export["files"]
    for name in export["files"]:
        assert sha256(dest / name) == sha256(folder / name), name
    assert (dest / "checkpoint.safetensors").stat().st_ino == seen["checkpoint_inode"]
    assert part_files(dest) == []

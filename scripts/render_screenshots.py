"""Renders every view of the Studio into PNGs (`make screenshots`; docs/screenshots/ by default).

Starts `vaestudio serve` on free loopback ports with its runs in a temporary folder, then runs the
Studio inside the test driver scene (tests/drivers/studio_driver.tscn) under Xvfb once per view;
the driver's `--screenshot=PATH` saves the picture (and PATH.json, removed here) and quits. The
wide views run against a second backend with 8 latent dimensions (PCA axes); the last view has no
backend at all: the waiting overlay. Godot comes from scripts/godot.sh.

    python scripts/render_screenshots.py [OUT_DIR] [--readme PNG] [--only VIEW ...]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the tests' helpers start and stop the backend
from support.backends import free_port, start_backend_process, stop_backend_process  # noqa: E402

GODOT_SH = REPO / "scripts" / "godot.sh"
PROJECT = REPO / "godot_client"
DRIVER_SCENE = "res://tests/drivers/studio_driver.tscn"

# name -> driver arguments; each view waits for its own state before the picture is taken.
VIEWS: dict[str, list[str]] = {
    "studio": ["--screenshot-frames=40", "--screenshot-after=12", "--decode-at=0.6,-0.4"],
    # The main screen in the smallest window the Studio takes, and in a full-HD one (WINDOW_SIZES).
    "window-1024x600": ["--screenshot-frames=40", "--screenshot-after=6", "--decode-at=0.6,-0.4"],
    "window-1920x1080": ["--screenshot-frames=40", "--screenshot-after=6", "--decode-at=0.6,-0.4"],
    # The manifold grid of the plain VAE once it has trained a while (after the studio view).
    "grid": ["--tab=grid", "--grid-n=12", "--screenshot-frames=10", "--screenshot-after=4"],
    "connect": ["--screenshot-frames=5", "--screenshot-after=2", "--open=connect"],
    "log": ["--tab=log", "--auto-new-run=vae", "--auto-actions=save",
            "--screenshot-frames=10", "--screenshot-after=4"],
    "runs": ["--tab=runs", "--auto-new-run=cvae", "--auto-label=3", "--auto-actions=eval",
             "--screenshot-frames=30", "--screenshot-after=6"],
    # After the runs view the live run is a cvae: the samples tab shows its class row too.
    "samples": ["--tab=samples", "--samples-temperature=0.8", "--screenshot-frames=10",
                "--screenshot-after=4"],
    # The Settings tab: beta_tcvae picked for a new run (its parameters from model.list, two
    # values changed and marked), beside the live run's training keys.
    "settings": ["--view=settings", "--settings-steps=model=beta_tcvae|param.beta_tc=4|spec.hidden=512, 256",
                 "--screenshot-frames=5", "--screenshot-after=3"],
    # The Export tab after copying every item of the live run (the cvae: no ONNX decoder) into its
    # default folder (user://exports/<run>/), and a picture of the latent view saved beside it.
    "export": ["--view=export", "--export-items=checkpoint,config,metrics,latents,samples,"
               "reconstructions,latent_map,onnx,godot", "--studio-save=latent", "--screenshot-frames=10",
               "--screenshot-after=4"],
}
# Views drawn in a window of another size than the project's 1280 x 720: name -> Godot's --resolution.
WINDOW_SIZES: dict[str, str] = {"window-1024x600": "1024x600", "window-1920x1080": "1920x1080"}
# Views of a wider latent space (8 dims: principal-component axes), against their own backend.
WIDE_VIEWS: dict[str, list[str]] = {
    "explore-2d": ["--screenshot-frames=40", "--screenshot-after=12", "--pick-at=0.62,0.58"],
    # The same points on all three principal axes, in the 3-D view turned by a drag.
    "explore-3d": ["--screenshot-frames=40", "--screenshot-after=12", "--view-3d",
                   "--orbit=60,20"],
    # The z tab (a slider per dimension, by KL) after moving the most active one.
    "sliders": ["--tab=z", "--slide=top,1.8", "--screenshot-frames=30", "--screenshot-after=8"],
    # Two pins, the slerp path between them on the plane and its filmstrip, played.
    "interpolate": ["--tab=interpolate", "--interp-steps=12", "--interp-mode=slerp",
                    "--screenshot-frames=30", "--screenshot-after=8"],
    # A data point clicked on the plane: the inspector's original beside its reconstruction.
    "data-point": ["--screenshot-frames=40", "--screenshot-after=12", "--hover-row=321",
                   "--click-row=123"],
    # The Data flow page: row 123 traced through the 8-dim MLP, live, after a Resample.
    "dataflow": ["--view=data flow", "--flow-row=123", "--flow-resample", "--screenshot-frames=30",
                 "--screenshot-after=10"],
    # The Dashboard after a while of training (test evaluations on, see main): the chart with the
    # pointer resting on it, KL per dimension, layer health, the reconstructions strip.
    "dashboard": ["--view=dashboard", "--dash-smoothing=0.8", "--dash-hover=0.62",
                  "--screenshot-frames=30", "--screenshot-after=10"],
    # The same page with the reconstructions strip made large (its "large" toggle).
    "reconstructions": ["--view=dashboard", "--dash-large-recons", "--screenshot-frames=30",
                        "--screenshot-after=6"],
}
# Views of vector data (the moons toy set), against their own backend: the Data tab.
TOY_VIEWS: dict[str, list[str]] = {
    "toy-data": ["--tab=data", "--data-recon-updates=3", "--screenshot-frames=30",
                 "--screenshot-after=8", "--decode-at=0.5,-0.5"],
}

# Use-case pages, each against a backend of its own: name -> (backend arguments, driver arguments).
# The style grid needs a conditional model (a cvae) to draw each row as every class.
USE_CASE_B_VIEWS: dict[str, tuple[list[str], list[str]]] = {
    "style": (["--model", "cvae"], ["--use-case=style", "--uc-rows=7,21,40,95",
              "--uc-analogy=3,8,12", "--uc-attribute=1,7,1.5", "--screenshot-frames=30",
              "--screenshot-after=10"]),
    "features": ([], ["--use-case=features", "--uc-run-features", "--screenshot-frames=30",
                 "--screenshot-after=10"]),
    "generation": ([], ["--use-case=generation", "--screenshot-frames=30", "--screenshot-after=32"]),
}


def render(out: Path, args: list[str], expect: int = 0, scene: str = DRIVER_SCENE) -> None:
    size = ["--resolution", WINDOW_SIZES[out.stem]] if out.stem in WINDOW_SIZES else []
    cmd = [str(GODOT_SH), "--xvfb", "--rendering-driver", "opengl3", *size, "--path", str(PROJECT),
           scene, "--", f"--screenshot={out}", "--screenshot-timeout=90", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=REPO)
    out.with_suffix(".json").unlink(missing_ok=True)
    if proc.returncode != expect or not out.is_file():
        sys.exit(f"{out.name}: Godot exited with {proc.returncode}\n{(proc.stdout + proc.stderr)[-3000:]}")
    print(f"wrote {out}")


# Use-case pages of issue 10 (a), each against an 8-dim backend of its own trained 2000 steps first:
# name -> (the run it trains, or None for the backend's own digits run; driver arguments). The
# anomaly page's run leaves the 0s out of training, so the 0s are the unusual rows.
USE_CASE_A_VIEWS: dict[str, tuple[dict | None, list[str]]] = {
    "denoise": (None, ["--use-case=denoise", "--uc-level=0.3", "--screenshot-frames=10"]),
    "anomaly": ({"model": {"latent_dim": 8}, "data": {"name": "digits", "exclude_labels": [0]}},
                ["--use-case=anomaly", "--uc-positive=0", "--uc-threshold=0.45",
                 "--screenshot-frames=10"]),
    "compression": (None, ["--use-case=compression", "--uc-bits=4", "--screenshot-frames=10"]),
}


def render_use_cases_a(out: Path, wanted: set[str], steps: int = 2000) -> None:
    for name, (run, args) in USE_CASE_A_VIEWS.items():
        if name not in wanted:
            continue
        backend = start_backend_process("--seed", "0", "--latent-dim", "8")
        try:
            with backend.client() as client:
                if run is not None:
                    run_id = client.call("run.new", run)["run"]
                    while client.call("status")["run"] != run_id:
                        time.sleep(0.2)
                while client.call("status")["step"] < steps:
                    time.sleep(0.2)
            render(out / f"{name}.png", [f"--control={backend.control}", f"--stream={backend.stream}", *args])
        finally:
            stop_backend_process(backend)


def render_offline_decoder(out: Path, steps: int = 3000) -> None:
    """The offline decoder example (godot_client/examples/) on a cvae's decoder, exported as "godot"
    after `steps` steps; the example itself runs with no backend."""
    backend = start_backend_process("--seed", "0", "--model", "cvae")
    try:
        with backend.client() as client:
            while client.call("status")["step"] < steps:
                time.sleep(0.2)
            run = client.call("run.export", {"items": ["godot"]}, timeout=120)["run"]
        decoder = Path(backend.tmp.name) / run / "godot" / "decoder.safetensors"
        render(out / "offline-decoder.png", [f"--decoder={decoder}", "--frames=8"],
               scene="res://tests/drivers/offline_decoder_driver.tscn")
    finally:
        stop_backend_process(backend)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--readme", type=Path, default=REPO / "docs" / "screenshot.png",
                        help="where the main view is copied for the README ('' to skip)")
    parser.add_argument("--only", nargs="+", metavar="VIEW", default=None,
                        help="render only these views (e.g. samples grid waiting)")
    options = parser.parse_args()
    wanted = set(options.only or [*VIEWS, *WIDE_VIEWS, *TOY_VIEWS, *USE_CASE_B_VIEWS, "waiting", "offline-decoder"])
    if options.only is None:
        wanted |= set(USE_CASE_A_VIEWS)
    options.out = options.out.resolve()  # Godot runs in the project folder
    options.out.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(GODOT_SH), "--headless", "--path", str(PROJECT), "--import"],
                   capture_output=True, check=True, timeout=300, cwd=REPO)
    backend = start_backend_process("--seed", "0")  # runs in a temporary folder, removed at stop
    try:
        for name, args in VIEWS.items():
            if name in wanted:
                render(options.out / f"{name}.png", [f"--control={backend.control}", f"--stream={backend.stream}", *args])
    finally:
        stop_backend_process(backend)
    backend = start_backend_process("--seed", "0", "--latent-dim", "8")
    try:
        with backend.client() as client:  # the dashboard plots the test split's loss beside it
            client.call("config.set", {"eval_every": 250})
        for name, args in WIDE_VIEWS.items():
            if name in wanted:
                render(options.out / f"{name}.png", [f"--control={backend.control}", f"--stream={backend.stream}", *args])
    finally:
        stop_backend_process(backend)
    if wanted & set(TOY_VIEWS):
        backend = start_backend_process("--seed", "0", "--dataset", "moons")
        try:
            for name, args in TOY_VIEWS.items():
                if name in wanted:
                    render(options.out / f"{name}.png",
                           [f"--control={backend.control}", f"--stream={backend.stream}", *args])
        finally:
            stop_backend_process(backend)
    for name, (backend_args, args) in USE_CASE_B_VIEWS.items():
        if name in wanted:
            backend = start_backend_process("--seed", "0", *backend_args)
            try:
                render(options.out / f"{name}.png",
                       [f"--control={backend.control}", f"--stream={backend.stream}", *args])
            finally:
                stop_backend_process(backend)
    render_use_cases_a(options.out, wanted)
    if "offline-decoder" in wanted:
        render_offline_decoder(options.out)
    # Nothing listens: the overlay; the driver gives up waiting for frames (exit code 3).
    absent = [f"--control=tcp://127.0.0.1:{free_port()}", f"--stream=tcp://127.0.0.1:{free_port()}"]
    if "waiting" in wanted:
        render(options.out / "waiting.png", [*absent, "--screenshot-timeout=3"], expect=3)
    if str(options.readme) not in ("", ".") and "studio" in wanted:
        shutil.copyfile(options.out / "studio.png", options.readme)
        print(f"copied the main view to {options.readme}")


if __name__ == "__main__":
    main()

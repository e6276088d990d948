"""Renders every view of the Studio into PNGs (`make screenshots`; docs/screenshots/ by default).

Starts `vaestudio serve` on free loopback ports with its runs in a temporary folder, then runs the
Studio inside the test driver scene (tests/drivers/studio_driver.tscn) under Xvfb once per view;
the driver's `--screenshot=PATH` saves the picture (and PATH.json, removed here) and quits. The
last view has no backend at all: the waiting overlay. Godot comes from scripts/godot.sh.

    python godot_client/tests/render_screenshots.py [OUT_DIR] [--readme PNG]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GODOT_SH = REPO / "scripts" / "godot.sh"
PROJECT = REPO / "godot_client"
DRIVER_SCENE = "res://tests/drivers/studio_driver.tscn"

# name -> driver arguments; each view waits for its own state before the picture is taken.
VIEWS: dict[str, list[str]] = {
    "studio": ["--screenshot-frames=40", "--screenshot-after=12", "--decode-at=0.6,-0.4"],
    "connect": ["--screenshot-frames=5", "--screenshot-after=2", "--open=connect"],
    "log": ["--tab=log", "--auto-new-run=vae", "--auto-actions=save,export",
            "--screenshot-frames=10", "--screenshot-after=4"],
    "runs": ["--tab=runs", "--auto-new-run=cvae", "--auto-label=3", "--auto-actions=eval",
             "--screenshot-frames=30", "--screenshot-after=6"],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render(out: Path, args: list[str], expect: int = 0) -> None:
    cmd = [str(GODOT_SH), "--xvfb", "--rendering-driver", "opengl3", "--path", str(PROJECT),
           DRIVER_SCENE, "--", f"--screenshot={out}", "--screenshot-timeout=90", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=REPO)
    out.with_suffix(".json").unlink(missing_ok=True)
    if proc.returncode != expect or not out.is_file():
        sys.exit(f"{out.name}: Godot exited with {proc.returncode}\n{(proc.stdout + proc.stderr)[-3000:]}")
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--readme", type=Path, default=REPO / "docs" / "screenshot.png",
                        help="where the main view is copied for the README ('' to skip)")
    options = parser.parse_args()
    options.out = options.out.resolve()  # Godot runs in the project folder
    options.out.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(GODOT_SH), "--headless", "--path", str(PROJECT), "--import"],
                   capture_output=True, check=True, timeout=300, cwd=REPO)
    control, stream = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    with tempfile.TemporaryDirectory(prefix="vaestudio-shots-") as runs:
        server = subprocess.Popen(
            [sys.executable, "-m", "vaestudio", "--runs-dir", runs, "serve", "--control", control,
             "--stream", stream, "--seed", "0"],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        try:
            time.sleep(2.0)
            if server.poll() is not None:
                sys.exit(f"vaestudio serve exited with {server.returncode}")
            for name, args in VIEWS.items():
                render(options.out / f"{name}.png", [f"--control={control}", f"--stream={stream}", *args])
        finally:
            server.terminate()
            server.wait(timeout=15)
    # Nothing listens: the overlay; the driver gives up waiting for frames (exit code 3).
    absent = [f"--control=tcp://127.0.0.1:{free_port()}", f"--stream=tcp://127.0.0.1:{free_port()}"]
    render(options.out / "waiting.png", [*absent, "--screenshot-timeout=3"], expect=3)
    if str(options.readme) not in ("", "."):
        shutil.copyfile(options.out / "studio.png", options.readme)
        print(f"copied the main view to {options.readme}")


if __name__ == "__main__":
    main()

"""GDScript-side figures against a live `vaestudio serve`, in real Godot 4.

    .venv/bin/python bench/bench_godot.py [--frames 240] [--rounds 30] [--latent-dim 32]

1. The client alone (headless, godot_client/tests/e2e_client.gd): msgpack-decoding one `latent`
   frame of 10 000 points into positions, turning a 64x64 u8 image into a texture, and `decode`
   round trips from GDScript while the backend trains.
2. The Studio as a user meets it (main.tscn in the test driver scene, under Xvfb with the OpenGL
   renderer, tests/drivers/bench_driver.gd), against `serve --dataset shapes` (10 000 rows of
   64x64 images, all of them in the latent view) while it trains: the frame time of the 2-D and
   the 3-D view, a slider moved on the z tab to its decoded image (ms and frames), a 16x16
   manifold grid (256 decodes in one request) from refresh to mosaic on screen, and the frame
   rate: frames drawn per second on the main screen while the model trains and once it is paused
   (fps_training, fps_idle). The Studio runs in Godot's low-processor mode, drawing only when
   something changed, so idle it draws a frame or two a second instead of 60; the frame times
   above are taken with every frame drawn.

The renderer under Xvfb is software (llvmpipe) sharing the CPU with the trainer: frame times are
an upper bound of what a GPU desktop shows. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.backends import start_backend_process, stop_backend_process  # noqa: E402
from support.godot import run_script  # noqa: E402
from support.scene import run_main_scene  # noqa: E402


def bench_lines(output: str, what: str, rc: int) -> list[str]:
    lines = re.findall(r"^BENCH .*$", output, re.MULTILINE)
    if rc != 0 or not lines:
        print(output[-3000:])
        raise SystemExit(f"{what} failed (exit {rc})")
    return lines


def client_figures() -> list[str]:
    backend = start_backend_process()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            result = run_script(
                "res://tests/e2e_client.gd",
                [f"--control={backend.control}", f"--stream={backend.stream}", f"--out={tmp}/e2e.json",
                 "--timeout=90", "--bench-requests=500"],
                timeout=300,
            )
    finally:
        stop_backend_process(backend)
    return bench_lines(result.output, "the headless client benchmark", result.rc)


def studio_figures(frames: int, rounds: int, latent_dim: int) -> list[str]:
    backend = start_backend_process("--dataset", "shapes", "--latent-dim", str(latent_dim), timeout=180)
    try:
        proc = run_main_scene(f"--control={backend.control}", f"--stream={backend.stream}", "--bench",
                              f"--bench-frames={frames}", f"--bench-rounds={rounds}")
    finally:
        stop_backend_process(backend)
    return bench_lines(proc.stdout + proc.stderr, "the Studio benchmark", proc.returncode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=240, help="frames timed in each view")
    parser.add_argument("--rounds", type=int, default=30, help="slider moves and grids timed")
    parser.add_argument("--latent-dim", type=int, default=32)
    options = parser.parse_args()
    print("the GDScript client, headless (ms)")
    for line in client_figures():
        print(" ", line)
    print(f"the Studio under Xvfb, shapes (10 000 points), latent_dim {options.latent_dim} "
          "(ms; frames; fps_*: frames drawn per second)")
    for line in studio_figures(options.frames, options.rounds, options.latent_dim):
        print(" ", line)


if __name__ == "__main__":
    main()

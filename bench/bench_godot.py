"""GDScript-side figures against a live `vaestudio serve`, in real Godot 4 (headless).

    .venv/bin/python bench/bench_godot.py

Runs godot_client/tests/e2e_client.gd, which times (a) msgpack-decoding one `latent` frame of
10 000 points into positions, (b) turning a 64x64 u8 image into a texture, and (c) `decode` round
trips from GDScript while the backend trains. Prints figures; asserts nothing.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.backends import start_backend_process, stop_backend_process  # noqa: E402
from support.godot import run_script  # noqa: E402


def main() -> None:
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
    lines = re.findall(r"^BENCH .*$", result.stdout, re.MULTILINE)
    if result.rc != 0 or not lines:
        print(result.output[-3000:])
        raise SystemExit(f"the Godot benchmark failed (exit {result.rc})")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()

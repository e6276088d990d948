"""A Studio running in the background while a test acts on it from outside (another Studio, a Python
client, a backend restart). Its driver (godot_client/tests/drivers/multiclient_driver.gd) rewrites
a watch file with what the Studio shows ("now") and every change of it with its Unix time
("timeline"), and carries out the orders the test appends to an orders file, as a user would."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

import pytest

from support.scene import finish_scene, script_problems, start_main_scene, stop_scene

SCENE_LIMIT_S = 400  # the scene's own limit (--screenshot-timeout); a test stops it long before
WAIT_S = 60.0  # how long wait_until waits for what the Studio shows (a loaded machine is slow)


class WatchedStudio:
    def __init__(self, control: str, stream: str, folder: Path, name: str, *extra: str):
        self.name = name
        self.watch = folder / f"{name}.watch.json"
        self.orders = folder / f"{name}.orders"
        self.shot = folder / f"{name}.png"
        self.orders.write_text("")
        self.proc = start_main_scene(
            f"--control={control}",
            f"--stream={stream}",
            f"--screenshot={self.shot}",
            "--screenshot-frames=1",
            f"--screenshot-timeout={SCENE_LIMIT_S}",
            f"--watch={self.watch}",
            f"--orders={self.orders}",
            *extra,
        )

    def read(self) -> dict:
        """The whole watch file ({} before the Studio first wrote it)."""
        try:
            return json.loads(self.watch.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def now(self) -> dict:
        return self.read().get("now", {})

    def timeline(self) -> list[dict]:
        return self.read().get("timeline", [])

    def order(self, line: str) -> None:
        """Appends one order (see multiclient_driver.gd); the Studio carries it out within ~0.1 s."""
        with self.orders.open("a") as f:
            f.write(line + "\n")

    def wait_until(self, what: str, shown: Callable[[dict], bool], timeout: float = WAIT_S) -> dict:
        """Polls the watch file until `shown(now)` holds and returns that `now`; fails the test
        with what was on screen when the Studio exits or `timeout` passes first."""
        deadline = time.monotonic() + timeout
        now: dict = {}
        while time.monotonic() < deadline:
            now = self.now()
            if now and shown(now):
                return now
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        output = finish_scene(self.proc, 5).stdout if self.proc.poll() is not None else ""
        pytest.fail(f"Studio {self.name}: never showed {what}; on screen:\n{json.dumps(now, indent=1)[-6000:]}"
                    f"\n{output[-3000:]}")

    def first_shown(self, key: str, value: object, since: float) -> float | None:
        """The Unix time `key` first showed `value` at or after `since` (None: not yet)."""
        for change in self.timeline():
            if change["key"] == key and change["value"] == value and change["t"] >= since:
                return change["t"]
        return None

    def finish(self) -> dict:
        """Tells the Studio to stop, waits for it, checks that it quit cleanly with no script
        problem, and returns its final report (the JSON beside its screenshot)."""
        self.order("stop")
        proc = finish_scene(self.proc, 90)
        output = proc.stdout
        assert not script_problems(output), "\n".join(script_problems(output))
        assert proc.returncode == 0, f"Studio {self.name} exited with {proc.returncode}:\n{output[-4000:]}"
        return json.loads(self.shot.with_suffix(".json").read_text())

    def kill(self) -> None:
        stop_scene(self.proc)

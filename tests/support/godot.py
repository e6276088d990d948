"""Runs Godot 4 for the GDScript tests, through scripts/godot.sh.

scripts/godot.sh uses $GODOT when set, otherwise a Godot 4 provisioned from Debian into a cached
debootstrap root. The project is imported (`--import`, which builds the class_name cache in
godot_client/.godot) once per test session before the first script runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GODOT_SH = REPO / "scripts" / "godot.sh"
PROJECT = REPO / "godot_client"

_lock = threading.Lock()
_state: dict[str, object] = {}


@dataclass
class GodotResult:
    rc: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def script_errors(self) -> list[str]:
        """Lines where Godot reported a script error (these never change the exit code)."""
        return [line for line in self.output.splitlines() if "SCRIPT ERROR" in line]


def _command(args: list[str], xvfb: bool = False) -> list[str]:
    cmd = [str(GODOT_SH)]
    if xvfb:
        cmd.append("--xvfb")
    return cmd + args


REQUIRE_ENV = "VAESTUDIO_REQUIRE_GODOT"  # set to 1 (as .ci/run does): no Godot fails the run
SKIP_PREFIX = "no Godot 4"  # conftest counts skips whose reason starts with this and says so loudly


def skip_without_godot(why: str) -> None:
    """Skips the calling test, or fails it when Godot is required ($VAESTUDIO_REQUIRE_GODOT=1)."""
    message = f"{SKIP_PREFIX}: {why}"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message} ({REQUIRE_ENV}=1: the Godot tests must run here)", pytrace=False)
    pytest.skip(message)


def require_godot() -> None:
    """Skips the calling test when no Godot 4 can be found or provisioned (once per session)."""
    with _lock:
        if "available" not in _state:
            try:
                proc = subprocess.run(
                    _command(["--version"]), capture_output=True, text=True, timeout=600, cwd=REPO
                )
                _state["available"] = proc.returncode == 0 and proc.stdout.strip().startswith("4.")
                _state["why"] = (proc.stdout + proc.stderr).strip()[-500:]
            except (OSError, subprocess.TimeoutExpired) as exc:
                _state["available"] = False
                _state["why"] = str(exc)
    if not _state["available"]:
        skip_without_godot(f"scripts/godot.sh found or provisioned none: {_state['why']}")


def ensure_imported() -> None:
    """Runs `godot --headless --import` once per session so class_name scripts resolve."""
    require_godot()
    with _lock:
        if _state.get("imported"):
            return
        proc = subprocess.run(
            _command(["--headless", "--path", str(PROJECT), "--import"]),
            capture_output=True,
            text=True,
            timeout=300,
            cwd=REPO,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"godot --import failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
        _state["imported"] = True


def script_command(script: str, user_args: list[str] | tuple[str, ...] = (), xvfb: bool = False,
                   headless: bool = True) -> list[str]:
    """Command line running `script` (a res:// path or a path) in the project."""
    args = ["--headless"] if headless else []
    args += ["--path", str(PROJECT), "--script", script]
    if user_args:
        args += ["--", *user_args]
    return _command(args, xvfb=xvfb)


def run_group(cmd: list[str], timeout: float, what: str) -> subprocess.CompletedProcess[str]:
    """Runs cmd in its own process group; on timeout the whole group (Godot, Xvfb, the wrapper) is
    killed, so nothing is left holding the provisioning lock or a display, and the test fails."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{what} ran past {timeout} s; output so far:\n{(out + err)[-4000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def run_script(script: str, user_args: list[str] | tuple[str, ...] = (), timeout: float = 120,
               xvfb: bool = False, headless: bool = True) -> GodotResult:
    """Runs a SceneTree script to completion; a timeout kills it and fails the test."""
    ensure_imported()
    cmd = script_command(script, user_args, xvfb=xvfb, headless=headless)
    proc = run_group(cmd, timeout, f"godot {script}")
    return GodotResult(proc.returncode, proc.stdout, proc.stderr)


def start_script(script: str, user_args: list[str] | tuple[str, ...] = ()) -> subprocess.Popen:
    """Starts a headless script and returns the process (stdout piped, text, line-buffered)."""
    ensure_imported()
    return subprocess.Popen(
        script_command(script, user_args),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        cwd=REPO,
    )

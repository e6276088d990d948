"""A fresh copy of the Godot project runs the README's way, with no import first.

The copy holds what git ships of godot_client/: no `.godot/` import cache except its class list
(`.godot/global_script_class_cache.cfg`, kept by .gitignore), without which Godot knows none of the
scripts' `class_name`s and every script fails to compile. Run as the README says
(`godot --path godot_client -- --control=... --stream=...`, here headless), the copy connects to a
backend with no script error. The shipped class list is exactly what `godot --import` writes, so a
new `class_name` without it fails here. And a copy without it says on its overlay that its scripts
failed to load, never that it waits for a backend.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from support import godot as godot_runner
from support.scene import script_problems

pytestmark = pytest.mark.godot

CLASS_LIST = Path(".godot") / "global_script_class_cache.cfg"
CONNECT_WAIT_S = 90.0  # a loaded machine starts Godot slowly


def fresh_copy(dest: Path, with_class_list: bool = True) -> Path:
    """godot_client/ as a fresh clone has it: everything but the `.godot/` cache, whose class list
    comes along unless `with_class_list` is false. `dest` must be under /tmp, which
    scripts/godot.sh shows its Godot."""
    project = dest / "godot_client"
    shutil.copytree(godot_runner.PROJECT, project, ignore=shutil.ignore_patterns(".godot"))
    if with_class_list:
        (project / CLASS_LIST).parent.mkdir()
        shutil.copy2(godot_runner.PROJECT / CLASS_LIST, project / CLASS_LIST)
    return project


def test_git_ships_the_class_list_and_no_other_part_of_the_cache():
    if shutil.which("git") is None or not (godot_runner.REPO / ".git").exists():
        pytest.skip("not a git checkout")

    def ignored(path: str) -> bool:
        return subprocess.run(["git", "check-ignore", "-q", path], cwd=godot_runner.REPO).returncode == 0

    assert not ignored(f"godot_client/{CLASS_LIST.as_posix()}")
    assert ignored("godot_client/.godot/uid_cache.bin") and ignored("godot_client/.godot/imported/x.ctex")


def test_the_shipped_class_list_is_what_an_import_writes(tmp_path):
    godot_runner.require_godot()
    shipped = (godot_runner.PROJECT / CLASS_LIST).read_text()
    project = fresh_copy(tmp_path, with_class_list=False)
    proc = godot_runner.run_group(
        [str(godot_runner.GODOT_SH), "--headless", "--path", str(project), "--import"], 300, "godot --import"
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    made = (project / CLASS_LIST).read_text()
    assert made == shipped, (
        "godot_client/.godot/global_script_class_cache.cfg is not what `godot --import` writes now "
        "(a class_name was added, renamed or removed): run scripts/godot.sh --headless --path "
        "godot_client --import and ship the file it writes"
    )


def test_a_fresh_copy_connects_to_the_backend_without_an_import(make_server, tmp_path):
    godot_runner.require_godot()
    backend = make_server(paused=True)
    project = fresh_copy(tmp_path)
    # The README's command, headless; no --import, no test driver.
    cmd = [str(godot_runner.GODOT_SH), "--headless", "--path", str(project), "--",
           f"--control={backend.control}", f"--stream={backend.stream}"]
    out = tmp_path / "godot.out"
    with out.open("w") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, text=True,
                                cwd=godot_runner.REPO, start_new_session=True)
    try:
        clients = 0
        deadline = time.monotonic() + CONNECT_WAIT_S
        with backend.client() as py:
            # This client is one; the Studio makes it two once it connected.
            while clients < 2 and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.5)
                clients = py.call("status")["clients"]
            time.sleep(2.0)  # a few of the Studio's frames with the backend, for any script error
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    output = out.read_text()
    assert clients >= 2, f"the Studio never connected ({clients} client(s)); it printed:\n{output[-4000:]}"
    assert not script_problems(output), "\n".join(script_problems(output))
    assert not (project / ".godot" / "imported").exists(), "nothing imported the copy"


def test_without_its_class_list_the_studio_says_its_scripts_failed_not_that_it_waits(tmp_path):
    godot_runner.require_godot()
    project = fresh_copy(tmp_path, with_class_list=False)
    proc = godot_runner.run_group(
        [str(godot_runner.GODOT_SH), "--headless", "--path", str(project), "--script",
         "res://tests/overlay_probe.gd"],
        120, "the overlay probe",
    )
    output = proc.stdout + proc.stderr
    assert "Parse Error" in output, "without the class list the scripts do not compile"
    shown = [line.removeprefix("OVERLAY ") for line in output.splitlines() if line.startswith("OVERLAY ")]
    assert len(shown) == 1, output[-3000:]
    text = shown[0]
    assert "failed to load" in text and "--import" in text, text
    assert "Waiting for" not in text and "went away" not in text, text

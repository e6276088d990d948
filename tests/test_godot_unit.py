"""GDScript unit tests (msgpack vectors, ZMTP framing, array helpers) in a real headless Godot 4."""

from __future__ import annotations

import re

import pytest

from support.godot import run_script

pytestmark = pytest.mark.godot


def test_gdscript_unit_tests_pass():
    result = run_script("res://tests/run_unit_tests.gd", timeout=300)
    tail = result.output[-6000:]
    summary = re.findall(r"^(\d+) passed, (\d+) failed$", result.stdout, re.MULTILINE)
    assert summary, f"no summary line from the runner:\n{tail}"
    passed, failed = map(int, summary[-1])
    assert failed == 0, f"{failed} GDScript tests failed:\n{tail}"
    assert passed >= 30, f"only {passed} GDScript tests ran:\n{tail}"
    assert result.rc == 0, f"runner exited {result.rc}:\n{tail}"
    assert not result.script_errors(), f"script errors:\n{tail}"


def test_exit_code_comes_through():
    # The unit runner relies on quit(code) reaching the shell; check it with a non-zero code.
    result = run_script("res://tests/exit_code_probe.gd", ["--code=3"], timeout=60)
    assert result.rc == 3, result.output[-2000:]


def test_runner_fails_on_a_failing_test(tmp_path):
    # Only the probe's failing test runs (--only), so the runner must report it and exit 1.
    result = run_script("res://tests/run_unit_tests.gd", ["--only=test_deliberate_failure"], timeout=60)
    assert "0 passed, 1 failed" in result.stdout, result.output[-2000:]
    assert result.rc == 1

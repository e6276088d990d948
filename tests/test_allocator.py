"""glibc's malloc told to keep freed memory in `vaestudio train` and `serve` (allocator.py)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

GLIBC = platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not GLIBC, reason="the settings are glibc's")
def test_glibc_takes_every_setting():
    out = subprocess.run([sys.executable, "-c", "from vaestudio import allocator; print(allocator.keep_freed_memory())"],
                         capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True"]


def test_train_and_serve_keep_freed_memory(monkeypatch, tmp_path):
    """`vaestudio train` applies the settings before it builds anything."""
    from vaestudio import allocator, cli

    called = []
    monkeypatch.setattr(allocator, "keep_freed_memory", lambda: called.append(True) or True)
    assert cli.main(["--runs-dir", str(tmp_path), "train", "-q", "--steps", "2", "--dataset", "digits"]) == 0
    assert called == [True]

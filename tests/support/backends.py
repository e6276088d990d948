"""Backends for tests: `vaestudio serve` as a subprocess on free loopback ports, the `vaestudio`
command, and the record of a running server that fixtures hand to tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from vaestudio.client import Client
from vaestudio.server import Server

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Backend:
    """A running server: its endpoints, and (in-process only) the objects behind them."""

    control: str
    stream: str
    latent_dim: int = 2
    server: Server | None = None
    process: subprocess.Popen | None = None
    tmp: object | None = None  # the temporary runs folder, removed when the process stops

    def client(self, timeout: float = 10.0) -> Client:
        return Client(self.control, self.stream, timeout=timeout)


def start_backend_process(*extra: str, timeout: float = 60.0, runs_dir: Path | None = None) -> Backend:
    """`vaestudio serve` as a subprocess on free loopback ports. Without runs_dir, runs go to a
    temporary folder that is removed with the process (see stop_backend_process)."""
    control, stream = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    tmp = None
    if runs_dir is None and "--runs-dir" not in extra:
        tmp = tempfile.TemporaryDirectory(prefix="vaestudio-runs-")
        runs_dir = Path(tmp.name)
    runs = ["--runs-dir", str(runs_dir)] if runs_dir is not None else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "vaestudio", *runs, "serve", "--control", control, "--stream", stream, *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    backend = Backend(control, stream, process=proc, tmp=tmp)
    with backend.client(timeout=1.0) as c:
        deadline = timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"vaestudio serve exited with {proc.returncode}:\n{proc.stdout.read()}")
            try:
                hello = c.call("status", timeout=1.0)
                backend.latent_dim = hello["latent_dim"]
                return backend
            except TimeoutError:
                deadline -= 1.0
                if deadline <= 0:
                    proc.kill()
                    raise


def serve_at(control: str, stream: str, runs, *extra: str, timeout: float = 60.0) -> Backend:
    """`vaestudio serve` on these endpoints (the ones a stopped backend had: a restart under a
    running client), runs in `runs`; returns once it answers `status`."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "vaestudio", "--runs-dir", str(runs), "serve", "--control", control, "--stream", stream,
         *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    backend = Backend(control, stream, process=proc)
    deadline = time.monotonic() + timeout
    with backend.client(timeout=1.0) as c:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"vaestudio serve exited with {proc.returncode}:\n{proc.stdout.read()}")
            try:
                c.call("status", timeout=1.0)
                return backend
            except TimeoutError:
                if time.monotonic() > deadline:
                    proc.kill()
                    raise


def stop_backend_process(backend: Backend) -> str:
    """SIGTERM, wait, and return what the server printed."""
    proc = backend.process
    assert proc is not None
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    if backend.tmp is not None:
        backend.tmp.cleanup()
    return out




def vaestudio(*args: str, runs=None, cwd=REPO, timeout: float = 300) -> subprocess.CompletedProcess:
    """Runs the `vaestudio` command (with `--runs-dir RUNS` when given) and returns what it printed."""
    runs_flag = ["--runs-dir", str(runs)] if runs is not None else []
    return subprocess.run([sys.executable, "-m", "vaestudio", *runs_flag, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)

"""Shared fixtures: servers on random loopback ports, clients that time out instead of hanging."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import zmq

from vaestudio.client import Client
from vaestudio.config import TrainConfig
from vaestudio.datasets import load_dataset
from vaestudio.models import ModelSpec
from vaestudio.runs import RunStore
from vaestudio.server import Server
from vaestudio.trainer import Trainer

REPO = Path(__file__).resolve().parent.parent


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


@pytest.fixture
def make_server(tmp_path):
    """Starts in-process servers (trainer thread + server loop thread) on random loopback ports,
    with runs under tmp_path/runs and data files readable from tmp_path/data."""
    started: list[tuple[Server, threading.Thread]] = []
    (tmp_path / "data").mkdir(exist_ok=True)

    def start(paused: bool = True, latent_dim: int = 2, model: str = "vae", dataset: str = "digits",
              **train: object) -> Backend:
        store = RunStore(tmp_path / "runs")
        trainer = Trainer(load_dataset(dataset), ModelSpec(name=model, latent_dim=latent_dim), TrainConfig(**train),
                          store=store)
        server = Server(trainer, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", store=store,
                        data_dirs=[tmp_path / "data"], context=zmq.Context())
        trainer.start_thread()
        if not paused:
            trainer.start()
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        started.append((server, thread))
        return Backend(server.control_endpoint, server.stream_endpoint, latent_dim, server=server)

    yield start
    for server, thread in started:
        server.stop()
        thread.join(10)
        server.ctx.term()


@pytest.fixture
def server(make_server):
    """A paused in-process server on digits."""
    return make_server(paused=True)


@pytest.fixture
def client(server):
    with server.client() as c:
        yield c


def start_backend_process(*extra: str, timeout: float = 60.0, runs_dir: Path | None = None) -> Backend:
    """`vaestudio serve` as a subprocess on free loopback ports. Without runs_dir, runs go to a
    temporary folder that is removed with the process (see stop_backend_process)."""
    import tempfile

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


@pytest.fixture
def backend():
    """`vaestudio serve` as a real subprocess on random loopback ports, training from the start."""
    b = start_backend_process()
    yield b
    stop_backend_process(b)

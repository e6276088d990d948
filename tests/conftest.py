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
from vaestudio.config import ModelConfig, TrainConfig
from vaestudio.data import load_dataset
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

    def client(self, timeout: float = 10.0) -> Client:
        return Client(self.control, self.stream, timeout=timeout)


@pytest.fixture
def make_server():
    """Starts in-process servers (trainer thread + server loop thread) on random loopback ports."""
    started: list[tuple[Server, threading.Thread]] = []

    def start(paused: bool = True, latent_dim: int = 2, **train: object) -> Backend:
        trainer = Trainer(load_dataset("digits"), ModelConfig(latent_dim=latent_dim), TrainConfig(**train))
        server = Server(trainer, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", context=zmq.Context())
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


def start_backend_process(*extra: str, timeout: float = 60.0) -> Backend:
    control, stream = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "vaestudio", "serve", "--control", control, "--stream", stream, *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    backend = Backend(control, stream, process=proc)
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
    return out


@pytest.fixture
def backend():
    """`vaestudio serve` as a real subprocess on random loopback ports, training from the start."""
    b = start_backend_process()
    yield b
    stop_backend_process(b)

"""Shared fixtures: servers on random loopback ports, clients that time out instead of hanging, and
a guard that no test writes into the user's runs folder. Plain helpers are in tests/support/."""

from __future__ import annotations

import threading

import pytest
import zmq

from support.backends import Backend, start_backend_process, stop_backend_process
from support.godot import REQUIRE_ENV, SKIP_PREFIX
from vaestudio.datasets import load_dataset
from vaestudio.models import ModelSpec
from vaestudio.runs import RunStore
from vaestudio.server import Server
from vaestudio.train_config import TrainConfig
from vaestudio.trainer import Trainer


@pytest.fixture(autouse=True)
def default_runs_folder(tmp_path_factory, monkeypatch):
    """Every `vaestudio` a test starts inherits a default runs folder of its own (both the variable
    the CLI reads and the XDG folder behind the per-user default), and the test fails if a run lands
    there: a test must name its runs folder, never write into the user's."""
    guard = tmp_path_factory.mktemp("default-runs")
    monkeypatch.setenv("VAESTUDIO_RUNS_DIR", str(guard / "runs"))
    monkeypatch.setenv("XDG_DATA_HOME", str(guard / "xdg"))
    monkeypatch.delenv("VAESTUDIO_TOKEN", raising=False)
    yield guard
    written = sorted(str(p.relative_to(guard)) for p in guard.rglob("config.json"))
    assert not written, f"a test wrote runs into the default runs folder: {written}"


@pytest.fixture
def make_server(tmp_path):
    """Starts in-process servers (trainer thread + server loop thread) on random loopback ports,
    with runs under tmp_path/runs and data files readable from tmp_path/data; with `token`, both
    sockets want ZMTP PLAIN credentials (protocol/README.md, Security)."""
    started: list[tuple[Server, threading.Thread]] = []
    (tmp_path / "data").mkdir(exist_ok=True)

    def start(paused: bool = True, latent_dim: int = 2, model: str = "vae", dataset: str = "digits",
              token: str | None = None, data_options: dict | None = None, **train: object) -> Backend:
        store = RunStore(tmp_path / "runs")
        trainer = Trainer(load_dataset(dataset, **(data_options or {})), ModelSpec(name=model, latent_dim=latent_dim),
                          TrainConfig(**train), store=store)
        server = Server(trainer, "tcp://127.0.0.1:*", "tcp://127.0.0.1:*", store=store,
                        data_dirs=[tmp_path / "data"], context=zmq.Context(), token=token)
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
        assert not thread.is_alive(), "the server loop did not stop"
        server.ctx.term()  # hangs (and the test times out) if a socket was left open


@pytest.fixture
def server(make_server):
    """A paused in-process server on digits."""
    return make_server(paused=True)


@pytest.fixture
def client(server):
    with server.client() as c:
        yield c


@pytest.fixture
def backend():
    """`vaestudio serve` as a real subprocess on random loopback ports, training from the start."""
    b = start_backend_process()
    yield b
    stop_backend_process(b)


def pytest_terminal_summary(terminalreporter) -> None:
    """A skipped Godot test is a test that did not run: say so at the end, in capitals, with why."""
    skipped = [r for r in terminalreporter.stats.get("skipped", [])
               if isinstance(r.longrepr, tuple) and SKIP_PREFIX in str(r.longrepr[2])]
    if not skipped:
        return
    why = str(skipped[0].longrepr[2]).removeprefix("Skipped: ")
    terminalreporter.write_sep("!", f"GODOT TESTS SKIPPED: {len(skipped)} tests of the Godot client did not run", red=True)
    terminalreporter.write_line(why)
    terminalreporter.write_line(f"Set GODOT=/path/to/godot4, or run as root on Debian/Ubuntu so scripts/godot.sh can "
                                f"provision one. {REQUIRE_ENV}=1 (as .ci/run sets) turns these skips into failures.")

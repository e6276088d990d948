"""Start-up: `vaestudio serve` imports only what a live run needs; scikit-learn, scipy, ONNX,
TensorBoard and Pillow load when the code that uses them runs (use cases, export, --tensorboard)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import numpy as np
import pytest
import zmq

from support.backends import REPO, free_port
from vaestudio.datasets import load_dataset
from vaestudio.datasets.embedded import digits_rows

# The real command line's main(), then the names of every module the process imported, in a file
SERVE_THEN_LIST_MODULES = """
import json, sys
from vaestudio.cli import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    json.dump(sorted(sys.modules), f)
sys.exit(code)
"""
NOT_AT_START_UP = ("sklearn", "scipy", "onnx", "onnxruntime", "tensorboard", "PIL")


def modules_of_a_served_run(tmp_path, *flags: str) -> set[str]:
    """`vaestudio serve FLAGS` until it has streamed a `latent` frame and a training step's
    `metrics`, then stopped as Ctrl-C would (it saves the run): the top-level packages it imported."""
    control, stream = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    for topic in (b"latent", b"metrics"):
        sub.setsockopt(zmq.SUBSCRIBE, topic)
    sub.connect(stream)
    listed = tmp_path / "modules.json"
    proc = subprocess.Popen([sys.executable, "-c", SERVE_THEN_LIST_MODULES, str(listed), "--runs-dir",
                             str(tmp_path / "runs"), "serve", "--control", control, "--stream", stream, *flags],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        seen: set[bytes] = set()
        while seen != {b"latent", b"metrics"}:
            if not sub.poll(60_000):
                pytest.fail(f"no latent and metrics frames within 60 s; got {seen}")
            seen.add(sub.recv_multipart()[0])
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        sub.close(0)
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out
    return {name.split(".")[0] for name in json.loads(listed.read_text())}


@pytest.mark.parametrize("flags", [("--dataset", "shapes", "--data-opt", "n=300"), ("--dataset", "digits")],
                         ids=["shapes", "digits"])
def test_a_served_run_imports_no_optional_package(tmp_path, flags):
    imported = modules_of_a_served_run(tmp_path, *flags)
    assert {"torch", "zmq", "vaestudio"} <= imported  # the list is the served process's own
    assert not imported & set(NOT_AT_START_UP), f"imported at start-up: {sorted(imported & set(NOT_AT_START_UP))}"


def test_digits_are_scikit_learns_rows_read_without_importing_it():
    from sklearn.datasets import load_digits as sklearn_load_digits

    pixels, labels = digits_rows()
    bunch = sklearn_load_digits()
    assert np.array_equal(pixels, bunch.data) and np.array_equal(labels, bunch.target)
    data = load_dataset("digits")
    assert data.n == 1797 and data.x.shape == (1797, 64) and float(data.x.max()) == 1.0
    assert np.array_equal(data.labels.numpy(), bunch.target)

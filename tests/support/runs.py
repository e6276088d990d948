"""Helpers for tests that drive runs: steps and saves on a trainer, run.new over the wire."""

from __future__ import annotations

import queue

from support.schema import check_result
from vaestudio.trainer import Trainer


def steps(trainer: Trainer, n: int) -> None:
    q: queue.Queue = queue.Queue()
    trainer.request_steps(n, q.put)
    assert isinstance(q.get(timeout=60), dict)


def save(trainer: Trainer) -> dict:
    q: queue.Queue = queue.Queue()
    trainer.call(trainer.save, q.put)
    return q.get(timeout=60)


def wait_new_run(client, **args) -> dict:
    result = client.call("run.new", args, timeout=120)
    assert not check_result("run.new", result)
    return result

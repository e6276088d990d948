"""A run's per-step metrics records on their way from the training step to where they are kept.

A tiny model's step is about half a millisecond of Python on the CPU, and a GPU step is mostly
Python too, so each microsecond a step spends on bookkeeping is visible in samples/s. The step
hands its record over with one list append; `flush` passes the records gathered since on to the
run's history (`metrics.history`, column by column), its metrics.jsonl (MetricsLog) and the metric
hooks, in step order. The trainer flushes every FLUSH_S while it trains, and before anything reads
them: at a pause, at the end of a `train.step`, at a save, a reset and a stop, so a reader sees
every step that ran, and a live reader sees the history at most FLUSH_S behind the step counter.
"""

from __future__ import annotations

from typing import Callable

from vaestudio.history import MetricsHistory
from vaestudio.runs import MetricsLog

FLUSH_S = 0.1  # while training: how far the live history and the hooks may trail the step counter
FLUSH_RECORDS = 256  # a bound for steps run with no tick (a follower rank, a long blocking call)


class StepRecords:
    """The records a step handed over and no flush has passed on yet (on the trainer's thread only)."""

    def __init__(self) -> None:
        self._pending: list[dict] = []

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, metrics: dict) -> bool:
        """One step's metrics (with its `run`); True when enough have gathered to flush now."""
        self._pending.append(metrics)
        return len(self._pending) >= FLUSH_RECORDS

    def flush(self, history: MetricsHistory, log: MetricsLog | None, hooks: list[Callable[[dict], None]]) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        records = [{k: v for k, v in m.items() if k != "run"} for m in pending]  # the file's lines carry no run
        history.extend(records)
        if log is not None:
            log.write_many(records)
        for hook in hooks:
            for metrics in pending:
                hook(metrics)

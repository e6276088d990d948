"""`decode` and `sample` requests answered in batches, within a bounded share of the CPU while training.

Why: answered one pass each as they came, eight clients hammering `decode` took live training to
0.27x of its rate: the server thread's passes, and the Python around each, took the interpreter lock
and a core from the trainer. So the server loop hands these requests here instead:

- `flush` answers every request waiting at once: their rows share decode passes
  (InferenceModel.decode_many), each request gets the bytes it would get alone, and a request with
  bad arguments gets its own error without failing the others.
- While the run trains, flushes (the checks, the passes and the replies) take at most
  INFERENCE_SHARE of wall time, a token bucket on their measured time: requests that come while it
  is empty wait, and go out together with the next flush, at most MAX_WAIT_S later. Paused, they go
  out at once. bench/bench_decode_load.py measures the share's effect (protocol/README.md, decode).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from vaestudio import ops_inference
from vaestudio.session import Session

# Of wall time, while training runs. Unbounded, 8 clients got ~4 500 decodes/s and the digits trainer
# (bound by the interpreter lock, which changes hands at every torch op) kept only 0.34-0.48x of its
# rate. Measured with bench/bench_decode_load.py on 2 cores: 0.15 keeps it at 0.85x (the 784-400-20
# MLP at 0.9x) at 1 000-2 000 decodes/s; 0.2 gave no more decodes/s but 0.66-0.82x; 0.1 halved
# the decodes/s.
INFERENCE_SHARE = 0.15
BURST_S = 0.05  # inference time that may run back to back after a quiet spell (a lone client never waits)
MAX_WAIT_S = 0.02  # the longest a request waits for the bucket, however long the flush before it took

BATCHED_OPS = {"decode": ops_inference.decode_request, "sample": ops_inference.sample_request}

Send = Callable[[list[bytes], int, "dict | Exception"], None]  # (envelope, request id, result or error)


@dataclass
class InferenceBudget:
    """A token bucket of inference seconds, filled at `share` seconds per second up to `burst_s`."""

    share: float = INFERENCE_SHARE
    burst_s: float = BURST_S
    max_wait_s: float = MAX_WAIT_S
    clock: Callable[[], float] = time.perf_counter
    _tokens: float = field(init=False)
    _at: float = field(init=False)

    def __post_init__(self) -> None:
        self._tokens, self._at = self.burst_s, self.clock()

    def _refill(self) -> None:
        now = self.clock()
        self._tokens = min(self.burst_s, self._tokens + (now - self._at) * self.share)
        self._at = now

    def wait_s(self) -> float:
        """Seconds until inference may run again (0: now)."""
        self._refill()
        return max(0.0, -self._tokens / self.share)

    def spend(self, seconds: float) -> None:
        """Inference ran `seconds`; a long flush costs at most MAX_WAIT_S of waiting after it."""
        self._refill()
        self._tokens = max(self._tokens - seconds, -self.max_wait_s * self.share)


@dataclass
class Waiting:
    envelope: list[bytes]
    rid: int
    op: str
    args: dict


class DecodeBatcher:
    def __init__(self, budget: InferenceBudget | None = None):
        self.budget = budget or InferenceBudget()
        self._waiting: list[Waiting] = []

    def add(self, envelope: list[bytes], rid: int, op: str, args: dict) -> None:
        """Queues a request of BATCHED_OPS; its arguments are checked when it is answered (against
        the run live then)."""
        self._waiting.append(Waiting(envelope, rid, op, args))

    def due_in(self, training: bool) -> float | None:
        """Seconds until the waiting requests may be answered (0: now); None when none waits."""
        if not self._waiting:
            return None
        return self.budget.wait_s() if training else 0.0

    def flush(self, session: Session, send: Send) -> None:
        """Answers every waiting request, each exactly once, and charges the time to the budget
        while the run trains."""
        start = time.perf_counter()
        waiting, self._waiting = self._waiting, []
        checked: list[tuple[Waiting, ops_inference.DecodeRequest]] = []
        for w in waiting:
            try:
                checked.append((w, BATCHED_OPS[w.op](session, w.args)))
            except Exception as exc:  # this request's own error; the others go on
                send(w.envelope, w.rid, exc)
        if checked:
            try:
                results: list = ops_inference.decoded_results(session, [request for _, request in checked])
            except Exception as exc:  # a pass failed: every request in it says so
                results = [exc] * len(checked)
            for (w, _), result in zip(checked, results):
                send(w.envelope, w.rid, result)
        if session.trainer.state == "training":
            self.budget.spend(time.perf_counter() - start)

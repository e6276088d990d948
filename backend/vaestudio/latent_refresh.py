"""The `latent` stream's encodes: off the training thread where a core is free, between its steps
where none is.

Encoding the latent subset (up to 10 000 rows) is the studio's biggest recurring cost: 0.26 s on a
64x64 conv net, longer than a training step. So the trainer only publishes its weights snapshot (a
CPU state-dict copy, see trainer_outputs.Snapshot) and this component encodes from it, with its own copy of
the model, on a schedule measured from its own cost:

- where a core is free beside training (`--threads` below the cores), they run serially on it
  (intra_op.py: a second team of intra-op threads would slow training's down) and may use a tenth
  of it: frames a little over 5 Hz when one encode is cheap, slower when it is not. Even there they
  slow training (they share the interpreter and the memory bus with it): a quarter of the core cost
  the 784-400-20 MLP about 2.5 % of its speed, a tenth no more than the noise (bench_scale windows);
- where none is (training holds every core), a thread of their own would take a core from
  training's team, which then waits for it at every step; so they run inline, on the trainer's
  thread between two steps (encode_due()), and may take at most BUDGET_SHARED (1.5 %) of wall time;
- frames never come slower than 2 Hz: when a full encode cannot fit that rate within the share,
  each frame re-encodes only the next chunk of rows (rolling through the subset) and re-projects all
  of them, stamped with the newest snapshot's step (protocol/README.md §6.1).

Where the exact weights matter (a pause, the end of a `train.step`, a new run) the trainer asks for
a full encode of the snapshot it just took with encode_now(), on its own thread while nothing trains.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from typing import Any

import numpy as np
import torch

from vaestudio import intra_op
from vaestudio.models.base import kl_standard_normal
from vaestudio.projection import LatentView, Projector

log = logging.getLogger(__name__)

LATENT_REFRESH_S = 0.18  # the fastest frame period: a little over 5 Hz
FLOOR_PERIOD_S = 0.5  # the slowest: 2 Hz at any size (rolling chunks when a full encode cannot fit)
BUDGET_FREE = 0.10  # share of the free core's time the encodes may take
# ... when training holds every core: 1.5 % of its time, so that with the snapshots, the dashboard's
# insights, the last-good copies and the server beside it the live run stays within 5 % of a bare
# loop. An encode between steps costs training more than its own time (likely by evicting
# training's weights and optimiser state from the caches): at 3 % the 784-400-20 MLP and the 28x28
# conv read 0.90-0.97 of a bare loop with 2 threads on 2 cores (bench_scale.py), and at 2 %
# `shapes` read 0.94-0.96.
# A user who gives training every core has chosen its speed over the map's: there a 64x64 map
# re-encodes its 10 000 points over about 5 s of frames, a 28x28 conv's over about 9 s.
BUDGET_SHARED = 0.015
ENCODE_ROWS = 1024  # rows per forward pass: 10 000 rows of 64x64 at once would take 160 MB


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it, e.g. in a container
    limited with taskset or cpusets), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def auto_threads(serving: bool) -> int:
    """`--threads auto`: every core for a headless run, every core but one for `serve` (its loop,
    inference and this module's encodes run beside training), at least 1."""
    cores = available_cores()
    return max(1, cores - 1) if serving else cores


def core_free(threads: int, cores: int) -> bool:
    """Whether training's `threads` intra-op threads leave a core for the encodes' own thread."""
    return cores > threads


def plan(seconds_per_row: float, n: int, share: float) -> tuple[float, int]:
    """(frame period s, rows encoded per frame) for n rows at a measured cost per row: whole
    encodes as often as the share allows (at most every LATENT_REFRESH_S), or, when that would be
    slower than FLOOR_PERIOD_S, frames at FLOOR_PERIOD_S each re-encoding the rows that fit."""
    full = seconds_per_row * n
    period = max(LATENT_REFRESH_S, full / share)
    if period <= FLOOR_PERIOD_S:
        return period, n
    return FLOOR_PERIOD_S, max(1, min(n, math.floor(n * share * FLOOR_PERIOD_S / full)))


class LatentRefresher:
    """Publishes `latest`: {"run", "step", "indices", "labels", "color_by", "color"?, and
    projection.Projector's fields}, replaced whole, encoded from the snapshots offered to it."""

    def __init__(self, x: torch.Tensor, labels: torch.Tensor | None, indices: torch.Tensor):
        self.x = x  # (N_data, D) the whole data set, on the training device; read only
        self.labels = labels  # (N_data,) on the device, or None
        self.indices = indices  # (N,) int64 on the CPU: the rows of the stream, fixed
        self._rows = indices.to(x.device)
        self._indices_np = indices.numpy().astype(np.int32)
        self._labels_np = None if labels is None else labels[self._rows].cpu().numpy().astype(np.int32)
        self._conditional = False
        self.share = BUDGET_SHARED
        self.inline = False  # True: encode_due() on the trainer's thread does the encodes, no thread of its own
        self._due = 0.0  # when the next scheduled frame may start (perf_counter)
        self.latest: dict | None = None
        self.encodes = 0  # encodes done (background and encode_now): tests count them
        self.view = LatentView()
        self._cond = threading.Condition()
        self._encode_lock = threading.Lock()  # one encode at a time: model copy, projector, cache
        self._offered: Any = None  # the newest trainer_outputs.Snapshot
        # The thread waits with no deadline (nothing new to encode): only then must offer() wake it.
        # Waiting for a frame's time it picks the newest snapshot up when it wakes, and waking it for
        # each of the trainer's snapshots (10 a second) would only contend with training for the GIL.
        self._waiting_for_news = False
        self._urgent = False  # encode everything at once: a new view or a new run
        self._stop = False
        self._thread: threading.Thread | None = None
        self._model: torch.nn.Module | None = None
        self._seconds_per_row: float | None = None  # measured, smoothed
        self._period, self._chunk = LATENT_REFRESH_S, len(indices)
        # The per-row cache that chunked frames re-project: (N, Z) means and log-variances, (N,)
        # per-point negative ELBO when colouring by loss; all at one snapshot when _whole is its version.
        self._run: str | None = None
        self._mu = self._logvar = self._nll = None
        self._cursor = 0
        self._whole: int | None = None  # snapshot version every cached row was encoded at
        self._encoded: int | None = None  # version of the newest snapshot encoded (any rows)
        self._projector = Projector()

    # ----- from the trainer and the server --------------------------------------------------------
    def offer(self, snapshot: Any) -> None:
        """The trainer's newest weights snapshot; encoded when the schedule says, at once for a new run."""
        with self._cond:
            self._offered = snapshot
            if snapshot.run != self._run:
                self._urgent = True
            if self._urgent or self._waiting_for_news:
                self._cond.notify()

    def set_view(self, view: LatentView) -> None:
        """A view chosen anew starts from PC1, PC2, PC3 in rank order and is encoded at once, paused too."""
        with self._cond:
            self.view = view
            self._urgent = True
            self._cond.notify()

    def start(self, model: torch.nn.Module, inline: bool) -> None:
        """Begins encoding with `model` (a copy of the trainer's, loaded from each snapshot): on a
        thread of its own within BUDGET_FREE of a free core, or, `inline`, in encode_due() within
        BUDGET_SHARED of wall time."""
        self._model = model.eval()
        self._conditional = bool(getattr(model, "conditional", False))
        self.inline = inline
        self.share = BUDGET_SHARED if inline else BUDGET_FREE
        with self._cond:
            self._urgent = True
        if not inline:
            self._thread = threading.Thread(target=self._loop, name="vaestudio-latent", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout)

    def encode_now(self, snapshot: Any) -> None:
        """A full encode of exactly this snapshot, on the caller's thread (the trainer's, while nothing
        trains); nothing when the newest frame already is one, or before start()."""
        if self._model is None:
            return
        with self._cond:
            view, urgent = self.view, self._urgent
            self._urgent = False
        latest = self.latest
        if (not urgent and latest is not None and self._whole == snapshot.version
                and latest["step"] == snapshot.step and latest["color_by"] == view.color):
            return
        try:
            self._encode(snapshot, view, whole=True, fresh_view=urgent)
        except Exception:  # the stream keeps its last frame; the trainer's thread must go on
            log.exception("latent encode failed")

    def encode_due(self) -> None:
        """Inline (no core free beside training): the frame the schedule says is due, if any, on the
        caller's thread (the trainer's, between two steps); a lock and a clock read when none is."""
        if not self.inline or self._model is None:
            return
        with self._cond:
            if self._stop or not self._is_due():
                return
            snap, view, urgent = self._offered, self.view, self._urgent
            self._urgent = False
        self._scheduled_encode(snap, view, urgent)

    # ----- the encoding thread ---------------------------------------------------------------------
    def _loop(self) -> None:
        intra_op.serial()
        while True:
            with self._cond:
                while not self._stop and not self._is_due():
                    new = self._offered is not None and self._offered.version != self._encoded
                    self._waiting_for_news = not new
                    self._cond.wait(max(self._due - time.perf_counter(), 0.001) if new else None)
                self._waiting_for_news = False
                if self._stop:
                    return
                snap, view, urgent = self._offered, self.view, self._urgent
                self._urgent = False
            self._scheduled_encode(snap, view, urgent)

    def _is_due(self) -> bool:
        """(under _cond) A snapshot waits and either must be encoded at once or its frame is due."""
        snap = self._offered
        if snap is None:
            return False
        return self._urgent or (snap.version != self._encoded and time.perf_counter() >= self._due)

    def _scheduled_encode(self, snap: Any, view: LatentView, urgent: bool) -> None:
        started = time.perf_counter()  # the period runs from start to start: 2 Hz means 2 frames a second
        try:
            self._encode(snap, view, whole=urgent, fresh_view=urgent)
        except Exception:  # a bad frame must not end the stream; training goes on regardless
            log.exception("latent encode failed")
        self._due = started + self._period

    @torch.no_grad()
    def _encode(self, snap: Any, view: LatentView, whole: bool, fresh_view: bool) -> None:
        with self._encode_lock:
            started = time.perf_counter()
            n = len(self.indices)
            if snap.run != self._run or self._mu is None or (view.color == "loss") != (self._nll is not None):
                whole, fresh_view = True, True  # new weights or a new colour: nothing cached is usable
            if fresh_view:
                self._projector = Projector()
            lo, hi = (0, n) if whole else (self._cursor, min(n, self._cursor + self._chunk))
            mu, logvar, nll = self._encode_rows(snap, lo, hi, view)
            if whole:
                self._mu, self._logvar, self._nll = mu, logvar, nll
                self._run, self._whole, self._cursor = snap.run, snap.version, 0
            else:
                self._mu[lo:hi], self._logvar[lo:hi] = mu, logvar
                if nll is not None:
                    self._nll[lo:hi] = nll
                self._cursor = 0 if hi >= n else hi
                self._whole = snap.version if (lo, hi) == (0, n) else None
            self.latest = self._frame(snap, view)
            self._encoded = snap.version
            self.encodes += 1
            per_row = (time.perf_counter() - started) / max(hi - lo, 1)
            smooth = self._seconds_per_row
            self._seconds_per_row = per_row if smooth is None else 0.7 * smooth + 0.3 * per_row
            self._period, self._chunk = plan(self._seconds_per_row, n, self.share)

    def _encode_rows(self, snap: Any, lo: int, hi: int, view: LatentView):
        """Rows lo:hi of the subset at the snapshot's weights -> mu, logvar (n, Z) and, colouring by
        loss, each point's negative ELBO at its posterior mean (n,), all on the CPU."""
        model = self._model
        model.load_state_dict(snap.state)
        mus, logvars, nlls = [], [], []
        for start in range(lo, hi, ENCODE_ROWS):
            rows = self._rows[start : min(hi, start + ENCODE_ROWS)]
            x = self.x[rows]
            y = self.labels[rows] if self.labels is not None and self._conditional else None
            mu, logvar = model.encode(x, y)  # (n, Z) each
            mus.append(mu.float().cpu())
            logvars.append(logvar.float().cpu())
            if view.color == "loss":  # the negative ELBO of each point at its posterior mean: where the model struggles
                nll = model.reconstruction_nll(model.decode_logits(mu, y), x) + kl_standard_normal(mu, logvar).sum(1)
                nlls.append(nll.float().cpu())
        return torch.cat(mus), torch.cat(logvars), torch.cat(nlls) if nlls else None

    def _frame(self, snap: Any, view: LatentView) -> dict:
        frame = {
            "run": snap.run,
            "step": snap.step,
            "indices": self._indices_np,
            "labels": self._labels_np,
            "color_by": view.color,
            **{k: v.cpu().numpy() if torch.is_tensor(v) else v
               for k, v in self._projector.project(self._mu, self._logvar, view).items()},
        }
        if view.color == "loss":
            frame["color"] = self._nll.numpy().copy()
        elif view.color.startswith("z"):
            frame["color"] = self._mu[:, int(view.color[1:])].numpy().copy()
        return frame

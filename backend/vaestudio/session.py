"""The live session: the run being trained and served, and what the ops need around it.

`Session` holds the trainer, inference on its newest weights, the runs folder, the data folders
the clients may read, the count of open control connections, and the slow tasks in flight. It
also keeps the live run saved: every `autosave_s` while its step moves. The ops
(ops.py) take a Session, never the server: the server only owns the sockets and runs the loop.

Threads: handlers run on the server loop. Slow work (building a data set, saving, exporting,
evaluating) runs as a task in its own thread; what touches the live model goes through
`trainer.call`, which runs between two training steps. Swapping the live run (run.new, run.load)
happens on the loop thread, through `loop_calls`, so no request ever sees a half-swapped session.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path
from typing import Any, Callable

import torch

from vaestudio.errors import ConfigError
from vaestudio.evaluate import evaluate
from vaestudio.export import export_model_files
from vaestudio.inference import InferenceModel
from vaestudio.loading import model_from_run
from vaestudio.models import BaseVAE, build_model
from vaestudio.runs import RunError, RunStore
from vaestudio.tasks import Deadline, Tasks
from vaestudio.trainer import Event, Reply, Trainer

log = logging.getLogger(__name__)

SWAP_WAIT_S = 30.0  # how long a run.new / run.load waits for the loop to make the new run live
TRAINER_CALL_WAIT_S = 120.0  # how long a task waits for the trainer to run its call (e.g. a save)


class Session:
    def __init__(self, trainer: Trainer, store: RunStore, data_dirs: list[Path] | None = None,
                 autosave_s: float = 0.0, clients: Callable[[], int] = lambda: 0):
        self.trainer = trainer
        self.inference = InferenceModel(trainer)
        self.store = store
        self.data_dirs = list(data_dirs or [])
        # Every trainer this session runs publishes into this one queue, so events a replaced
        # run emitted last are still published (under that run's name).
        self.events: queue.Queue[Event] = trainer.events
        self.loop_calls: queue.Queue[Callable[[], None]] = queue.Queue()  # the server runs these
        self.wake_loop: Callable[[], None] = lambda: None  # the server's bell (wakeup.py): a call is queued
        self.tasks = Tasks()
        self.clients = clients  # open control connections (the server's socket monitor)
        self.autosave_s = autosave_s  # 0: off
        self._last_autosave = time.monotonic()
        self._autosaving = False
        self._replacing = False

    # ----- state -----------------------------------------------------------------------------------
    @property
    def replacing(self) -> bool:
        """True while a run.new or run.load builds its run."""
        return self._replacing

    def status(self) -> dict:
        t = self.trainer
        return {
            "state": t.state,
            "step": t.step,
            "epoch": t.epoch,
            "run": t.run,
            "latent_dim": t.spec.latent_dim,
            "dataset": t.dataset.describe(),
            "config": t.config.to_dict(),
            "model": {**t.spec.to_dict(), "conditional": t.conditional},
            "clients": self.clients(),
            "latent_view": t.latent_view.to_dict(),
            "nan_recoveries": t.nan_recoveries,
            "world_size": t.world_size,
        }

    # ----- keeping the live run saved ---------------------------------------------------------------
    def autosave(self) -> None:
        """On the loop, between polls: every `autosave_s`, queue a save of the live run when steps
        ran since its last one. The save runs on the trainer's thread between two steps; the loop
        does not wait for it, and a save still pending is not queued twice."""
        now = time.monotonic()
        if not self.autosave_s or self._autosaving or now - self._last_autosave < self.autosave_s:
            return
        self._last_autosave = now
        trainer = self.trainer
        if not trainer.unsaved:
            return
        self._autosaving = True

        def done(result: Any) -> None:  # on the trainer's thread
            self._autosaving = False
            if isinstance(result, Exception) and trainer is self.trainer:  # not: a replaced run stopped first
                log.error("autosave of %s failed: %s", trainer.run, result)
                trainer.emit("log", level="error", event="save_failed", message=f"autosave of {trainer.run} failed: {result}")
            elif result is not None:
                log.info("autosaved %s at step %d", result["run"], result["step"])

        trainer.call(trainer.save_if_unsaved, done)

    def save_now(self, timeout: float = TRAINER_CALL_WAIT_S) -> dict | None:
        """Saves the live run if it has unsaved steps, and waits for it (a stopping server)."""
        trainer = self.trainer
        if not trainer.thread_running:
            return trainer.save_if_unsaved()
        return on_trainer_thread(trainer, trainer.save_if_unsaved, timeout)

    # ----- a new live run --------------------------------------------------------------------------
    def replace(self, reply: Reply, make: Callable[[], Trainer], paused: bool, event: str = "new_run") -> None:
        """run.new / run.load: build the new trainer off the loop; only if that works, save the old
        run, stop it, and make the new one live. A failure leaves the old run training."""
        if self._replacing:
            raise ConfigError("another run.new or run.load is still in progress; wait for its reply")
        self._replacing = True

        def work(_: Deadline) -> dict:
            try:
                new = make()
                old = self.trainer
                on_trainer_thread(old, old.save)
                swapped = threading.Event()

                def swap() -> None:  # on the loop thread
                    old.stop()
                    new.events = self.events
                    new.metric_hooks = old.metric_hooks  # e.g. TensorBoard follows the live run
                    self.trainer, self.inference = new, InferenceModel(new)
                    new.start_thread()
                    if not paused:
                        new.start()
                    new.emit("status")
                    what = "loaded" if event == "loaded" else "now live"
                    new.emit("log", level="info", event=event, message=f"{what}: {new.run} at step {new.step}")
                    swapped.set()

                self.loop_calls.put(swap)
                self.wake_loop()
                if not swapped.wait(SWAP_WAIT_S):
                    raise TimeoutError(f"the server loop did not make {new.run} live within {SWAP_WAIT_S:g} s")
                return {"run": new.run, "step": new.step}
            finally:
                self._replacing = False

        self.tasks.start(reply, work, "run.new" if event == "new_run" else "run.load")

    # ----- slow work on a run ----------------------------------------------------------------------
    def export(self, reply: Reply, run: str, items: tuple[str, ...], time_limit_s: float) -> None:
        live = self.trainer

        def work(deadline: Deadline) -> dict:
            result = export_run(run, items, live, self.store, self.data_dirs, deadline.check)
            live.emit("log", level="info", event="exported", message=f"exported {len(result['files'])} files into run {run}")
            return result

        self.tasks.start(reply, work, "run.export", time_limit_s)

    def evaluate(self, reply: Reply, split: str, iw_samples: int, time_limit_s: float) -> None:
        """Evaluates the newest weights on a copy, so training goes on meanwhile."""
        live = self.trainer
        self.tasks.start(reply, lambda deadline: evaluate(model_from_snapshot(live), live.dataset, split, iw_samples,
                                                          check=deadline.check), "eval", time_limit_s)


def on_trainer_thread(trainer: Trainer, fn: Callable[[], Any], timeout: float = TRAINER_CALL_WAIT_S) -> Any:
    """Runs fn on the trainer's thread (between steps) and waits for its result here."""
    done = threading.Event()
    box: dict[str, Any] = {}

    def finish(value: Any) -> None:
        box["value"] = value
        done.set()

    trainer.call(fn, finish)
    if not done.wait(timeout):
        raise TimeoutError(f"the trainer did not answer within {timeout:g} s")
    if isinstance(box["value"], Exception):
        raise box["value"]
    return box["value"]


def model_from_snapshot(trainer: Trainer) -> BaseVAE:
    """A copy of the live model at its newest weights snapshot (eval mode, CPU)."""
    snap = trainer.snapshot
    model = build_model(snap.spec)
    model.load_state_dict(snap.state)
    return model.eval()


def export_run(run: str, items: tuple[str, ...], live: Trainer, store: RunStore, data_dirs: list[Path],
               check: Callable[[], None] | None = None) -> dict:
    """Writes the export items into the run's folder; returns {run, files} (paths relative to it)."""
    files: list[str] = []
    if run == live.run:
        if "checkpoint" in items or "config" in items:
            on_trainer_thread(live, live.save)
        model, dataset = model_from_snapshot(live), live.dataset
    else:
        model, dataset = model_from_run(run, store, data_dirs)
    folder = store.folder(run)
    if "checkpoint" in items:
        if not (folder / "checkpoint.safetensors").is_file():
            raise RunError(f"run {run!r} has no checkpoint to export; `run.save` writes one")
        files.append("checkpoint.safetensors")
    if "config" in items:
        files += ["config.json", "environment.json"]
    with torch.no_grad():
        files += export_model_files(folder, model, dataset, items, seed=0, check=check)
    return {"run": run, "files": files}

"""The live trainer: one thread that owns the model and optimizer and never waits on the network.

Other threads talk to it only through small, lock-guarded requests (start, pause, steps, reset,
config changes) and read what it publishes: the latest metrics, the latest latent snapshot and a
weights snapshot for inference (each replaced whole, so readers never see a half-written value).
"""

from __future__ import annotations

import copy
import logging
import queue
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from vaestudio.config import ModelConfig, TrainConfig
from vaestudio.data import Dataset
from vaestudio.model import VAE

log = logging.getLogger(__name__)

SNAPSHOT_INTERVAL_S = 0.1  # weights snapshot, last-good copy and latent refresh while training
Done = Callable[[Any], None]  # receives the result map of a deferred request, or an Exception


def new_run_id(dataset: str) -> str:
    return f"{dataset}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


@dataclass
class Snapshot:
    """Weights for inference, replaced whole by the trainer; `version` grows with every copy."""

    version: int
    run: str
    step: int
    model_config: ModelConfig
    state: dict[str, torch.Tensor]


class Trainer:
    def __init__(self, dataset: Dataset, model_config: ModelConfig, config: TrainConfig, device: str = "cpu"):
        model_config.input_dim = dataset.input_dim
        model_config.likelihood = dataset.likelihood
        model_config.validate()
        config.validate()
        self.dataset = dataset
        self.model_config = model_config
        self.config = config
        self.device = torch.device(device)
        self.x = dataset.x.to(self.device)  # (N, D) whole data set on the device

        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._training = False
        self._stop = False
        self._pending_steps: list[list[Any]] = []  # [[remaining, done], ...] FIFO
        self._pending_reset: tuple[int, Done | None] | None = None
        self._pause_waiters: list[Done] = []  # told {state, step} once no step is running

        self.events: queue.Queue[tuple[str, dict]] = queue.Queue()  # ("log"|"status", fields)
        self.latest_metrics: dict | None = None
        self.latest_latent: dict | None = None  # {"coords", "indices", "labels", "step", "run"}
        self.snapshot: Snapshot | None = None
        self.nan_recoveries = 0

        n_latent = min(dataset.n, config.latent_points)
        rng = np.random.default_rng(12345)
        subset = np.arange(dataset.n) if n_latent == dataset.n else np.sort(rng.choice(dataset.n, n_latent, replace=False))
        self.latent_indices = torch.from_numpy(subset.astype(np.int64))

        self._thread = threading.Thread(target=self._run, name="vaestudio-trainer", daemon=True)
        self._build(config.seed, new_run_id(dataset.name))

    # ----- control, called from any thread -------------------------------------------------------
    @property
    def state(self) -> str:
        return "training" if self._training else "paused"

    def start_thread(self) -> None:
        self._thread.start()

    def start(self) -> None:
        with self._lock:
            self._training = True
            self._wake.notify()
        self.events.put(("status", {}))

    def pause(self, done: Done | None = None) -> None:
        """Stops training after the step in progress; `done` gets {state, step} once it has."""
        with self._lock:
            self._training = False
            if done is not None:
                self._pause_waiters.append(done)
                self._wake.notify()
        self.events.put(("status", {}))

    def request_steps(self, n: int, done: Done) -> None:
        """Run exactly n steps (while paused); `done` gets {step} after the last one."""
        with self._lock:
            self._pending_steps.append([n, done])
            self._wake.notify()

    def reset(self, seed: int | None, done: Done | None = None) -> None:
        """New weights, new optimizer, step 0, new run id; `done` gets {run, step}."""
        with self._lock:
            self._pending_reset = (self.config.seed if seed is None else seed, done)
            self._wake.notify()

    def update_config(self, **values: Any) -> dict:
        """Live change of lr / beta / batch_size (validated by the caller); applied before the next step."""
        with self._lock:
            for k, v in values.items():
                setattr(self.config, k, v)
            self.config.validate()
            result = self.config.to_dict()
        self.events.put(("status", {}))
        return result

    def stop(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._stop = True
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)

    # ----- the training thread -------------------------------------------------------------------
    def _build(self, seed: int, run: str) -> None:
        torch.manual_seed(seed)
        self.model = VAE(copy.deepcopy(self.model_config)).to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.config.lr)
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        self.run = run
        self.step = 0
        self.epoch = 0
        self._order = self._shuffle()
        self._cursor = 0
        self._rate_window: list[tuple[float, int]] = []
        self._last_good = self._copy_state()
        self._refresh_outputs()

    def _shuffle(self) -> torch.Tensor:
        train = self.dataset.train_idx
        return train[torch.randperm(len(train), generator=torch.Generator().manual_seed(self.config.seed + self.epoch))]

    def _next_batch(self, batch_size: int) -> torch.Tensor:
        if self._cursor + batch_size > len(self._order):
            self.epoch += 1
            self._order = self._shuffle()
            self._cursor = 0
        rows = self._order[self._cursor : self._cursor + batch_size]
        self._cursor += batch_size
        return self.x[rows.to(self.device)]  # (B, D)

    def _run(self) -> None:
        last_refresh = time.perf_counter()
        while True:
            with self._lock:
                while not (self._stop or self._training or self._pending_steps or self._pending_reset
                           or self._pause_waiters):
                    self._wake.wait()
                if self._stop:
                    return
                waiters, self._pause_waiters = self._pause_waiters, []
                reset, self._pending_reset = self._pending_reset, None
                pending = self._pending_steps[0] if self._pending_steps else None
                should_step = self._training or pending is not None
                lr, beta, batch_size = self.config.lr, self.config.beta, self.config.batch_size
            for done in waiters:  # no step runs between the loop's top and here
                done({"state": self.state, "step": self.step})
            if reset is not None:
                seed, done = reset
                self._build(seed, new_run_id(self.dataset.name))
                self.events.put(("log", {"level": "info", "event": "reset", "message": f"new run {self.run} (seed {seed})"}))
                self.events.put(("status", {}))
                if done:
                    done({"run": self.run, "step": self.step})
                continue
            if not should_step:
                continue
            before = self.step
            try:
                self._train_step(lr, beta, batch_size)
            except Exception as exc:  # a bug must not kill the thread silently: report, pause
                log.exception("training step failed")
                with self._lock:
                    self._training = False
                    failed, self._pending_steps = self._pending_steps, []
                self.events.put(("log", {"level": "error", "event": "step_failed", "message": f"training paused: {exc}"}))
                self.events.put(("status", {}))
                for _, done in failed:
                    done(RuntimeError(f"training step failed: {exc}"))
                continue
            now = time.perf_counter()
            finished_steps = False
            if pending is not None and self.step > before:  # a skipped (NaN) step is not counted
                pending[0] -= 1
                finished_steps = pending[0] <= 0
            if finished_steps or now - last_refresh >= SNAPSHOT_INTERVAL_S:
                self._refresh_outputs()
                last_refresh = now
            if finished_steps:
                with self._lock:
                    self._pending_steps.pop(0)
                pending[1]({"step": self.step})

    def _train_step(self, lr: float, beta: float, batch_size: int) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        x = self._next_batch(batch_size)  # (B, D)
        self.model.train()
        out = self.model(x, beta=beta, generator=self.generator)
        if not torch.isfinite(out.loss):
            self._recover_from_nan(float(out.loss.detach()))
            return
        self.optimizer.zero_grad(set_to_none=True)
        out.loss.backward()
        self.optimizer.step()
        self.step += 1
        now = time.perf_counter()
        self._rate_window.append((now, len(x)))
        while len(self._rate_window) > 2 and now - self._rate_window[0][0] > 1.0:
            self._rate_window.pop(0)
        span = now - self._rate_window[0][0]
        samples = sum(n for _, n in self._rate_window[1:])
        self.latest_metrics = {
            "run": self.run,
            "step": self.step,
            "epoch": self.epoch,
            "loss": float(out.loss.detach()),
            "recon": float(out.recon.detach()),
            "kl": float(out.kl.detach()),
            "lr": lr,
            "beta": beta,
            "batch_size": len(x),
            "samples_per_s": samples / span if span > 0 else 0.0,
        }

    def _recover_from_nan(self, bad_loss: float) -> None:
        """Skip the step, restore the last good weights and optimizer state, halve lr, tell everyone."""
        model_state, optim_state = self._last_good
        self.model.load_state_dict(model_state)
        self.optimizer.load_state_dict(optim_state)
        self.nan_recoveries += 1
        with self._lock:
            self.config.lr = max(self.config.lr * 0.5, 1e-7)
            new_lr = self.config.lr
        message = f"loss was {bad_loss} at step {self.step}: step skipped, last good weights restored, lr lowered to {new_lr:g}"
        log.warning(message)
        self.events.put(("log", {"level": "warning", "event": "nan_recovered", "message": message, "lr": new_lr}))
        self.events.put(("status", {}))

    def _copy_state(self) -> tuple[dict, dict]:
        model_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        return model_state, copy.deepcopy(self.optimizer.state_dict())

    @torch.no_grad()
    def _refresh_outputs(self) -> None:
        """Publish a weights snapshot and the latent means of the fixed subset; keep a last-good copy."""
        if all(torch.isfinite(p).all() for p in self.model.parameters()):
            self._last_good = self._copy_state()
        state = {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}
        version = self.snapshot.version + 1 if self.snapshot else 1
        self.snapshot = Snapshot(version, self.run, self.step, copy.deepcopy(self.model_config), state)
        self.model.eval()
        mu, _ = self.model.encode(self.x[self.latent_indices.to(self.device)])  # (N, Z)
        labels = self.dataset.labels[self.latent_indices] if self.dataset.labels is not None else None
        self.latest_latent = {
            "run": self.run,
            "step": self.step,
            "coords": mu.float().cpu().numpy(),
            "indices": self.latent_indices.numpy().astype(np.int32),
            "labels": None if labels is None else labels.numpy().astype(np.int32),
        }

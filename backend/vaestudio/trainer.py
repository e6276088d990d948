"""The live trainer: one thread that owns the model and optimizer and never waits on the network.

Other threads talk to it only through small, lock-guarded requests (start, pause, steps, reset,
save, config changes) and read what it publishes: the latest metrics, the latest latent snapshot
and a weights snapshot for inference (each replaced whole, so readers never see a half-written
value).

What it publishes beside the steps (snapshots, the dashboard's views, the NaN-recovery copy) is in
trainer_outputs.py; its per-step metrics records go out in batches (step_records.py).

In a data-parallel run (distributed.py) every process holds a Trainer of the same run; the step's
forward goes through DistributedDataParallel, and rank 0's thread announces each step to the
others (mirror.py), which alone of all the ranks writes the run, streams and serves.
"""

from __future__ import annotations

import collections
import copy
import logging
import math
import queue
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from vaestudio import checkpoint, distributed, insights, intra_op, step_records
from vaestudio.checkpoint import TrainerState
from vaestudio.datasets import Dataset
from vaestudio.devices import autocast, resolve_device
from vaestudio.errors import ConfigError
from vaestudio.history import MetricsHistory
from vaestudio.latent_refresh import LatentRefresher, available_cores, core_free
from vaestudio.mirror import Leader
from vaestudio.models import BaseVAE, ModelSpec, build_model, fit_spec
from vaestudio.optimizers import load_optimizer_state, make_optimizer
from vaestudio.projection import LatentView
from vaestudio.runs import MetricsLog, RunStore, environment
from vaestudio.schedules import beta_at, lr_at
from vaestudio.step_metrics import read_scalars
from vaestudio.step_records import StepRecords
from vaestudio.train_config import TrainConfig
from vaestudio.trainer_outputs import (INSIGHTS_REFRESH_S, LAST_GOOD_INTERVAL_S, LAYERS_INTERVAL_S,
                                       SNAPSHOT_INTERVAL_S, Snapshot, TrainerOutputs)
from vaestudio.watch import Watch

log = logging.getLogger(__name__)

# How a request that waits on the trainer (or on any slow work) gets its answer: called once, from
# whichever thread finished it, with the result map or the Exception that stopped it.
Reply = Callable[[Any], None]
# ("log" | "status", run, step, fields): what the trainer tells the server to publish.
Event = tuple[str, str, int, dict]


def new_run_id(dataset: str, model: str = "vae") -> str:
    return f"{model}-{dataset}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


@dataclass
class PendingSteps:
    """A train.step request: `remaining` steps still to run, then `reply` gets {step}."""

    remaining: int
    reply: Reply


class Trainer(TrainerOutputs):
    def __init__(self, dataset: Dataset, spec: ModelSpec, config: TrainConfig,
                 store: RunStore | None = None, run: str | None = None, threads: int | None = None):
        """`threads`: the intra-op threads its thread trains with (default intra_op.training_threads())."""
        config.validate()
        self.ranks = distributed.current()
        self._claimed = False
        if self.ranks.parallel:  # one trainer per process group: the other ranks follow this one
            distributed.claim(len(dataset.train_idx))
            self._claimed = True
        self.dataset = dataset
        self.spec = fit_spec(spec, dataset)
        self.config = config
        self.store = store if self.ranks.leader else None  # rank 0 alone writes the run
        self.device = resolve_device(config.device)
        self.x = dataset.x.to(self.device)  # (N, D) whole data set on the device
        self.labels = dataset.labels.to(self.device) if dataset.labels is not None else None  # (N,)
        # a step's scalars: read one by one where a read waits for nothing (the CPU), else stacked and
        # read once (step_metrics.py); tests set it False to check the one-read path on the CPU
        self.read_each = self.device.type == "cpu"

        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._training = False
        self._stop = False
        self._pending_steps: list[PendingSteps] = []  # FIFO
        self._pending_reset: tuple[int, Reply | None] | None = None
        self._pause_waiters: list[Reply] = []  # told {state, step} once no step is running
        self._calls: list[tuple[Callable[[], Any], Reply]] = []  # run on this thread between steps

        # What to publish; a session may hand every trainer it runs the same queue (see session.py).
        self.events: queue.Queue[Event] = queue.Queue()
        self.latest_metrics: dict | None = None
        self.latent_view = LatentView()
        # False before start_thread(): nothing is streamed (headless `train`), so neither the latent
        # encodes nor the dashboard's snapshots (insights_on) are paid for
        self.streaming = True
        self.snapshot: Snapshot | None = None
        self.nan_recoveries = 0
        self._metrics_log: MetricsLog | None = None
        self.metric_hooks: list[Callable[[dict], None]] = []  # e.g. TensorBoard; called on this thread
        self._records = StepRecords()  # steps' metrics not yet in the history, the file and the hooks
        self._snapshot_interval = SNAPSHOT_INTERVAL_S  # longer where a copy of the weights costs more
        # The dashboard's snapshots, each {"run", "step", ...insights' fields} replaced whole:
        self.latest_dims: dict | None = None  # KL per dimension of a fixed training batch
        self.latest_recons: dict | None = None  # fixed test rows and their reconstructions
        self.latest_layers: dict | None = None  # weight and gradient norms per layer
        self.latest_eval: dict | None = None  # the last eval_every test-split evaluation
        self.insights_on = True  # False skips dims, recons, layers and the watch (benchmarks compare)
        self._layers_due = False  # take the layer norms on the next step, right after backward
        # Reconstructions show the same test rows for every run on this data set (train rows if none).
        pool = dataset.test_idx if len(dataset.test_idx) else dataset.train_idx
        self.recon_indices = insights.fixed_rows(pool, insights.RECON_ROWS, seed=0)

        n_latent = min(dataset.n, config.latent_points)
        rng = np.random.default_rng(12345)
        subset = np.arange(dataset.n) if n_latent == dataset.n else np.sort(rng.choice(dataset.n, n_latent, replace=False))
        self.latent_indices = torch.from_numpy(subset.astype(np.int64))
        self._latent = LatentRefresher(self.x, self.labels, self.latent_indices)

        if not self.ranks.leader:  # a follower shows nothing: rank 0 streams and serves
            self.streaming = self.insights_on = False
        self._leader = Leader(self.device) if self.ranks.parallel and self.ranks.leader else None

        self.threads = threads or intra_op.training_threads()  # set on its own thread (intra_op.py)
        self._thread = threading.Thread(target=self._run, name="vaestudio-trainer", daemon=True)
        try:
            self._build(config.seed, run or new_run_id(dataset.name, self.spec.name), record=run is None)
        except BaseException:
            self._release_process_group()
            raise

    # ----- control, called from any thread -------------------------------------------------------
    @property
    def state(self) -> str:
        return "training" if self._training else "paused"

    @property
    def conditional(self) -> bool:
        return bool(self.model.conditional)

    @property
    def world_size(self) -> int:
        """Processes training this run together (1: this one alone)."""
        return self.ranks.world_size

    def start_thread(self) -> None:
        if self.streaming:  # the encodes run serially on a core training leaves free, else between steps here
            self._latent.start(copy.deepcopy(self.model), inline=not core_free(self.threads, available_cores()))
            self._encode_latent_soon()  # the first frame, paused too
        else:
            self.insights_on = False
        self._thread.start()

    def _encode_latent_soon(self) -> None:
        """Inline latent encodes: runs the urgent one on this thread between two steps, or at once
        when paused (with its own thread the refresher needs no help)."""
        if self._latent.inline:
            self.call(self._latent.encode_due, lambda _result: None)

    @property
    def latest_latent(self) -> dict | None:
        """{"run", "step", "indices", "labels", "color_by", "color"?, and projection.Projector's fields}"""
        return self._latent.latest

    @property
    def thread_running(self) -> bool:
        return self._thread.is_alive()

    @property
    def unsaved(self) -> bool:
        """True when steps ran since the last save (or since step 0 of a run never saved)."""
        return self.step != (self.saved_step or 0)

    def start(self) -> None:
        with self._lock:
            self._training = True
            self._wake.notify()
        self.emit("status")

    def pause(self, done: Reply | None = None) -> None:
        """Stops training after the step in progress; `done` gets {state, step} once it has."""
        with self._lock:
            self._training = False
            if done is not None:
                self._pause_waiters.append(done)
                self._wake.notify()
        self.emit("status")

    def request_steps(self, n: int, done: Reply) -> None:
        """Run exactly n steps (while paused); `done` gets {step} after the last one."""
        with self._lock:
            self._pending_steps.append(PendingSteps(n, done))
            self._wake.notify()

    def reset(self, seed: int | None, done: Reply | None = None) -> None:
        """New weights, new optimizer, step 0, new run id; `done` gets {run, step}."""
        with self._lock:
            self._pending_reset = (self.config.seed if seed is None else seed, done)
            self._wake.notify()

    def call(self, fn: Callable[[], Any], done: Reply) -> None:
        """Runs fn() on the trainer thread between two steps (e.g. a save); `done` gets its result."""
        with self._lock:
            self._calls.append((fn, done))
            self._wake.notify()

    def set_latent_view(self, view: LatentView) -> dict:
        """How the latent stream projects and colours (checked here); applied at once, paused too."""
        view.check(self.spec.latent_dim)
        self.latent_view = view
        self._latent.set_view(view)  # encoded at once on the latent thread, never waiting for a step
        self._encode_latent_soon()
        self.emit("status")
        return view.to_dict()

    def update_config(self, **values: Any) -> dict:
        """Live change of training values (validated here); applied from the next step."""
        with self._lock:
            trial = TrainConfig.from_dict({**self.config.to_dict(), **values})  # raises before changing anything
            self.config = trial
            result = trial.to_dict()
        self.emit("status")
        return result

    def stop(self, timeout: float = 5.0) -> None:
        """Ends the thread; requests still waiting on it are answered with an error, not dropped."""
        with self._lock:
            self._stop = True
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._leader is not None and not self._thread.is_alive():
            self._stop_followers()
        self._release_process_group()
        with self._lock:
            waiting = [p.reply for p in self._pending_steps] + self._pause_waiters + [d for _, d in self._calls]
            if self._pending_reset and self._pending_reset[1]:
                waiting.append(self._pending_reset[1])
            self._pending_steps, self._pause_waiters, self._calls, self._pending_reset = [], [], [], None
        for done in waiting:
            done(RuntimeError(f"run {self.run} was stopped before this request ran"))
        self._latent.stop(timeout)
        if not self._thread.is_alive():
            self._flush_records()
        if self._metrics_log is not None:
            self._metrics_log.close()

    def _stop_followers(self) -> None:
        """Rank 0, once its thread has ended: tells the other ranks the run is over (they compare
        weights and exit). A rank that died already makes this fail; that is logged, not raised."""
        leader, self._leader = self._leader, None
        try:
            leader.stop(self.model, self.optimizer)
        except Exception as exc:
            log.error("could not tell the other processes to stop: %s", exc)

    def _release_process_group(self) -> None:
        if self._claimed:
            self._claimed = False
            distributed.release()

    # ----- a follower rank (mirror.follow), on its main thread ---------------------------------------
    def follow_step(self, cfg: TrainConfig) -> None:
        """The training step rank 0 just announced, with the config it sent."""
        self._train_step(cfg)

    def follow_reset(self, seed: int) -> None:
        """The new weights rank 0 just announced (train.reset)."""
        self._build(seed, new_run_id(self.dataset.name, self.spec.name), record=False)

    def emit(self, topic: str, **fields: Any) -> None:
        """Queues a stream event ("log" with its fields, or "status": publish one now), stamped
        with this run and step so it is published under them whenever the server gets to it."""
        self.events.put((topic, self.run, self.step, fields))

    # ----- persistence (trainer thread, via call(), or before the thread starts) -----------------
    def record(self) -> dict:
        return {"model": self.spec.to_dict(), "data": dict(self.dataset.source), "train": self.config.to_dict(),
                "step": self.step}

    def resume_state(self) -> TrainerState:
        """Everything a resumed run needs to continue exactly where this one is."""
        return TrainerState(
            run=self.run, step=self.step, epoch=self.epoch, cursor=self._cursor, order=self._order.cpu(),
            generator=self.generator.get_state(), model=self.model.state_dict(),
            optimizer=self.optimizer.state_dict(), aux_optimizer=self.model.aux_optimizer_state(),
            nan_recoveries=self.nan_recoveries, config=self.config.to_dict(), spec=self.spec.to_dict(),
        )

    def restore(self, state: TrainerState) -> None:
        """Continues from a saved state of this run (before the thread starts)."""
        self.model.load_state_dict(state.model)
        load_optimizer_state(self.optimizer, state.optimizer)
        if state.aux_optimizer:
            self.model.load_aux_optimizer_state(state.aux_optimizer)
        self.generator.set_state(state.generator)
        if self.ranks.rank:  # the checkpoint holds rank 0's noise; every other rank draws its own
            self.generator.manual_seed(distributed.noise_seed(state.config["seed"], state.step))
        self._order = state.order.to(self.device, copy=True)
        self.step, self.epoch, self._cursor = state.step, state.epoch, state.cursor
        self.nan_recoveries = state.nan_recoveries
        self.saved_step = state.step  # it was saved here
        if self.store is not None:  # the steps run before the save, so the history spans the whole run
            self.history = self.store.load_history(self.run, up_to_step=state.step)
        self._last_good = self._copy_state()
        self._refresh_outputs()

    def save(self) -> dict:
        """Checkpoint + config.json step; must run on the trainer thread (or before it starts)."""
        if self.store is None:
            raise RuntimeError("this trainer has no runs folder to save into")
        self.store.save_checkpoint(self.run, *checkpoint.to_tensors(self.resume_state()))
        self.store.update_config(self.run, step=self.step, train=self.config.to_dict())
        self._flush_records(to_disk=True)
        self.saved_step = self.step
        self.emit("log", level="info", event="saved", message=f"saved {self.run} at step {self.step}")
        return {"run": self.run, "step": self.step}

    def save_if_unsaved(self) -> dict | None:
        """save() when steps ran since the last one (autosave, stop); None when there was nothing new."""
        return self.save() if self.store is not None and self.unsaved else None

    # ----- the training thread -------------------------------------------------------------------
    def _build(self, seed: int, run: str, record: bool = True) -> None:
        torch.manual_seed(seed)  # the same initial weights on every rank
        self.model = build_model(self.spec).to(self.device).train()  # every submodule: building dry-runs some in eval
        # the forward that training backpropagates through; everything else uses the model itself
        self._step_model: torch.nn.Module = self.model
        self._batch_labels = self.labels is not None and self.conditional  # read once, not at each step
        self._leader_owned: list[torch.Tensor] = []
        if self.ranks.parallel:
            if type(self.model).after_step is not BaseVAE.after_step:
                raise ConfigError(f"model {self.spec.name!r} trains a second network with an optimizer of its own after "
                                  "each step, which data-parallel training does not keep in step across processes; "
                                  "train it in one process (without --nproc)")
            self._step_model = distributed.data_parallel(self.model, self.device)
            self._leader_owned = distributed.leader_owned(self.model)
        self.optimizer = make_optimizer(self.config, self.model.parameters(), self.device)
        # the reparameterisation noise: each rank its own, rank 0 the single-process run's
        self.generator = torch.Generator(device=self.device).manual_seed(distributed.noise_seed(seed))
        self.run = run
        self.saved_step: int | None = None  # the step of the run's checkpoint; None: never saved
        self._flush_records()  # the old run's last steps, into its own history and file
        self.history = MetricsHistory()  # this run's metrics by step, read by `metrics.history`
        self.step = 0
        self.epoch = 0
        self._order = self._shuffle()
        self._cursor = 0
        self._rate_window: collections.deque[tuple[float, int]] = collections.deque()
        self._rate_samples = 0  # samples in the window after its first entry
        self._last_good = self._copy_state()
        self.dims_indices = insights.fixed_rows(self.dataset.train_idx, insights.DIMS_ROWS, seed)
        self._param_layers = insights.parameter_layers(self.model)
        self._watch = Watch()
        self.latest_layers = self.latest_eval = None
        if self.store is not None:
            if record:
                self.store.create(run, self.record(), environment(str(self.device), seed, self.ranks.world_size))
            if self._metrics_log is not None:
                self._metrics_log.close()
            self._metrics_log = MetricsLog(self.store.folder(run) / "metrics.jsonl")
        self._refresh_outputs()  # a new run: its own PCA basis (LatentRefresher starts afresh)
        self._latent.encode_now(self.snapshot)

    def _shuffle(self) -> torch.Tensor:
        """This epoch's order of the training rows (N_train,), the same on every rank, on the device:
        copied there once an epoch, so a step copies no indices."""
        train = self.dataset.train_idx
        order = train[torch.randperm(len(train), generator=torch.Generator().manual_seed(self.config.seed + self.epoch))]
        return order.to(self.device)

    def _next_batch(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """This rank's `batch_size` rows: a global batch is world_size consecutive slices of the
        order, one per rank, so the ranks never share a row within an epoch."""
        world = self.ranks.world_size
        size = self._order.shape[0]  # (len() of a tensor is a Python call: ~1.5 us)
        batch_size = max(1, min(batch_size, size // world))
        if self._cursor + batch_size * world > size:
            self.epoch += 1
            self._order = self._shuffle()
            self._cursor = 0
        start = self._cursor + self.ranks.rank * batch_size
        rows = self._order[start : start + batch_size]  # (B,) on the device
        self._cursor += batch_size * world
        return self.x[rows], self.labels[rows] if self._batch_labels else None  # (B, D), (B,) or None

    def _run(self) -> None:
        intra_op.train_here(self.threads)
        last_refresh = last_good = last_insights = last_layers = last_flush = time.perf_counter()
        while True:
            with self._lock:
                while not (self._stop or self._training or self._pending_steps or self._pending_reset
                           or self._pause_waiters or self._calls):
                    self._wake.wait()
                if self._stop:
                    return
                waiters, self._pause_waiters = self._pause_waiters, []
                calls, self._calls = self._calls, []
                reset, self._pending_reset = self._pending_reset, None
                pending = self._pending_steps[0] if self._pending_steps else None
                should_step = self._training or pending is not None
                cfg = self.config
            if waiters:
                if self.snapshot is None or self.snapshot.step != self.step:
                    self._refresh_outputs()  # inference sees exactly the weights training stopped at
                self._latent.encode_now(self.snapshot)  # and so does the latent stream
                self._flush_records(to_disk=True)
            for done in waiters:  # no step runs between the loop's top and here
                done({"state": self.state, "step": self.step})
            if waiters:
                self.emit("status")  # the step training stopped at, for every client at once
            for fn, done in calls:
                try:
                    done(fn())
                except Exception as exc:  # reported to the caller; training goes on
                    log.exception("trainer call failed")
                    done(exc)
            if reset is not None:
                seed, done = reset
                if self.store is not None and self.unsaved:  # the old run stays resumable
                    self._save_logged()
                if self._leader is not None:
                    self._leader.reset(seed)
                self._build(seed, new_run_id(self.dataset.name, self.spec.name))
                self.emit("log", level="info", event="reset", message=f"new run {self.run} (seed {seed})")
                self.emit("status")
                if done:
                    done({"run": self.run, "step": self.step})
                continue
            if not should_step:
                continue
            before = self.step
            if pending is not None and pending.remaining == 1 and self.insights_on:
                self._layers_due = True  # the last step of a train.step: its layers are the ones shown
            try:
                if self._leader is not None:
                    self._leader.step(cfg)  # the other ranks run this same step with us
                self._train_step(cfg)
            except Exception as exc:  # a bug must not kill the thread silently: report, pause
                log.exception("training step failed")
                with self._lock:
                    self._training = False
                    failed, self._pending_steps = self._pending_steps, []
                self.emit("log", level="error", event="step_failed", message=f"training paused: {exc}")
                self.emit("status")
                for p in failed:
                    p.reply(RuntimeError(f"training step failed: {exc}"))
                continue
            now = time.perf_counter()
            finished_steps = False
            if pending is not None and self.step > before:  # a skipped (NaN) step is not counted
                pending.remaining -= 1
                finished_steps = pending.remaining <= 0
            shown = finished_steps and self.streaming  # headless, a train.step's end is shown to no one
            if finished_steps or now - last_flush >= step_records.FLUSH_S:
                self._flush_records()  # a live reader of the history sees it at most FLUSH_S behind
                last_flush = now
            if shown or now - last_refresh >= self._snapshot_interval:
                good = shown or now - last_good >= LAST_GOOD_INTERVAL_S
                views = shown or now - last_insights >= INSIGHTS_REFRESH_S
                self._refresh_outputs(last_good=good, views=views)
                if shown:
                    self._latent.encode_now(self.snapshot)  # the weights the train.step ended at
                last_refresh = now
                last_good = now if good else last_good
                last_insights = now if views else last_insights
                if self.insights_on and now - last_layers >= LAYERS_INTERVAL_S:
                    self._layers_due, last_layers = True, now
            self._latent.encode_due()  # when no core is free beside training, the encodes run here
            if self.step > before and cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0 and self.store:
                self._save_logged()
            if finished_steps:
                with self._lock:
                    self._pending_steps.pop(0)
                pending.reply({"step": self.step})
                self.emit("status")

    def _save_logged(self) -> None:
        """save() from the training loop itself: a failure (disk full) is told, training goes on."""
        try:
            self.save()
        except Exception as exc:
            log.exception("saving %s failed", self.run)
            self.emit("log", level="error", event="save_failed", message=f"saving {self.run} failed: {exc}")

    def _train_step(self, cfg: TrainConfig) -> None:
        """One optimisation step. It reads one value back from the device: the stacked (K,) scalars
        (loss, recon, kl, the model's tensor extras, the gradient norm), averaged over the ranks in a
        data-parallel run; finiteness is judged from that read, after backward, so a non-finite
        step skips optimizer.step() instead of stopping the device earlier to ask."""
        started = time.perf_counter()
        lr, beta = lr_at(cfg, self.step), beta_at(cfg, self.step)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        x, y = self._next_batch(cfg.batch_size)  # (B, D), (B,)
        if not self.model.training:  # set back after eval() (insights, evaluate): train() walks every
            self.model.train()  # submodule, ~5 % of a digits step if called at each one
        with autocast(self.device, cfg.amp):
            out = self._step_model(x, y, beta=beta, generator=self.generator, step=self.step)
            loss = out.loss
            kl_dims = self.model.kl_per_dimension(out) if cfg.free_bits > 0 else None  # (Z,) or None
            if kl_dims is not None:
                # Free bits (Kingma et al. 2016, eq. 15): KL per dimension is not penalised below
                # free_bits nats, so the encoder can't collapse dims to the prior just to save KL.
                loss = loss + beta * (kl_dims.clamp(min=cfg.free_bits).sum() - kl_dims.sum())
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()  # data-parallel: averages the gradients across the ranks
        layer_grads = insights.grad_norms(self._param_layers) if self._layers_due else None  # before clipping
        scalars: dict[str, torch.Tensor | float] = {"loss": loss, "recon": out.recon, "kl": out.kl, **out.extras}
        if cfg.grad_clip > 0:  # the norm stays on the device until the read below
            scalars["grad_norm"] = torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
        values = read_scalars(scalars, distributed.average if self.ranks.parallel else None, each=self.read_each)
        bad = "loss" if not math.isfinite(values["loss"]) else None
        if bad is None and "grad_norm" in values and not math.isfinite(values["grad_norm"]):
            bad = "grad_norm"
        if bad is not None:  # every rank read the same averaged values: all of them skip this step
            self.optimizer.zero_grad(set_to_none=True)
            self._recover_from_nan(f"{'loss' if bad == 'loss' else 'gradient norm'} was {values[bad]}")
            return
        self.optimizer.step()
        # A model that trains a second network here (a discriminator) returns that network's figures,
        # read below: a second read, for such models only.
        aux = self.model.after_step(x, y, out, self.generator)
        if self._leader_owned:  # buffers and EMA state each rank moved by itself: rank 0's wins
            distributed.sync_from_leader(self._leader_owned)
        self.step += 1
        # samples/s over the last second, every rank's rows: a running sum, so a step costs O(1) here
        rows = x.shape[0]  # (Tensor.__len__ is a Python call: ~1.5 us)
        seen = rows * self.ranks.world_size
        now = time.perf_counter()
        window = self._rate_window
        if not window:  # a run's first step: its own duration gives the rate
            window.append((started, 0))
        window.append((now, seen))
        if len(window) > 1:
            self._rate_samples += seen
        while len(window) > 2 and now - window[0][0] > 1.0:
            window.popleft()
            self._rate_samples -= window[0][1]
        span = now - window[0][0]
        samples = self._rate_samples
        metrics = {
            "run": self.run, "step": self.step, "epoch": self.epoch,
            "loss": values["loss"], "recon": values["recon"], "kl": values["kl"],
            "lr": lr, "beta": beta, "batch_size": rows,
            "samples_per_s": samples / span if span > 0 else 0.0,
            **{k: values[k] for k in out.extras}, **(read_scalars(aux, each=self.read_each) if aux else {}),
        }
        if "grad_norm" in values:
            metrics["grad_norm"] = values["grad_norm"]
        if cfg.eval_every and self.step % cfg.eval_every == 0 and self.ranks.leader:
            metrics.update(self._evaluate_test())
        self.latest_metrics = metrics
        if self._records.add(metrics):  # the history, the file and the hooks get it in batches
            self._flush_records()
        if layer_grads is not None:
            self._layers_due = False
            self._take_layers(layer_grads, metrics, cfg)

    def _flush_records(self, to_disk: bool = False) -> None:
        """The steps' metrics gathered so far, into the run's history, metrics.jsonl and hooks;
        `to_disk`: and the file written through to the OS (a pause, a save)."""
        if len(self._records):  # (none before the first build, which has no history yet)
            self._records.flush(self.history, self._metrics_log, self.metric_hooks)
        if to_disk and self._metrics_log is not None:
            self._metrics_log.flush()

    def _recover_from_nan(self, what: str) -> None:
        """Skip the step, restore the last good weights and optimizer state, halve lr, tell everyone.
        Data-parallel, every rank gets here at the same step (the values it judged were averaged) and
        restores rank 0's last good copy, so the ranks stay equal."""
        model_state, optim_state = self._last_good
        if self.ranks.parallel:
            model_state, optim_state = distributed.from_leader(self._last_good if self.ranks.leader else None)
        self.model.load_state_dict(model_state)
        load_optimizer_state(self.optimizer, optim_state)
        self.nan_recoveries += 1
        with self._lock:
            self.config.lr = max(self.config.lr * 0.5, 1e-7)
            new_lr = self.config.lr
        message = f"{what} at step {self.step}: step skipped, last good weights restored, lr lowered to {new_lr:g}"
        log.warning(message)
        self.emit("log", level="warning", event="nan_recovered", message=message, lr=new_lr)
        self.emit("status")

"""What the training thread publishes beside its steps, and the copies it keeps.

- a weights snapshot on the host (Snapshot) for inference and the latent stream, every
  SNAPSHOT_INTERVAL_S, less often where a copy of the weights costs more;
- the dashboard's snapshots: `dims` (KL per dimension of a fixed training batch) and `recons`
  (fixed test rows beside their reconstructions), `layers` (weight and gradient norms) and the
  watch they feed, which posts `log` warnings;
- the last good weights and optimizer state, restored after a non-finite step;
- an `eval_every` evaluation of the test split.

TrainerOutputs is part of Trainer (trainer.py), kept here by concern; its methods run on the
trainer's thread, between steps.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass

import numpy as np
import torch

from vaestudio import insights
from vaestudio.evaluate import evaluate
from vaestudio.models import ModelSpec
from vaestudio.optimizers import copy_state
from vaestudio.train_config import TrainConfig
from vaestudio.watch import Observation

log = logging.getLogger("vaestudio.trainer")  # its warnings are the trainer's, as before the split

# Weights snapshot for inference and the latent stream (a copy of a 784-400-20 MLP is ~0.3 ms, of
# the 28x28 conv ~1 ms); the latent subset is encoded from it in its own thread, on its own schedule
# (latent_refresh.py). Every SNAPSHOT_INTERVAL_S, or less often where a copy would take more than
# SNAPSHOT_SHARE of the time, but at least every SNAPSHOT_MAX_INTERVAL_S (the latent stream's 2 Hz).
SNAPSHOT_INTERVAL_S = 0.1
SNAPSHOT_SHARE = 0.005
SNAPSHOT_MAX_INTERVAL_S = 0.5
LAST_GOOD_INTERVAL_S = 1.0  # weights + optimizer copy to restore after a NaN (1.5 ms for shapes' MLP)
# `dims` + `recons`: a no-grad encode of 256 + 16 rows, about a third of a training step (0.6 ms on
# digits, 9 ms on a 784-400-20 MLP): 1.25 Hz keeps them >= 1 Hz and near 1 % of training time
INSIGHTS_REFRESH_S = 0.8
LAYERS_INTERVAL_S = 1.0  # `layers` norms (and the watch they feed), taken on the next step's backward
EVAL_MAX_ROWS = 2000  # test rows of an `eval_every` evaluation


@dataclass
class Snapshot:
    """Weights for inference, replaced whole by the trainer; `version` grows with every copy."""

    version: int
    run: str
    step: int
    spec: ModelSpec
    state: dict[str, torch.Tensor]


class TrainerOutputs:
    """The publishing half of Trainer: it reads the trainer's model, data, run and step."""

    def _evaluate_test(self) -> dict:
        """The test split's ELBO at the current weights (its first EVAL_MAX_ROWS rows, the same
        noise every time): kept for the `eval` stream, returned as the step's test_* metrics."""
        if len(self.dataset.test_idx) == 0:
            return {}
        result = evaluate(self.model, self.dataset, "test", max_rows=EVAL_MAX_ROWS, seed=0)
        self.latest_eval = {"run": self.run, "step": self.step, **{k: result[k] for k in ("split", "n", "elbo", "recon", "kl")}}
        return {"test_loss": -result["elbo"], "test_recon": result["recon"], "test_kl": result["kl"]}

    def _take_layers(self, grads: torch.Tensor, metrics: dict, cfg: TrainConfig) -> None:
        """The `layers` snapshot (grads of this step before clipping, weights after it) and the
        watch it feeds, which may post `log` warnings."""
        layers = insights.layer_norms(self._param_layers, grads)
        self.latest_layers = {"run": self.run, "step": self.step, **layers}
        dims = self.latest_dims
        seen = Observation(
            step=self.step, objective=metrics["recon"] + metrics["kl"], grad_norm_total=layers["grad_norm_total"],
            active_units=dims["active_units"] if dims is not None and dims["run"] == self.run else None,
            warmup_steps=cfg.warmup_steps if cfg.kl_warmup != "none" else 0,
        )
        for event, message in self._watch.observe(seen):
            log.warning(message)
            self.emit("log", level="warning", event=event, message=message)

    def _copy_state(self) -> tuple[dict, dict]:
        model_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        return model_state, copy_state(self.optimizer.state_dict())

    def _weights_finite(self) -> bool:
        """Whether every parameter is finite, in one read: the sum of each parameter's sum, which a
        NaN or an infinity anywhere makes non-finite. (isfinite(p).all() per parameter writes a mask
        of every weight first: 2.8 against 0.25 ms for the `shapes` MLP.) Finite weights whose sum
        overflows read as not finite, and then the older good copy is kept: never a bad one."""
        return bool(torch.isfinite(torch.stack([p.detach().sum() for p in self.model.parameters()]).sum()))

    @torch.no_grad()
    def _refresh_outputs(self, last_good: bool = True, views: bool = True) -> None:
        """Publish a weights snapshot (which the latent thread encodes from) and, when asked, the
        `dims` and `recons` snapshots and a last-good copy for NaN recovery."""
        if last_good and self._weights_finite():
            self._last_good = self._copy_state()
        if self.streaming or self.snapshot is None or self.snapshot.run != self.run:  # headless: no reader
            # From a GPU, every tensor is queued for the host at once and waited for once, not each in turn
            started = time.perf_counter()
            state = {k: v.detach().to("cpu", non_blocking=True, copy=True) for k, v in self.model.state_dict().items()}
            if self.device.type == "cuda":
                torch.cuda.current_stream(self.device).synchronize()
            elif self.device.type == "mps":
                torch.mps.synchronize()
            cost = time.perf_counter() - started
            self._snapshot_interval = min(SNAPSHOT_MAX_INTERVAL_S, max(SNAPSHOT_INTERVAL_S, cost / SNAPSHOT_SHARE))
            version = self.snapshot.version + 1 if self.snapshot else 1
            self.snapshot = Snapshot(version, self.run, self.step, copy.deepcopy(self.spec), state)
            self._latent.offer(self.snapshot)
        if views and self.insights_on:
            self._refresh_views()

    def _refresh_views(self) -> None:
        """The `dims` snapshot of the run's fixed training batch and the `recons` of the fixed test rows."""
        stamp = {"run": self.run, "step": self.step}
        self.latest_dims = {**stamp, **insights.dims(self.model, *self._rows(self.dims_indices))}
        found = insights.recons(self.model, *self._rows(self.recon_indices), self.dataset.image_shape)
        self.latest_recons = {**stamp, "indices": self.recon_indices.numpy().astype(np.int32), **found}

    def _rows(self, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Data-set rows (n,) -> x (n, D) on the device, and their labels for conditional models."""
        rows = indices.to(self.device)
        return self.x[rows], self.labels[rows] if self.labels is not None and self.conditional else None

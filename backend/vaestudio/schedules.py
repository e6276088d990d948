"""Learning-rate schedules and KL warm-up, as pure functions of the step.

- lr: constant; cosine (Loshchilov & Hutter 2017, SGDR without restarts: lr * (1 + cos(pi t/T)) / 2,
  floored at 1 % of lr after T); step (lr * gamma^(step // step_every)).
- KL weight: linear warm-up (Bowman et al. 2016: beta * min(1, step / warmup_steps)); cyclic
  (Fu et al. 2019: ramps over the first half of every `warmup_steps` cycle, flat for the second).
"""

from __future__ import annotations

import math

from vaestudio.train_config import TrainConfig


def lr_at(cfg: TrainConfig, step: int) -> float:
    if cfg.schedule == "cosine":
        t = min(step, cfg.schedule_steps) / cfg.schedule_steps
        return cfg.lr * max(0.01, 0.5 * (1 + math.cos(math.pi * t)))
    if cfg.schedule == "step":
        return cfg.lr * cfg.step_gamma ** (step // cfg.step_every)
    return cfg.lr


def beta_at(cfg: TrainConfig, step: int) -> float:
    if cfg.kl_warmup == "linear":
        return cfg.beta * min(1.0, step / cfg.warmup_steps)
    if cfg.kl_warmup == "cyclic":
        phase = (step % cfg.warmup_steps) / cfg.warmup_steps
        return cfg.beta * min(1.0, 2 * phase)
    return cfg.beta

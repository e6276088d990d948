"""`TrainConfig`: how a run trains, as one typed record, checked at once; unknown keys raise.

The model's own recipe is `models.spec.ModelSpec`; this is everything about optimisation.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from vaestudio import checks


# Ranges accepted for the live-tunable values; the wire contract quotes them in its errors.
LR_RANGE = (1e-7, 10.0)
BETA_RANGE = (0.0, 1000.0)
BATCH_RANGE = (1, 4096)
FREE_BITS_RANGE = (0.0, 10.0)
GRAD_CLIP_RANGE = (0.0, 1e6)
CHOICES = {
    "optimizer": ("adam", "adamw", "sgd"),
    "schedule": ("constant", "cosine", "step"),
    "kl_warmup": ("none", "linear", "cyclic"),
    "device": ("auto", "cpu", "cuda", "mps"),
}
# What `config.set` may change while training runs (the rest needs a new run).
LIVE_KEYS = ("lr", "beta", "batch_size", "free_bits", "grad_clip", "kl_warmup", "warmup_steps",
             "schedule", "schedule_steps", "step_every", "step_gamma", "eval_every")


@dataclass
class TrainConfig:
    lr: float = 1e-3
    beta: float = 1.0  # KL weight (before warm-up)
    batch_size: int = 128
    seed: int = 0  # weights, batch order and sampling noise all follow it
    optimizer: str = "adam"  # "adam" | "adamw" | "sgd" (with momentum)
    momentum: float = 0.9  # sgd only
    weight_decay: float = 0.0
    schedule: str = "constant"  # lr schedule: "constant" | "cosine" | "step"
    schedule_steps: int = 10_000  # cosine: steps to the floor
    step_every: int = 5_000  # step schedule: multiply lr by step_gamma this often
    step_gamma: float = 0.5
    kl_warmup: str = "none"  # "none" | "linear" | "cyclic"
    warmup_steps: int = 2_000  # linear: ramp length; cyclic: cycle length
    free_bits: float = 0.0  # nats per latent dim below which KL is not penalised (0: off)
    grad_clip: float = 0.0  # max global gradient norm (0: off)
    device: str = "cpu"  # "auto" picks cuda, then mps, then cpu
    amp: bool = True  # bf16 autocast on GPU devices
    latent_points: int = 10_000  # rows the `latent` stream carries at most
    checkpoint_every: int = 0  # steps between automatic checkpoints (0: only on save)
    eval_every: int = 0  # steps between test-split evaluations (`eval` stream, test_* metrics; 0: off)

    def validate(self) -> None:
        """Raise ConfigError naming the first value that is not accepted."""
        checks.number("lr", self.lr, *LR_RANGE)
        checks.number("beta", self.beta, *BETA_RANGE)
        checks.integer("batch_size", self.batch_size, *BATCH_RANGE)
        checks.integer("seed", self.seed, 0, 2**31 - 1)
        for key, accepted in CHOICES.items():
            checks.choice(key, getattr(self, key), accepted)
        checks.number("momentum", self.momentum, 0.0, 0.999)
        checks.number("weight_decay", self.weight_decay, 0.0, 1.0)
        checks.integer("schedule_steps", self.schedule_steps, 1, 10**9)
        checks.integer("step_every", self.step_every, 1, 10**9)
        checks.number("step_gamma", self.step_gamma, 1e-6, 1.0)
        checks.integer("warmup_steps", self.warmup_steps, 1, 10**9)
        checks.number("free_bits", self.free_bits, *FREE_BITS_RANGE)
        checks.number("grad_clip", self.grad_clip, *GRAD_CLIP_RANGE)
        checks.boolean("amp", self.amp)
        checks.integer("latent_points", self.latent_points, 1, 10_000)
        checks.integer("checkpoint_every", self.checkpoint_every, 0, 10**9)
        checks.integer("eval_every", self.eval_every, 0, 10**9)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        checks.mapping("a training config", data)
        checks.known_keys(data, [f.name for f in dataclasses.fields(cls)], "training key(s)")
        obj = cls(**data)
        obj.validate()
        return obj

"""`TrainConfig`: how a run trains, as one typed record, checked at once; unknown keys raise.

The model's own recipe is `models.spec.ModelSpec`; this is everything about optimisation.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from vaestudio import checks
from vaestudio.setting import check_fields, choice, described, flag, integer, number


# Ranges accepted for the live-tunable values; the wire contract quotes them in its errors.
LR_RANGE = (1e-7, 10.0)
BETA_RANGE = (0.0, 1000.0)
BATCH_RANGE = (1, 4096)
FREE_BITS_RANGE = (0.0, 10.0)
GRAD_CLIP_RANGE = (0.0, 1e6)
# What `config.set` may change while training runs (the rest needs a new run); model.list marks them live.
LIVE_KEYS = ("lr", "beta", "batch_size", "free_bits", "grad_clip", "kl_warmup", "warmup_steps",
             "schedule", "schedule_steps", "step_every", "step_gamma", "eval_every")
CHOICES = {
    "optimizer": ("adam", "adamw", "sgd"),
    "schedule": ("constant", "cosine", "step"),
    "kl_warmup": ("none", "linear", "cyclic"),
    "device": ("auto", "cpu", "cuda", "mps"),
}


@dataclass
class TrainConfig:
    """Every key carries its Setting (type, range, help): validate() checks with it and model.list
    describes it."""

    lr: float = described(1e-3, number(*LR_RANGE, "Learning rate of the optimiser."))
    beta: float = described(1.0, number(
        *BETA_RANGE, "Weight of the KL term (after any warm-up); 1 is the plain ELBO."))
    batch_size: int = described(128, integer(*BATCH_RANGE, "Training rows per optimisation step.", unit="rows"))
    seed: int = described(0, integer(
        0, 2**31 - 1, "Seed of the weights, the batch order and the sampling noise: the same seed gives the same run."))
    optimizer: str = described("adam", choice(
        CHOICES["optimizer"], "Optimiser: adam, adamw (decoupled weight decay) or sgd with momentum."))
    momentum: float = described(0.9, number(0.0, 0.999, "Momentum of the sgd optimiser (adam and adamw ignore it)."))
    weight_decay: float = described(0.0, number(0.0, 1.0, "Weight decay of the optimiser; 0 turns it off."))
    schedule: str = described("constant", choice(
        CHOICES["schedule"], "Learning-rate schedule: constant, cosine (down to 1 % of lr over schedule_steps) or "
        "step (lr times step_gamma every step_every steps)."))
    schedule_steps: int = described(10_000, integer(
        1, 10**9, "Cosine schedule: the steps over which lr falls to its floor.", unit="steps"))
    step_every: int = described(5_000, integer(
        1, 10**9, "Step schedule: the steps between two multiplications of lr by step_gamma.", unit="steps"))
    step_gamma: float = described(0.5, number(
        1e-6, 1.0, "Step schedule: the factor lr is multiplied by every step_every steps."))
    kl_warmup: str = described("none", choice(
        CHOICES["kl_warmup"], "Ramp of the KL weight from 0 up to beta: none, linear (over warmup_steps) or cyclic "
        "(a ramp over the first half of every warmup_steps cycle)."))
    warmup_steps: int = described(2_000, integer(
        1, 10**9, "Length of the linear KL ramp, or of one cycle of the cyclic one.", unit="steps"))
    free_bits: float = described(0.0, number(
        *FREE_BITS_RANGE, "KL per latent dimension below which it is not penalised (Kingma et al. 2016); 0 turns "
        "it off.", unit="nats"))
    grad_clip: float = described(0.0, number(
        *GRAD_CLIP_RANGE, "Largest global gradient norm (larger gradients are scaled down to it); 0 turns clipping "
        "off."))
    device: str = described("cpu", choice(
        CHOICES["device"], "Where to train: auto picks cuda, then mps, then cpu."))
    amp: bool = described(True, flag("Train in bfloat16 autocast on GPU devices (the CPU ignores it)."))
    latent_points: int = described(10_000, integer(
        1, 10_000, "Most points one message of the latent stream carries.", unit="points"))
    checkpoint_every: int = described(0, integer(
        0, 10**9, "Steps between automatic checkpoints; 0 saves only when asked.", unit="steps"))
    eval_every: int = described(0, integer(
        0, 10**9, "Steps between test-split evaluations (the eval stream, test_* metrics); 0 turns them off.",
        unit="steps"))

    def validate(self) -> None:
        """Raise ConfigError naming the first value that is not accepted."""
        check_fields(self)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        checks.mapping("a training config", data)
        checks.known_keys(data, [f.name for f in dataclasses.fields(cls)], "training key(s)")
        obj = cls(**data)
        obj.validate()
        return obj

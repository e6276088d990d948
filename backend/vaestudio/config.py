"""Typed configuration records. Unknown keys raise at once instead of being silently ignored."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


class ConfigError(ValueError):
    """A configuration value or key that is not accepted; the message says what is."""


def _from_dict(cls, data: dict[str, Any]):
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"unknown {cls.__name__} key(s) {unknown}; accepted: {sorted(known)}")
    obj = cls(**data)
    obj.validate()
    return obj


@dataclass
class ModelConfig:
    """The VAE's shape. `input_dim` and `likelihood` come from the data set."""

    input_dim: int = 64
    latent_dim: int = 2
    hidden: tuple[int, ...] = (256, 128)
    likelihood: str = "bernoulli"  # "bernoulli" (pixels in [0, 1]) or "gaussian" (real values)
    obs_sigma: float = 0.1  # fixed std of the Gaussian likelihood

    def validate(self) -> None:
        self.hidden = tuple(int(h) for h in self.hidden)
        if not 1 <= self.latent_dim <= 256:
            raise ConfigError(f"latent_dim must be between 1 and 256, got {self.latent_dim}")
        if self.input_dim < 1:
            raise ConfigError(f"input_dim must be positive, got {self.input_dim}")
        if not self.hidden or any(h < 1 or h > 8192 for h in self.hidden):
            raise ConfigError(f"hidden must be 1 to 8192 units per layer, got {list(self.hidden)}")
        if self.likelihood not in ("bernoulli", "gaussian"):
            raise ConfigError(f"likelihood must be 'bernoulli' or 'gaussian', got {self.likelihood!r}")
        if not self.obs_sigma > 0:
            raise ConfigError(f"obs_sigma must be > 0, got {self.obs_sigma}")

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        return _from_dict(cls, data)


# Ranges accepted for the live-tunable values; the wire contract quotes them in its errors.
LR_RANGE = (1e-7, 10.0)
BETA_RANGE = (0.0, 1000.0)
BATCH_RANGE = (1, 4096)


@dataclass
class TrainConfig:
    """What the trainer needs; lr, beta and batch_size can change while it runs."""

    lr: float = 1e-3
    beta: float = 1.0
    batch_size: int = 128
    seed: int = 0
    latent_points: int = 10_000  # how many data rows the `latent` stream carries at most
    extra: dict[str, Any] = field(default_factory=dict)  # reserved for later variants

    def validate(self) -> None:
        check_range("lr", self.lr, *LR_RANGE)
        check_range("beta", self.beta, *BETA_RANGE)
        check_range("batch_size", self.batch_size, *BATCH_RANGE)
        if not 1 <= self.latent_points <= 10_000:
            raise ConfigError(f"latent_points must be between 1 and 10000, got {self.latent_points}")

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "extra"}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        return _from_dict(cls, data)


def check_range(name: str, value, lo, hi) -> None:
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo:g} and {hi:g}, got {value!r}")

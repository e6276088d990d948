"""The training watch: posterior collapse, divergence and vanishing gradients, in plain words.

Fed about once a second with what the trainer already has at hand (the step, its loss terms, the
total gradient norm of the `layers` snapshot, the active units of the `dims` snapshot), so it adds
nothing to a training step. Each warning is posted once, and again only after its condition has
cleared (stayed false for CLEAR_AFTER observations in a row, so a borderline value does not post
a warning every second).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

COLLAPSE_AFTER_STEPS = 500  # no collapse warning before this (a fresh model's means barely vary yet)
EXPLODING_GRAD_NORM = 1e4
LOSS_RISE = 10.0  # the loss at LOSS_RISE times its lowest so far counts as divergence
VANISHING_GRAD_NORM = 1e-7
VANISHING_STEPS = 50
CLEAR_AFTER = 3


@dataclass
class Observation:
    step: int
    objective: float  # recon + kl of the step (the negative ELBO for a VAE): unlike the loss it
    # does not move with beta or its warm-up, so a rise means training went wrong
    grad_norm_total: float  # before clipping
    active_units: int | None  # of the dims batch at about this step; None when unknown
    warmup_steps: int = 0  # KL warm-up length: collapse is only judged after it


class Watch:
    def __init__(self):
        self._posted: dict[str, int] = {}  # event -> observations in a row without its condition
        self._lowest = math.inf
        self._vanishing_since: int | None = None

    def observe(self, obs: Observation) -> list[tuple[str, str]]:
        """The warnings to post now: (event, message) for each condition newly true."""
        found = {
            "collapse": self._collapse(obs),
            "divergence": self._divergence(obs),
            "vanishing_gradients": self._vanishing(obs),
        }
        posts = []
        for event, message in found.items():
            if message is not None:
                if event not in self._posted:
                    posts.append((event, message))
                self._posted[event] = 0
            elif event in self._posted:
                self._posted[event] += 1
                if self._posted[event] >= CLEAR_AFTER:
                    del self._posted[event]
        return posts

    def _collapse(self, obs: Observation) -> str | None:
        if obs.active_units != 0 or obs.step < max(COLLAPSE_AFTER_STEPS, obs.warmup_steps):
            return None
        return (f"Posterior collapse at step {obs.step}: no latent dimension is active any more (the "
                f"encoder's means no longer change with the input, so the decoder ignores z). Try a KL "
                f"warm-up (kl_warmup linear), free bits (free_bits 0.1 to 0.5) or a lower beta.")

    def _divergence(self, obs: Observation) -> str | None:
        g, objective = obs.grad_norm_total, obs.objective
        why = None
        if not math.isfinite(g):
            why = "the gradient norm is not finite"
        elif g > EXPLODING_GRAD_NORM:
            why = f"the gradient norm is {g:.3g} (above {EXPLODING_GRAD_NORM:g})"
        elif math.isfinite(objective):
            # "10x its lowest" for a positive loss; a loss near or below 0 must rise by 9 nats at least
            if objective - self._lowest > (LOSS_RISE - 1) * max(abs(self._lowest), 1.0):
                why = f"the loss is {objective:.4g}, over {LOSS_RISE:g} times its lowest so far ({self._lowest:.4g})"
            self._lowest = min(self._lowest, objective)
        if why is None:
            return None
        return f"Training is diverging at step {obs.step}: {why}. Try a lower lr, or set grad_clip (e.g. 1 to 10)."

    def _vanishing(self, obs: Observation) -> str | None:
        if not obs.grad_norm_total < VANISHING_GRAD_NORM:
            self._vanishing_since = None
            return None
        if self._vanishing_since is None:
            self._vanishing_since = obs.step
        if obs.step - self._vanishing_since < VANISHING_STEPS:
            return None
        return (f"Gradients are vanishing: the total gradient norm has stayed below {VANISHING_GRAD_NORM:g} "
                f"since step {self._vanishing_since}, so the weights hardly change. Try a higher lr, and "
                f"check the data's scale (images in [0, 1], other values standardised).")

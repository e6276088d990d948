"""`factor_vae`: Kim & Mnih (2018), "Disentangling by Factorising".

FactorVAE adds a total-correlation penalty to the ELBO (their eq. 2):

    loss = recon + KL + gamma * TC(z),    TC(z) = KL(q(z) || q_bar(z)),  q_bar(z) = prod_j q(z_j),

with TC estimated by the density-ratio trick (their eq. 3): a discriminator D tells samples of
q(z) from samples of q_bar(z), and TC ~= E_q(z)[log D(z) / (1 - D(z))] = E[logit_q - logit_qbar]
with D's two logits. Samples of q_bar(z) are made by permuting each latent dimension across the
batch (their Algorithm 1). Here `kl` = KL + gamma * TC and loss = recon + beta * kl (beta = 1: the paper).

The discriminator is trained in `after_step` with its own Adam (lr `disc_lr`, betas (0.5, 0.9) as in
the paper) to classify the batch's z (detached) against its permuted copy. In the VAE loss its
weights are used detached (torch.func.functional_call), so the trainer's optimizer, which sees all
of model.parameters(), never receives gradients for them and never moves them. Deviation from the
paper: one batch serves both the VAE step and the discriminator step (the paper draws two).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from vaestudio.models.base import BaseVAE, ModelOutput
from vaestudio.optimizers import fused_available, load_optimizer_state
from vaestudio.setting import described, integer, number


@dataclass
class FactorVAEParams:
    gamma: float = described(10.0, number(
        0.0, 1e4, "Weight of the total-correlation penalty (the paper sweeps 10 to 100)."))
    disc_hidden: int = described(256, integer(
        1, 8192, "Units per hidden layer of the discriminator that estimates the total correlation (the paper: 1000)."))
    disc_layers: int = described(3, integer(1, 16, "Hidden layers in the discriminator (the paper: 6)."))
    disc_lr: float = described(1e-4, number(
        1e-7, 1.0, "Learning rate of the discriminator's own Adam optimiser (the paper: 1e-4)."))


def permute_dims(z: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Shuffle every latent dimension independently across the batch: samples of prod_j q(z_j). (B, Z) -> (B, Z)."""
    keys = torch.rand(z.shape, generator=generator, device=z.device)  # (B, Z) random sort keys
    return z.gather(0, keys.argsort(dim=0))


class FactorVAE(BaseVAE):
    name = "factor_vae"
    Params = FactorVAEParams
    description = (
        "FactorVAE (Kim & Mnih 2018). The VAE loss plus gamma times the total correlation of the latent "
        "code, estimated by a small discriminator that learns to tell real codes from codes whose "
        "dimensions were shuffled independently across the batch. Penalising what the discriminator can "
        "tell apart pushes the dimensions to be independent (disentangled) while keeping the ordinary KL. "
        "Params: gamma (TC weight), disc_hidden / disc_layers (discriminator size), disc_lr (its "
        "learning rate; it has its own optimizer). Extras: tc, disc_loss, disc_acc."
    )

    def __init__(self, spec):
        super().__init__(spec)
        p = self.hparams
        layers: list[nn.Module] = []
        width = self.latent_dim
        for _ in range(p.disc_layers):
            layers += [nn.Linear(width, p.disc_hidden), nn.LeakyReLU(0.2)]
            width = p.disc_hidden
        layers.append(nn.Linear(width, 2))  # logits: [from q(z), from prod_j q(z_j)]
        self.discriminator = nn.Sequential(*layers)
        self._disc_optimizer: torch.optim.Adam | None = None  # made at its first use: see disc_optimizer

    @property
    def disc_optimizer(self) -> torch.optim.Adam:
        """The discriminator's own Adam. It is made at its first use (a step, a save, a resume),
        when the model is on its device already: that device decides whether it runs on the fused
        kernel (optimizers.py; 5-8 % of a digits step here)."""
        if self._disc_optimizer is None:
            device = next(self.discriminator.parameters()).device
            fused = {"fused": True} if fused_available(torch.optim.Adam, device) else {}
            self._disc_optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=self.hparams.disc_lr,
                                                    betas=(0.5, 0.9), **fused)
        return self._disc_optimizer

    def forward(self, x, y=None, beta: float = 1.0, generator=None, step: int = 0) -> ModelOutput:
        out = super().forward(x, y, beta=1.0, generator=generator, step=step)
        frozen = {k: v.detach() for k, v in self.discriminator.named_parameters()}
        logits = functional_call(self.discriminator, frozen, (out.z,))  # (B, 2); gradients reach z only
        tc = (logits[:, 0] - logits[:, 1]).mean()
        kl = out.kl + self.hparams.gamma * tc
        out.extras = {"kl_q": out.kl.detach(), "tc": tc.detach()}
        out.kl, out.loss = kl, out.recon + beta * kl
        return out

    def after_step(self, x, y, out: ModelOutput, generator=None) -> dict[str, torch.Tensor]:
        """One discriminator step on the batch's codes vs their dimension-permuted copies."""
        z = out.z.detach().float()  # (B, Z); the discriminator trains in float32, outside the step's autocast
        z_perm = permute_dims(z, generator)
        logits = self.discriminator(torch.cat([z, z_perm]))  # (2B, 2)
        target = torch.arange(2, device=z.device).repeat_interleave(len(z))  # (2B,): 0 for z, 1 for z_perm
        loss = F.cross_entropy(logits, target)
        self.disc_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.disc_optimizer.step()
        # leave no gradients behind for the trainer's optimizer to apply to the discriminator
        self.disc_optimizer.zero_grad(set_to_none=True)
        acc = (logits.argmax(dim=1) == target).float().mean()
        return {"disc_loss": loss.detach(), "disc_acc": acc}  # 0-dim: the trainer reads both at once

    def aux_optimizer_state(self) -> dict[str, Any]:
        return self.disc_optimizer.state_dict()

    def load_aux_optimizer_state(self, state: dict[str, Any]) -> None:
        if state:  # saved by this or another machine, on the fused kernel or not: this one's choice stays
            load_optimizer_state(self.disc_optimizer, state)

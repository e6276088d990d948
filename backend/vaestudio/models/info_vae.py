"""`info_vae`: Zhao, Song & Ermon (2019), "InfoVAE: Balancing Learning and Inference in Variational
Autoencoders" (AAAI; arXiv 1706.02262), with the MMD divergence ("MMD-VAE").

Their tractable InfoVAE objective (Sec. 3.2, the rewritten form of the InfoVAE Lagrangian):

    loss = recon + (1 - alpha) * KL(q(z|x) || p(z)) + (alpha + lambda - 1) * D(q(z) || p(z)),

with D the maximum mean discrepancy between codes of the batch and draws from the prior. alpha = 1
drops the per-example KL entirely (pure MMD-VAE); lambda scales the match of the aggregate posterior
to the prior. Here `kl` is that whole regulariser and loss = recon + beta * kl (beta = 1: the paper).

MMD^2 uses the biased (V-statistic) estimate of Gretton et al. (2012): the squared distance between
the kernel mean embeddings of the two samples; it is >= 0 and exactly 0 for identical samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from vaestudio.models.base import BaseVAE, ModelOutput
from vaestudio.setting import choice, described, number


@dataclass
class InfoVAEParams:
    alpha: float = described(0.0, number(
        -1e4, 1.0, "Information preference: 0 keeps the usual KL (Zhao et al.'s MNIST runs), 1 drops the "
        "per-example KL entirely (pure MMD-VAE)."))
    lambda_: float = described(10.0, number(
        0.0, 1e6, "Weight of the MMD term that pulls the distribution of all codes towards the prior (the paper "
        "uses up to 1000 with sums over 784 pixels)."))
    kernel: str = described("imq", choice(
        ("imq", "rbf"), "Kernel of the MMD: imq (inverse multiquadratic, heavy tails) or rbf (Gaussian)."))
    kernel_scale: float = described(1.0, number(
        1e-3, 1e3, "Length scale of the MMD kernel, in prior standard deviations."))


def kernel_matrix(a: torch.Tensor, b: torch.Tensor, kernel: str, scale: float = 1.0) -> torch.Tensor:
    """k(a_i, b_j): (N, Z), (M, Z) -> (N, M). The bandwidth grows with Z, as the squared distance does.

    imq: C / (C + |a - b|^2), C = 2 Z scale^2 (Tolstikhin et al. 2018, WAE);
    rbf: exp(-|a - b|^2 / (2 Z scale^2)).
    """
    c = 2.0 * a.shape[1] * scale**2
    d2 = torch.cdist(a, b).pow(2)  # (N, M)
    return c / (c + d2) if kernel == "imq" else torch.exp(-d2 / c)


def mmd(a: torch.Tensor, b: torch.Tensor, kernel: str = "imq", scale: float = 1.0) -> torch.Tensor:
    """Biased MMD^2 between samples a (N, Z) and b (M, Z): mean k(a,a) + mean k(b,b) - 2 mean k(a,b)."""
    return (kernel_matrix(a, a, kernel, scale).mean() + kernel_matrix(b, b, kernel, scale).mean()
            - 2 * kernel_matrix(a, b, kernel, scale).mean()).clamp_min(0.0)


class InfoVAE(BaseVAE):
    name = "info_vae"
    Params = InfoVAEParams
    description = (
        "InfoVAE / MMD-VAE (Zhao, Song & Ermon 2019). Besides (1 - alpha) times the usual KL, it pulls the "
        "distribution of all codes towards the prior with a maximum mean discrepancy (MMD) term weighted "
        "by alpha + lambda_ - 1, which keeps the latent space filled without forcing each code to be noisy, "
        "so the decoder cannot ignore z. alpha = 1 drops the per-example KL (pure MMD-VAE); kernel "
        "('imq' or 'rbf') and kernel_scale set the MMD kernel. Extras: kl_q (the plain KL) and mmd."
    )

    def forward(self, x, y=None, beta: float = 1.0, generator=None, step: int = 0) -> ModelOutput:
        p = self.hparams
        out = super().forward(x, y, beta=1.0, generator=generator, step=step)
        prior = self.sample_prior(len(x), generator).to(out.z.dtype)  # (B, Z)
        d = mmd(out.z, prior, p.kernel, p.kernel_scale)
        kl = (1 - p.alpha) * out.kl + (p.alpha + p.lambda_ - 1) * d
        out.extras = {"kl_q": out.kl.detach(), "mmd": d.detach()}
        out.kl, out.loss = kl, out.recon + beta * kl
        return out

"""`trace`: one example through the model, layer by layer, for the Data-flow view.

x -> encoder layers -> mu, logvar -> z = mu + exp(logvar / 2) * eps -> decoder layers -> recon, and the
example's own loss terms. Forward hooks on the leaf modules of the encoder and decoder bodies record
each weight layer's output (Linear, Conv2d, ConvTranspose2d) *after* the activation that follows it
(with any normalisation or dropout between), so the view shows what the next layer receives.

Activations travel downsampled to at most MAX_VALUES values (protocol/README.md, "trace"): a dense
output of m values is averaged in groups of ceil(m / 4096) consecutive values; a conv output
(c, h, w) keeps its first floor(4096 / (h w)) channels, and a single map larger than 4096 values is
average-pooled. `mean`, `std` and `frac_zero` describe the whole output.

z is computed here in float32 numpy from the float32 mu, logvar and eps that are sent, so a client
recomputing mu + exp(0.5 * logvar) * eps from the received arrays gets z exactly.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vaestudio.models import BaseVAE
from vaestudio.models.base import kl_standard_normal
from vaestudio.wire import array

MAX_VALUES = 4096  # most activation values sent per layer
MAX_PSEUDO_INPUTS = 16  # VampPrior pseudo-inputs sent with a trace
WEIGHT_KINDS = ((nn.ConvTranspose1d, "conv_transpose"), (nn.ConvTranspose2d, "conv_transpose"),
                (nn.ConvTranspose3d, "conv_transpose"), (nn.Conv1d, "conv"), (nn.Conv2d, "conv"),
                (nn.Conv3d, "conv"), (nn.Linear, "linear"))
# Modules that act value by value or normalise: a weight layer's output is taken after them.
FOLLOWERS = (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.Tanh, nn.Sigmoid, nn.SiLU, nn.Softplus,
             nn.Dropout, nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm)


@dataclass
class Tap:
    """A weight layer and the module whose output is shown for it (itself or its last follower)."""

    name: str  # module path, e.g. "encoder.body.0"
    part: str  # "encoder" | "decoder"
    kind: str  # "linear" | "conv" | "conv_transpose"
    module: nn.Module  # the hook goes here


def layer_taps(model: BaseVAE) -> list[Tap]:
    """The weight layers of the encoder and decoder bodies, in forward order (encoder first)."""
    taps: list[Tap] = []
    for part in ("encoder", "decoder"):
        body = getattr(model, part).body
        leaves = [(f"{part}.body.{name}", m) for name, m in body.named_modules() if not list(m.children())]
        for i, (name, module) in enumerate(leaves):
            kind = next((k for cls, k in WEIGHT_KINDS if isinstance(module, cls)), None)
            if kind is None:
                continue
            shown = module
            for _, nxt in leaves[i + 1:]:
                if not isinstance(nxt, FOLLOWERS):
                    break
                shown = nxt
            taps.append(Tap(name, part, kind, shown))
    return taps


@contextmanager
def recording(taps: list[Tap]) -> Iterator[dict[str, torch.Tensor]]:
    """Forward hooks that store each tap's output (batch of 1) under its layer name while inside."""
    outputs: dict[str, torch.Tensor] = {}
    handles = []
    for tap in taps:
        def hook(_module, _inputs, output, name=tap.name):
            outputs[name] = output.detach()
        handles.append(tap.module.register_forward_hook(hook))
    try:
        yield outputs
    finally:
        for h in handles:
            h.remove()


def downsample(a: np.ndarray) -> np.ndarray:
    """One example's output (shape without the batch) -> at most MAX_VALUES float32 values:
    (c, h, w) -> (c', h, w) first channels, or (1, h', w') pooled; anything else -> (m',) group means."""
    if a.ndim == 3:
        c, h, w = a.shape
        if h * w <= MAX_VALUES:
            return a[: max(1, min(c, MAX_VALUES // (h * w)))]
        k = math.ceil(math.sqrt(h * w / MAX_VALUES))
        while math.ceil(h / k) * math.ceil(w / k) > MAX_VALUES:
            k += 1
        pooled = F.adaptive_avg_pool2d(torch.from_numpy(np.ascontiguousarray(a[:1])), (math.ceil(h / k), math.ceil(w / k)))
        return pooled.numpy()
    flat = a.reshape(-1)
    if flat.size <= MAX_VALUES:
        return flat
    group = math.ceil(flat.size / MAX_VALUES)
    starts = np.arange(0, flat.size, group)
    sums = np.add.reduceat(flat.astype(np.float64), starts)
    counts = np.diff(np.append(starts, flat.size))
    return (sums / counts).astype(np.float32)


def layer_record(tap: Tap, output: torch.Tensor) -> dict:
    """The wire map of one layer: output (1, ...) -> {name, part, kind, shape, activation, mean, std, frac_zero}."""
    a = output[0].float().cpu().numpy()
    return {"name": tap.name, "part": tap.part, "kind": tap.kind, "shape": list(a.shape),
            "activation": array(downsample(a), "f32"), "mean": float(a.mean()), "std": float(a.std()),
            "frac_zero": float((a == 0).mean())}


def as_example(x: np.ndarray, image_shape: tuple[int, ...]) -> dict:
    """(n, D) rows -> the wire array `data.get` sends: u8 images (n, h, w(, c)) or f32 values (n, D)."""
    if image_shape:
        return array((x.clip(0, 1) * 255.0).round().astype(np.uint8).reshape(len(x), *image_shape), "u8")
    return array(x, "f32")


@torch.no_grad()
def trace(model: BaseVAE, x: torch.Tensor, label: int | None, seed: int, beta: float,
          image_shape: tuple[int, ...], step: int = 0) -> dict:
    """One example x (1, D) with class `label` (conditional models; else ignored) through `model`
    (eval mode). eps ~ N(0, I) from a generator seeded with `seed`; `beta` weighs the KL in `loss`.
    Returns the wire fields of the `trace` result except run, step, model, index and label."""
    y = torch.tensor([label], dtype=torch.long) if model.conditional else None
    zdim = model.latent_dim
    iw_k = model.hparams.k if model.name == "iwae" else 1
    gen = torch.Generator().manual_seed(seed)
    eps_all = torch.randn((iw_k, zdim), generator=gen).numpy()  # (k, Z); the trace shows the first
    taps = layer_taps(model)
    with recording(taps) as outputs:
        mu_t, logvar_t = model.encode(x, y)  # (1, Z) each
        mu, logvar = mu_t.numpy(), logvar_t.numpy()
        eps = eps_all[:1] if model.name != "vq_vae" else np.zeros_like(mu)  # a VQ-VAE draws nothing
        z = mu + np.exp(np.float32(0.5) * logvar) * eps  # (1, Z) float32, exactly as sent
        logits = model.decode_logits(torch.from_numpy(z), y)  # (1, D); a VQ-VAE decodes its code
    mean = torch.sigmoid(logits) if model.spec.likelihood == "bernoulli" else logits
    recon_nll = float(model.reconstruction_nll(logits, x)[0])
    result = {
        "input": as_example(x.numpy(), image_shape),
        "recon": as_example(mean.clamp(0, 1).numpy() if image_shape else mean.numpy(), image_shape),
        "layers": [layer_record(tap, outputs[tap.name]) for tap in taps if tap.name in outputs],
        "mu": array(mu, "f32"), "logvar": array(logvar, "f32"), "eps": array(eps, "f32"), "z": array(z, "f32"),
    }
    zt = torch.from_numpy(z)
    kl_dims = kl_standard_normal(mu_t, logvar_t)[0]  # (Z,)
    kl, extras = float(model.kl_per_example(zt, mu_t, logvar_t)[0]), {}
    if model.name == "vq_vae":
        idx = int(model.nearest_code(zt)[0])
        code = model.codebook[idx]  # (Z,)
        commitment = float((mu_t[0] - code).pow(2).sum())
        kl = model.hparams.commitment * commitment + (0.0 if model.hparams.ema else commitment)
        kl_dims, beta = torch.zeros(zdim), 1.0  # no KL; its regulariser enters the loss unweighted
        extras = {"commitment_loss": commitment, "codebook_loss": commitment}
        result.update(code_index=idx, code=array(code.numpy(), "f32"))
    elif model.name == "iwae":
        result["iw"], extras["iw_bound"] = importance_weights(model, x, y, mu, logvar, eps_all, beta)
    elif model.name == "vamp":
        pseudo = model.pseudo_inputs[:MAX_PSEUDO_INPUTS].numpy()  # (K', D)
        result["pseudo_inputs"] = as_example(pseudo, image_shape)
    elif model.name == "factor_vae":  # the discriminator's density-ratio TC estimate at this z
        d = model.discriminator(zt)[0]
        extras = {"kl_q": kl, "tc": float(d[0] - d[1])}
    elif model.name == "beta_vae" and model.hparams.capacity_max > 0:
        extras = {"capacity": model.capacity(step)}
    result["loss"] = {"loss": recon_nll + beta * kl, "recon": recon_nll, "kl": kl,
                      "kl_per_dim": array(kl_dims.numpy(), "f32"), "beta": float(beta), **extras}
    return result


def importance_weights(model: BaseVAE, x: torch.Tensor, y: torch.Tensor | None, mu: np.ndarray,
                       logvar: np.ndarray, eps: np.ndarray, beta: float) -> tuple[dict, float]:
    """IWAE's k samples z_i = mu + sigma * eps_i (eps (k, Z), z_0 the traced z) and their weights
    log w_i = log p(x|z_i) + beta (log p(z_i) - log q(z_i|x)) (Burda et al. 2016, eq. 8 with the live
    beta). Returns ({z (k, Z), log_weights (k,), weights (k,) normalised}, the bound log mean w)."""
    z = mu + np.exp(np.float32(0.5) * logvar) * eps  # (k, Z), the same float32 arithmetic as the trace
    zt = torch.from_numpy(z)
    ys = None if y is None else y.repeat(len(z))
    log_px = model.log_likelihood(x.repeat(len(z), 1), zt, ys)  # (k,)
    log_w = log_px + beta * (model.log_prior(zt) - model.log_posterior(zt, torch.from_numpy(mu), torch.from_numpy(logvar)))
    bound = float(torch.logsumexp(log_w, 0) - math.log(len(z)))
    return {"z": array(z, "f32"), "log_weights": array(log_w.numpy(), "f32"),
            "weights": array(torch.softmax(log_w, 0).numpy(), "f32")}, bound

"""The VAE's maths: KL in closed form, reparameterisation, loss reduction, likelihoods."""

import math

import torch

from vaestudio.models import ModelSpec, build_model
from vaestudio.models.base import kl_standard_normal as kl_per_dim
from vaestudio.models.base import reparameterize


def kl_standard_normal(mu, logvar):
    return kl_per_dim(mu, logvar).sum(1)


def VAE(spec):
    return build_model(spec)


def test_closed_form_kl_matches_monte_carlo_estimate():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(4, 3, generator=g)
    logvar = torch.randn(4, 3, generator=g) * 0.5
    # E_q[log q(z) - log p(z)] with 200k samples per row
    std = torch.exp(0.5 * logvar)
    z = mu + std * torch.randn(200_000, 4, 3, generator=g)
    log_q = (-0.5 * ((z - mu) / std) ** 2 - torch.log(std) - 0.5 * math.log(2 * math.pi)).sum(-1)
    log_p = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(-1)
    mc = (log_q - log_p).mean(0)
    closed = kl_standard_normal(mu, logvar)
    assert torch.allclose(closed, mc, atol=0.03), (closed, mc)


def test_kl_is_zero_exactly_at_the_prior():
    assert torch.allclose(kl_standard_normal(torch.zeros(2, 5), torch.zeros(2, 5)), torch.zeros(2))


def test_reparameterised_sample_has_the_posterior_moments_and_carries_gradients():
    mu = torch.tensor([[1.5, -2.0]], requires_grad=True)
    logvar = torch.tensor([[0.0, math.log(4.0)]], requires_grad=True)
    z = reparameterize(mu.expand(100_000, 2), logvar.expand(100_000, 2), torch.Generator().manual_seed(1))
    assert torch.allclose(z.mean(0), mu[0], atol=0.03)
    assert torch.allclose(z.std(0), torch.tensor([1.0, 2.0]), atol=0.03)
    z.sum().backward()
    assert mu.grad is not None and logvar.grad is not None and torch.all(mu.grad != 0)


def test_loss_is_summed_over_pixels_and_averaged_over_the_batch():
    torch.manual_seed(0)
    model = VAE(ModelSpec(input_dim=16, latent_dim=2, hidden=(8,)))
    x = torch.rand(6, 16)
    out = model(x, beta=2.0, generator=torch.Generator().manual_seed(3))
    logits = model.decode_logits(out.z)
    per_example = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
    assert torch.allclose(out.recon, per_example.mean())
    assert torch.allclose(out.kl, kl_standard_normal(out.mu, out.logvar).mean())
    assert torch.allclose(out.loss, out.recon + 2.0 * out.kl)
    # doubling the batch with the same rows leaves the per-example loss where it was
    out2 = model(torch.cat([x, x]), beta=2.0)
    assert abs(out2.kl.item() - out.kl.item()) < 1e-5


def test_gaussian_likelihood_is_the_normal_negative_log_density():
    model = VAE(ModelSpec(input_dim=3, latent_dim=2, hidden=(4,), likelihood="gaussian", obs_sigma=0.5))
    x = torch.tensor([[0.1, 0.2, 0.3]])
    mean = torch.tensor([[0.0, 0.5, 0.3]])
    expected = -torch.distributions.Normal(mean, 0.5).log_prob(x).sum(1)
    assert torch.allclose(model.reconstruction_nll(mean, x), expected)


def test_decode_gives_pixel_values_in_unit_range():
    model = VAE(ModelSpec(input_dim=64, latent_dim=2))
    x = model.decode(torch.randn(10, 2) * 50)
    assert x.shape == (10, 64) and x.min() >= 0 and x.max() <= 1


def test_training_on_digits_lowers_the_loss():
    from vaestudio.datasets import load_dataset

    torch.manual_seed(0)
    data = load_dataset("digits")
    model = VAE(ModelSpec(input_dim=64, latent_dim=2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = data.x[data.train_idx]
    first = model(x).loss.item()
    for _ in range(300):
        batch = x[torch.randint(0, len(x), (128,))]
        loss = model(batch).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        last = float(model(x).loss)
    assert last < 0.75 * first, (first, last)


def test_digits_split_is_deterministic_and_disjoint():
    from vaestudio.datasets import load_dataset

    a, b = load_dataset("digits"), load_dataset("digits")
    assert a.n == 1797 and a.x.shape == (1797, 64) and a.labels.shape == (1797,)
    assert torch.equal(a.train_idx, b.train_idx) and torch.equal(a.test_idx, b.test_idx)
    assert len(set(a.train_idx.tolist()) & set(a.test_idx.tolist())) == 0
    assert len(a.train_idx) + len(a.test_idx) == 1797
    assert a.x.min() >= 0 and a.x.max() <= 1

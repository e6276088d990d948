"""The models: the VAE's maths (closed-form KL, reparameterisation, loss reduction, likelihoods),
every model x architecture on tiny fake data, the maths each variant relies on, free bits, custom
layer specs and their errors, the registry and the JSON spec."""

from __future__ import annotations

import json
import math

import pytest
import torch

from vaestudio.errors import ConfigError
from vaestudio.models import MODELS, ModelOutput, ModelSpec, build_model, list_models, validate_spec
from vaestudio.models.base import kl_standard_normal, reparameterize
from vaestudio.models.beta_tcvae import decomposed_kl
from vaestudio.models.factor_vae import permute_dims
from vaestudio.models.info_vae import mmd

torch.set_num_threads(1)

NAMES = list(MODELS)
SHAPES = {"mlp8": ("mlp", (8, 8)), "conv8": ("conv", (8, 8)), "conv16rgb": ("conv", (16, 16, 3))}
N_CLASSES = 3


def spec_for(name: str, arch: str = "mlp", image_shape=(8, 8), **kw) -> ModelSpec:
    kw.setdefault("hidden", (32,))
    kw.setdefault("channels", (8, 16))
    return ModelSpec(name=name, arch=arch, image_shape=tuple(image_shape), input_dim=math.prod(image_shape or (3,)),
                     num_classes=N_CLASSES, **kw)


def fake_batch(spec: ModelSpec, n: int = 16, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """n noisy copies of 4 binary prototype images (learnable structure), and their labels."""
    g = torch.Generator().manual_seed(seed)
    protos = (torch.rand(4, spec.input_dim, generator=g) > 0.5).float()  # (4, D)
    which = torch.arange(n) % 4
    x = (protos[which] * 0.9 + 0.05 + 0.02 * torch.rand(n, spec.input_dim, generator=g)).clamp(0, 1)
    return x, which % N_CLASSES


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ----- every model x architecture ------------------------------------------------------------------------
# ----- the VAE (Kingma & Welling 2014) ------------------------------------------------------------
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
    closed = kl_standard_normal(mu, logvar).sum(1)  # (B,)
    assert torch.allclose(closed, mc, atol=0.03), (closed, mc)


def test_kl_is_zero_exactly_at_the_prior():
    assert torch.allclose(kl_standard_normal(torch.zeros(2, 5), torch.zeros(2, 5)), torch.zeros(2, 5))


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
    model = build_model(ModelSpec(input_dim=16, latent_dim=2, hidden=(8,)))
    x = torch.rand(6, 16)
    out = model(x, beta=2.0, generator=torch.Generator().manual_seed(3))
    logits = model.decode_logits(out.z)
    per_example = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
    assert torch.allclose(out.recon, per_example.mean())
    assert torch.allclose(out.kl, kl_standard_normal(out.mu, out.logvar).sum(1).mean())
    assert torch.allclose(out.loss, out.recon + 2.0 * out.kl)
    # doubling the batch with the same rows leaves the per-example loss where it was
    out2 = model(torch.cat([x, x]), beta=2.0)
    assert abs(out2.kl.item() - out.kl.item()) < 1e-5


def test_gaussian_likelihood_is_the_normal_negative_log_density():
    model = build_model(ModelSpec(input_dim=3, latent_dim=2, hidden=(4,), likelihood="gaussian", obs_sigma=0.5))
    x = torch.tensor([[0.1, 0.2, 0.3]])
    mean = torch.tensor([[0.0, 0.5, 0.3]])
    expected = -torch.distributions.Normal(mean, 0.5).log_prob(x).sum(1)
    assert torch.allclose(model.reconstruction_nll(mean, x), expected)


def test_decode_gives_pixel_values_in_unit_range():
    model = build_model(ModelSpec(input_dim=64, latent_dim=2))
    x = model.decode(torch.randn(10, 2) * 50)
    assert x.shape == (10, 64) and x.min() >= 0 and x.max() <= 1


def test_training_on_digits_lowers_the_loss():
    from vaestudio.datasets import load_dataset

    torch.manual_seed(0)
    data = load_dataset("digits")
    model = build_model(ModelSpec(input_dim=64, latent_dim=2))
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


# ----- every model of the zoo ----------------------------------------------------------------------
@pytest.mark.parametrize("shape_key", list(SHAPES))
@pytest.mark.parametrize("name", NAMES)
def test_forward_backward_shapes_and_ranges(name, shape_key):
    arch, shape = SHAPES[shape_key]
    torch.manual_seed(0)
    spec = spec_for(name, arch, shape)
    model = build_model(spec)
    x, y = fake_batch(spec, n=8)
    out = model(x, y=y, beta=1.0, generator=gen(), step=3)
    assert isinstance(out, ModelOutput)
    for term in (out.loss, out.recon, out.kl):
        assert term.dim() == 0 and torch.isfinite(term)
    assert out.z.shape == out.mu.shape == out.logvar.shape == (8, 2)
    for v in out.extras.values():  # read back with the loss in one transfer: 0-dim, no graph, finite
        assert isinstance(v, float) or (v.dim() == 0 and not v.requires_grad), v
        assert math.isfinite(float(v))
    out.loss.backward()
    grads = [p.grad for n, p in model.named_parameters() if n.startswith(("encoder", "to_mu", "decoder"))]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)
    extra = model.after_step(x, y, out, gen(1))
    assert isinstance(extra, dict)
    for v in extra.values():  # 0-dim and detached, read back by the trainer in one transfer
        assert isinstance(v, float) or (v.dim() == 0 and not v.requires_grad), v

    model.eval()
    with torch.no_grad():
        mu, logvar = model.encode(x, y)
        assert mu.shape == logvar.shape == (8, 2)
        z = model.sample_prior(5, gen(2))
        assert z.shape == (5, 2) and torch.isfinite(z).all()
        pix = model.decode(z)  # labels omitted: label 0 for the conditional model
        assert pix.shape == (5, spec.input_dim)
        assert pix.min() >= 0 and pix.max() <= 1
        pkl = model.per_dimension_kl(x, y)
        assert pkl.shape == (2,) and torch.isfinite(pkl).all()


@pytest.mark.parametrize("arch", ["mlp", "conv"])
@pytest.mark.parametrize("name", NAMES)
def test_every_model_trains_under_bf16_autocast_with_float32_weights_and_buffers(name, arch):
    """A GPU run's default (devices.autocast); the CPU's bf16 autocast gives the layers the same
    bf16 outputs, so a model that mixes them into float32 state fails here as it would on a GPU."""
    torch.manual_seed(0)
    spec = spec_for(name, arch, (8, 8))
    model = build_model(spec).train()
    x, y = fake_batch(spec, n=16)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = gen(3)
    for step in range(3):  # the first step initialises (vamp, vq_vae), the later ones update
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = model(x, y=y, generator=g, step=step)
        assert out.mu.dtype == torch.bfloat16  # the encoder did run in bf16
        opt.zero_grad(set_to_none=True)
        out.loss.backward()
        opt.step()
        model.after_step(x, y, out, g)
        assert torch.isfinite(out.loss.float())
    state = list(model.state_dict().values())
    assert all(t.dtype in (torch.float32, torch.bool, torch.int64) for t in state), {t.dtype for t in state}
    assert all(torch.isfinite(t).all() for t in state if t.is_floating_point())


@pytest.mark.parametrize("arch", ["mlp", "conv"])
@pytest.mark.parametrize("name", NAMES)
def test_a_few_adam_steps_lower_the_loss_on_a_fixed_batch(name, arch):
    torch.manual_seed(0)
    spec = spec_for(name, arch, (8, 8))
    model = build_model(spec)
    x, y = fake_batch(spec, n=16)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)

    def loss_with_fixed_noise() -> float:
        with torch.no_grad():
            return float(model(x, y=y, generator=gen(123)).loss)

    model.train()
    model(x, y=y, generator=gen(9))  # data-dependent initialisation (vamp, vq_vae) happens here
    before = loss_with_fixed_noise()
    g = gen(7)
    for step in range(40):
        out = model(x, y=y, generator=g, step=step)
        opt.zero_grad(set_to_none=True)
        out.loss.backward()
        opt.step()
        model.after_step(x, y, out, g)
    after = loss_with_fixed_noise()
    assert after < before - 0.1 * abs(before), (before, after)


@pytest.mark.parametrize("name", NAMES)
def test_gaussian_likelihood_on_flat_vectors(name):
    torch.manual_seed(0)
    spec = spec_for(name, "mlp", (), likelihood="gaussian", obs_sigma=0.5)
    model = build_model(spec)
    x = torch.randn(12, 3)
    y = torch.arange(12) % N_CLASSES
    out = model(x, y=y, generator=gen())
    assert torch.isfinite(out.loss)
    out.loss.backward()
    pix = model.decode(model.sample_prior(4, gen()))
    assert pix.shape == (4, 3) and pix.min() >= 0 and pix.max() <= 1  # the clamped mean
    if name != "vq_vae":
        nll = model.importance_nll(x, y, k=4, generator=gen())
        assert nll.shape == (12,) and torch.isfinite(nll).all()


def test_state_dict_round_trip_gives_identical_decodes():
    for name in NAMES:
        torch.manual_seed(0)
        spec = spec_for(name, "conv", (8, 8))
        a = build_model(spec)
        x, y = fake_batch(spec)
        a.train()
        a(x, y=y, generator=gen())  # sets the data-dependent buffers
        torch.manual_seed(1)
        b = build_model(spec)
        b.load_state_dict(a.state_dict())
        a.eval(), b.eval()
        z = torch.randn(5, 2)
        assert torch.equal(a.decode(z), b.decode(z)), name
        assert torch.equal(a.sample_prior(5, gen(3)), b.sample_prior(5, gen(3))), name


@pytest.mark.parametrize("shape", [(64, 64, 3), (64, 64), (28, 28), (10, 12, 3), (9, 9)])
def test_conv_networks_fit_any_image_size_exactly(shape):
    torch.manual_seed(0)
    spec = spec_for("vae", "conv", shape, hidden=(16,), channels=(4, 8))
    model = build_model(spec)
    x = torch.rand(2, spec.input_dim)
    with torch.no_grad():
        assert model.decode(model.encode(x)[0]).shape == (2, spec.input_dim)


def test_models_survive_deepcopy():
    import copy

    for name in NAMES:
        model = build_model(spec_for(name))
        clone = copy.deepcopy(model)
        x, y = fake_batch(model.spec)
        out = clone(x, y=y, generator=gen())
        out.loss.backward()
        clone.after_step(x, y, out, gen())
        if name == "factor_vae":  # the copied optimizer must drive the copied discriminator
            assert clone.disc_optimizer.param_groups[0]["params"][0] is next(clone.discriminator.parameters())


# ----- maths of the variants ------------------------------------------------------------------------------
def test_iwae_with_one_sample_equals_the_vae_elbo_estimate_for_the_same_noise():
    torch.manual_seed(0)
    iwae = build_model(spec_for("iwae", params={"k": 1}))
    vae = build_model(spec_for("vae"))
    vae.load_state_dict(iwae.state_dict())
    x, _ = fake_batch(iwae.spec)
    out_v = vae(x, generator=gen(5))
    # the single-sample ELBO with a Monte Carlo KL at the same z
    mc_kl = (vae.log_posterior(out_v.z, out_v.mu, out_v.logvar) - vae.log_prior(out_v.z)).mean()
    out_i = iwae(x, generator=gen(5))
    assert torch.allclose(out_i.loss, out_v.recon + mc_kl, atol=1e-4)
    assert torch.equal(out_i.z, out_v.z)
    assert float(out_i.extras["iw_bound"]) == pytest.approx(-float(out_i.loss.detach()))


def test_importance_sampled_nll_tightens_with_k_and_matches_the_elbo_at_k1():
    torch.manual_seed(0)
    model = build_model(spec_for("vae"))
    x, _ = fake_batch(model.spec, n=64)
    model.eval()
    nll1 = torch.stack([model.importance_nll(x, k=1, generator=gen(s)) for s in range(20)]).mean()
    nll50 = model.importance_nll(x, k=50, generator=gen(0)).mean()
    with torch.no_grad():
        mu, logvar = model.encode(x)
        elbo_nll = model(x, generator=gen(1)).recon + kl_standard_normal(mu, logvar).sum(1).mean()
    assert float(nll50) <= float(nll1) + 0.05
    assert float(nll1) == pytest.approx(float(elbo_nll), rel=0.02)
    with pytest.raises(NotImplementedError, match="no continuous ELBO"):
        build_model(spec_for("vq_vae")).importance_nll(x)


def test_beta_tcvae_terms_sum_to_the_monte_carlo_kl_and_tc_sees_correlation():
    g = gen(0)
    m, zd = 512, 2
    # independent dimensions: a spread of posterior means, unit-ish noise
    mu = torch.randn(m, zd, generator=g)
    logvar = torch.full((m, zd), -1.0)
    z = mu + torch.randn(m, zd, generator=g) * torch.exp(0.5 * logvar)
    terms = decomposed_kl(z, mu, logvar, dataset_size=m)
    mc_kl = (torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(1)
             - torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(1))
    assert torch.allclose(terms["mi"] + terms["tc"] + terms["dim_kl"], mc_kl, atol=1e-4)
    closed = kl_standard_normal(mu, logvar).sum(1).mean()
    assert float(mc_kl.mean()) == pytest.approx(float(closed), rel=0.1)
    tc_independent = float(terms["tc"].mean())
    # both dimensions share one mean: q(z) is a correlated Gaussian with TC = -1/2 log(1 - rho^2)
    mu_c = mu[:, :1].expand(m, zd).contiguous()
    logvar_c = torch.full((m, zd), -3.0)
    z_c = mu_c + torch.randn(m, zd, generator=g) * torch.exp(0.5 * logvar_c)
    tc_correlated = float(decomposed_kl(z_c, mu_c, logvar_c, dataset_size=m)["tc"].mean())
    rho = 1 / (1 + math.exp(-3.0))
    assert abs(tc_independent) < 0.1, tc_independent
    assert tc_correlated == pytest.approx(-0.5 * math.log(1 - rho**2), rel=0.25)
    assert 0 < float(terms["mi"].mean()) <= math.log(m) + 1e-4 and float(terms["dim_kl"].mean()) > -0.3


def test_beta_tcvae_loss_weighs_the_three_terms():
    torch.manual_seed(0)
    params = {"alpha": 0.5, "beta_tc": 4.0, "gamma": 2.0, "dataset_size": 100}
    model = build_model(spec_for("beta_tcvae", params=params))
    x, _ = fake_batch(model.spec)
    out = model(x, generator=gen(), beta=2.0)
    e = {k: float(v) for k, v in out.extras.items()}
    weighted = 0.5 * e["mi"] + 4.0 * e["tc"] + 2.0 * e["dim_kl"]
    assert float(out.kl.detach()) == pytest.approx(weighted, rel=1e-4, abs=1e-4)
    assert torch.allclose(out.loss, out.recon + 2.0 * out.kl)


def test_mmd_is_zero_for_identical_samples_and_positive_for_different_ones():
    g = gen(0)
    a = torch.randn(200, 2, generator=g)
    for kernel in ("imq", "rbf"):
        assert float(mmd(a, a.clone(), kernel)) == pytest.approx(0.0, abs=1e-6)
        same_law = float(mmd(a, torch.randn(200, 2, generator=g), kernel))
        shifted = float(mmd(a, torch.randn(200, 2, generator=g) + 3.0, kernel))
        assert shifted > 10 * same_law and shifted > 0.05


def test_info_vae_regulariser_combines_kl_and_mmd():
    torch.manual_seed(0)
    model = build_model(spec_for("info_vae", params={"alpha": 0.5, "lambda_": 3.0}))
    x, _ = fake_batch(model.spec)
    out = model(x, generator=gen())
    weighted = 0.5 * float(out.extras["kl_q"]) + 2.5 * float(out.extras["mmd"])  # (1 - alpha) KL + (alpha + lambda - 1) MMD
    assert float(out.kl.detach()) == pytest.approx(weighted, rel=1e-4, abs=1e-5)


def test_vamp_log_prior_is_a_normalised_mixture_density():
    torch.manual_seed(0)
    model = build_model(spec_for("vamp", latent_dim=1, params={"n_pseudo": 7}))
    model.eval()
    with torch.no_grad():
        grid = torch.linspace(-40, 40, 40_001).unsqueeze(1)  # (G, 1)
        density = model.log_prior(grid).exp()
        assert float(torch.trapezoid(density, grid[:, 0])) == pytest.approx(1.0, abs=1e-3)
    model2 = build_model(spec_for("vamp", params={"n_pseudo": 5}))
    with torch.no_grad():
        mu_k, logvar_k = model2.prior_components()  # (K, Z)
        mixture = torch.distributions.MixtureSameFamily(
            torch.distributions.Categorical(torch.ones(5)),
            torch.distributions.Independent(torch.distributions.Normal(mu_k, torch.exp(0.5 * logvar_k)), 1))
        z = torch.randn(30, 2) * 2
        assert torch.allclose(model2.log_prior(z), mixture.log_prob(z), atol=1e-4)
        # samples come from the mixture: their mean matches the mixture's
        s = model2.sample_prior(20_000, gen(1))
        assert torch.allclose(s.mean(0), mu_k.mean(0), atol=0.05)


def test_vq_straight_through_gradients_reach_the_encoder_and_decode_quantises():
    torch.manual_seed(0)
    model = build_model(spec_for("vq_vae", params={"codebook_size": 8}))
    x, _ = fake_batch(model.spec)
    model.train()
    out = model(x, generator=gen())
    out.recon.backward()  # the reconstruction alone: only the straight-through path links it to the encoder
    assert model.to_mu.weight.grad is not None and model.to_mu.weight.grad.abs().sum() > 0
    assert model.encoder.body[0].weight.grad.abs().sum() > 0
    assert model.codebook.grad is None or model.codebook.grad.abs().sum() == 0  # codes move only by the codebook loss
    assert torch.equal(out.logvar, torch.zeros_like(out.mu))
    # default: the codebook follows an EMA, only the commitment term is in the loss
    assert not model.codebook.requires_grad
    assert float(out.kl.detach()) == pytest.approx(0.25 * float(out.extras["commitment_loss"]), rel=1e-4)
    before = model.codebook.detach().clone()
    model(x, generator=gen())
    assert not torch.equal(before, model.codebook)  # moved by the EMA in training mode
    # ema off: eq. 3 in full, the codebook loss trains the codes
    plain = build_model(spec_for("vq_vae", params={"codebook_size": 8, "ema": False}))
    out = plain(x, generator=gen())
    out.kl.backward()
    assert plain.codebook.grad.abs().sum() > 0
    # codebook and commitment losses are equal in value: kl = (1 + 0.25) * codebook_loss
    assert float(out.kl.detach()) == pytest.approx(float(out.extras["codebook_loss"]) * 1.25, rel=1e-4)
    model.eval()
    with torch.no_grad():
        z = torch.randn(6, 2)
        assert torch.equal(model.decode(z), model.decode(model.quantize(z)))
        samples = model.sample_prior(50, gen(2))
        assert all(any(torch.equal(s, c) for c in model.codebook) for s in samples)
    with pytest.raises(NotImplementedError, match="discrete latent"):
        model.log_prior(z)


def test_factor_vae_discriminator_is_trained_only_by_its_own_optimizer():
    torch.manual_seed(0)
    model = build_model(spec_for("factor_vae", params={"disc_hidden": 16, "disc_layers": 2}))
    x, y = fake_batch(model.spec, n=32)
    out = model(x, generator=gen())
    out.loss.backward()
    assert all(p.grad is None for p in model.discriminator.parameters())  # frozen in the VAE loss
    assert model.encoder.body[0].weight.grad is not None
    before = [p.detach().clone() for p in model.discriminator.parameters()]
    stats = model.after_step(x, None, out, gen(1))
    assert set(stats) == {"disc_loss", "disc_acc"}
    assert any(not torch.equal(a, b) for a, b in zip(before, model.discriminator.parameters()))
    assert all(p.grad is None for p in model.discriminator.parameters())
    state = model.aux_optimizer_state()
    other = build_model(model.spec)
    other.load_aux_optimizer_state(state)
    assert other.disc_optimizer.state_dict()["state"].keys() == state["state"].keys()
    assert float(out.kl.detach()) == pytest.approx(float(out.extras["kl_q"]) + 10.0 * float(out.extras["tc"]), rel=1e-4, abs=1e-4)


def test_permute_dims_keeps_each_marginal_and_breaks_the_pairing():
    z = torch.stack([torch.arange(100.0), torch.arange(100.0)], dim=1)
    p = permute_dims(z, gen(0))
    for j in range(2):
        assert torch.equal(p[:, j].sort().values, z[:, j])
    assert not torch.equal(p[:, 0], p[:, 1])


def test_beta_vae_capacity_form_follows_burgess_schedule():
    torch.manual_seed(0)
    model = build_model(spec_for("beta_vae", params={"capacity_max": 20.0, "capacity_steps": 100, "gamma": 50}))
    x, _ = fake_batch(model.spec)
    for step, c in [(0, 0.0), (50, 10.0), (100, 20.0), (1000, 20.0)]:
        out = model(x, generator=gen(), step=step, beta=7.0)
        assert out.extras["capacity"] == pytest.approx(c)
        assert torch.allclose(out.loss, out.recon + 50 * (out.kl - c).abs())
    plain = build_model(spec_for("beta_vae"))
    out = plain(x, generator=gen(), beta=4.0)
    assert torch.allclose(out.loss, out.recon + 4.0 * out.kl) and "capacity" not in out.extras


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_cvae_labels_condition_decoding_and_are_checked(arch):
    torch.manual_seed(0)
    model = build_model(spec_for("cvae", arch)).eval()  # as every request's model is (a training step's
    z = torch.randn(4, 2)  # labels come from the data set, unchecked: test_step_sync counts no read for them)
    with torch.no_grad():
        d0 = model.decode(z, torch.zeros(4, dtype=torch.long))
        assert torch.equal(model.decode(z), d0)  # omitted labels mean label 0
        assert not torch.allclose(model.decode(z, torch.full((4,), 2)), d0)
    with pytest.raises(ValueError, match="labels must be 0 to 2"):
        model.decode(z, torch.full((4,), 3))
    with pytest.raises(ConfigError, match="needs num_classes"):
        build_model(ModelSpec(name="cvae"))


# ----- custom layer specs -----------------------------------------------------------------------------------
CONV_ENCODER = [{"type": "conv", "out": 8, "kernel": 4, "stride": 2, "padding": 1}, {"type": "batchnorm"},
                {"type": "leaky_relu"}, {"type": "flatten"}, {"type": "linear", "out": 32}, {"type": "elu"}]
CONV_DECODER = [{"type": "linear", "out": 8 * 4 * 4}, {"type": "gelu"}, {"type": "unflatten", "shape": [8, 4, 4]},
                {"type": "upsample", "scale": 2}, {"type": "conv", "out": 3, "kernel": 3, "padding": 1}]


@pytest.mark.parametrize("name", ["vae", "cvae", "vq_vae"])
def test_custom_architectures_build_and_train(name):
    torch.manual_seed(0)
    spec = spec_for(name, "custom", (8, 8, 3), encoder=CONV_ENCODER, decoder=CONV_DECODER)
    model = build_model(spec)
    x, y = fake_batch(spec)
    out = model(x, y=y, generator=gen())
    out.loss.backward()
    assert torch.isfinite(out.loss) and model.decode(model.sample_prior(3, gen()).detach()).shape == (3, 192)
    flat = spec_for(name, "custom", (8, 8), encoder=[{"type": "linear", "out": 16}, {"type": "tanh"},
                                                     {"type": "dropout", "p": 0.1}, {"type": "layernorm"}],
                    decoder=[{"type": "linear", "out": 16}, {"type": "relu"}, {"type": "linear", "out": 64}])
    assert torch.isfinite(build_model(flat)(x[:, :64], y=y, generator=gen()).loss)


def custom_error(encoder=None, decoder=None, image_shape=(8, 8)) -> str:
    spec = spec_for("vae", "custom", image_shape, encoder=encoder or [{"type": "linear", "out": 8}],
                    decoder=decoder or [{"type": "linear", "out": math.prod(image_shape)}])
    with pytest.raises(ConfigError) as info:
        build_model(spec)
    return str(info.value)


def test_custom_layer_spec_errors_are_clear_sentences():
    msg = custom_error(encoder=[{"type": "linear", "out": 8}, {"type": "swish"}])
    assert "encoder layer 1: unknown type 'swish'" in msg and "leaky_relu" in msg and "deconv" in msg
    assert "missing key 'out'" in custom_error(encoder=[{"type": "linear"}])
    msg = custom_error(encoder=[{"type": "conv", "out": 4, "size": 3}])
    assert "unknown key(s) ['size']" in msg and "kernel" in msg
    msg = custom_error(encoder=[{"type": "linear", "out": "32"}])
    assert "encoder layer 0 (linear): 'out' must be an integer" in msg and "'32'" in msg
    msg = custom_error(encoder=[{"type": "conv", "out": 4}, {"type": "linear", "out": 8}])
    assert "encoder layer 1 (linear) needs flat features" in msg and "[4, 6, 6]" in msg and "flatten" in msg
    msg = custom_error(encoder=[{"type": "conv", "out": 4, "kernel": 4, "stride": 2, "padding": 1},
                                {"type": "conv", "out": 4, "kernel": 4, "stride": 2},
                                {"type": "conv", "out": 4, "kernel": 3}])
    assert msg.startswith("encoder layer 2 (conv) cannot take input of shape [4, 1, 1]"), msg
    msg = custom_error(decoder=[{"type": "linear", "out": 10}])
    assert "decoder ends with shape [10]" in msg and "64 values" in msg
    msg = custom_error(decoder=[{"type": "linear", "out": 48}, {"type": "unflatten", "shape": [3, 4, 4]}])
    assert "decoder ends with shape [3, 4, 4]" in msg
    msg = custom_error(decoder=[{"type": "linear", "out": 48}, {"type": "unflatten", "shape": [3, 4, 5]}])
    assert "decoder layer 1 (unflatten) cannot reshape input of shape [48] into [3, 4, 5]" in msg
    assert "needs image data" in custom_error(encoder=[{"type": "conv", "out": 4}], image_shape=())
    with pytest.raises(ConfigError, match="both 'encoder' and 'decoder'"):
        validate_spec(ModelSpec(arch="custom", encoder=[{"type": "relu"}]))


# ----- registry and spec -------------------------------------------------------------------------------------
def test_registry_lists_every_model_with_a_description_and_its_params():
    listed = list_models()
    assert [m["name"] for m in listed] == ["vae", "beta_vae", "cvae", "beta_tcvae", "factor_vae", "info_vae",
                                          "iwae", "vamp", "vq_vae"]
    for m in listed:
        assert set(m) == {"name", "description", "conditional", "params"}
        assert len(m["description"]) > 200 and "\n" not in m["description"]
        assert m["params"] == MODELS[m["name"]].check_params({})
    assert [m["name"] for m in listed if m["conditional"]] == ["cvae"]
    by_name = {m["name"]: m for m in listed}
    assert set(by_name["beta_vae"]["params"]) == {"capacity_max", "capacity_steps", "gamma"}
    assert "empirical" in by_name["vq_vae"]["description"] and "uniform" in by_name["vq_vae"]["description"]
    json.dumps(listed)
    with pytest.raises(ValueError, match="unknown model 'nope'; available: vae, beta_vae"):
        build_model(ModelSpec(name="nope"))


def test_model_spec_round_trips_through_json_and_fills_param_defaults():
    spec = ModelSpec(name="info_vae", arch="custom", latent_dim=3, image_shape=(8, 8), input_dim=64,
                     encoder=CONV_ENCODER[:1] + [{"type": "flatten"}], decoder=[{"type": "linear", "out": 64}],
                     params={"alpha": 1})
    spec = validate_spec(spec)
    assert spec.params == {"alpha": 1.0, "lambda_": 10.0, "kernel": "imq", "kernel_scale": 1.0}
    d = json.loads(json.dumps(spec.to_dict()))
    again = ModelSpec.from_dict(d)
    assert again == spec and again.to_dict() == d
    assert isinstance(again.hidden, tuple) and again.image_shape == (8, 8)


def test_model_spec_errors_name_the_problem_and_what_is_accepted():
    with pytest.raises(ConfigError, match=r"unknown model key\(s\) \['hiddden'\]; accepted: name, latent_dim"):
        ModelSpec.from_dict({"name": "vae", "hiddden": [3]})
    with pytest.raises(ConfigError, match=r"unknown parameter\(s\) \['k'\] for model 'vamp'; accepted: n_pseudo"):
        validate_spec(ModelSpec(name="vamp", params={"k": 3}))
    with pytest.raises(ConfigError, match="parameter 'k' must be an integer"):
        validate_spec(ModelSpec(name="iwae", params={"k": 2.5}))
    with pytest.raises(ConfigError, match="model 'iwae': parameter 'k' must be an integer from 1 to 5000, got 0"):
        validate_spec(ModelSpec(name="iwae", params={"k": 0}))
    with pytest.raises(ConfigError, match="parameter 'kernel' must be one of imq, rbf, got 'cosine'"):
        validate_spec(ModelSpec(name="info_vae", params={"kernel": "cosine"}))
    with pytest.raises(ConfigError, match="arch 'conv' needs image data"):
        validate_spec(ModelSpec(arch="conv", input_dim=3))
    with pytest.raises(ConfigError, match="holds 64 values but input_dim is 65"):
        validate_spec(ModelSpec(image_shape=(8, 8), input_dim=65))
    with pytest.raises(ConfigError, match="arch must be one of"):
        validate_spec(ModelSpec(arch="transformer"))
    with pytest.raises(ConfigError, match="only used with arch 'custom'"):
        validate_spec(ModelSpec(encoder=[{"type": "relu"}]))
    with pytest.raises(ConfigError, match="latent_dim must be an integer from 1 to 256"):
        validate_spec(ModelSpec(latent_dim=0))


def test_free_bits_apply_to_closed_form_kl_models_and_only_to_them():
    """Models whose regulariser is the closed-form KL expose it per dimension (free bits clamp
    that); models with another regulariser expose none, which leaves free bits off for them."""
    for name in NAMES:
        model = build_model(spec_for(name))
        x, y = fake_batch(model.spec)
        out = model(x, y if model.conditional else None, generator=gen())
        dims = model.kl_per_dimension(out)
        if name in ("vae", "beta_vae", "cvae"):
            assert dims.shape == (model.latent_dim,) and torch.allclose(dims.sum(), out.kl, atol=1e-5), name
        else:
            assert dims is None, name

"""A run's optimiser: the fused kernel where torch has one, the same steps as the default one, and
optimiser states that load across the two (runs saved before the fused kernel, or on a machine
with another choice)."""

from __future__ import annotations

import copy

import pytest
import torch

from vaestudio import optimizers
from vaestudio.models import ModelSpec, build_model
from vaestudio.optimizers import copy_state, fused_available, load_optimizer_state, make_optimizer
from vaestudio.train_config import TrainConfig

CPU = torch.device("cpu")


def small_net(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))


def train(net: torch.nn.Module, opt: torch.optim.Optimizer, steps: int, seed: int = 1) -> None:
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randn(32, 6, generator=gen)
        opt.zero_grad(set_to_none=True)
        net(x).pow(2).mean().backward()
        opt.step()


@pytest.mark.parametrize("kind", ["adam", "adamw", "sgd"])
def test_each_optimiser_has_the_runs_settings_and_the_fused_kernel_where_torch_has_one(kind):
    config = TrainConfig(optimizer=kind, lr=3e-3, weight_decay=0.01, momentum=0.8)
    opt = make_optimizer(config, small_net().parameters(), CPU)
    group = opt.param_groups[0]
    assert type(opt).__name__.lower() == kind
    assert (group["lr"], group["weight_decay"]) == (3e-3, 0.01)
    if kind == "sgd":
        assert group["momentum"] == 0.8
    assert bool(group.get("fused")) == fused_available(type(opt), CPU)
    major, minor = (int(v) for v in torch.__version__.split(".")[:2])
    if (major, minor) >= (2, 4):  # the CPU kernels came with torch 2.4
        assert group["fused"] is True


@pytest.mark.parametrize("kind", ["adam", "adamw", "sgd"])
def test_the_fused_kernel_takes_the_same_steps_as_the_default_implementation(kind, monkeypatch):
    config = TrainConfig(optimizer=kind, lr=1e-2, weight_decay=0.01, momentum=0.9)
    fused_net, plain_net = small_net(), small_net()
    fused = make_optimizer(config, fused_net.parameters(), CPU)
    monkeypatch.setattr(optimizers, "fused_available", lambda kind, device: False)  # as on an older torch
    plain = make_optimizer(config, plain_net.parameters(), CPU)
    assert fused.param_groups[0]["fused"] and not plain.param_groups[0]["fused"]
    train(fused_net, fused, 50)
    train(plain_net, plain, 50)
    before = small_net()
    for a, b, start in zip(fused_net.parameters(), plain_net.parameters(), before.parameters()):
        assert not torch.equal(a, start)  # it trained
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_a_default_optimisers_state_resumes_on_the_fused_kernel_and_continues_the_same_run():
    """A run saved before the fused kernel (its groups say fused=False), resumed now."""
    config = TrainConfig(lr=1e-2)
    old_net = small_net()
    old = torch.optim.Adam(old_net.parameters(), lr=1e-2)
    train(old_net, old, 20)
    saved_weights, saved_state = copy.deepcopy(old_net.state_dict()), copy.deepcopy(old.state_dict())
    assert saved_state["param_groups"][0]["fused"] in (None, False)

    resumed_net = small_net(seed=7)
    resumed_net.load_state_dict(saved_weights)
    resumed = make_optimizer(config, resumed_net.parameters(), CPU)
    load_optimizer_state(resumed, saved_state)
    assert resumed.param_groups[0]["fused"] is True  # this machine's choice, not the saved one
    assert int(resumed.state[next(resumed_net.parameters())]["step"]) == 20

    train(old_net, old, 20, seed=2)
    train(resumed_net, resumed, 20, seed=2)
    for a, b in zip(resumed_net.parameters(), old_net.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_a_fused_state_loads_where_the_optimiser_has_no_fused_kernel():
    """A run saved on the fused kernel, resumed by an optimiser without one (another device, an
    older torch): the saved groups' fused=True must not carry over, or its first step would fail."""
    net = small_net()
    fused = make_optimizer(TrainConfig(lr=1e-2), net.parameters(), CPU)
    train(net, fused, 5)
    plain = torch.optim.Adam(net.parameters(), lr=1e-2)
    load_optimizer_state(plain, fused.state_dict())
    assert not plain.param_groups[0]["fused"]
    before = [p.detach().clone() for p in net.parameters()]
    train(net, plain, 3)
    assert int(plain.state[next(net.parameters())]["step"]) == 8
    assert all(not torch.equal(a, b) for a, b in zip(net.parameters(), before))


def test_factor_vaes_discriminator_trains_on_the_fused_kernel_and_resumes_a_default_adams_state():
    """Its own Adam is made at first use, on the device the model went to; a run saved before it
    ran fused (its groups say fused=False) resumes onto the fused kernel."""
    spec = ModelSpec(name="factor_vae", input_dim=64, image_shape=(8, 8), latent_dim=2, hidden=(32,))
    torch.manual_seed(0)
    old = build_model(spec)
    old._disc_optimizer = torch.optim.Adam(old.discriminator.parameters(), lr=old.hparams.disc_lr, betas=(0.5, 0.9))
    x = torch.rand(16, 64, generator=torch.Generator().manual_seed(1))
    for _ in range(3):
        out = old(x, generator=torch.Generator().manual_seed(2))
        old.after_step(x, None, out, torch.Generator().manual_seed(3))
    resumed = build_model(spec)
    resumed.load_state_dict(old.state_dict())
    resumed.load_aux_optimizer_state(old.aux_optimizer_state())
    assert resumed.disc_optimizer.param_groups[0]["fused"] is fused_available(torch.optim.Adam, CPU)
    assert resumed.disc_optimizer.param_groups[0]["betas"] == (0.5, 0.9)
    for model in (old, resumed):
        out = model(x, generator=torch.Generator().manual_seed(4))
        model.after_step(x, None, out, torch.Generator().manual_seed(5))
    # the moments carried over (a fresh Adam would hold this step's gradient alone) ...
    for p_new, p_old in zip(resumed.discriminator.parameters(), old.discriminator.parameters()):
        new, was = resumed.disc_optimizer.state[p_new], old.disc_optimizer.state[p_old]
        assert int(new["step"]) == int(was["step"]) == 4
        for slot in ("exp_avg", "exp_avg_sq"):
            torch.testing.assert_close(new[slot], was[slot], rtol=1e-4, atol=1e-9)
        # ... and the weights agree to well within one step (lr 1e-4; where a gradient is ~0 Adam's
        # ratio m / sqrt(v) amplifies the two kernels' rounding)
        torch.testing.assert_close(p_new, p_old, rtol=0, atol=0.6 * old.hparams.disc_lr)


def test_a_loaded_state_is_the_optimisers_own_copy():
    """The NaN recovery loads its last good copy and may need it again: training on must not move it."""
    net = small_net()
    opt = make_optimizer(TrainConfig(lr=1e-2), net.parameters(), CPU)
    train(net, opt, 3)
    kept = copy.deepcopy(opt.state_dict())
    load_optimizer_state(opt, kept)
    train(net, opt, 2)
    slots = kept["state"][0]
    assert int(slots["step"]) == 3
    assert not torch.equal(slots["exp_avg"], opt.state[next(net.parameters())]["exp_avg"])


def test_a_copied_state_holds_the_same_values_and_stays_put_while_training_goes_on():
    """copy_state (the NaN recovery's copy, every second) is deepcopy's result, faster: the same
    values in the same structure, and no tensor shared with the optimiser."""
    net = small_net()
    opt = make_optimizer(TrainConfig(lr=1e-2), net.parameters(), CPU)
    train(net, opt, 3)
    copied, expected = copy_state(opt.state_dict()), copy.deepcopy(opt.state_dict())
    assert copied["param_groups"] == expected["param_groups"]
    assert copied["state"].keys() == expected["state"].keys()
    for slot, slots in expected["state"].items():
        assert copied["state"][slot].keys() == slots.keys()
        assert all(torch.equal(copied["state"][slot][k], v) for k, v in slots.items())
    train(net, opt, 2)
    assert int(copied["state"][0]["step"]) == 3
    assert torch.equal(copied["state"][0]["exp_avg"], expected["state"][0]["exp_avg"])
    assert not torch.equal(copied["state"][0]["exp_avg"], opt.state[next(net.parameters())]["exp_avg"])

"""A training step reads one value back from the device, and keeps its data there.

On a GPU each read (float(t), t.item(), bool(t), t.tolist(), t.cpu()) waits for every queued kernel;
the step stacks its scalars and reads them once (step_metrics.py). On the CPU, where a read waits for
nothing, a trainer reads each scalar by itself instead; these tests switch it to the one-read path a
GPU takes (read_each False) and count its reads with a TorchFunctionMode, which sees every tensor
method call; on a CUDA machine torch's own sync-debug mode counts the real synchronisations."""

import warnings

import pytest
import torch
from torch.overrides import TorchFunctionMode

from vaestudio.datasets import load_dataset
from vaestudio.models import ModelSpec
from vaestudio.step_metrics import read_scalars
from vaestudio.train_config import TrainConfig
from vaestudio.trainer import Trainer

READS = {"__float__", "__int__", "__bool__", "__index__", "__complex__", "__array__", "item", "tolist", "numpy", "cpu",
         "equal", "is_nonzero"}
# ops whose output size depends on the values, so on a GPU they wait for the device to finish (the
# GPU check caught bincount in VQ-VAE's step: two waits)
SIZED_BY_VALUES = {"bincount", "nonzero", "argwhere", "unique", "unique_consecutive", "masked_select"}


def sized_by_values(name: str, args: tuple, kwargs: dict) -> bool:
    if name == "repeat_interleave":  # by a tensor of counts, without output_size (an int count is fine)
        repeats = args[1] if len(args) > 1 else kwargs.get("repeats", args[0] if args else None)
        return torch.is_tensor(repeats) and kwargs.get("output_size") is None
    return name in SIZED_BY_VALUES


class CountReads(TorchFunctionMode):
    """Counts calls that copy a tensor's value to the host, except on `host_tensors` (tensors that
    live on the CPU whatever the device, like Adam's step counters: reading them waits for nothing)."""

    def __init__(self, host_tensors: list[torch.Tensor]):
        super().__init__()
        self.host = {id(t) for t in host_tensors}
        self.reads: list[str] = []
        self.copies: list[str] = []  # tensors moved from one device to another

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", str(func))
        subject = args[0] if args else None
        if name in READS and not (torch.is_tensor(subject) and id(subject) in self.host) or sized_by_values(
                name, args, kwargs or {}):
            self.reads.append(name)
        out = func(*args, **(kwargs or {}))
        source = args[1] if name == "copy_" else subject  # copy_(dst, src)
        if (name in ("to", "copy_", "cuda") and torch.is_tensor(out) and torch.is_tensor(source)
                and out.device != source.device):
            self.copies.append(name)
        return out


def optimizer_step_counters(trainer: Trainer) -> list[torch.Tensor]:
    return [s["step"] for s in trainer.optimizer.state.values() if torch.is_tensor(s.get("step"))]


def headless(config: TrainConfig, model: str = "vae", read_each: bool = False) -> Trainer:
    """A headless trainer on digits, reading its step's scalars as on a GPU unless `read_each`."""
    t = Trainer(load_dataset("digits"), ModelSpec(name=model, latent_dim=2), config)
    t.streaming = t.insights_on = False
    t.read_each = read_each
    t._train_step(t.config)  # the optimizer's state exists from here on
    return t


@pytest.mark.parametrize("config", [TrainConfig(batch_size=32), TrainConfig(batch_size=32, grad_clip=1.0),
                                    TrainConfig(batch_size=32, free_bits=0.1, grad_clip=1.0)],
                         ids=["plain", "grad_clip", "free_bits+grad_clip"])
def test_a_step_reads_one_value_back_and_copies_nothing_to_the_device(config):
    t = headless(config)
    before = t.step
    with CountReads(optimizer_step_counters(t)) as mode:
        t._train_step(t.config)
    assert t.step == before + 1
    assert mode.reads == ["tolist"], mode.reads  # loss, recon, kl (and grad_norm) stacked, read once
    assert mode.copies == [], mode.copies  # the batch's rows are indexed where the data already is
    m = t.latest_metrics
    assert all(isinstance(m[k], float) for k in ("loss", "recon", "kl"))
    assert ("grad_norm" in m) == (config.grad_clip > 0)


@pytest.mark.parametrize("model", ["beta_vae", "beta_tcvae", "info_vae", "iwae", "vq_vae", "vamp", "cvae"])
def test_every_variants_step_reads_its_extras_with_the_loss_in_one_read(model):
    t = headless(TrainConfig(batch_size=32), model)
    with CountReads(optimizer_step_counters(t)) as mode:
        t._train_step(t.config)
    assert mode.reads == ["tolist"], mode.reads
    assert all(isinstance(v, float) for v in t.latest_metrics.values() if not isinstance(v, (int, str)))


def test_factor_vae_reads_its_discriminator_figures_once_more():
    t = headless(TrainConfig(batch_size=32), "factor_vae")
    disc_counters = [s["step"] for s in t.model.disc_optimizer.state.values() if torch.is_tensor(s.get("step"))]
    with CountReads(optimizer_step_counters(t) + disc_counters) as mode:
        t._train_step(t.config)
    assert mode.reads == ["tolist", "tolist"], mode.reads  # the step's, then the discriminator's two figures
    assert {"kl_q", "tc", "disc_loss", "disc_acc"} <= set(t.latest_metrics)


def test_the_batch_order_and_the_batch_live_on_the_trainers_device():
    t = headless(TrainConfig(batch_size=16))
    x, _ = t._next_batch(16)
    assert t._order.device == t.device == x.device == t.x.device
    state = t.resume_state()  # the checkpoint still gets a host copy of the order
    assert state.order.device.type == "cpu" and torch.equal(state.order, t._order.cpu())


def test_a_non_finite_step_is_judged_from_the_same_read_and_never_reaches_the_weights():
    t = headless(TrainConfig(batch_size=32))
    with torch.no_grad():
        t.model.to_mu.weight.fill_(float("nan"))  # the next loss is NaN; the last good copy is build's
    step = t.step
    with CountReads(optimizer_step_counters(t)) as mode:
        t._train_step(t.config)
    assert mode.reads == ["tolist"], mode.reads
    assert t.step == step and t.nan_recoveries == 1
    assert all(torch.isfinite(p).all() for p in t.model.parameters())


def test_read_scalars_keeps_order_passes_floats_through_and_applies_the_reduction():
    values = {"loss": torch.tensor(2.0), "capacity": 0.5, "kl": torch.tensor(1.0, dtype=torch.bfloat16)}
    doubled = read_scalars(values, reduce=lambda packed: packed.mul_(2))
    assert list(doubled) == ["loss", "capacity", "kl"]
    assert doubled == {"loss": 4.0, "capacity": 0.5, "kl": 2.0}  # floats are no device values: untouched


def test_read_scalars_each_reads_the_same_values_in_the_same_order():
    values = {"loss": torch.tensor(2.5), "capacity": 0.5, "kl": torch.tensor(1.0, dtype=torch.bfloat16)}
    each = read_scalars(values, each=True)
    assert list(each) == ["loss", "capacity", "kl"] and each == read_scalars(values)
    assert all(type(v) is float for v in each.values())


@pytest.mark.parametrize("model", ["vae", "factor_vae"])
def test_a_cpu_trainer_reads_each_scalar_and_records_what_the_one_read_would(model):
    assert Trainer(load_dataset("digits"), ModelSpec(latent_dim=2), TrainConfig()).read_each  # the CPU's default
    twins = [headless(TrainConfig(batch_size=32, grad_clip=1.0), model, read_each=each) for each in (True, False)]
    for t in twins:
        for _ in range(3):
            t._train_step(t.config)
    each, stacked = (t.latest_metrics for t in twins)
    assert set(each) == set(stacked) and {"loss", "recon", "kl", "grad_norm"} <= set(each)
    own = ("run", "samples_per_s")  # each run's id and timing; the same seed and steps give all else equal
    assert {k: v for k, v in each.items() if k not in own} == {k: v for k, v in stacked.items() if k not in own}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("model", ["vae", "beta_vae", "cvae", "beta_tcvae", "factor_vae", "info_vae", "iwae", "vamp",
                                   "vq_vae"])
def test_a_cuda_step_synchronises_once_and_uses_bf16_autocast(model):
    t = headless(TrainConfig(batch_size=128, device="cuda", grad_clip=1.0), model)  # amp is on by default
    assert t._order.device.type == "cuda" and t.x.device.type == "cuda"
    dtypes = []
    t.model.decoder.register_forward_hook(lambda _m, _i, out: dtypes.append(out.dtype))
    for _ in range(3):  # past the one-time initialisations (VampPrior's and VQ-VAE's flags read until set)
        t._train_step(t.config)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t._train_step(t.config)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    syncs = [str(w.message) for w in caught if "synchroniz" in str(w.message).lower()]
    assert len(syncs) == (2 if model == "factor_vae" else 1), syncs  # FactorVAE reads its discriminator's figures
    assert dtypes and set(dtypes) == {torch.bfloat16}  # the forward ran under bf16 autocast
    assert all(isinstance(v, float) for v in t.latest_metrics.values() if not isinstance(v, (int, str)))

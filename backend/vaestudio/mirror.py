"""Rank 0 drives, the other ranks follow: how the processes of one data-parallel run stay in step.

Rank 0's trainer thread decides when a step runs (a `serve` client presses Train or Pause, a
headless `train` requests its steps) and with which live values (lr, beta, batch size...). Just
before it acts it broadcasts a small command, and every other rank does the same thing:

    STEP   run one training step with the config sent (sent again only when it changed)
    RESET  new weights from the seed sent (train.reset)
    STOP   the run is over: compare the weights, then return

A pause is rank 0 sending nothing: the followers wait inside the broadcast (the process group's
timeout is a year, distributed.PROCESS_GROUP_TIMEOUT). Anything else rank 0 does (saving, the
latent stream, inference, evaluation) involves no other rank.
"""

from __future__ import annotations

import hashlib
import logging

import torch

from vaestudio import distributed
from vaestudio.train_config import TrainConfig

log = logging.getLogger(__name__)

STEP, RESET, STOP = 1, 2, 3


class Leader:
    """Rank 0's side: one (2,) int64 broadcast per command ([what, its argument]), plus the config
    when it changed."""

    def __init__(self, device: torch.device):
        # NCCL moves only GPU tensors; gloo only CPU ones: the header lives where training does
        self._header = torch.zeros(2, dtype=torch.int64, device=device)
        self._sent: TrainConfig | None = None

    def step(self, cfg: TrainConfig) -> None:
        # live changes replace the config whole (Trainer.update_config); NaN recovery lowers lr in
        # place, on every rank alike, so an unchanged object needs no resending
        changed = cfg is not self._sent
        self._send(STEP, int(changed))
        if changed:
            distributed.from_leader(cfg.to_dict())
            self._sent = cfg

    def reset(self, seed: int) -> None:
        self._send(RESET, seed)

    def stop(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> None:
        self._send(STOP, 0)
        report_agreement(model, optimizer)

    def _send(self, kind: int, arg: int) -> None:
        self._header[0], self._header[1] = kind, arg
        distributed.sync_from_leader([self._header])


def follow(trainer) -> None:
    """Rank > 0's side: does what rank 0 announces until it announces STOP (or its process dies,
    which fails the broadcast here)."""
    header = torch.zeros(2, dtype=torch.int64, device=trainer.device)
    cfg = trainer.config
    with distributed.signals_ignored():
        while True:
            distributed.sync_from_leader([header])
            kind, arg = header.tolist()
            if kind == STEP:
                if arg:
                    cfg = TrainConfig.from_dict(distributed.from_leader(None))
                    trainer.config = cfg  # NaN recovery lowers this object's lr, as rank 0 does its own
                trainer.follow_step(cfg)
            elif kind == RESET:
                trainer.follow_reset(arg)
            elif kind == STOP:
                report_agreement(trainer.model, trainer.optimizer)
                return
            else:
                raise RuntimeError(f"unknown command {kind} from rank 0")


def digest(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> str:
    """sha256 of the weights, buffers and optimizer slots, in a fixed order."""
    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(_bytes(tensor))
    for slots in optimizer.state_dict()["state"].values():
        for name in sorted(slots):
            value = slots[name]
            if torch.is_tensor(value):
                h.update(_bytes(value))
    return h.hexdigest()


def report_agreement(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> bool:
    """At the end of a run every rank must hold the same weights and optimizer state; rank 0 says
    whether they do (one all-gather of a digest). Returns True when they agree."""
    digests = distributed.gather(digest(model, optimizer))
    agree = len(set(digests)) == 1
    if distributed.current().leader:
        if agree:
            log.info("all %d processes hold the same weights and optimizer state (sha256 %s)", len(digests),
                     digests[0][:16])
        else:
            differ = [r for r, d in enumerate(digests) if d != digests[0]]
            log.error("process(es) %s hold different weights from rank 0: the data-parallel run went out of step",
                      differ)
    return agree


def _bytes(tensor: torch.Tensor) -> bytes:
    return tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()

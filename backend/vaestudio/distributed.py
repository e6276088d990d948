"""Data-parallel training on torch.distributed: which process this is, its process group, and the
`--nproc` launcher.

`vaestudio train|serve --nproc N` starts itself again through PyTorch's elastic launcher
(`torch.distributed.run`, what `torchrun` runs): N worker processes on this machine, each told its
place in RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE. `torchrun ... -m vaestudio train ...`
on several machines sets the same variables, so a worker cannot tell the two apart, and need not.

Every worker builds the same run (same seed: same initial weights, which DistributedDataParallel
also broadcasts from rank 0), takes its own disjoint slice of each global batch and its own
sampling noise, and averages gradients and the step's metrics with the others. Rank 0 alone writes
the run folder, prints and serves; the others follow it (mirror.py).
"""

from __future__ import annotations

import datetime
import gc
import inspect
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from vaestudio.errors import ConfigError

log = logging.getLogger(__name__)

# Followers wait on rank 0 inside a collective for as long as a live run stays paused (serve), so
# the process group's timeout is not a liveness check: a rank that dies closes its connections and
# the others fail at once; a hung one is ended by the launcher.
PROCESS_GROUP_TIMEOUT = datetime.timedelta(days=365)
LAUNCHER_SHUTDOWN_S = 60  # SIGTERM to SIGKILL for the workers: rank 0 saves the run first


@dataclass(frozen=True)
class Ranks:
    """This process's place among the workers of one data-parallel run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0  # among the workers on this machine
    local_world_size: int = 1

    @property
    def leader(self) -> bool:
        """Rank 0 writes the run, prints and serves."""
        return self.rank == 0

    @property
    def parallel(self) -> bool:
        return self.world_size > 1


_ranks = Ranks()  # set by init(); one process, one place
_claimed = False  # a trainer holds the process group (claim)


def current() -> Ranks:
    return _ranks


def launched(env: dict[str, str] | None = None) -> bool:
    """True in a worker that torchrun (or `--nproc`) started for a run of more than one process."""
    env = os.environ if env is None else env
    if "RANK" not in env:
        return False
    try:
        return int(env.get("WORLD_SIZE", "1")) > 1
    except ValueError:
        return True  # ranks_from_env() says what is wrong with it


def ranks_from_env(env: dict[str, str] | None = None) -> Ranks:
    env = os.environ if env is None else env
    try:
        world = int(env["WORLD_SIZE"])
        ranks = Ranks(rank=int(env["RANK"]), world_size=world, local_rank=int(env.get("LOCAL_RANK", "0")),
                      local_world_size=int(env.get("LOCAL_WORLD_SIZE", str(world))))
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE must be whole numbers as torchrun sets "
                          f"them; {exc}") from None
    if not (0 <= ranks.rank < ranks.world_size and 0 <= ranks.local_rank < ranks.local_world_size):
        raise ConfigError(f"RANK {ranks.rank} / WORLD_SIZE {ranks.world_size} (LOCAL_RANK {ranks.local_rank} / "
                          f"LOCAL_WORLD_SIZE {ranks.local_world_size}) is not a place in the run")
    return ranks


def init(device: torch.device, init_method: str | None = None) -> Ranks:
    """Joins the process group torchrun described in the environment: NCCL when training on CUDA
    (each process on GPU LOCAL_RANK), gloo otherwise. `init_method`: where the ranks meet, when not
    torchrun's MASTER_ADDR:MASTER_PORT (e.g. "file:///shared/path")."""
    global _ranks
    ranks = ranks_from_env()
    if device.type not in ("cpu", "cuda"):
        raise ConfigError(f"data-parallel training runs on the CPU (gloo) or on CUDA GPUs (NCCL), not on {device.type}; "
                          "use --device cpu or cuda, or train in one process")
    backend = "nccl" if device.type == "cuda" else "gloo"
    if backend == "nccl":
        if ranks.local_rank >= torch.cuda.device_count():
            raise ConfigError(f"process {ranks.local_rank} of this machine wants GPU {ranks.local_rank}, but torch sees "
                              f"{torch.cuda.device_count()}: start at most one process per GPU (--nproc, or torchrun's "
                              "--nproc-per-node), or train with --device cpu")
        torch.cuda.set_device(ranks.local_rank)
    dist.init_process_group(backend, init_method=init_method, rank=ranks.rank, world_size=ranks.world_size,
                            timeout=PROCESS_GROUP_TIMEOUT)
    _ranks = ranks
    _stop_with_launcher()
    return ranks


def _stop_with_launcher(poll_s: float = 1.0) -> None:
    """The launcher starts each worker in a session of its own, so a launcher killed outright (kill
    -9) would leave them running: a worker whose parent is gone stops as if it had sent SIGTERM
    (rank 0 saves the run and stops the others)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        log.warning("the launcher (process %d) is gone: stopping", parent)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="vaestudio-launcher-watch", daemon=True).start()


def shutdown() -> None:
    """Leaves the process group while the interpreter is whole. Its C++ object lives on as long as
    a DistributedDataParallel wrapper holds it, and trainers sit in reference cycles, so they are
    collected here: left to the interpreter's exit, gloo's worker threads would reach for the GIL
    during finalization and abort the process."""
    if dist.is_initialized():
        dist.destroy_process_group()
        gc.collect()


def quiet_follower(verbose: bool) -> None:
    """Ranks > 0 log errors only (rank 0 reports the run), each line saying which rank it is from."""
    root = logging.getLogger()
    if not verbose:
        root.setLevel(logging.ERROR)
    for handler in root.handlers:
        handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)s rank {_ranks.rank} %(name)s: %(message)s"))


def claim(train_rows: int) -> None:
    """A data-parallel trainer takes the process group for its whole life: the other ranks follow
    that one run step by step, so a second one (a server's run.new or run.load) has no ranks to
    train with."""
    global _claimed
    world = _ranks.world_size
    if _claimed:
        raise ConfigError(f"this server trains data-parallel with {world} processes (--nproc or torchrun), which "
                          "follow its one run step by step, so run.new and run.load cannot start another: stop it and "
                          "start `vaestudio serve --nproc N` with the new run's flags (or --resume RUN) instead")
    if train_rows < world:
        raise ConfigError(f"{world} processes need at least {world} training rows, one each; this data set has {train_rows}")
    _claimed = True


def release() -> None:
    global _claimed
    _claimed = False


def noise_seed(seed: int, step: int = 0) -> int:
    """Seed of this rank's reparameterisation noise: the run's seed on rank 0 (as in one process),
    a stream of its own on every other rank (a resumed run's too, from the step it resumed at)."""
    rank = _ranks.rank
    return seed if rank == 0 else (seed + 104_729 * rank + 15_485_863 * step) % 2**63


def share_cores(threads: int) -> int:
    """`--threads auto` per process: the processes on one machine split its cores."""
    return max(1, threads // _ranks.local_world_size)


# ---------------------------------------------------------------- within a step

def data_parallel(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """The forward that training backpropagates through, averaging gradients across the ranks.
    Buffers (and parameters no gradient moves, like an EMA codebook) are not broadcast at every
    forward: sync_from_leader() copies rank 0's after each step, so the ranks end every step equal."""
    from torch.nn.parallel import DistributedDataParallel

    # torch >= 2.13 names the switch forward_sync_buffers (buffers are still broadcast once, at init)
    renamed = "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None,
                                   **{"forward_sync_buffers" if renamed else "broadcast_buffers": False})


def leader_owned(model: torch.nn.Module) -> list[torch.Tensor]:
    """The state each rank updates by itself in its forward (buffers, frozen parameters), which
    rank 0's copy overrides: DistributedDataParallel's own rule for buffers."""
    return [b for b in model.buffers()] + [p for p in model.parameters() if not p.requires_grad]


def sync_from_leader(tensors: list[torch.Tensor]) -> None:
    for t in tensors:
        dist.broadcast(t.data, src=0)


def average(values: torch.Tensor) -> None:
    """(K,) per-rank values -> their mean over the ranks, in place (gloo has no AVG)."""
    dist.all_reduce(values, op=dist.ReduceOp.SUM)
    values.div_(_ranks.world_size)


def from_leader(obj: Any) -> Any:
    """Rank 0's `obj` on every rank, pickled (its tensors as CPU copies: a GPU tensor would unpickle
    onto rank 0's GPU). For rare events only."""
    box = [_to_cpu(obj) if _ranks.leader else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def _to_cpu(obj: Any) -> Any:
    if torch.is_tensor(obj):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_cpu(v) for v in obj)
    return obj


def gather(obj: Any) -> list[Any]:
    out: list[Any] = [None] * _ranks.world_size
    dist.all_gather_object(out, obj)
    return out


# ---------------------------------------------------------------- the launcher

def without_nproc(argv: list[str]) -> list[str]:
    """The command line the workers get: this one without `--nproc N` (they find their place in the
    environment instead)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            out.append(arg)
    return out


def launcher_options(nproc: int, parser=None) -> list[str]:
    """The launcher's options for N workers on this machine. `--shutdown-timeout` (SIGTERM to
    SIGKILL) is not in every torch (2.11's launcher refuses it); one without it waits a fixed 30 s."""
    from torch.distributed.run import get_args_parser

    options = ["--standalone", "--nproc-per-node", str(nproc)]
    shutdown = ["--shutdown-timeout", str(LAUNCHER_SHUTDOWN_S)]
    _, unknown = (parser or get_args_parser()).parse_known_args([*options, *shutdown, "--module", "vaestudio"])
    return options if unknown else options + shutdown


def launch(argv: list[str], nproc: int, verbose: bool = False) -> int:
    """Runs `python -m torch.distributed.run --standalone --nproc-per-node N -m vaestudio ARGV` in
    this process and returns the workers' exit status (the first failed worker's). The launcher
    passes Ctrl-C and SIGTERM on to the workers: rank 0 saves the run and stops the others."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.run import parse_args, run

    if not verbose:  # the workers print what went wrong; the launcher's own report repeats it at length
        for name in list(logging.root.manager.loggerDict):  # each of its modules' loggers sets its own level
            if name.startswith(("torch.distributed.elastic", "torch.distributed.launcher", "torch.distributed.run")):
                logging.getLogger(name).setLevel(logging.CRITICAL)
    # the launcher would set it to 1 with a warning; --threads sets the real count in each worker
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    args = parse_args([*launcher_options(nproc), "--module", "vaestudio", *without_nproc(argv)])
    try:
        run(args)
    except ChildFailedError as exc:  # the first worker to fail; the launcher then stopped the others
        code = exc.get_first_failure()[1].exitcode
        return code if code >= 0 else 128 - code  # killed by a signal: the shell's 128 + its number
    except SignalException as exc:
        return 128 + int(exc.sigval)
    return 0


class signals_ignored:
    """Ctrl-C and SIGTERM, which the launcher sends every worker at once, are for rank 0 alone: it
    saves the run and then tells the others to stop (mirror.Leader.stop)."""

    def __enter__(self) -> None:
        self._old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}

    def __exit__(self, *exc: object) -> None:
        for s, handler in self._old.items():
            signal.signal(s, handler)

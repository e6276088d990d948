"""`--nproc` and torchrun on the command line: launching the workers, and joining a worker to its
process group before it runs `train` or `serve` as its rank (distributed.py, mirror.py)."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger("vaestudio")


def data_parallel(args: argparse.Namespace, argv: list[str]) -> int | None:
    """`--nproc N`: launches N workers of this command line and returns their exit status. In a
    worker (started so, or by torchrun): joins the process group and returns None, to run the
    command as its rank (distributed.py)."""
    from vaestudio import distributed
    from vaestudio.devices import resolve_device
    from vaestudio.errors import UserError

    if not distributed.launched():
        return distributed.launch(argv, args.nproc, verbose=args.verbose) if args.nproc > 1 else None
    if args.nproc > 1:
        log.error("--nproc starts processes of its own; under torchrun leave it out (torchrun's --nproc-per-node "
                  "says how many run on each machine)")
        return 2
    try:
        ranks = distributed.init(resolve_device(args.device))
    except UserError as exc:
        log.error("%s", exc)
        return 2
    if not ranks.leader:
        distributed.quiet_follower(args.verbose)
    return None

"""The `vaestudio` command line."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

log = logging.getLogger("vaestudio")


def _serve(args: argparse.Namespace) -> int:
    from vaestudio.config import ConfigError, ModelConfig, TrainConfig
    from vaestudio.data import load_dataset
    from vaestudio.server import Server
    from vaestudio.trainer import Trainer

    import torch

    # One intra-op thread by default: the studio's models are small, where OpenMP's extra threads
    # cost more than they give (measured: bench/bench_trainer.py), and the second core is left to
    # the server loop, inference and the Godot client.
    torch.set_num_threads(args.threads)
    try:
        dataset = load_dataset(args.dataset)
        model_config = ModelConfig(latent_dim=args.latent_dim, hidden=tuple(args.hidden))
        train_config = TrainConfig(lr=args.lr, beta=args.beta, batch_size=args.batch_size, seed=args.seed)
        trainer = Trainer(dataset, model_config, train_config, device=args.device)
    except (ConfigError, ValueError) as exc:
        log.error("%s", exc)
        return 2
    if args.runs_dir:
        Path(args.runs_dir).mkdir(parents=True, exist_ok=True)
    try:
        server = Server(trainer, args.control, args.stream, runs_dir=Path(args.runs_dir) if args.runs_dir else None)
    except Exception as exc:  # most often: the address is in use
        log.error("cannot listen on %s / %s: %s", args.control, args.stream, exc)
        return 2
    # SIGTERM ends the loop like Ctrl-C does, so a supervisor's stop is just as clean.
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    log.info(
        "training a VAE (latent_dim %d, hidden %s) on %s: %d rows, shape %s",
        model_config.latent_dim, list(model_config.hidden), dataset.name, dataset.n, list(dataset.image_shape),
    )
    trainer.start_thread()
    if not args.paused:
        trainer.start()
    else:
        log.info("paused: send train.start (or press Start in the Godot client) to train")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    log.info("stopped at step %d of run %s", trainer.step, trainer.run)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vaestudio", description="VAE Studio: train VAEs live, explore them from Godot.")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="train live and serve the control and stream sockets")
    s.add_argument("--control", default="tcp://127.0.0.1:5555", help="ROUTER endpoint for requests")
    s.add_argument("--stream", default="tcp://127.0.0.1:5556", help="PUB endpoint for streams")
    s.add_argument("--dataset", default="digits", help="data set name (default: digits)")
    s.add_argument("--runs-dir", default=None, help="folder for run records")
    s.add_argument("--paused", action="store_true", help="start paused instead of training at once")
    s.add_argument("--latent-dim", type=int, default=2)
    s.add_argument("--hidden", type=int, nargs="+", default=[256, 128], help="hidden layer sizes")
    s.add_argument("--lr", type=float, default=1e-3)
    s.add_argument("--beta", type=float, default=1.0)
    s.add_argument("--batch-size", type=int, default=128)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--device", default="cpu", help="torch device (cpu, cuda)")
    s.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    s.set_defaults(func=_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return args.func(args)

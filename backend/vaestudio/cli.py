"""The `vaestudio` command line: serve (live, for Godot), train (headless), runs, export, eval."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from pathlib import Path

log = logging.getLogger("vaestudio")


def _key_values(pairs: list[str], flag: str) -> dict:
    """['k=v', ...] -> {k: v} with v parsed as JSON when it is JSON (numbers, lists, true), else text."""
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"vaestudio: {flag} takes KEY=VALUE, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def _session_parts(args: argparse.Namespace):
    from vaestudio.config import TrainConfig
    from vaestudio.models import ModelSpec

    spec = ModelSpec(name=args.model, latent_dim=args.latent_dim, arch=args.arch, hidden=tuple(args.hidden),
                     params=_key_values(args.param, "--param"))
    data = {"name": args.dataset, **_key_values(args.data_opt, "--data-opt")}
    if args.data_path:
        data.update(name="file", path=args.data_path)
    train = dict(lr=args.lr, beta=args.beta, batch_size=args.batch_size, seed=args.seed, device=args.device,
                 optimizer=args.optimizer, schedule=args.schedule, kl_warmup=args.kl_warmup,
                 warmup_steps=args.warmup_steps, free_bits=args.free_bits, grad_clip=args.grad_clip,
                 checkpoint_every=args.checkpoint_every)
    return spec, data, TrainConfig.from_dict(train)


def _store(args: argparse.Namespace):
    from vaestudio.runs import RunStore, default_runs_dir

    root = Path(args.runs_dir) if args.runs_dir else default_runs_dir()
    root.mkdir(parents=True, exist_ok=True)
    return RunStore(root)


def _data_dirs(args: argparse.Namespace) -> list[Path]:
    return [Path(d) for d in (args.data_dir or ["."])]


def _make_trainer(args: argparse.Namespace, store):
    from vaestudio import session_tasks

    if getattr(args, "resume", None):
        trainer = session_tasks.load_trainer(args.resume, store, _data_dirs(args))
    else:
        spec, data, config = _session_parts(args)
        trainer = session_tasks.build_trainer(spec, data, config, store, _data_dirs(args))
    if args.tensorboard:
        from vaestudio.tensorboard_log import TensorBoardHook

        trainer.metric_hooks.append(TensorBoardHook(store.root))
    return trainer



def _user_errors() -> tuple:
    from vaestudio.config import ConfigError
    from vaestudio.datasets import DataError
    from vaestudio.runs import RunError

    return (ConfigError, DataError, RunError)


def _open_session(args: argparse.Namespace):
    """(store, trainer), or None after logging why not (bad flags, data, run or a missing package)."""
    try:
        store = _store(args)
        return store, _make_trainer(args, store)
    except (*_user_errors(), RuntimeError) as exc:
        log.error("%s", exc)
        return None


def _serve(args: argparse.Namespace) -> int:
    from vaestudio.server import Server

    session = _open_session(args)
    if session is None:
        return 2
    store, trainer = session
    try:
        server = Server(trainer, args.control, args.stream, store=store, data_dirs=_data_dirs(args))
    except Exception as exc:  # most often: the address is in use
        log.error("cannot listen on %s / %s: %s", args.control, args.stream, exc)
        return 2
    # SIGTERM ends the loop like Ctrl-C does, so a supervisor's stop is just as clean.
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    spec = trainer.spec
    log.info("training %s (latent_dim %d, %s) on %s: %d rows, shape %s; run %s in %s",
             spec.name, spec.latent_dim, spec.arch, trainer.dataset.name, trainer.dataset.n,
             trainer.dataset.describe()["shape"], trainer.run, store.root)
    trainer.start_thread()
    if not args.paused and not args.resume:
        trainer.start()
    else:
        log.info("paused: send train.start (or press Train in the Godot client) to train")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    log.info("stopped at step %d of run %s", server.trainer.step, server.trainer.run)
    _close_hooks(server.trainer)
    return 0


def _close_hooks(trainer) -> None:
    for hook in trainer.metric_hooks:
        getattr(hook, "close", lambda: None)()


def _train(args: argparse.Namespace) -> int:
    import queue

    from tqdm import tqdm

    from vaestudio.evaluate import evaluate

    session = _open_session(args)
    if session is None:
        return 2
    store, trainer = session
    trainer.start_thread()
    done: queue.Queue = queue.Queue()
    start = trainer.step
    chunk = max(1, min(200, args.steps // 100 or 1))
    with tqdm(total=args.steps, desc=trainer.run, unit="step", disable=args.quiet) as bar:
        try:
            while trainer.step - start < args.steps:
                trainer.request_steps(min(chunk, args.steps - (trainer.step - start)), done.put)
                result = done.get()
                if isinstance(result, Exception):
                    log.error("%s", result)
                    return 1
                m = trainer.latest_metrics or {}
                bar.update(result["step"] - start - bar.n)
                bar.set_postfix(loss=f"{m.get('loss', 0):.2f}", recon=f"{m.get('recon', 0):.2f}", kl=f"{m.get('kl', 0):.2f}")
        except KeyboardInterrupt:
            log.info("interrupted: saving what was trained")
    trainer.call(trainer.save, done.put)
    saved = done.get()
    trainer.stop()
    _close_hooks(trainer)
    print(json.dumps({**saved, "folder": str(store.folder(trainer.run))}))
    if args.eval:
        print(json.dumps(evaluate(trainer.model.cpu(), trainer.dataset, "test", args.iw_samples)))
    return 0


def _runs(args: argparse.Namespace) -> int:
    runs = _store(args).list()
    if not runs:
        print(f"no runs in {_store(args).root}")
    for r in runs:
        print(f"{r['run']:48s} {r['model']:12s} {r['data']:12s} step {r['step']:>8d}  {r['created']}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from vaestudio import session_tasks
    from vaestudio.export import EXPORT_ITEMS

    store = _store(args)
    items = tuple(args.items or EXPORT_ITEMS)
    try:
        bad = [i for i in items if i not in EXPORT_ITEMS]
        if bad:
            log.error("unknown export item(s) %s; accepted: %s", bad, ", ".join(EXPORT_ITEMS))
            return 2
        model, dataset = session_tasks.model_from_run(args.run, store, _data_dirs(args))
        from vaestudio.export import export_model_files

        folder = store.folder(args.run)
        files = [f for f in ("checkpoint.safetensors", "config.json", "environment.json") if (folder / f).is_file()]
        files += export_model_files(folder, model, dataset, items)
    except _user_errors() as exc:
        log.error("%s", exc)
        return 2
    print(json.dumps({"run": args.run, "folder": str(folder), "files": files}))
    return 0


def _eval(args: argparse.Namespace) -> int:
    from vaestudio import session_tasks
    from vaestudio.evaluate import evaluate

    try:
        model, dataset = session_tasks.model_from_run(args.run, _store(args), _data_dirs(args))
    except _user_errors() as exc:
        log.error("%s", exc)
        return 2
    print(json.dumps(evaluate(model, dataset, args.split, args.iw_samples)))
    return 0


def _add_session_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model")
    g.add_argument("--model", default="vae", help="vae, beta_vae, cvae, beta_tcvae, factor_vae, info_vae, iwae, vamp, vq_vae")
    g.add_argument("--latent-dim", type=int, default=2)
    g.add_argument("--arch", default="mlp", choices=["mlp", "conv"])
    g.add_argument("--hidden", type=int, nargs="+", default=[256, 128], help="MLP hidden layer sizes")
    g.add_argument("--param", action="append", metavar="KEY=VALUE", help="model hyper-parameter (repeatable)")
    g = p.add_argument_group("data")
    g.add_argument("--dataset", default="digits", help="digits, shapes, moons, circles, swiss_roll, file")
    g.add_argument("--data-path", help="a data file or folder (implies --dataset file)")
    g.add_argument("--data-opt", action="append", metavar="KEY=VALUE", help="data set option (repeatable)")
    g.add_argument("--data-dir", action="append", help="folder clients may read data from (repeatable; default .)")
    g = p.add_argument_group("training")
    g.add_argument("--lr", type=float, default=1e-3)
    g.add_argument("--beta", type=float, default=1.0)
    g.add_argument("--batch-size", type=int, default=128)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--optimizer", default="adam", choices=["adam", "adamw", "sgd"])
    g.add_argument("--schedule", default="constant", choices=["constant", "cosine", "step"])
    g.add_argument("--kl-warmup", default="none", choices=["none", "linear", "cyclic"])
    g.add_argument("--warmup-steps", type=int, default=2000)
    g.add_argument("--free-bits", type=float, default=0.0)
    g.add_argument("--grad-clip", type=float, default=0.0)
    g.add_argument("--checkpoint-every", type=int, default=0, help="steps between automatic checkpoints")
    g.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda", "mps"])
    g.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    g.add_argument("--resume", metavar="RUN", help="continue a saved run instead of starting a new one")
    g.add_argument("--tensorboard", action="store_true", help="also log metrics for TensorBoard, in <run>/tensorboard")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vaestudio", description="VAE Studio: train VAEs live, explore them from Godot.")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    p.add_argument("--runs-dir", default=None, help="folder of run folders (default: a per-user data folder)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="train live and serve the control and stream sockets")
    s.add_argument("--control", default="tcp://127.0.0.1:5555", help="ROUTER endpoint for requests")
    s.add_argument("--stream", default="tcp://127.0.0.1:5556", help="PUB endpoint for streams")
    s.add_argument("--paused", action="store_true", help="start paused instead of training at once")
    _add_session_flags(s)
    s.set_defaults(func=_serve)

    t = sub.add_parser("train", help="train headless with a progress bar, then save")
    t.add_argument("--steps", type=int, default=2000)
    t.add_argument("--eval", action="store_true", help="print the test-split evaluation at the end")
    t.add_argument("--iw-samples", type=int, default=0, help="with --eval: importance samples for the NLL")
    t.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _add_session_flags(t)
    t.set_defaults(func=_train)

    r = sub.add_parser("runs", help="list the saved runs")
    r.set_defaults(func=_runs)

    e = sub.add_parser("export", help="write a run's checkpoint, latents, pictures and ONNX decoder")
    e.add_argument("run")
    e.add_argument("--items", nargs="+", help="subset of: checkpoint config metrics latents samples reconstructions latent_map onnx")
    e.add_argument("--data-dir", action="append", help="folder the run's data file may be read from")
    e.set_defaults(func=_export)

    v = sub.add_parser("eval", help="test ELBO, recon, KL, IS-NLL and active units of a saved run")
    v.add_argument("run")
    v.add_argument("--split", default="test", choices=["train", "test"])
    v.add_argument("--iw-samples", type=int, default=100)
    v.add_argument("--data-dir", action="append", help="folder the run's data file may be read from")
    v.set_defaults(func=_eval)
    return p


def main(argv: list[str] | None = None) -> int:
    # -- --runs-dir may come before or after the subcommand
    args = build_parser().parse_args(_hoist_global(argv if argv is not None else sys.argv[1:]))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    import torch

    # One intra-op thread by default: the studio's models are small, where OpenMP's extra threads
    # cost more than they give (measured: bench/bench_trainer.py), and the second core is left to
    # the server loop, inference and the Godot client.
    torch.set_num_threads(getattr(args, "threads", 1))
    return args.func(args)


def _hoist_global(argv: list[str]) -> list[str]:
    """Moves `--runs-dir X` / `--runs-dir=X` in front of the subcommand, so either order works."""
    out, front, i = [], [], 0
    while i < len(argv):
        a = argv[i]
        if a == "--runs-dir" and i + 1 < len(argv):
            front += argv[i : i + 2]
            i += 2
            continue
        if a.startswith("--runs-dir="):
            front.append(a)
        else:
            out.append(a)
        i += 1
    return front + out

"""The `vaestudio` command line: serve (live, for Godot), train (headless), runs, export, eval."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path

from vaestudio.cli_parallel import data_parallel
from vaestudio.cli_usecases import USECASE_COMMANDS, add_usecase_commands
from vaestudio.cli_values import THREADS_AUTO, byte_size, processes, resolve_threads, seconds
from vaestudio.cli_values import threads as thread_count
from vaestudio.cli_values import steps as step_count

log = logging.getLogger("vaestudio")

RUNS_DIR_ENV = "VAESTUDIO_RUNS_DIR"
RESUME_LAST = "last"  # `--resume last`: the newest run with a checkpoint
COMMANDS = {  # name -> one line, shown by `vaestudio` alone and by `vaestudio --help`
    "serve": "train live and serve the control and stream sockets (for the Godot client)",
    "train": "train headless with a progress bar, then save the run",
    "runs": "list the saved runs",
    "export": "write a run's checkpoint, latents, pictures, ONNX and Godot decoders into its folder",
    "eval": "test ELBO, recon, KL, IS-NLL and active units of a saved run",
    **USECASE_COMMANDS,
}
EXAMPLES = """\
examples:
  vaestudio serve                                  train on digits, serve on 127.0.0.1:5555/5556
  vaestudio serve --model beta_tcvae --latent-dim 8 --paused
  vaestudio serve --resume last                    continue the newest saved run
  vaestudio train --model iwae --param k=10 --steps 5000 --eval
  vaestudio train --data-path table.csv --data-opt label_column=label
  vaestudio runs
  vaestudio export RUN
  vaestudio eval RUN --iw-samples 100
"""


class _Help(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Every flag's help ends with its default, as pip and pytest show it. A flag without one (None)
    or an on/off switch says in its own words what happens when it is left out."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None or isinstance(action.default, bool):
            return action.help or ""
        return super()._get_help_string(action)


def usage() -> str:
    """What `vaestudio` alone prints: the commands and a few examples, like `git` and `pip` do."""
    commands = "\n".join(f"  {name:10s} {line}" for name, line in COMMANDS.items())
    return (f"usage: vaestudio [-v] [--runs-dir DIR] <command> [options]\n\n"
            f"VAE Studio: train VAEs live, explore them from Godot.\n\ncommands:\n{commands}\n\n{EXAMPLES}\n"
            "'vaestudio <command> --help' lists a command's flags and their defaults.")


def _key_values(pairs: list[str], flag: str) -> dict:
    """['k=v', ...] -> {k: v} with v parsed as JSON when it is JSON (numbers, lists, true), else text."""
    from vaestudio.errors import UserError

    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UserError(f"{flag} takes KEY=VALUE, got {pair!r}.")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def _session_parts(args: argparse.Namespace):
    from vaestudio.models import ModelSpec
    from vaestudio.train_config import TrainConfig

    spec = ModelSpec(name=args.model, latent_dim=args.latent_dim, arch=args.arch, hidden=tuple(args.hidden),
                     params=_key_values(args.param, "--param"))
    data = {"name": args.dataset, **_key_values(args.data_opt, "--data-opt")}
    if args.data_path:
        data.update(name="file", path=args.data_path)
    if data["name"] == "file":
        data = _own_files(args, data)
    train = dict(lr=args.lr, beta=args.beta, batch_size=args.batch_size, seed=args.seed, device=args.device,
                 optimizer=args.optimizer, schedule=args.schedule, kl_warmup=args.kl_warmup,
                 warmup_steps=args.warmup_steps, free_bits=args.free_bits, grad_clip=args.grad_clip,
                 checkpoint_every=args.checkpoint_every, eval_every=args.eval_every)
    return spec, data, TrainConfig.from_dict(train)


def _own_files(args: argparse.Namespace, data: dict) -> dict:
    """The data files named on this command line are the user's own: the --data-dir fence is for
    paths that remote clients send. Each is made absolute (so the run reloads from any folder) and
    allowed by itself, exactly that file or folder; everything else stays behind the fence."""
    from vaestudio.datasets import DataError
    from vaestudio.datasets.paths import PATH_OPTIONS

    data = dict(data)
    for key in PATH_OPTIONS:
        if isinstance(data.get(key), str) and data[key]:
            given = os.path.expanduser(data[key])
            if not os.path.exists(given):
                raise DataError(f"{data[key]} does not exist.")
            data[key] = os.path.abspath(given)
            args.own_paths.append(Path(data[key]))
    return data


def _allow_run_data(args: argparse.Namespace, store, run: str) -> None:
    """A saved run's data file, when the CLI recorded it (an absolute path), is the user's own too.
    A relative path came from a client's run.new and is looked up in the --data-dir folders."""
    from vaestudio.datasets import DataError
    from vaestudio.datasets.paths import PATH_OPTIONS

    data = store.config(run).get("data", {})
    for key in PATH_OPTIONS if data.get("name") == "file" else ():
        value = data.get(key)
        if isinstance(value, str) and os.path.isabs(value):
            if not os.path.exists(value):
                raise DataError(f"run {run!r} was trained on {value}, which no longer exists; put the file back "
                                "there to load the run with its data.")
            args.own_paths.append(Path(value))


def _store(args: argparse.Namespace):
    from vaestudio.runs import RunStore, default_runs_dir

    root = Path(args.runs_dir or os.environ.get(RUNS_DIR_ENV) or default_runs_dir())
    root.mkdir(parents=True, exist_ok=True)
    return RunStore(root)


def _data_dirs(args: argparse.Namespace) -> list[Path]:
    """The --data-dir folders (default: the current one), then the files this command line named."""
    return [Path(d) for d in (args.data_dir or ["."])] + args.own_paths


def _make_trainer(args: argparse.Namespace, store):
    from vaestudio import loading

    if getattr(args, "resume", None):
        run = store.newest_resumable() if args.resume == RESUME_LAST else args.resume
        _allow_run_data(args, store, run)
        trainer = loading.load_trainer(run, store, _data_dirs(args))
    else:
        spec, data, config = _session_parts(args)
        trainer = loading.new_trainer(spec, data, config, store, _data_dirs(args))
    if args.tensorboard:
        from vaestudio.tensorboard_log import TensorBoardHook

        trainer.metric_hooks.append(TensorBoardHook(store.root))
    return trainer


def _open_session(args: argparse.Namespace):
    """(store, trainer), or None after logging why not (bad flags, data, run or a missing package)."""
    from vaestudio.errors import UserError

    try:
        store = _store(args)
        return store, _make_trainer(args, store)
    except (UserError, RuntimeError) as exc:
        log.error("%s", exc)
        return None


def _follow(args: argparse.Namespace) -> int:
    """Ranks 1 to N-1 of a data-parallel `train` or `serve`: the same run, stepped whenever rank 0
    steps it (mirror.py); rank 0 alone writes, prints and serves."""
    from vaestudio import intra_op
    from vaestudio.mirror import follow

    args.tensorboard = False
    session = _open_session(args)
    if session is None:
        return 2
    intra_op.train_here(session[1].threads)  # a follower steps on this thread, not on a trainer thread
    try:
        follow(session[1])
    except RuntimeError as exc:  # rank 0 is gone (its connections closed) or failed
        log.error("stopped following rank 0: %s", exc)
        return 1
    return 0


def _serve(args: argparse.Namespace) -> int:
    from vaestudio import distributed
    from vaestudio.auth import TOKEN_ENV, AuthError, check_bind_allowed

    if not distributed.current().leader:
        return _follow(args)
    from vaestudio.listener import Listener
    from vaestudio.server import Server

    # The token comes from --token or the environment and is never printed or logged.
    token = args.token or os.environ.get(TOKEN_ENV) or None
    try:  # before anything is loaded or written: an exposed server without a token never starts
        check_bind_allowed([args.control, args.stream], token)
    except AuthError as exc:
        log.error("%s", exc)
        return 2
    # Bind before the run is made: a server that cannot listen leaves no run folder behind.
    try:
        listener = Listener(args.control, args.stream, token=token)
    except Exception as exc:  # most often: the address is in use
        log.error("cannot listen on %s / %s: %s", args.control, args.stream, exc)
        return 2
    session = _open_session(args)
    if session is None:
        listener.close()
        return 2
    store, trainer = session
    server = Server(trainer, listener, store=store, data_dirs=_data_dirs(args), autosave_s=args.autosave,
                    save_on_stop=True)
    _stop_on_signals(server)
    spec = trainer.spec
    log.info("training %s (latent_dim %d, %s) on %s: %d rows, shape %s; run %s in %s",
             spec.name, spec.latent_dim, spec.arch, trainer.dataset.name, trainer.dataset.n,
             trainer.dataset.describe()["shape"], trainer.run, store.root)
    if args.autosave:
        log.info("autosave: every %g s while the run trains (--autosave 0: off); Ctrl-C saves it too", args.autosave)
    trainer.start_thread()
    if not args.paused and not args.resume:
        trainer.start()
    else:
        log.info("paused: send train.start (or press Train in the Godot client) to train")
    server.serve_forever()
    log.info("stopped at step %d of run %s", server.trainer.step, server.trainer.run)
    _close_hooks(server.trainer)
    return 0


def _stop_on_signals(server) -> None:
    """Ctrl-C and SIGTERM ask the loop to stop; it saves the live run, then closes the sockets and
    the trainer on its way out. A handler, not KeyboardInterrupt: an exception can land anywhere
    (inside a close, a join) and leave a half-stopped server. A second Ctrl-C exits at once,
    without waiting for the save: run files are replaced whole, so none is left half-written."""

    def stop(signum: int, _frame: object) -> None:
        server.stop()
        if signum == signal.SIGINT:
            signal.signal(signal.SIGINT, exit_now)

    def exit_now(_signum: int, _frame: object) -> None:
        log.warning("second Ctrl-C: stopping at once, without saving")
        logging.shutdown()
        os._exit(130)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def _close_hooks(trainer) -> None:
    for hook in trainer.metric_hooks:
        getattr(hook, "close", lambda: None)()


def _train(args: argparse.Namespace) -> int:
    import queue

    from tqdm import tqdm

    from vaestudio import distributed, intra_op
    from vaestudio.evaluate import evaluate

    if not distributed.current().leader:
        return _follow(args)
    if distributed.current().parallel:  # SIGTERM (a kill of the launcher, or its loss) stops as Ctrl-C does:
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # save, then stop every rank
    session = _open_session(args)
    if session is None:
        return 2
    store, trainer = session
    trainer.streaming = False  # nothing is streamed: no latent encodes, no dashboard snapshots
    trainer.start_thread()
    done: queue.Queue = queue.Queue()
    start = trainer.step
    # One request for every step: the trainer never waits for this thread between chunks (a
    # hand-over costs a tiny model's step ~2 %); the bar reads the step counter 10 times a second.
    if args.steps:
        trainer.request_steps(args.steps, done.put)
    with tqdm(total=args.steps, desc=trainer.run, unit="step", disable=args.quiet) as bar:
        try:
            result = None if args.steps else {}
            while result is None:
                try:
                    result = done.get(timeout=0.1)
                except queue.Empty:
                    pass
                if isinstance(result, Exception):
                    log.error("%s", result)
                    return 1
                m = trainer.latest_metrics or {}
                bar.update(min(args.steps, trainer.step - start) - bar.n)
                bar.set_postfix(loss=f"{m.get('loss', 0):.2f}", recon=f"{m.get('recon', 0):.2f}", kl=f"{m.get('kl', 0):.2f}")
        except KeyboardInterrupt:
            log.info("interrupted: saving what was trained")
    saving: queue.Queue = queue.Queue()  # not `done`: after Ctrl-C it may still get the interrupted chunk's reply
    trainer.call(trainer.save, saving.put)
    saved = saving.get()
    trainer.stop()
    _close_hooks(trainer)
    print(json.dumps({**saved, "folder": str(store.folder(trainer.run))}))
    if args.eval:
        intra_op.use(trainer.threads)  # training is over: the evaluation may have its cores
        print(json.dumps(evaluate(trainer.model.cpu(), trainer.dataset, "test", args.iw_samples)))
    return 0


def _runs(args: argparse.Namespace) -> int:
    store = _store(args)
    runs = store.list()
    if not runs:
        print(f"no runs in {store.root}")
        return 0
    # Newest first; a run never saved has no checkpoint and cannot be resumed or loaded.
    row = "{:48s} {:12s} {:12s} {:>8s}  {:24s}  {}"
    print(row.format("RUN", "MODEL", "DATA", "STEP", "UPDATED", "CHECKPOINT"))
    for r in runs:
        saved = "yes" if r["checkpoint"] else "none (never saved: not resumable)"
        print(row.format(r["run"], r["model"], r["data"], str(r["step"]), r["updated"], saved))
    return 0


def _export(args: argparse.Namespace) -> int:
    from vaestudio import loading
    from vaestudio.errors import UserError
    from vaestudio.export import EXPORT_ITEMS, export_model_files

    items = tuple(args.items or EXPORT_ITEMS)
    bad = [i for i in items if i not in EXPORT_ITEMS]
    if bad:
        log.error("unknown export item(s) %s; accepted: %s", bad, ", ".join(EXPORT_ITEMS))
        return 2
    try:
        store = _store(args)
        _allow_run_data(args, store, args.run)
        model, dataset = loading.model_from_run(args.run, store, _data_dirs(args))
        folder = store.folder(args.run)
        files = [f for f in ("checkpoint.safetensors", "config.json", "environment.json") if (folder / f).is_file()]
        files += export_model_files(folder, model, dataset, items)
    except UserError as exc:
        log.error("%s", exc)
        return 2
    print(json.dumps({"run": args.run, "folder": str(folder), "files": files}))
    return 0


def _eval(args: argparse.Namespace) -> int:
    from vaestudio import loading
    from vaestudio.errors import UserError
    from vaestudio.evaluate import evaluate

    try:
        store = _store(args)
        _allow_run_data(args, store, args.run)
        model, dataset = loading.model_from_run(args.run, store, _data_dirs(args))
    except UserError as exc:
        log.error("%s", exc)
        return 2
    print(json.dumps(evaluate(model, dataset, args.split, args.iw_samples)))
    return 0


def _model_from_run(args: argparse.Namespace):
    """`args.run`'s (model, dataset), as eval loads them, for the use-case commands; raises UserError."""
    from vaestudio import loading

    store = _store(args)
    _allow_run_data(args, store, args.run)
    return loading.model_from_run(args.run, store, _data_dirs(args))


# ---------------------------------------------------------------- flags

def _add_global_flags(p: argparse.ArgumentParser, *, on_subcommand: bool) -> None:
    """-v and --runs-dir, accepted before the subcommand and after it. On a subcommand their default
    is SUPPRESS, so leaving them out there keeps what was given before it."""
    from vaestudio.runs import default_runs_dir

    keep = {"default": argparse.SUPPRESS} if on_subcommand else {}
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging", **keep)
    p.add_argument("--runs-dir", metavar="DIR", **({"default": None} | keep),
                   help=f"folder of run folders (default: ${RUNS_DIR_ENV} when set, else {default_runs_dir()})")


def _add_data_access_flags(p: argparse.ArgumentParser, *, serving: bool) -> None:
    from vaestudio.datasets.paths import DEFAULT_MAX_DATA_BYTES

    who = "clients may read data files from" if serving else "a run's data file may be read from"
    p.add_argument("--data-dir", action="append", metavar="DIR",
                   help=f"folder {who} (repeatable; a relative data path is looked up in each in turn; "
                        "default: the current folder). Files named on this command line are always allowed.")
    p.add_argument("--max-data-bytes", type=byte_size, metavar="SIZE", default=f"{DEFAULT_MAX_DATA_BYTES >> 30}G",
                   help="largest data file (or folder of images, all together) that is read; bytes, or with a K, M "
                        "or G suffix")


def _add_session_flags(p: argparse.ArgumentParser, *, serving: bool) -> None:
    from vaestudio.datasets import REGISTRY, dataset_options
    from vaestudio.models import list_models

    models = list_models()
    g = p.add_argument_group("model")
    g.add_argument("--model", default="vae", help=f"one of: {', '.join(m['name'] for m in models)}")
    g.add_argument("--latent-dim", type=int, default=2, metavar="N", help="size of the latent space z")
    g.add_argument("--arch", default="mlp", choices=["mlp", "conv"], help="encoder/decoder networks")
    g.add_argument("--hidden", type=int, nargs="+", default=[256, 128], metavar="N", help="MLP hidden layer sizes")
    g.add_argument("--param", action="append", metavar="KEY=VALUE",
                   help="a model hyper-parameter (repeatable); each model's are listed below, under "
                        "'model parameters'")
    g = p.add_argument_group("data")
    g.add_argument("--dataset", default="digits", help=f"one of: {', '.join(REGISTRY)}")
    g.add_argument("--data-path", metavar="PATH",
                   help="your own data file or folder of images (implies --dataset file); see 'data options' below")
    g.add_argument("--data-opt", action="append", metavar="KEY=VALUE",
                   help="a data set option (repeatable), e.g. label_column=NAME (CSV), normalize=minmax, "
                        "binarize=0.5, test_fraction=0.1, resize=28; all are listed below, under 'data options'")
    _add_data_access_flags(g, serving=serving)
    g = p.add_argument_group("training")
    g.add_argument("--lr", type=float, default=1e-3, help="learning rate")
    g.add_argument("--beta", type=float, default=1.0, help="weight of the KL term; 1 is the plain ELBO")
    g.add_argument("--batch-size", type=int, default=128, metavar="N", help="rows per training step")
    g.add_argument("--seed", type=int, default=0, help="seed of the weights and batch order: same seed, same run")
    g.add_argument("--optimizer", default="adam", choices=["adam", "adamw", "sgd"], help="optimiser")
    g.add_argument("--schedule", default="constant", choices=["constant", "cosine", "step"],
                   help="learning-rate schedule")
    g.add_argument("--kl-warmup", default="none", choices=["none", "linear", "cyclic"],
                   help="ramp of the KL weight from 0 to --beta")
    g.add_argument("--warmup-steps", type=int, default=2000, metavar="N",
                   help="length of the linear KL ramp, or of one cycle")
    g.add_argument("--free-bits", type=float, default=0.0, metavar="NATS",
                   help="KL per latent dimension below which it is not penalised; 0 = off")
    g.add_argument("--grad-clip", type=float, default=0.0, metavar="NORM", help="largest gradient norm; 0 = off")
    g.add_argument("--checkpoint-every", type=int, default=0, metavar="STEPS",
                   help="steps between automatic checkpoints; 0 = never")
    g.add_argument("--eval-every", type=int, default=0, metavar="STEPS",
                   help="steps between test-split evaluations (the `eval` stream, test_* metrics); 0 = never")
    g.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda", "mps"], help="where to train")
    auto = "all but one (left to the server loop and the latent stream), at least 1" if serving else "all"
    g.add_argument("--nproc", type=processes, default=1, metavar="N",
                   help="train data-parallel in N processes on this machine (torch.distributed: gloo on the CPU, NCCL "
                        "on GPUs, one each), started through torchrun's launcher; --batch-size is per process. "
                        "Several machines: torchrun, see the README's 'Past one machine'")
    g.add_argument("--threads", type=thread_count, default=THREADS_AUTO, metavar="N",
                   help=f"torch intra-op threads; '{THREADS_AUTO}': of the cores this process may use, {auto}")
    g.add_argument("--resume", metavar="RUN",
                   help=f"continue a saved run instead of starting a new one; '{RESUME_LAST}': the newest run with a "
                        "checkpoint (`vaestudio runs` lists them)")
    g.add_argument("--tensorboard", action="store_true", help="also log metrics for TensorBoard, in <run>/tensorboard")

    file_options = {k: v for k, v in dataset_options("file").items() if k != "path"}
    p.epilog = ("model parameters (--param KEY=VALUE, defaults shown):\n"
                + "".join(_listed(m["name"], m["params"]) for m in models)
                + "\ndata options (--data-opt KEY=VALUE, defaults shown; values are read as JSON when they are):\n"
                + "".join(_listed(name, dataset_options(name)) for name in REGISTRY if name != "file")
                + _listed("file", file_options, first="path=PATH (or --data-path)")
                + "\n" + EXAMPLES)


def _listed(name: str, options: dict, first: str = "") -> str:
    """'  name         k=v, k=v' wrapped under its column, values written as one types them."""
    import textwrap

    def typed(v) -> str:
        return v if isinstance(v, str) else json.dumps(v)

    words = ([first] if first else []) + [f"{k}={typed(v)}" for k, v in options.items()]
    return textwrap.fill(", ".join(words) or "(none)", width=100, initial_indent=f"  {name:12s} ",
                         subsequent_indent=" " * 15) + "\n"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vaestudio", description="VAE Studio: train VAEs live, explore them from Godot.",
                                formatter_class=_Help, epilog=EXAMPLES)
    _add_global_flags(p, on_subcommand=False)
    sub = p.add_subparsers(dest="command", metavar="<command>")

    def command(name: str, func) -> argparse.ArgumentParser:
        s = sub.add_parser(name, help=COMMANDS[name], description=COMMANDS[name], formatter_class=_Help)
        _add_global_flags(s, on_subcommand=True)
        s.set_defaults(func=func)
        return s

    s = command("serve", _serve)
    s.add_argument("--control", default="tcp://127.0.0.1:5555", metavar="ENDPOINT",
                   help="ROUTER endpoint for requests (ZeroMQ: tcp://HOST:PORT)")
    s.add_argument("--stream", default="tcp://127.0.0.1:5556", metavar="ENDPOINT",
                   help="PUB endpoint for the metric, latent, status and log streams")
    s.add_argument("--token", help="shared secret clients must present (ZMTP PLAIN); required when --control or "
                                   "--stream is reachable from other machines (default: $VAESTUDIO_TOKEN; prefer "
                                   "the variable, a flag shows in the process list). Never printed.")
    s.add_argument("--paused", action="store_true", help="start paused instead of training at once")
    s.add_argument("--autosave", type=seconds, default=120, metavar="SECONDS",
                   help="save the live run this often while it trains (it is also saved on Ctrl-C); 0 = off")
    _add_session_flags(s, serving=True)

    t = command("train", _train)
    t.add_argument("--steps", type=step_count, default=2000, metavar="N", help="training steps to run, then save")
    t.add_argument("--eval", action="store_true", help="print the test-split evaluation at the end")
    t.add_argument("--iw-samples", type=int, default=0, metavar="K",
                   help="with --eval: importance samples for the NLL; 0 = skip the NLL")
    t.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _add_session_flags(t, serving=False)

    command("runs", _runs)

    from vaestudio.export import EXPORT_ITEMS

    e = command("export", _export)
    e.add_argument("run", help="the run's name, as `vaestudio runs` lists it")
    e.add_argument("--items", nargs="+", metavar="ITEM", help=f"a subset of: {' '.join(EXPORT_ITEMS)} (default: all)")
    _add_data_access_flags(e, serving=False)

    v = command("eval", _eval)
    v.add_argument("run", help="the run's name, as `vaestudio runs` lists it")
    v.add_argument("--split", default="test", choices=["train", "test"], help="which rows to evaluate")
    v.add_argument("--iw-samples", type=int, default=100, metavar="K",
                   help="importance samples for the NLL; 0 = skip the NLL")
    _add_data_access_flags(v, serving=False)
    add_usecase_commands(command, _add_data_access_flags, _model_from_run)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        # Like `git` alone: the commands and examples on stdout, exit status 1 (nothing was done;
        # a script that forgot its subcommand should notice). `vaestudio --help` exits 0.
        print(usage())
        return 1
    args = build_parser().parse_args(argv)
    if args.command is None:  # flags but no command, e.g. `vaestudio -v`
        print(usage())
        return 1
    args.own_paths = []  # data files named on this command line (see _own_files)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if getattr(args, "max_data_bytes", None):
        from vaestudio.datasets.paths import set_max_data_bytes

        set_max_data_bytes(args.max_data_bytes)
    if args.command in ("train", "serve"):
        code = data_parallel(args, argv)
        if code is not None:
            return code
    import torch

    threads = getattr(args, "threads", None)
    if args.command not in ("train", "serve"):
        if threads is not None:
            torch.set_num_threads(resolve_threads(threads, serving=False))
        return args.func(args)
    from vaestudio import allocator, distributed, intra_op

    intra_op.configure(resolve_threads(threads, serving=args.command == "serve"))  # the trainer's thread alone
    allocator.keep_freed_memory()  # training frees and allocates the same buffers every step

    try:
        return args.func(args)
    finally:  # a data-parallel worker leaves its group before the interpreter winds down (gloo's threads
        distributed.shutdown()  # still hold tensors then, and it aborts); one process: nothing to do

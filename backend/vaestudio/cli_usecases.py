"""`vaestudio <use case> RUN …`: the use cases of protocol/README.md §5.4 on a saved run.

Each command loads the run's model and data set (as `vaestudio eval` does), calls the same
vaestudio.usecases function the server's op calls, and prints a readable table, or JSON with
--json. cli.py registers them with `add_usecase_commands`; USECASE_COMMANDS are their usage lines.
Imports of torch and the models stay inside the functions, so `vaestudio --help` stays quick.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
from pathlib import Path
from typing import Callable

log = logging.getLogger("vaestudio")

USECASE_COMMANDS = {  # name -> one line, shown by `vaestudio` alone and by `vaestudio --help`
    "denoise": "corrupt test rows of a saved run and denoise them; PSNR before and after",
    "anomaly": "score rows (test split or your own file) by how unusual the run's model finds them",
    "compress": "quantised latent codes of a saved run: bytes per row against raw, and PSNR",
    "style": "a conditional run's style transfer: rows drawn as every class (a PNG grid with --out)",
    "analogy": "latent analogy A : B :: C : ? of a saved run (z = mu_C + mu_B - mu_A)",
    "features": "probe accuracy on mu against raw inputs and PCA; MIG and DCI on data with factors",
    "generation": "test reconstruction PSNR and the diversity of prior samples of a saved run",
}


def add_usecase_commands(command: Callable[[str, Callable], argparse.ArgumentParser],
                         data_access_flags: Callable, load_run: Callable) -> None:
    """Adds the use-case subcommands through cli.build_parser's `command(name, func)`; cli.py hands
    in its --data-dir flags and its saved-run loader (args -> (model, dataset)), so this module
    does not import cli (which imports it)."""
    d, a, c = command("denoise", _denoise), command("anomaly", _anomaly), command("compress", _compress)
    for p in (d, a, c):  # each use-case command reads args.load_run; add yours here too
        p.set_defaults(load_run=load_run)

    _run_flags(d)
    d.add_argument("--noise", default="gaussian", choices=["gaussian", "salt_pepper", "mask"],
                   help="gaussian: add N(0, level²); salt_pepper: a level fraction set to 0 or 1; mask: set to 0")
    d.add_argument("--level", type=float, default=0.3, help="noise level from 0 to 1 (σ for gaussian)")
    d.add_argument("--seed", type=int, default=0, help="seed of the noise")
    data_access_flags(d, serving=False)

    _run_flags(a)
    a.add_argument("--positive-labels", type=int, nargs="+", metavar="LABEL",
                   help="the classes that count as unusual: prints the ROC AUC and average precision")
    a.add_argument("--iw-samples", type=int, default=0, metavar="K",
                   help="score by the importance-sampled NLL with K samples; 0 = the negative ELBO")
    a.add_argument("--file", metavar="PATH", help="score the rows of your own file instead (CSV, NPY, NPZ or a "
                                                 "folder of images, read like the `file` data set)")
    a.add_argument("--top", type=int, default=10, metavar="N", help="rows of the most-unusual table")
    a.add_argument("--seed", type=int, default=0, help="seed of the ELBO / importance samples")
    data_access_flags(a, serving=False)

    _run_flags(c)
    c.add_argument("--bits", type=int, nargs="+", default=[8], metavar="B",
                   help="bits per latent dimension, 1 to 16; several give a rate-distortion table")
    data_access_flags(c, serving=False)
    add_usecase_b_commands(command, data_access_flags, load_run)


def _run_flags(p: argparse.ArgumentParser) -> None:
    from vaestudio.usecases.rows import DEFAULT_ROWS

    p.add_argument("run", help="the run's name, as `vaestudio runs` lists it")
    p.add_argument("--rows", type=int, default=DEFAULT_ROWS, metavar="N",
                   help="work on the test split's first N rows (fewer when the split is smaller)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _load(args: argparse.Namespace):
    """The run's (model, dataset), loaded by cli.py's loader (as `vaestudio eval` loads them)."""
    return args.load_run(args)


def _test_rows(dataset, n: int):
    from vaestudio.errors import UserError
    from vaestudio.usecases import rows

    if n < 1:
        raise UserError(f"--rows must be at least 1, got {n}")
    return rows.select(dataset, dataset.test_idx[:n].numpy())


def _guarded(work: Callable[[], dict], render: Callable[[dict], str], as_json: bool) -> int:
    """Runs the command's work; a UserError is logged as one sentence, exit status 2."""
    from vaestudio.errors import UserError

    try:
        result = work()
    except UserError as exc:
        log.error("%s", exc)
        return 2
    print(json.dumps(result) if as_json else render(result))
    return 0


def table(header: list[str], rows: list[list]) -> str:
    """Plain aligned columns, numbers right-aligned, as `vaestudio runs` prints its list."""
    cells = [header] + [[f"{v:.2f}" if isinstance(v, float) else str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.rjust(w) if k else c.ljust(w) for k, (c, w) in enumerate(zip(r, widths))).rstrip()
                     for r in cells)


# ----- denoise ---------------------------------------------------------------------------------
def _denoise(args: argparse.Namespace) -> int:
    def work() -> dict:
        from vaestudio.usecases.denoise import denoise

        model, dataset = _load(args)
        rows = _test_rows(dataset, args.rows)
        r = denoise(model, dataset, rows, args.noise, args.level, args.seed)
        return {"run": args.run, "noise": args.noise, "level": args.level, "seed": args.seed, "n": len(rows),
                "indices": rows.indices.tolist(), "psnr_noisy": r["psnr_noisy"].tolist(),
                "psnr_denoised": r["psnr_denoised"].tolist(), "psnr_noisy_mean": r["psnr_noisy_mean"],
                "psnr_denoised_mean": r["psnr_denoised_mean"]}

    def render(r: dict) -> str:
        gain = r["psnr_denoised_mean"] - r["psnr_noisy_mean"]
        return (f"{r['run']}: {r['n']} test rows, {r['noise']} noise at level {r['level']:g} (seed {r['seed']})\n"
                + table(["PSNR (dB)", "mean", "min", "max"],
                        [[name, float(sum(v) / len(v)), float(min(v)), float(max(v))]
                         for name, v in (("noisy", r["psnr_noisy"]), ("denoised", r["psnr_denoised"]))])
                + f"\ngain: {gain:+.2f} dB")

    return _guarded(work, render, args.json)


# ----- anomaly ---------------------------------------------------------------------------------
def _anomaly(args: argparse.Namespace) -> int:
    def work() -> dict:
        from vaestudio.errors import UserError
        from vaestudio.usecases.anomaly import anomaly

        if not 0 <= args.iw_samples <= 5000:
            raise UserError(f"--iw-samples must be from 0 to 5000, got {args.iw_samples}")
        model, dataset = _load(args)
        if args.file:
            dataset, rows = _file_rows(args, dataset)
        else:
            rows = _test_rows(dataset, args.rows)
        r = anomaly(model, dataset, rows, args.iw_samples, args.positive_labels, args.seed)
        out = {"run": args.run, "source": args.file or f"{dataset.name} test split", "n": len(rows),
               "score": "IS-NLL" if args.iw_samples > 1 else "negative ELBO",
               "scores": r["scores"].tolist(), "indices": r["indices"].tolist()}
        if "labels" in r:
            out["labels"] = r["labels"].tolist()
        for key in ("auc", "average_precision"):
            if key in r:
                out[key] = r[key]
        return out

    def render(r: dict) -> str:
        scores = r["scores"]
        order = sorted(range(len(scores)), key=lambda i: -scores[i])[: max(0, args.top)]
        labels = r.get("labels")
        lines = [f"{r['run']}: {r['n']} rows of {r['source']}, scored by the {r['score']} (nats; higher = more "
                 f"unusual); mean {sum(scores) / len(scores):.2f}"]
        if "auc" in r:
            lines.append(f"positive labels {args.positive_labels}: ROC AUC {r['auc']:.3f}, "
                         f"average precision {r['average_precision']:.3f}")
        lines.append(f"most unusual {len(order)}:")
        lines.append(table(["rank", "row", *(["label"] if labels else []), "score"],
                           [[k + 1, r["indices"][i], *([labels[i]] if labels else []), float(scores[i])]
                            for k, i in enumerate(order)]))
        return "\n".join(lines)

    return _guarded(work, render, args.json)


def _file_rows(args: argparse.Namespace, run_dataset):
    """The user's own file as (dataset, rows): read like the `file` data set (with the run's file
    options when the run was trained on a file), every row, checked against the run's row width."""
    import numpy as np

    from vaestudio import loading
    from vaestudio.errors import UserError
    from vaestudio.usecases.rows import Rows

    path = Path(args.file).expanduser().absolute()
    if not path.exists():
        raise UserError(f"--file {args.file} does not exist.")
    options = {}
    if run_dataset.source.get("name") == "file":  # read it as the run's own data was read
        skip = ("name", "path", "labels_path", "exclude_labels", "test_fraction", "seed")
        options = {k: v for k, v in run_dataset.source.items() if k not in skip}
    dataset = loading.load_data({"name": "file", "path": str(path), **options}, [path])
    if dataset.input_dim != run_dataset.input_dim:
        raise UserError(f"--file {args.file} has {dataset.input_dim} values per row "
                        f"(shape {list(dataset.image_shape or (dataset.input_dim,))}); the run's model takes "
                        f"{run_dataset.input_dim} (shape {list(run_dataset.image_shape or (run_dataset.input_dim,))}).")
    return dataset, Rows(dataset.x, np.arange(dataset.n), dataset.labels)


# ----- compress --------------------------------------------------------------------------------
def _compress(args: argparse.Namespace) -> int:
    def work() -> dict:
        from vaestudio.usecases.compress import check_bits, compress

        for b in args.bits:
            check_bits(b)
        model, dataset = _load(args)
        rows = _test_rows(dataset, args.rows)
        out = []
        for b in args.bits:
            r = compress(model, dataset, rows, b)
            out.append({"bits": b, "bytes_per_row": r["bytes_per_row"], "raw_bytes_per_row": r["raw_bytes_per_row"],
                        "ratio": r["raw_bytes_per_row"] / r["bytes_per_row"], "psnr_mean": r["psnr_mean"]})
        return {"run": args.run, "n": len(rows), "latent_dim": int(model.latent_dim), "results": out}

    def render(r: dict) -> str:
        head = f"{r['run']}: {r['n']} test rows, latent_dim {r['latent_dim']} (mu quantised per dimension)"
        return head + "\n" + table(
            ["bits", "bytes/row", "raw bytes/row", "ratio", "PSNR (dB)"],
            [[x["bits"], x["bytes_per_row"], x["raw_bytes_per_row"], f"{x['ratio']:.1f}x",
              x["psnr_mean"] if math.isfinite(x["psnr_mean"]) else "inf"] for x in r["results"]])

    return _guarded(work, render, args.json)


# ----- style, analogy, features, generation (helper usecases-b) --------------------------------
def add_usecase_b_commands(command: Callable[[str, Callable], argparse.ArgumentParser],
                           data_access_flags: Callable, load_run: Callable) -> None:
    """`vaestudio style | analogy | features | generation RUN …` (see add_usecase_commands)."""
    s, a = command("style", _style), command("analogy", _analogy)
    f, g = command("features", _features), command("generation", _generation)
    for p in (s, a, f, g):
        p.set_defaults(load_run=load_run)
        p.add_argument("run", help="the run's name, as `vaestudio runs` lists it")
        p.add_argument("--json", action="store_true", help="print JSON instead of a table")
        data_access_flags(p, serving=False)
    s.add_argument("--rows", type=int, nargs="+", default=[0], metavar="ROW", help="data-set rows whose style to use")
    s.add_argument("--labels", type=int, nargs="+", metavar="LABEL", help="classes to draw them as (default: all)")
    s.add_argument("--out", metavar="PNG", help="write the grid (one row per source, one column per label) as a PNG")
    a.add_argument("abc", type=int, nargs=3, metavar="ROW", help="rows A B C: A is to B as C is to ?")
    a.add_argument("--out", metavar="PNG", help="write A, B, C and the answer side by side as a PNG")
    f.add_argument("--split", default="test", choices=["test", "train"], help="the rows the probes are scored on")
    g.add_argument("--n", type=int, default=256, metavar="N", help="prior samples to decode (2 to 4096)")
    g.add_argument("--seed", type=int, default=0, help="seed of the prior samples")
    g.add_argument("--temperature", type=float, default=1.0, help="scales the prior's spread (0.001 to 100)")


def _write_grid(path: str, tiles, image_shape: tuple) -> None:
    """(rows, cols, D) values in [0, 1] -> a PNG of rows x cols tiles with a 2-px black gutter."""
    import numpy as np
    from PIL import Image

    rows, cols = tiles.shape[:2]
    h, w = image_shape[:2]
    c = image_shape[2] if len(image_shape) == 3 else 1
    pic = np.zeros((rows * (h + 2), cols * (w + 2), c), dtype=np.uint8)
    for i in range(rows):
        for j in range(cols):
            tile = (np.clip(tiles[i, j], 0, 1) * 255).round().astype(np.uint8).reshape(h, w, c)
            pic[i * (h + 2): i * (h + 2) + h, j * (w + 2): j * (w + 2) + w] = tile
    scale = max(1, 256 // max(pic.shape[:2]))  # 8x8 digits: large enough to see
    image = Image.fromarray(pic[..., 0] if c == 1 else pic)
    image.resize((image.width * scale, image.height * scale), Image.NEAREST).save(path)


def _check_png(args: argparse.Namespace, dataset) -> None:
    from vaestudio.errors import UserError

    if args.out and not dataset.image_shape:
        raise UserError(f"--out writes images; {dataset.name} holds vectors, not images (use --json for the values)")


def _style(args: argparse.Namespace) -> int:
    def work() -> dict:
        import numpy as np

        from vaestudio.errors import UserError
        from vaestudio.usecases import style

        model, dataset = _load(args)
        style.require_conditional(model)
        rows = np.array(args.rows)
        if rows.min() < 0 or rows.max() >= dataset.n:
            raise UserError(f"--rows must be data-set rows from 0 to {dataset.n - 1}")
        labels = np.arange(model.num_classes) if args.labels is None else np.array(args.labels)
        _check_png(args, dataset)
        grid = style.style_grid(model, dataset, style.source_latents(model, dataset, rows), labels)  # (n, m, D)
        if args.out:
            _write_grid(args.out, grid, dataset.image_shape)
        return {"run": args.run, "rows": rows.tolist(), "labels": style.check_labels(model, labels).tolist(),
                "shape": list(grid.shape[:2]) + list(dataset.image_shape or (dataset.input_dim,)),
                **({"out": args.out} if args.out else {"values": grid.round(4).tolist()})}

    def render(r: dict) -> str:
        where = f"written to {r['out']}" if "out" in r else "(--out PNG writes the picture, --json the values)"
        return (f"{r['run']}: rows {r['rows']} drawn as labels {r['labels']}: a grid of {r['shape'][0]} x "
                f"{r['shape'][1]} tiles of shape {r['shape'][2:]}, {where}")

    return _guarded(work, render, args.json)


def _analogy(args: argparse.Namespace) -> int:
    def work() -> dict:
        import numpy as np

        from vaestudio.errors import UserError
        from vaestudio.usecases.analogy import analogy

        model, dataset = _load(args)
        if min(args.abc) < 0 or max(args.abc) >= dataset.n:
            raise UserError(f"rows A B C must be data-set rows from 0 to {dataset.n - 1}, got {args.abc}")
        _check_png(args, dataset)
        r = analogy(model, dataset, *args.abc)
        if args.out:
            x = dataset.x[list(args.abc)].numpy()  # (3, D)
            _write_grid(args.out, np.concatenate([x, r["decoded"]])[None], dataset.image_shape)
        labels = None if dataset.labels is None else dataset.labels[list(args.abc)].tolist()
        return {"run": args.run, "rows": list(args.abc), "labels": labels, "mu": r["mu"].tolist(),
                "z": r["z"][0].tolist(), **({"out": args.out} if args.out else {})}

    def render(r: dict) -> str:
        names = ("a", "b", "c", "c + b - a")
        vectors = [*r["mu"], r["z"]]
        head = f"{r['run']}: row {r['rows'][0]} is to row {r['rows'][1]} as row {r['rows'][2]} is to z"
        if "out" in r:
            head += f" (picture: {r['out']})"
        return head + "\n" + table(["", "row", *[f"z{i}" for i in range(len(r["z"]))]],
                                   [[n, str(r["rows"][k]) if k < 3 else "", *map(float, v)]
                                    for k, (n, v) in enumerate(zip(names, vectors))])

    return _guarded(work, render, args.json)


def _features(args: argparse.Namespace) -> int:
    def work() -> dict:
        from vaestudio.usecases.features import features

        model, dataset = _load(args)
        r = features(model, dataset, args.split)
        if "confusion" in r:
            r["confusion"] = r["confusion"].tolist()
        return {"run": args.run, "data": dataset.name, "latent_dim": int(model.latent_dim), **r}

    def render(r: dict) -> str:
        lines = [f"{r['run']}: {r['data']}, latent_dim {r['latent_dim']}, scored on the {r['split']} split"]
        if "probe_accuracy" in r:
            lines.append(f"{r['classes']} classes, probes fitted on {r['n_train']} train rows, scored on {r['n']}:")
            lines.append(table(["features", "classifier", "accuracy"], [
                ["mu", "logistic regression", r["probe_accuracy"]],
                ["raw inputs", "logistic regression", r["probe_accuracy_raw"]],
                [f"PCA ({r['latent_dim']} components)", "logistic regression", r["probe_accuracy_pca"]],
                ["mu", "5 nearest neighbours", r["knn_accuracy"]],
                ["(chance: the largest class)", "", max(map(sum, r["confusion"])) / r["n"]]]))
            lines.append("confusion of the mu probe (rows: true class, columns: predicted):")
            lines.append(table(["", *map(str, range(r["classes"]))],
                               [[str(k), *row] for k, row in enumerate(r["confusion"])]))
        if "mig" in r:
            dci = r["dci"]
            lines.append("disentanglement (ground-truth factors):")
            lines.append(table(["MIG", "DCI disentanglement", "DCI completeness", "DCI informativeness"],
                               [[r["mig"], dci["disentanglement"], dci["completeness"], dci["informativeness"]]]))
        return "\n".join(lines)

    return _guarded(work, render, args.json)


def _generation(args: argparse.Namespace) -> int:
    def work() -> dict:
        from vaestudio.errors import UserError
        from vaestudio.usecases.generation import MIN_SAMPLES, generation

        if not MIN_SAMPLES <= args.n <= 4096:
            raise UserError(f"--n must be from {MIN_SAMPLES} to 4096 (samples to compare pairwise), got {args.n}")
        if not 1e-3 <= args.temperature <= 100:
            raise UserError(f"--temperature must be from 0.001 to 100, got {args.temperature}")
        model, dataset = _load(args)
        return {"run": args.run, **generation(model, dataset, args.n, args.seed, args.temperature)}

    def render(r: dict) -> str:
        return (f"{r['run']}: {r['n']} prior samples (seed {args.seed}, temperature {args.temperature:g}) against "
                f"{r['n_data']} test rows\n" + table(["figure", "value"], [
                    [f"recon PSNR, {r['n_recon']} test rows (dB)", r["recon_psnr"]],
                    ["sample diversity (mean pairwise L2 / sqrt D)", r["sample_diversity"]],
                    ["data diversity (same, test rows)", r["data_diversity"]],
                    ["diversity ratio (1 = as varied as the data)", r["diversity"]]]))

    return _guarded(work, render, args.json)

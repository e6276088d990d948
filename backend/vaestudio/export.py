"""Files a run exports: image grids, the latent map, latents as .npz/.csv, metrics as CSV, ONNX, and
the decoder for Godot (godot_export.py).

Pure functions over numpy arrays, so the same code serves the server (`run.export`) and the CLI
(`vaestudio export`). Pictures are written with Pillow; nothing here needs a display.
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
import torch

from vaestudio.godot_export import write_godot_decoder

if TYPE_CHECKING:  # Pillow itself is imported where a picture is drawn: the server imports this module at start-up
    from PIL import Image

log = logging.getLogger(__name__)

# Ten well-separated label colours (the Godot client uses the same order).
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def image_grid(images: np.ndarray, ncols: int = 8, min_tile: int = 64, pad: int = 2) -> Image.Image:
    """(n, h, w) or (n, h, w, c) uint8 -> one picture; tiles scaled up by nearest to >= min_tile px."""
    from PIL import Image

    if images.ndim == 3:
        images = images[..., None]
    n, h, w, c = images.shape
    scale = max(1, -(-min_tile // max(h, w)))
    rows = -(-n // ncols)
    th, tw = h * scale, w * scale
    mode = "L" if c == 1 else "RGB"
    grid = Image.new(mode, (ncols * (tw + pad) + pad, rows * (th + pad) + pad), 40 if c == 1 else (40, 40, 40))
    for i in range(n):
        tile = Image.fromarray(images[i, ..., 0] if c == 1 else images[i], mode).resize((tw, th), Image.NEAREST)
        grid.paste(tile, (pad + (i % ncols) * (tw + pad), pad + (i // ncols) * (th + pad)))
    return grid


def latent_map(coords: np.ndarray, labels: np.ndarray | None, size: int = 640) -> Image.Image:
    """First two latent dimensions as a scatter plot with axes through 0, coloured by label."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (size, size), (24, 26, 30))
    draw = ImageDraw.Draw(img)
    xy = coords[:, :2] if coords.shape[1] >= 2 else np.column_stack([coords[:, 0], np.zeros(len(coords))])
    lo, hi = np.percentile(xy, 0.5, axis=0), np.percentile(xy, 99.5, axis=0)
    span = np.maximum(hi - lo, 1e-6) * 1.1
    centre = (lo + hi) / 2
    margin = 20

    def to_px(p: np.ndarray) -> np.ndarray:
        return margin + (p - centre + span / 2) / span * (size - 2 * margin) * np.array([1, -1]) + np.array([0, size - 2 * margin])

    origin = to_px(np.zeros(2))
    draw.line([(origin[0], margin), (origin[0], size - margin)], fill=(90, 90, 100))
    draw.line([(margin, origin[1]), (size - margin, origin[1])], fill=(90, 90, 100))
    px = to_px(xy)
    for i, (x, y) in enumerate(px):
        color = PALETTE[int(labels[i]) % len(PALETTE)] if labels is not None else (220, 220, 220)
        draw.ellipse([x - 1.5, y - 1.5, x + 1.5, y + 1.5], fill=color)
    return img


def write_latents(folder: Path, mu: np.ndarray, logvar: np.ndarray, indices: np.ndarray,
                  labels: np.ndarray | None) -> list[str]:
    """latents.npz (mu, logvar, indices, labels) and latents.csv (index, label, mu_0..mu_{Z-1})."""
    arrays = {"mu": mu, "logvar": logvar, "indices": indices}
    if labels is not None:
        arrays["labels"] = labels
    np.savez(folder / "latents.npz", **arrays)
    with open(folder / "latents.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["index", "label", *[f"mu_{j}" for j in range(mu.shape[1])], *[f"logvar_{j}" for j in range(mu.shape[1])]])
        for i in range(len(mu)):
            w.writerow([int(indices[i]), "" if labels is None else int(labels[i]),
                        *[f"{v:.6g}" for v in mu[i]], *[f"{v:.6g}" for v in logvar[i]]])
    return ["latents.npz", "latents.csv"]


def metrics_csv(jsonl: Path, out: Path) -> None:
    """metrics.jsonl -> metrics.csv with the union of all keys as columns (missing cells empty)."""
    records = []
    if jsonl.is_file():
        with open(jsonl) as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError:  # a line cut by a kill: skip it, keep the rest
                        continue
    columns: list[str] = []
    for r in records:
        columns += [k for k in r if k not in columns]
    with open(out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns or ["step"])
        w.writeheader()
        w.writerows(records)


def onnx_decoder(decoder, latent_dim: int, path: Path) -> bool:
    """Writes the decoder z (n, latent_dim) -> x (n, D) as ONNX when the onnx package is installed."""
    try:
        import onnx  # noqa: F401
    except ImportError:
        log.info("onnx is not installed: skipping the ONNX export (pip install 'vaestudio[onnx]')")
        return False
    import warnings

    dummy = torch.zeros(1, latent_dim)
    with warnings.catch_warnings():
        # The TorchScript exporter needs only the onnx package (the dynamo one also needs onnxscript).
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(decoder, (dummy,), str(path), input_names=["z"], output_names=["x"],
                          dynamic_axes={"z": {0: "n"}, "x": {0: "n"}}, dynamo=False)
    return True


EXPORT_ITEMS = ("checkpoint", "config", "metrics", "latents", "samples", "reconstructions", "latent_map", "onnx",
                "godot")


def export_model_files(folder: Path, model, dataset, items: tuple[str, ...], seed: int = 0,
                       check: Callable[[], None] | None = None) -> list[str]:
    """Writes the model-derived items into `folder`; returns their names relative to it.

    `model` is a BaseVAE on the CPU, `dataset` the run's data set. checkpoint/config are the
    caller's (they need the trainer); metrics needs only the folder. `check` is called between
    pieces of work and may raise to stop (cancelled, out of time).
    """
    check = check or (lambda: None)
    written: list[str] = []
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    shape = tuple(dataset.image_shape)
    is_image = len(shape) >= 2

    def to_u8(x: torch.Tensor) -> np.ndarray:
        return (x.clamp(0, 1) * 255).round().to(torch.uint8).numpy().reshape(len(x), *shape)

    def labels_for(rows) -> torch.Tensor | None:
        if not model.conditional:
            return None
        return dataset.labels[rows] if dataset.labels is not None else torch.zeros(len(rows), dtype=torch.long)

    with torch.no_grad():
        if "metrics" in items:
            metrics_csv(folder / "metrics.jsonl", folder / "metrics.csv")
            written.append("metrics.csv")
        if "latents" in items or "latent_map" in items:
            rows = torch.arange(dataset.n)
            mus, logvars = [], []
            for start in range(0, dataset.n, 1024):
                check()
                r = rows[start : start + 1024]
                mu, logvar = model.encode(dataset.x[r], labels_for(r))
                mus.append(mu)
                logvars.append(logvar)
            mu, logvar = torch.cat(mus).numpy(), torch.cat(logvars).numpy()
            labels = dataset.labels.numpy() if dataset.labels is not None else None
            if "latents" in items:
                written += write_latents(folder, mu, logvar, rows.numpy(), labels)
            if "latent_map" in items:
                latent_map(mu, labels).save(folder / "latent_map.png")
                written.append("latent_map.png")
        check()
        if "samples" in items and is_image:
            n = 64
            z = model.sample_prior(n, gen)
            y = (torch.arange(n) % model.num_classes) if model.conditional else None
            image_grid(to_u8(model.decode(z, y))).save(folder / "samples.png")
            written.append("samples.png")
        check()
        if "reconstructions" in items and is_image:
            rows = dataset.test_idx[:32]
            x = dataset.x[rows]
            y = labels_for(rows)
            mu, _ = model.encode(x, y)
            recon = model.decode(mu, y)
            pairs = torch.stack([x, recon], dim=1).reshape(2 * len(x), -1)  # originals and recons interleaved
            image_grid(to_u8(pairs), ncols=16).save(folder / "reconstructions.png")
            written.append("reconstructions.png")
        check()
        if "onnx" in items and not model.conditional:
            if onnx_decoder(DecoderModule(model).eval(), model.latent_dim, folder / "decoder.onnx"):
                written.append("decoder.onnx")
        if "godot" in items:
            written.append(write_godot_decoder(folder, model))
    return written


class DecoderModule(torch.nn.Module):
    """z (n, Z) -> x mean (n, D), as a plain module for torch.onnx.export."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model.decode(z)

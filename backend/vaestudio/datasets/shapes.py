"""Procedural dSprites-style sprites: 64x64 binary images with five known generative factors.

After Matthey et al., "dSprites: Disentanglement testing Sprites dataset" (2017): a white shape on
black, chosen by shape (square, ellipse, heart), scale (6 values from 0.5 to 1), orientation
(`orientations` angles in [0, 2*pi)) and x/y position (`positions` values each). The full factor grid
is 3 * 6 * orientations * positions**2 sprites (184 320 with the defaults); a data set is a random
subset of `n` of them, drawn without replacement from `seed`. The factor ids of each row are exposed
in `Dataset.factors` for disentanglement metrics, and `Dataset.factor_values` says what each id means.

As in dSprites, the square looks the same every quarter turn and the ellipse every half turn, so
orientation is only partly identifiable from the pixels for those shapes.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import torch

from vaestudio.datasets.base import Dataset, make_dataset
from vaestudio.datasets.options import TEST_FRACTION, as_int, check_option, seed_option
from vaestudio.setting import integer

log = logging.getLogger(__name__)

SIZE = 64  # sprites are SIZE x SIZE pixels
SHAPES = ("square", "ellipse", "heart")
SCALES = tuple(float(s) for s in np.linspace(0.5, 1.0, 6))
FACTORS = ("shape", "scale", "orientation", "x", "y")
# At scale 1 every shape, at any angle, fits in a circle of radius ~14 px round its centre; centres
# stay MARGIN px from the edges so no sprite is ever clipped.
MARGIN = 15
SQUARE_HALF_SIDE = 9.5  # px at scale 1: the diagonal half is 13.4 px
ELLIPSE_AXES = (13.0, 6.5)  # semi-axes in px at scale 1: elongated, so its angle shows
HEART_UNIT = 10.0  # px per unit of the heart curve (x^2 + y^2 - 1)^3 = x^2 y^3, which spans ~2.3 units
CHUNK = 1024  # sprites drawn per vectorised step: (CHUNK, 64, 64) float32 temporaries, ~16 MB each

MAX_N = 200_000
SHAPES_OPTIONS = {
    "n": integer(2, MAX_N, "Number of sprites drawn, all different: at most the whole grid of 3 shapes x 6 scales x "
                           "orientations x positions^2."),
    "seed": seed_option("the sprites picked from the grid and of the train/test split"),
    "test_fraction": TEST_FRACTION,
    "orientations": integer(1, 64, "Distinct rotation angles of each shape in [0, 2 pi)."),
    "positions": integer(2, 32, "Distinct positions along each axis."),
}
SHAPES_DESCRIPTION = ("procedural dSprites-style 64x64 sprites (square, ellipse, heart) with ground-truth "
                      "factors shape, scale, orientation, x, y")


def factor_grid(orientations: int = 40, positions: int = 16) -> dict[str, list]:
    """What each factor id means: shape names, scales, angles in radians, positions in [0, 1]."""
    return {
        "shape": list(SHAPES),
        "scale": list(SCALES),
        "orientation": [2 * math.pi * i / orientations for i in range(orientations)],
        "x": [float(v) for v in np.linspace(0.0, 1.0, positions)],
        "y": [float(v) for v in np.linspace(0.0, 1.0, positions)],
    }


def render(shape: np.ndarray, scale: np.ndarray, angle: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Draw sprites from per-row factor values, all (B,): shape id, scale, angle (radians, counter-
    clockwise), centre column and row in pixels. Returns (B, SIZE, SIZE) bool, True = white."""
    rows, cols = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)  # (SIZE, SIZE) each
    dx = cols[None] - cx[:, None, None]  # (B, SIZE, SIZE), pixels right of the centre
    dy = cy[:, None, None] - rows[None]  # (B, SIZE, SIZE), pixels above the centre (y up)
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    s = scale[:, None, None]
    u = (cos * dx + sin * dy) / s  # coordinates in the sprite's own frame, in px at scale 1
    v = (cos * dy - sin * dx) / s
    out = np.zeros(u.shape, dtype=bool)
    k = shape == 0
    out[k] = np.maximum(np.abs(u[k]), np.abs(v[k])) <= SQUARE_HALF_SIDE
    k = shape == 1
    out[k] = (u[k] / ELLIPSE_AXES[0]) ** 2 + (v[k] / ELLIPSE_AXES[1]) ** 2 <= 1.0
    k = shape == 2
    hx, hy = u[k] / HEART_UNIT, v[k] / HEART_UNIT + 0.12  # the curve's y range is [-1, 1.24]: centre it
    out[k] = (hx**2 + hy**2 - 1.0) ** 3 - hx**2 * hy**3 <= 0.0
    return out


def load_shapes(*, n: int = 10_000, seed: int = 0, test_fraction: float = 0.1, orientations: int = 40,
                positions: int = 16) -> Dataset:
    """`n` sprites (64, 64) in {0, 1}, labels = shape id, factors = ids into `factor_grid`."""
    orientations = check_option(SHAPES_OPTIONS, "orientations", orientations)
    positions = check_option(SHAPES_OPTIONS, "positions", positions)
    total = len(SHAPES) * len(SCALES) * orientations * positions**2
    n = as_int("n", n, 2, min(total, MAX_N))  # its Setting states MAX_N; smaller grids hold fewer sprites
    seed = check_option(SHAPES_OPTIONS, "seed", seed)
    test_fraction = check_option(SHAPES_OPTIONS, "test_fraction", test_fraction)

    t0 = time.perf_counter()
    grid = (len(SHAPES), len(SCALES), orientations, positions, positions)
    picked = np.random.default_rng(seed).choice(total, size=n, replace=False)  # (n,) flat grid cells
    ids = dict(zip(FACTORS, np.unravel_index(picked, grid)))  # each (n,) int64
    values = factor_grid(orientations, positions)
    centres = np.linspace(MARGIN, SIZE - 1 - MARGIN, positions, dtype=np.float32)  # pixel coordinates
    scale = np.asarray(SCALES, dtype=np.float32)[ids["scale"]]
    angle = np.asarray(values["orientation"], dtype=np.float32)[ids["orientation"]]
    cx = centres[ids["x"]]
    cy = centres[::-1][ids["y"]]  # y factor counts upwards, like a plot, while rows count down
    x = np.empty((n, SIZE * SIZE), dtype=np.float32)  # (n, 4096)
    for i in range(0, n, CHUNK):
        sl = slice(i, i + CHUNK)
        x[sl] = render(ids["shape"][sl], scale[sl], angle[sl], cx[sl], cy[sl]).reshape(-1, SIZE * SIZE)
    log.info("drew %d shapes sprites in %.2f s", n, time.perf_counter() - t0)

    source = {"name": "shapes", "n": n, "seed": seed, "test_fraction": test_fraction,
              "orientations": orientations, "positions": positions}
    return make_dataset("shapes", x, ids["shape"], (SIZE, SIZE), "bernoulli", source=source,
                        description=SHAPES_DESCRIPTION, test_fraction=test_fraction, seed=seed,
                        factors={k: torch.from_numpy(v.astype(np.int64)) for k, v in ids.items()},
                        num_classes=len(SHAPES), class_names=list(SHAPES), factor_values=values)

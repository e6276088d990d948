"""Anomaly detection: how badly the model explains each row, in nats; higher is more unusual.

The score is the row's negative ELBO (one reparameterised sample, seeded, as `eval` computes it) or,
with iw_samples > 1, its importance-sampled NLL -log p(x) (Burda et al. 2016, eq. 8), a tighter
estimate. A model trained without some class (data option `exclude_labels`) should score that
class's rows higher: with `positive_labels` naming the unusual classes, the ROC AUC and average
precision (scikit-learn) say how well the score separates them (An & Cho 2015 use the
reconstruction probability the same way).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch

from vaestudio.datasets import Dataset
from vaestudio.errors import ConfigError
from vaestudio.models import BaseVAE
from vaestudio.models.base import reparameterize
from vaestudio.usecases.rows import BATCH, Rows, model_labels

MAX_ROC_POINTS = 256


@torch.no_grad()
def scores(model: BaseVAE, rows: Rows, iw_samples: int = 0, seed: int = 0,
           check: Callable[[], None] | None = None) -> np.ndarray:
    """(n,) float32 nats: negative ELBO per row (iw_samples 0 or 1) or IS-NLL with iw_samples
    samples. `check` is called before each batch and may raise to stop (cancelled, out of time)."""
    if iw_samples > 1 and model.name == "vq_vae":
        raise ConfigError("'iw_samples' above 1 needs a model with a continuous posterior; vq_vae has "
                          "none (give 0 for its negative ELBO)")
    gen = torch.Generator().manual_seed(seed)
    y_all = model_labels(model, rows.labels, len(rows))
    batch = BATCH if iw_samples <= 1 else max(1, BATCH // 8)
    out = []
    for s in range(0, len(rows), batch):
        if check is not None:
            check()
        x = rows.x[s: s + batch]  # (B, D)
        y = None if y_all is None else y_all[s: s + batch]
        if iw_samples > 1:
            out.append(model.importance_nll(x, y, k=iw_samples, generator=gen))
            continue
        mu, logvar = model.encode(x, y)  # (B, Z)
        if model.name == "vq_vae":  # no continuous posterior: KL to a uniform prior over K codes
            z, kl = mu, torch.full((len(x),), math.log(model.hparams.codebook_size))
        else:
            z = reparameterize(mu, logvar, gen)
            kl = model.kl_per_example(z, mu, logvar)  # (B,)
        out.append(model.reconstruction_nll(model.decode_logits(z, y), x) + kl)
    return torch.cat(out).numpy().astype(np.float32)


def roc(is_positive: np.ndarray, score: np.ndarray) -> dict:
    """AUC, average precision and the ROC curve (at most MAX_ROC_POINTS points, f32) of a score
    against 0/1 truth; both classes must be present."""
    # Imported here, not at the top: scikit-learn costs ~0.7 s of every `vaestudio serve` start-up
    from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

    fpr, tpr, _ = roc_curve(is_positive, score)
    if len(fpr) > MAX_ROC_POINTS:  # evenly thinned; the ends (0, 0) and (1, 1) stay
        keep = np.unique(np.linspace(0, len(fpr) - 1, MAX_ROC_POINTS).round().astype(int))
        fpr, tpr = fpr[keep], tpr[keep]
    return {"auc": float(roc_auc_score(is_positive, score)),
            "average_precision": float(average_precision_score(is_positive, score)),
            "roc_fpr": fpr.astype(np.float32), "roc_tpr": tpr.astype(np.float32)}


def anomaly(model: BaseVAE, dataset: Dataset, rows: Rows, iw_samples: int = 0,
            positive_labels: list[int] | None = None, seed: int = 0,
            check: Callable[[], None] | None = None) -> dict:
    """Scores for `rows`: {scores (n,) f32, indices (n,) when rows are data-set rows, labels (n,)
    when known}; with positive_labels (data-set rows of a labelled set) also auc, average_precision,
    roc_fpr, roc_tpr."""
    if positive_labels is not None:
        check_positive_labels(dataset, rows, positive_labels)
    result: dict = {"scores": scores(model, rows, iw_samples, seed, check)}
    if rows.indices is not None:
        result["indices"] = rows.indices.astype(np.int32)
    if rows.labels is not None:
        result["labels"] = rows.labels.numpy().astype(np.int32)
    if positive_labels is not None:
        positive = np.isin(result["labels"], positive_labels)
        result.update(roc(positive, result["scores"]))
    return result


def check_positive_labels(dataset: Dataset, rows: Rows, positive_labels: list[int]) -> None:
    if dataset.labels is None:
        raise ConfigError(f"'positive_labels' needs a labelled data set; {dataset.name} has no labels")
    if rows.indices is None:
        raise ConfigError("'positive_labels' works on data-set rows ('indices' or the default test rows), "
                          "not on rows given as 'x', which have no labels")
    bad = [k for k in positive_labels if not 0 <= k < dataset.num_classes]
    if not positive_labels or bad:
        raise ConfigError(f"'positive_labels' must be a non-empty list of class ids from 0 to "
                          f"{dataset.num_classes - 1}, got {positive_labels!r}")
    positive = np.isin(rows.labels.numpy(), positive_labels)
    if positive.all() or not positive.any():
        raise ConfigError("'positive_labels' must mark some of the rows, not none or all of them, "
                          f"for an AUC; the rows' classes are {sorted(set(rows.labels.tolist()))}")

"""Feature learning: how much of the data's structure the posterior means mu carry.

Probes (scikit-learn, fitted on the train split, scored on the asked split):
- `probe_accuracy`: logistic regression on mu (standardised), the linear probe of representation
  learning (e.g. Alain & Bengio 2016; the "linear evaluation" of Chen et al. 2020);
- `probe_accuracy_raw`: the same on the raw inputs, `probe_accuracy_pca`: on a PCA of the raw
  inputs with as many components as the latent has dimensions (the linear baseline of equal width);
- `knn_accuracy`: 5 nearest neighbours on mu, as it stands (no scaling, so inactive dimensions,
  near constant, do not get blown up to unit variance);
- `confusion`: the mu probe's confusion matrix, rows = true class, columns = predicted.
A conditional model encodes each row with its own label, so its mu holds what the label does not
say and its probe accuracy is near chance by design.

Disentanglement, on data sets with ground-truth factors (Dataset.factors; `shapes`, `swiss_roll`),
computed as Locatello et al. 2019 ("Challenging Common Assumptions in the Unsupervised Learning of
Disentangled Representations", ICML) do in disentanglement_lib:
- MIG, the mutual information gap (Chen et al. 2018, "Isolating Sources of Disentanglement in
  VAEs", NeurIPS, eq. 6): each dimension of mu is discretised into 20 equal-width bins; for each
  factor, the gap between the two largest I(mu_j; v_k) (sklearn mutual_info_score, nats) divided by
  the factor's entropy H(v_k), averaged over factors. Continuous factors (swiss_roll's t, height)
  are discretised into 20 bins the same way; a factor with a single value is skipped (H = 0).
- DCI (Eastwood & Williams 2018, "A Framework for the Quantitative Evaluation of Disentangled
  Representations", ICLR): per factor a GradientBoostingClassifier on mu; the absolute feature
  importances form R (codes x factors). Disentanglement = sum over codes of (1 - H_K(R_j.)) weighted
  by each code's share of R; completeness = sum over factors of (1 - H_D(R_.k)) weighted likewise;
  informativeness = the boosted trees' mean test accuracy over factors.

Row caps (so the op answers in seconds on a laptop CPU; the published runs use 10 000 train and
5 000 test rows for MIG and DCI): probes use at most MAX_TRAIN_ROWS / MAX_SCORE_ROWS rows, MIG at
most MIG_ROWS training rows, DCI at most DCI_TRAIN_ROWS / DCI_TEST_ROWS (gradient boosting fits one
tree per class per round, 40 classes for shapes' orientation: ~10-40 s for the five factors at
1 000 rows on one core). Capped rows are the first of each split, whose order is already a seeded
permutation of the data (datasets/base.py split_indices). BLAS runs on one thread here: on a busy
2-core machine OpenBLAS's own threads made the raw-pixel probe 25x slower (36 s against 1.5 s).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from vaestudio.datasets import Dataset
from vaestudio.errors import ConfigError
from vaestudio.models import BaseVAE
from vaestudio.usecases.latents import encode_mu

MAX_TRAIN_ROWS = 10_000  # probes: rows the classifiers are fitted on
MAX_SCORE_ROWS = 5_000  # probes: rows they are scored on
MIG_ROWS = 10_000  # as disentanglement_lib's num_train
DCI_TRAIN_ROWS = 1_000  # disentanglement_lib: 10 000 (many minutes of boosting on 2 cores)
DCI_TEST_ROWS = 500  # disentanglement_lib: 5 000
MIG_BINS = 20  # disentanglement_lib's num_bins
PROBE_MAX_ITER = 2_000  # lbfgs converges on standardised features well before this
KNN_NEIGHBOURS = 5
SEED = 0

Check = Callable[[], None] | None


def features(model: BaseVAE, dataset: Dataset, split: str = "test", check: Check = None) -> dict:
    """The probes (labelled data) and MIG/DCI (data with factors) of `model` on `dataset`; see the
    module docstring. Raises ConfigError for unlabelled data without factors."""
    require_targets(dataset)
    if split not in ("train", "test"):
        raise ConfigError(f"'split' must be \"test\" or \"train\", got {split!r}")
    # scikit-learn, scipy and threadpoolctl are imported by the functions that use them, not at the
    # top: the server imports this module, and they cost ~1 s of every start-up that never probes
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _features(model, dataset, split, check or (lambda: None))


def _features(model: BaseVAE, dataset: Dataset, split: str, tick: Callable[[], None]) -> dict:
    train_rows = dataset.train_idx.numpy()
    score_rows = (train_rows if split == "train" else dataset.test_idx.numpy())
    result: dict = {"split": split}
    if dataset.labels is not None:
        result.update(probes(model, dataset, train_rows[:MAX_TRAIN_ROWS], score_rows[:MAX_SCORE_ROWS], tick))
    if dataset.factors:
        result.update(_disentanglement(model, dataset, tick))
    return result


def disentanglement(model: BaseVAE, dataset: Dataset, check: Check = None) -> dict:
    """{"mig": float, "dci": {disentanglement, completeness, informativeness}} on a data set with
    ground-truth factors (the module docstring says how, and on which rows)."""
    if not dataset.factors:
        raise ConfigError(f"MIG and DCI need ground-truth factors; {dataset.name} has none (shapes, swiss_roll do)")
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _disentanglement(model, dataset, check or (lambda: None))


def _disentanglement(model: BaseVAE, dataset: Dataset, tick: Callable[[], None]) -> dict:
    tick()
    train_rows = dataset.train_idx.numpy()[:MIG_ROWS]
    mu = encode_mu(model, dataset, train_rows, tick)
    factors = factor_codes(dataset, train_rows)
    result = {"mig": mig(mu, factors)}
    tick()
    test = dataset.test_idx.numpy()[:DCI_TEST_ROWS]
    result["dci"] = dci(mu[:DCI_TRAIN_ROWS], factors[:, :DCI_TRAIN_ROWS],
                        encode_mu(model, dataset, test, tick), factor_codes(dataset, test), tick)
    return result


def require_targets(dataset: Dataset) -> None:
    """Raises ConfigError unless the data set has labels (for the probes) or factors (MIG, DCI)."""
    if dataset.labels is None and not dataset.factors:
        raise ConfigError(f"'features' needs a labelled data set or one with ground-truth factors; "
                          f"{dataset.name} has neither (labelled: digits, shapes, moons, circles, files with labels; "
                          "factors: shapes, swiss_roll)")


def probes(model: BaseVAE, dataset: Dataset, train_rows: np.ndarray, score_rows: np.ndarray,
           tick: Callable[[], None]) -> dict:
    """Linear probes on mu, raw inputs and PCA, 5-NN on mu, and the mu probe's confusion matrix."""
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import confusion_matrix
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y_train = dataset.labels.numpy()[train_rows]
    y_score = dataset.labels.numpy()[score_rows]
    classes = dataset.num_classes
    mu_train = encode_mu(model, dataset, train_rows, tick)  # (N_train, Z)
    mu_score = encode_mu(model, dataset, score_rows, tick)  # (N_score, Z)
    x_train, x_score = dataset.x[train_rows].numpy(), dataset.x[score_rows].numpy()  # (N, D)

    def probe(a_train: np.ndarray, a_score: np.ndarray) -> tuple[float, np.ndarray]:
        tick()
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=PROBE_MAX_ITER, random_state=SEED))
        clf.fit(a_train, y_train)
        pred = clf.predict(a_score)
        return float(np.mean(pred == y_score)), pred

    acc_mu, pred_mu = probe(mu_train, mu_score)
    acc_raw, _ = probe(x_train, x_score)
    width = min(model.latent_dim, x_train.shape[1], len(x_train))
    pca = PCA(n_components=width, random_state=SEED).fit(x_train)
    acc_pca, _ = probe(pca.transform(x_train), pca.transform(x_score))
    tick()
    knn = KNeighborsClassifier(n_neighbors=min(KNN_NEIGHBOURS, len(mu_train))).fit(mu_train, y_train)
    acc_knn = float(np.mean(knn.predict(mu_score) == y_score))
    confusion = confusion_matrix(y_score, pred_mu, labels=np.arange(classes)).astype(np.int32)  # (K, K)
    return {"probe_accuracy": acc_mu, "probe_accuracy_raw": acc_raw, "probe_accuracy_pca": acc_pca,
            "knn_accuracy": acc_knn, "confusion": confusion, "classes": classes, "n": len(score_rows),
            "n_train": len(train_rows)}


def factor_codes(dataset: Dataset, rows: np.ndarray) -> np.ndarray:
    """(F, n) int factor ids of `rows`, one row per factor with more than one value; continuous
    factors (floats) discretised into MIG_BINS equal-width bins over all the data's rows."""
    codes = []
    for values in dataset.factors.values():
        v = values.numpy()
        if np.issubdtype(v.dtype, np.floating):
            v = _discretise(v)
        if len(np.unique(v)) > 1:
            codes.append(v[rows])
    if not codes:
        raise ConfigError(f"{dataset.name}'s factors each take a single value; MIG and DCI need one that varies")
    return np.stack(codes).astype(np.int64)


def _discretise(v: np.ndarray) -> np.ndarray:
    """(n,) values -> (n,) bin ids in 0..MIG_BINS-1, equal-width bins over v's range (as
    disentanglement_lib's _histogram_discretize: np.digitize on np.histogram's edges)."""
    edges = np.histogram(v, MIG_BINS)[1]
    return np.digitize(v, edges[:-1]) - 1


def mig(mu: np.ndarray, factors: np.ndarray) -> float:
    """Mutual information gap (Chen et al. 2018, eq. 6), in [0, 1]: mu (n, Z), factors (F, n) ids."""
    from sklearn.metrics import mutual_info_score

    codes = np.stack([_discretise(mu[:, j]) for j in range(mu.shape[1])])  # (Z, n)
    mi = np.array([[mutual_info_score(factors[k], codes[j]) for k in range(len(factors))]
                   for j in range(len(codes))])  # (Z, F) nats
    h = np.array([mutual_info_score(f, f) for f in factors])  # (F,) H(v_k) in nats
    top = np.sort(mi, axis=0)[::-1]  # (Z, F), largest first
    second = top[1] if len(top) > 1 else np.zeros(len(factors))
    return float(np.mean((top[0] - second) / h))


def dci(mu_train: np.ndarray, f_train: np.ndarray, mu_test: np.ndarray, f_test: np.ndarray,
        tick: Callable[[], None]) -> dict:
    """Eastwood & Williams 2018 with disentanglement_lib's gradient-boosted trees: {disentanglement,
    completeness, informativeness} in [0, 1]. mu_* (n, Z), f_* (F, n) factor ids."""
    from scipy.stats import entropy
    from sklearn.ensemble import GradientBoostingClassifier

    z, n_factors = mu_train.shape[1], len(f_train)
    importance = np.zeros((z, n_factors))  # R: codes x factors
    accuracy = []
    for k in range(n_factors):
        tick()
        if len(np.unique(f_train[k])) < 2:  # a factor constant on the capped rows cannot be fitted
            accuracy.append(float(np.mean(f_test[k] == f_train[k][0])))
            continue
        trees = GradientBoostingClassifier(random_state=SEED).fit(mu_train, f_train[k])
        importance[:, k] = np.abs(trees.feature_importances_)
        accuracy.append(float(np.mean(trees.predict(mu_test) == f_test[k])))
    total = importance.sum()
    if total <= 0:  # nothing predicts anything (a collapsed posterior): no structure to credit
        disentanglement = completeness = 0.0
    else:
        per_code = 1.0 - entropy(importance.T + 1e-11, base=n_factors) if n_factors > 1 else np.ones(z)  # (Z,)
        per_factor = 1.0 - entropy(importance + 1e-11, base=z) if z > 1 else np.ones(n_factors)  # (F,)
        disentanglement = float(np.sum(per_code * importance.sum(1) / total))
        completeness = float(np.sum(per_factor * importance.sum(0) / total))
    return {"disentanglement": disentanglement, "completeness": completeness,
            "informativeness": float(np.mean(accuracy))}

"""Ops of the use cases (protocol/README.md §5.4): each reads its arguments, calls the pure function
of vaestudio.usecases on the newest weights and turns numpy into wire arrays.

Quick ones run on the server thread against the inference model (the snapshot of at most 100 ms
ago), so they never wait for a training step; slow ones (anomaly with iw_samples > 1, features,
generation) run as tasks with a time limit, like eval, on a copy of the snapshot.
"""

from __future__ import annotations

import numpy as np

from vaestudio import checks, op_args, ops_inference
from vaestudio.errors import ConfigError, TooLarge
from vaestudio.ops_runs import MAX_IW_SAMPLES, MAX_TIME_LIMIT_S
from vaestudio.session import Session, model_from_snapshot
from vaestudio.tasks import DEFAULT_TIME_LIMIT_S
from vaestudio.trainer import Reply
from vaestudio.usecases import analogy as analogy_case
from vaestudio.usecases import anomaly as anomaly_case
from vaestudio.usecases import compress as compress_case
from vaestudio.usecases import denoise as denoise_case
from vaestudio.usecases import features as features_case
from vaestudio.usecases import generation as generation_case
from vaestudio.usecases import rows as rowsel
from vaestudio.usecases import style as style_case
from vaestudio.wire import array, from_array

ROW_ARGS = ("indices", "x")
MAX_SEED = 2**32 - 1


# ----- denoise, anomaly, compress (helper usecases-a) ---------------------------------------------
def denoise(session: Session, args: dict) -> dict:
    op_args.only(args, (*ROW_ARGS, "noise", "seed"))
    dataset = session.trainer.dataset
    rows = rowsel.from_args(dataset, args)
    if "noise" not in args:
        raise ConfigError("'noise' is required: a map {kind: gaussian|salt_pepper|mask, level: 0 to 1}")
    noise = checks.mapping("'noise'", args["noise"])
    checks.known_keys(noise, ("kind", "level"), "key(s)", " in 'noise'")
    kind = checks.choice("'noise.kind'", noise.get("kind"), denoise_case.NOISE_KINDS)
    level = checks.number("'noise.level'", noise.get("level"), 0.0, 1.0)
    seed = op_args.integer(args, "seed", 0, MAX_SEED, default=0)
    r = denoise_case.denoise(session.inference.model(), dataset, rows, kind, level, seed)
    return {**{k: rowsel.output_array(dataset, r[k]) for k in ("clean", "noisy", "denoised")},
            "psnr_noisy": array(r["psnr_noisy"], "f32"), "psnr_denoised": array(r["psnr_denoised"], "f32"),
            "psnr_noisy_mean": r["psnr_noisy_mean"], "psnr_denoised_mean": r["psnr_denoised_mean"]}


def anomaly(session: Session, args: dict, reply: Reply) -> None:
    """Deferred: iw_samples > 1 runs as a task (time_limit_s); otherwise it answers at once."""
    op_args.only(args, (*ROW_ARGS, "iw_samples", "positive_labels", "seed", "time_limit_s"))
    live = session.trainer
    rows = rowsel.from_args(live.dataset, args)
    k = op_args.integer(args, "iw_samples", 0, MAX_IW_SAMPLES, default=0)
    positive = _label_list(args, "positive_labels")
    seed = op_args.integer(args, "seed", 0, MAX_SEED, default=0)
    limit = op_args.number(args, "time_limit_s", 0.1, MAX_TIME_LIMIT_S, default=DEFAULT_TIME_LIMIT_S)
    if positive is not None:  # bad labels answer now, not from the task
        anomaly_case.check_positive_labels(live.dataset, rows, positive)
    if k <= 1:
        reply(_anomaly_wire(anomaly_case.anomaly(session.inference.model(), live.dataset, rows, k, positive, seed)))
        return
    session.tasks.start(reply, lambda deadline: _anomaly_wire(anomaly_case.anomaly(
        model_from_snapshot(live), live.dataset, rows, k, positive, seed, check=deadline.check)), "anomaly", limit)


def _anomaly_wire(r: dict) -> dict:
    out = {"scores": array(r["scores"], "f32")}
    for key in ("indices", "labels"):
        if key in r:
            out[key] = array(r[key], "i32")
    if "auc" in r:
        out.update(auc=r["auc"], average_precision=r["average_precision"],
                   roc_fpr=array(r["roc_fpr"], "f32"), roc_tpr=array(r["roc_tpr"], "f32"))
    return out


def _label_list(args: dict, name: str) -> list[int] | None:
    """An optional list of class ids: a msgpack list of ints or an i32 wire array [m]."""
    value = args.get(name)
    if value is None:
        return None
    if isinstance(value, dict):
        value = from_array(value, name, "i32").reshape(-1).tolist()
    return sorted(set(checks.int_list(f"'{name}'", value, 0, 2**31 - 1)))


def compress(session: Session, args: dict) -> dict:
    op_args.only(args, (*ROW_ARGS, "bits"))
    dataset = session.trainer.dataset
    rows = rowsel.from_args(dataset, args)
    if "bits" not in args:
        raise ConfigError("'bits' is required: an integer from 1 to 16 (bits per latent dimension)")
    bits = op_args.integer(args, "bits", compress_case.MIN_BITS, compress_case.MAX_BITS)
    snap = session.trainer.snapshot
    model = session.inference.model()  # the weights of snap (or a newer snapshot's; lo, hi go with the codes)
    r = compress_case.compress(model, dataset, rows, bits, _codec_header(session, snap, model))
    return {"codes": r["codes"], "bytes_per_row": r["bytes_per_row"], "raw_bytes_per_row": r["raw_bytes_per_row"],
            "lo": array(r["lo"], "f32"), "hi": array(r["hi"], "f32"),
            "reconstructions": rowsel.output_array(dataset, r["reconstructions"]),
            "psnr": array(r["psnr"], "f32"), "psnr_mean": r["psnr_mean"]}


_headers: dict[int, tuple] = {}  # id(session) -> (weights snapshot, its (lo, hi)): compress's codec header


def _codec_header(session: Session, snap, model) -> tuple:
    """lo, hi for the weights of `snap`, computed once per snapshot: a bits slider asks again and
    again, and encoding the training split is the costly part. The snapshot object itself is the
    key (held here, so a later one cannot be mistaken for it)."""
    cached = _headers.get(id(session))
    if cached is None or cached[0] is not snap:
        cached = _headers[id(session)] = (snap, compress_case.latent_range(model, session.trainer.dataset))
    return cached[1]


# ----- style, analogy, attribute, features, generation (helper usecases-b) -----------------------
def style(session: Session, args: dict) -> dict:
    """Conditional models: each source (data-set rows `indices`, or latents `z` [n, Z]; neither: the
    test split's first rows) decoded as each of `labels` [m] (default: every class)."""
    op_args.only(args, ("indices", "z", "labels"))
    live = session.trainer
    model = session.inference.model()
    style_case.require_conditional(model)
    if args.get("indices") is not None and args.get("z") is not None:
        raise ConfigError(f"give at most one of 'indices' (i32 [n], data-set rows) or 'z' (f32 [n, "
                          f"{live.spec.latent_dim}], latents)")
    if args.get("labels") is None:
        labels = np.arange(model.num_classes)
    else:
        labels = style_case.check_labels(model, from_array(args["labels"], "labels", "i32"))
    if args.get("z") is not None:
        z = op_args.rows(args["z"], "z", live.spec.latent_dim)
    else:
        rows = rowsel.from_args(live.dataset, args)  # indices, or the test split's first rows
        z = style_case.source_latents(model, live.dataset, rows.indices)
    if len(z) * len(labels) > op_args.MAX_ITEMS:
        raise TooLarge(f"'style' would decode {len(z)} sources x {len(labels)} labels = {len(z) * len(labels)} "
                       f"images; at most {op_args.MAX_ITEMS} per request")
    grid = style_case.style_grid(model, live.dataset, z, labels)  # (n, m, D)
    n, m = grid.shape[:2]
    out = rowsel.output(live.dataset, grid.reshape(n * m, -1))
    key = "images" if live.dataset.image_shape else "values"
    return {key: array(out.reshape(n, m, *out.shape[1:]), "u8" if key == "images" else "f32")}


def analogy(session: Session, args: dict) -> dict:
    """a : b :: c : ? as z = mu_c + (mu_b - mu_a), its decode, and the three source rows."""
    op_args.only(args, ("a", "b", "c"))
    dataset = session.trainer.dataset
    picks = []
    for name in ("a", "b", "c"):
        if args.get(name) is None:
            raise ConfigError(f"'{name}' is required: a data-set row from 0 to {dataset.n - 1} "
                              "(analogy a : b :: c : ?)")
        picks.append(op_args.integer(args, name, 0, dataset.n - 1))
    r = analogy_case.analogy(session.inference.model(), dataset, *picks)
    sources = ops_inference.data_get(session, {"indices": array(np.array(picks), "i32")})
    return {"z": array(r["z"], "f32"), **_decoded(dataset, r["decoded"]), "sources": sources}


def attribute(session: Session, args: dict) -> dict:
    """The class-mean difference of mu over the training split: to_label's minus from_label's."""
    op_args.only(args, ("from_label", "to_label"))
    dataset = session.trainer.dataset
    for name in ("from_label", "to_label"):
        if args.get(name) is None:
            raise ConfigError(f"'{name}' is required: a class id (0 to num_classes - 1 of a labelled data set)")
        if isinstance(args[name], float):
            raise ConfigError(f"'{name}' must be an integer class id, got float")
    r = analogy_case.attribute_vector(session.inference.model(), dataset, args["from_label"], args["to_label"])
    return {"vector": array(r["vector"], "f32"), "norm": r["norm"], "counts": r["counts"]}


def features(session: Session, args: dict, reply: Reply) -> None:
    """Deferred: probes, 5-NN, confusion and (factors) MIG/DCI, as a task on a copy of the snapshot."""
    op_args.only(args, ("split", "time_limit_s"))
    live = session.trainer
    split = checks.choice("'split'", args.get("split", "test"), ("test", "train"))
    limit = op_args.number(args, "time_limit_s", 0.1, MAX_TIME_LIMIT_S, default=DEFAULT_TIME_LIMIT_S)
    features_case.require_targets(live.dataset)  # unlabelled data without factors answers now

    def work(deadline) -> dict:
        r = features_case.features(model_from_snapshot(live), live.dataset, split, check=deadline.check)
        if "confusion" in r:
            r["confusion"] = array(r["confusion"], "i32")
        return r

    session.tasks.start(reply, work, "features", limit)


def generation(session: Session, args: dict, reply: Reply) -> None:
    """Deferred: test-split reconstruction PSNR and the diversity of n prior samples, as a task."""
    op_args.only(args, ("n", "seed", "temperature", "time_limit_s"))
    live = session.trainer
    n = op_args.integer(args, "n", generation_case.MIN_SAMPLES, op_args.MAX_ITEMS, default=256)
    seed = op_args.integer(args, "seed", 0, MAX_SEED, default=0)
    temperature = op_args.number(args, "temperature", 1e-3, ops_inference.MAX_TEMPERATURE, default=1.0)
    limit = op_args.number(args, "time_limit_s", 0.1, MAX_TIME_LIMIT_S, default=DEFAULT_TIME_LIMIT_S)
    session.tasks.start(reply, lambda deadline: generation_case.generation(
        model_from_snapshot(live), live.dataset, n, seed, temperature, check=deadline.check), "generation", limit)


def _decoded(dataset, x) -> dict:
    """(n, D) decoder means -> {"images": u8} or {"values": f32}, as decode answers."""
    return {"images" if dataset.image_shape else "values": rowsel.output_array(dataset, x)}

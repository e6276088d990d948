"""Ops of the use cases (protocol/README.md §5.4): each reads its arguments, calls the pure function
of vaestudio.usecases on the newest weights and turns numpy into wire arrays.

Quick ones run on the server thread against the inference model (the snapshot of at most 100 ms
ago), so they never wait for a training step; slow ones (anomaly with iw_samples > 1) run as tasks
with a time limit, like eval, on a copy of the snapshot.
"""

from __future__ import annotations

from vaestudio import checks, op_args
from vaestudio.errors import ConfigError
from vaestudio.ops_runs import MAX_IW_SAMPLES, MAX_TIME_LIMIT_S
from vaestudio.session import Session, model_from_snapshot
from vaestudio.tasks import DEFAULT_TIME_LIMIT_S
from vaestudio.trainer import Reply
from vaestudio.usecases import anomaly as anomaly_case
from vaestudio.usecases import compress as compress_case
from vaestudio.usecases import denoise as denoise_case
from vaestudio.usecases import rows as rowsel
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

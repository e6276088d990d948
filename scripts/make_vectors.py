"""Regenerates protocol/vectors/*.json from the cases listed here.

The hex of every valid case is produced by the reference msgpack library (msgpack-python) and
checked by hand against the msgpack spec; tests in both languages load the JSON, never this file.
Value notation in the JSON (shared by all vector files):
  - a plain JSON number is an integer (it is always integral);
  - {"$f64": x} / {"$f32": x} is a float64 / float32;
  - {"$bin": "hex"} is msgpack bin; {"$int": "decimal"} is an integer beyond 2**53;
  - {"$map": [[k, v], ...]} is a map whose keys are not all strings;
  - {"$ext": [type, "hex"]} is an ext value.
Run:  .venv/bin/python scripts/make_vectors.py
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from pathlib import Path

import msgpack

OUT = Path(__file__).resolve().parent.parent / "protocol" / "vectors"


class F32(float):
    """Marks a float to be packed as msgpack float32."""


def tag(value):
    """Python value -> tagged JSON value (see module docstring)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 else {"$int": str(value)}
    if isinstance(value, F32):
        return {"$f32": float(value)}
    if isinstance(value, float):
        return {"$f64": value}
    if isinstance(value, (bytes, bytearray)):
        return {"$bin": bytes(value).hex()}
    if isinstance(value, msgpack.ExtType):
        return {"$ext": [value.code, value.data.hex()]}
    if isinstance(value, (list, tuple)):
        return [tag(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: tag(v) for k, v in value.items()}
        return {"$map": [[tag(k), tag(v)] for k, v in value.items()]}
    raise TypeError(type(value))


def pack(value) -> bytes:
    def default(obj):
        raise TypeError(obj)

    packer = msgpack.Packer(use_bin_type=True, default=default)
    return _pack_into(packer, value)


def _pack_into(packer, value) -> bytes:
    # msgpack-python has no per-value float32 switch, so F32 values are written by hand.
    if isinstance(value, F32):
        return b"\xca" + struct.pack(">f", value)
    if isinstance(value, msgpack.ExtType):  # a namedtuple: must not be packed as an array
        return packer.pack(value)
    if isinstance(value, (list, tuple)):
        n = len(value)
        head = bytes([0x90 | n]) if n < 16 else (b"\xdc" + struct.pack(">H", n) if n < 65536 else b"\xdd" + struct.pack(">I", n))
        return head + b"".join(_pack_into(packer, v) for v in value)
    if isinstance(value, dict):
        n = len(value)
        head = bytes([0x80 | n]) if n < 16 else (b"\xde" + struct.pack(">H", n) if n < 65536 else b"\xdf" + struct.pack(">I", n))
        return head + b"".join(_pack_into(packer, k) + _pack_into(packer, v) for k, v in value.items())
    return packer.pack(value)


VALID = [
    ("nil", None), ("false", False), ("true", True),
    ("positive fixint 0", 0), ("positive fixint 127", 127),
    ("negative fixint -1", -1), ("negative fixint -32", -32),
    ("uint8 128", 128), ("uint8 255", 255), ("uint16 256", 256), ("uint16 65535", 65535),
    ("uint32 65536", 65536), ("uint32 4294967295", 4294967295),
    ("uint64 4294967296", 4294967296), ("int64 max", 2**63 - 1),
    ("int8 -33", -33), ("int8 -128", -128), ("int16 -129", -129), ("int16 -32768", -32768),
    ("int32 -32769", -32769), ("int32 -2147483648", -2147483648),
    ("int64 -2147483649", -2147483649), ("int64 min", -(2**63)),
    ("float64 0.5", 0.5), ("float64 -1.25", -1.25), ("float64 1e300", 1e300),
    ("float64 0.1", 0.1), ("float32 1.5", F32(1.5)), ("float32 -0.25", F32(-0.25)),
    ("empty str", ""), ("fixstr", "hello"), ("str utf-8", "β-VAE ∞"),
    ("str8 (32 bytes)", "x" * 32), ("str16 (256 bytes)", "y" * 256),
    ("empty bin", b""), ("bin8", bytes(range(5))), ("bin16 (300 bytes)", bytes(i % 256 for i in range(300))),
    ("empty array", []), ("fixarray", [1, "a", None]), ("array16 (16 items)", list(range(16))),
    ("empty map", {}), ("fixmap", {"a": 1, "b": [True, False]}),
    ("map16 (16 pairs)", {f"k{i:02d}": i for i in range(16)}),
    ("map with int keys", {1: "one", -2: "minus two"}),
    ("nested", {"v": 1, "args": {"z": {"dtype": "f32", "shape": [1, 2], "data": struct.pack("<2f", 0.5, -1.0)}}}),
    ("fixext1", msgpack.ExtType(1, b"\x2a")),
    ("ext8", msgpack.ExtType(5, b"abc")),
]

# Non-canonical but valid encodings a decoder MUST accept (value, hex).
ALSO_VALID = [
    ("uint16 holding 1", 1, "cd0001"),
    ("int32 holding -1", -1, "d2ffffffff"),
    ("str8 holding 'a'", "a", "d90161"),
    ("array16 holding [1]", [1], "dc000101"),
    ("map32 holding {}", {}, "df00000000"),
    ("float32 2.0 read as float", F32(2.0), "ca40000000"),
]

INVALID = [
    ("empty input", ""),
    ("reserved byte 0xc1", "c1"),
    ("truncated uint16", "cd00"),
    ("truncated float64", "cb3ff0"),
    ("str8 length past end", "d90561"),
    ("bin32 length past end", "c6ffffffff00"),
    ("array missing items", "9301"),
    ("map missing value", "81a161"),
    ("array32 claiming 2^32-1 items", "ddffffffff"),
    ("map32 claiming 2^32-1 pairs", "dfffffffff"),
    ("trailing bytes after one value", "c0c0"),
    ("invalid utf-8 in str", "a2c328"),
]


def msgpack_vectors():
    valid = [{"description": d, "value": tag(v), "hex": pack(v).hex()} for d, v in VALID]
    for d, v, h in ALSO_VALID:
        assert msgpack.unpackb(bytes.fromhex(h), strict_map_key=False) == v, d
        valid.append({"description": d, "value": tag(v), "hex": h, "canonical": False})
    invalid = [{"description": d, "hex": h} for d, h in INVALID]
    return {
        "description": "msgpack encode/decode vectors. A decoder MUST turn every valid hex into its "
        "value and MUST reject every invalid hex with an error (never crash or loop). An encoder "
        "MUST produce hex for each valid case unless it is marked canonical: false. Values use the "
        "tagged notation of protocol/README.md (Vector notation).",
        "valid": valid,
        "invalid": invalid,
    }


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "msgpack.json").write_text(json.dumps(msgpack_vectors(), indent=1, ensure_ascii=False) + "\n")
    (OUT / "messages.json").write_text(json.dumps(message_vectors(), indent=1, ensure_ascii=False) + "\n")


def f32_array(values, shape):
    return {"dtype": "f32", "shape": list(shape), "data": struct.pack(f"<{len(values)}f", *values)}


def u8_array(values, shape):
    return {"dtype": "u8", "shape": list(shape), "data": bytes(values)}


def trace_layer(name, part, values):
    """A dense layer of a trace reply; its statistics are those of `values` (the whole output)."""
    mean = sum(values) / len(values)
    std = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
    return {"name": name, "part": part, "kind": "linear", "shape": [len(values)], "activation": f32_array(values, [len(values)]),
            "mean": mean, "std": std, "frac_zero": sum(v == 0 for v in values) / len(values)}


def trace_reply():
    """`trace` of digits row 0 (a "0") through a tiny MLP (64 -> 4 -> z 2 -> 4 -> 64). mu, logvar, eps are
    exact float32 values and z is mu + exp(0.5 logvar) eps computed in float32 (numpy), as the server does."""
    ring = [1 if (r in (1, 6) and 2 <= c <= 5) or (c in (2, 5) and 1 <= r <= 6) else 0 for r in range(8) for c in range(8)]
    image = [224 * v for v in ring]  # an 8x8 "0"
    logits = [2.5 if v else -3.0 for v in ring]  # the decoder's last layer (Bernoulli logits)
    recon = [int(round(255 / (1 + math.exp(-v)))) for v in logits]
    kl_per_dim = [0.125, 1.142815113067627]  # -1/2 (1 + logvar - mu^2 - exp(logvar)) in float32
    kl = 0.125 + 1.142815113067627
    return {"v": 1, "id": 40, "ok": True, "result": {
        "run": "vae-digits-20261125-120000-ab12", "step": 1200, "model": "vae", "index": 0, "label": 0,
        "input": u8_array(image, [1, 8, 8]), "recon": u8_array(recon, [1, 8, 8]),
        "layers": [trace_layer("encoder.body.0", "encoder", [0.0, 1.5, 0.25, 3.0]),
                   trace_layer("decoder.body.0", "decoder", [0.5, 0.0, 2.0, 1.0]),
                   trace_layer("decoder.body.2", "decoder", logits)],
        "mu": f32_array([0.5, -1.25], [1, 2]), "logvar": f32_array([0.0, -1.5], [1, 2]),
        "eps": f32_array([0.25, -0.75], [1, 2]), "z": f32_array([0.75, -1.604274868965149], [1, 2]),
        "loss": {"loss": 24.5 + kl, "recon": 24.5, "kl": kl, "kl_per_dim": f32_array(kl_per_dim, [2]), "beta": 1.0}}}


def recons_stream():
    """`recons` of two 8x8 test rows (a "0" and a "1") beside their reconstructions (a little blurred)."""
    zero = [1 if (r in (1, 6) and 2 <= c <= 5) or (c in (2, 5) and 1 <= r <= 6) else 0 for r in range(8) for c in range(8)]
    one = [1 if c == 4 and 1 <= r <= 6 else 0 for r in range(8) for c in range(8)]
    originals = [224 * v for v in zero + one]
    recons = [200 * v + 16 for v in zero + one]
    return {"v": 1, "run": "r0001", "step": 300, "indices": {"dtype": "i32", "shape": [2], "data": struct.pack("<2i", 3, 17)},
            "originals": u8_array(originals, [2, 8, 8]), "recons": u8_array(recons, [2, 8, 8])}


def history_reply():
    """`metrics.history` of a run of 6 steps in 3 buckets of 2 steps: loss 10, 8, 7, 5, 4, 4 at steps 1-6,
    test_loss 6.5 at step 4 only (NaN in the buckets without an evaluation)."""
    nan = float("nan")

    def stats(mean, lo, hi):
        return {"mean": f32_array(mean, [3]), "min": f32_array(lo, [3]), "max": f32_array(hi, [3])}

    return {"v": 1, "id": 50, "ok": True, "result": {
        "run": "vae-digits-20261125-120000-ab12", "first_step": 1, "last_step": 6, "bucket": 2,
        "steps": {"dtype": "i32", "shape": [3], "data": struct.pack("<3i", 2, 4, 6)},
        "series": {"loss": stats([9.0, 6.0, 4.0], [8.0, 5.0, 4.0], [10.0, 7.0, 4.0]),
                   "test_loss": stats([nan, 6.5, nan], [nan, 6.5, nan], [nan, 6.5, nan])}}}


def run_fetch_reply():
    """A 16-byte file fetched in one chunk: data is the whole file, sha256 its hash."""
    data = b"VAE Studio run\n\n"
    return {"v": 1, "id": 111, "ok": True, "result": {"run": "vae-digits-20261125-120000-ab12", "path": "notes.txt", "offset": 0,
                                                      "data": data, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}}


def i32_array(values):
    return {"dtype": "i32", "shape": [len(values)], "data": struct.pack(f"<{len(values)}i", *values)}


def denoise_reply():
    """Two 2x2 grey rows: clean, noisy, denoised, and the PSNR of each against the clean rows."""
    return {"v": 1, "id": 60, "ok": True, "result": {
        "clean": u8_array([0, 255, 255, 0, 255, 255, 0, 0], [2, 2, 2]),
        "noisy": u8_array([64, 200, 230, 40, 180, 255, 90, 10], [2, 2, 2]),
        "denoised": u8_array([16, 240, 236, 20, 240, 250, 24, 8], [2, 2, 2]),
        "psnr_noisy": f32_array([14.5, 12.25], [2]), "psnr_denoised": f32_array([25.5, 26.0], [2]),
        "psnr_noisy_mean": 13.375, "psnr_denoised_mean": 25.75}}


def anomaly_reply():
    """Four test rows, the two of class 0 scored highest: a perfect ranking (AUC 1)."""
    return {"v": 1, "id": 61, "ok": True, "result": {
        "scores": f32_array([40.5, 21.0, 38.25, 19.5], [4]), "indices": i32_array([3, 8, 11, 20]),
        "labels": i32_array([0, 4, 0, 7]), "auc": 1.0, "average_precision": 1.0,
        "roc_fpr": f32_array([0.0, 0.0, 0.0, 1.0], [4]), "roc_tpr": f32_array([0.0, 0.5, 1.0, 1.0], [4])}}


def compress_reply():
    """latent_dim 3, 3 bits: row 0 levels [0, 7, 3] = bits 000 111 011 + 7 zero bits = 0x1d 0x80,
    row 1 levels [5, 2, 6] = 101 010 110 + 7 zero bits = 0xab 0x00; lo/hi the codec's header."""
    return {"v": 1, "id": 63, "ok": True, "result": {
        "codes": bytes([0x1D, 0x80, 0xAB, 0x00]), "bytes_per_row": 2, "raw_bytes_per_row": 4,
        "lo": f32_array([-2.0, -1.0, 0.0], [3]), "hi": f32_array([2.0, 1.0, 4.0], [3]),
        "reconstructions": u8_array([0, 250, 240, 8, 230, 255, 10, 0], [2, 2, 2]),
        "psnr": f32_array([22.5, 18.75], [2]), "psnr_mean": 20.625}}


def style_reply():
    """A cvae on 2x2 images: 2 sources (rows) x 3 labels (columns), each tile 2x2."""
    tiles = [0, 255, 255, 0, 255, 0, 0, 255, 128, 128, 128, 128,
             16, 240, 240, 16, 240, 16, 16, 240, 100, 140, 140, 100]
    return {"v": 1, "id": 71, "ok": True, "result": {"images": u8_array(tiles, [2, 3, 2, 2])}}


def analogy_reply():
    """latent_dim 2: mu_a = [0, 0], mu_b = [1, 0.5], mu_c = [-1, 2] -> z = mu_c + mu_b - mu_a = [0, 2.5]."""
    return {"v": 1, "id": 72, "ok": True, "result": {
        "z": f32_array([0.0, 2.5], [1, 2]), "images": u8_array([10, 200, 220, 30], [1, 2, 2]),
        "sources": {"images": u8_array([0, 255, 255, 0, 255, 255, 0, 0, 0, 0, 255, 255], [3, 2, 2]),
                    "labels": i32_array([1, 7, 1])}}}


def features_reply():
    """shapes (3 classes, 5 factors): the probes on 4 scored rows (one mistake), MIG and DCI."""
    return {"v": 1, "id": 74, "ok": True, "result": {
        "split": "test", "probe_accuracy": 0.75, "probe_accuracy_raw": 0.5, "probe_accuracy_pca": 0.5,
        "knn_accuracy": 1.0, "confusion": {"dtype": "i32", "shape": [3, 3], "data": struct.pack("<9i", 2, 0, 0, 0, 1, 0, 0, 1, 0)},
        "classes": 3, "n": 4, "n_train": 36, "mig": 0.125,
        "dci": {"disentanglement": 0.25, "completeness": 0.375, "informativeness": 0.5}}}


def model_list_reply():
    """`model.list`, abridged to one model, two spec keys, two training keys and one layer type (§5.5)."""
    return {"v": 1, "id": 90, "ok": True, "result": {
        "models": [{"name": "iwae", "description": "Importance Weighted Autoencoder (Burda et al. 2016).", "conditional": False,
                    "params": {"k": {"type": "int", "default": 5, "help": "Importance samples per example during training.",
                                     "min": 1, "max": 5000}}}],
        "spec": {"arch": {"type": "choice", "default": "mlp", "help": "Encoder and decoder networks.",
                          "choices": ["mlp", "conv", "custom"]},
                 "hidden": {"type": "int_list", "default": [256, 128], "help": "Widths of the MLP's hidden layers.",
                            "min": 1, "max": 8192}},
        "train": {"lr": {"type": "float", "default": 0.001, "help": "Learning rate of the optimiser.", "min": 1e-07,
                         "max": 10.0, "live": True},
                  "seed": {"type": "int", "default": 0, "help": "Seed of the weights and the batch order.", "min": 0,
                           "max": 2147483647, "live": False}},
        "layers": {"linear": {"out": {"type": "int", "default": None, "help": "Output features of the layer.", "min": 1,
                                      "max": 8192, "required": True},
                              "bias": {"type": "bool", "default": True, "help": "Add a learned bias to each output."}}}}}


def data_list_reply():
    """`data.list`, abridged to digits with two of its options (§5.5)."""
    return {"v": 1, "id": 91, "ok": True, "result": {"datasets": [{
        "name": "digits", "description": "scikit-learn's bundled 8x8 handwritten digits", "shape": [8, 8], "n": 1797,
        "labels": True, "factors": [],
        "options": {"test_fraction": {"type": "float", "default": 0.1, "help": "Fraction of the rows held out as the test split.",
                                      "min": 0.0, "max": 1.0, "exclusive": True},
                    "binarize": {"type": "float", "default": None, "help": "A threshold applied after scaling.", "min": 0.0,
                                 "max": 1.0, "nullable": True}}}]}}


def model_check_reply():
    """`model.check` of a custom MLP on digits: 64 -> 32 -> z 2 -> 64 (§5.5)."""
    spec = {"name": "vae", "latent_dim": 2, "arch": "custom", "hidden": [256, 128], "channels": [32, 64],
            "encoder": [{"type": "linear", "out": 32}, {"type": "relu"}], "decoder": [{"type": "linear", "out": 64}],
            "image_shape": [8, 8], "input_dim": 64, "likelihood": "bernoulli", "obs_sigma": 0.1, "num_classes": 10,
            "params": {}}
    # encoder 64*32 + 32, heads 2 * (32*2 + 2), decoder 2*64 + 64
    return {"v": 1, "id": 92, "ok": True, "result": {"spec": spec, "parameters": 2080 + 132 + 192,
                                                     "encoder": [["linear", [32]], ["relu", [32]]],
                                                     "decoder": [["linear", [64]]]}}


def data_browse_reply():
    """`data.browse` of folder "mnist" in the first --data-dir folder (§5.5)."""
    return {"v": 1, "id": 94, "ok": True, "result": {"path": "mnist", "parent": ".", "truncated": False, "entries": [
        {"name": "extra", "kind": "dir", "size": 0, "path": "mnist/extra"},
        {"name": "train-images-idx3-ubyte.gz", "kind": "file", "size": 9912422, "path": "mnist/train-images-idx3-ubyte.gz"}]}}


# Whole message bodies: what a client sends or receives, byte for byte.
MESSAGES = [
    ("request", "hello", {"v": 1, "id": 1, "op": "hello", "args": {"client": "godot", "protocol": 1}}),
    ("request", "status", {"v": 1, "id": 2, "op": "status", "args": {}}),
    ("request", "train.step", {"v": 1, "id": 3, "op": "train.step", "args": {"n": 10}}),
    ("request", "config.set", {"v": 1, "id": 4, "op": "config.set", "args": {"lr": 0.0005, "beta": 2.0}}),
    ("request", "decode one 2-D point", {"v": 1, "id": 5, "op": "decode", "args": {"z": f32_array([0.5, -1.0], [1, 2])}}),
    ("request", "encode three rows", {"v": 1, "id": 6, "op": "encode", "args": {"indices": {"dtype": "i32", "shape": [3], "data": struct.pack("<3i", 0, 1, 1796)}}}),
    ("reply", "ok reply", {"v": 1, "id": 2, "ok": True, "result": {"state": "paused", "step": 0}}),
    ("reply", "error reply", {"v": 1, "id": 9, "ok": False, "error": {"code": "unknown_op", "message": "unknown op 'fly'; known ops: hello, status"}}),
    ("reply", "error reply to an undecodable request", {"v": 1, "id": None, "ok": False, "error": {"code": "bad_request", "message": "request body is not valid msgpack"}}),
    ("reply", "decode reply with one 2x2 image", {"v": 1, "id": 5, "ok": True, "result": {"images": {"dtype": "u8", "shape": [1, 2, 2], "data": bytes([0, 64, 128, 255])}}}),
    ("request", "conditional decode with labels", {"v": 1, "id": 7, "op": "decode", "args": {"z": f32_array([0.0, 0.0, 0.0, 0.0], [2, 2]), "labels": {"dtype": "i32", "shape": [2], "data": struct.pack("<2i", 3, 8)}}}),
    ("request", "run.new", {"v": 1, "id": 8, "op": "run.new", "args": {"model": {"name": "beta_vae", "latent_dim": 4, "arch": "conv", "capacity_max": 25.0}, "data": {"name": "shapes", "n": 2000}, "train": {"lr": 0.0005, "kl_warmup": "linear"}, "paused": False}}),
    ("request", "run.load", {"v": 1, "id": 9, "op": "run.load", "args": {"run": "vae-digits-20261125-120000-ab12"}}),
    ("request", "run.export of two items", {"v": 1, "id": 10, "op": "run.export", "args": {"items": ["latents", "samples"]}}),
    ("request", "eval", {"v": 1, "id": 11, "op": "eval", "args": {"split": "test", "iw_samples": 100}}),
    ("reply", "run.list reply", {"v": 1, "id": 12, "ok": True, "result": {"runs": [
        {"run": "iwae-digits-20261125-130000-cd34", "model": "iwae", "data": "digits", "step": 0, "created": "2026-11-25T13:00:00+0000", "updated": "2026-11-25T13:00:00+0000", "checkpoint": False, "live": True},
        {"run": "vae-digits-20261125-120000-ab12", "model": "vae", "data": "digits", "step": 3000, "created": "2026-11-25T12:00:00+0000", "updated": "2026-11-25T12:41:07+0000", "checkpoint": True, "live": False}]}}),
    ("request", "run.fetch: the second 4 MiB chunk of an exported file", {"v": 1, "id": 110, "op": "run.fetch", "args": {"run": "vae-digits-20261125-120000-ab12", "path": "godot/decoder.safetensors", "offset": 4194304, "length": 4194304}}),
    ("reply", "run.fetch reply: a whole 16-byte file in one chunk", run_fetch_reply()),
    ("request", "run.delete", {"v": 1, "id": 112, "op": "run.delete", "args": {"run": "vae-digits-20261125-120000-ab12"}}),
    ("reply", "run.delete reply", {"v": 1, "id": 112, "ok": True, "result": {"run": "vae-digits-20261125-120000-ab12", "deleted": True}}),
    ("reply", "eval reply", {"v": 1, "id": 11, "ok": True, "result": {"split": "test", "n": 180, "elbo": -19.5, "recon": 16.0, "kl": 3.5, "active_units": 2, "per_dim_kl": [1.75, 1.75], "nll": 18.5, "iw_samples": 100, "bits_per_dim": 18.5 / (64 * math.log(2))}}),
    ("reply", "decode reply for vector data", {"v": 1, "id": 13, "ok": True, "result": {"values": f32_array([0.25, -1.5], [1, 2])}}),
    ("request", "eval with a time limit", {"v": 1, "id": 14, "op": "eval", "args": {"iw_samples": 5000, "time_limit_s": 30.0}}),
    ("request", "cancel an earlier request", {"v": 1, "id": 15, "op": "cancel", "args": {"id": 14}}),
    ("reply", "cancel reply", {"v": 1, "id": 15, "ok": True, "result": {"cancelled": True}}),
    ("reply", "a cancelled eval", {"v": 1, "id": 14, "ok": False, "error": {"code": "cancelled", "message": "eval was cancelled"}}),
    ("stream", "metrics", {"v": 1, "run": "r0001", "step": 120, "loss": 31.5, "recon": 28.0, "kl": 3.5}),
    ("stream", "log", {"v": 1, "run": "r0001", "step": 77, "level": "warning", "event": "nan_recovered", "message": "loss was nan at step 77: step skipped, last good weights restored, lr lowered to 0.0005"}),
    ("stream", "latent, two 2-D points (projection dims)", {"v": 1, "run": "r0001", "step": 120, "coords": f32_array([0.0, 1.0, -2.0, 0.25], [2, 2]), "indices": {"dtype": "i32", "shape": [2], "data": struct.pack("<2i", 4, 7)}, "labels": {"dtype": "i32", "shape": [2], "data": struct.pack("<2i", 3, 9)}, "axes": ["z0", "z1"], "projection": "dims", "basis": f32_array([1.0, 0.0, 0.0, 1.0], [2, 2]), "center": f32_array([-1.0, 0.625], [2]), "explained": f32_array([0.5, 0.5], [2]), "scale": f32_array([1.25, 0.5], [2]), "kl_per_dim": f32_array([1.5, 0.25], [2]), "color_by": "label"}),
    ("stream", "latent, two 4-D points on 3 principal components, coloured by loss", {"v": 1, "run": "r0002", "step": 9, "coords": f32_array([0.5, -1.0, 0.0, -0.5, 1.0, 0.0], [2, 3]), "indices": {"dtype": "i32", "shape": [2], "data": struct.pack("<2i", 0, 1)}, "axes": ["PC2", "PC1", "PC3"], "projection": "pca", "basis": f32_array([0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0], [3, 4]), "center": f32_array([0.0, 0.0, 0.0, 0.0], [4]), "explained": f32_array([0.5, 0.5, 0.0], [3]), "scale": f32_array([0.75, 0.75, 0.0, 0.0], [4]), "kl_per_dim": f32_array([2.0, 2.0, 0.0, 0.0], [4]), "color_by": "loss", "color": f32_array([20.5, 31.25], [2])}),
    ("stream", "dims: 4 latent dimensions, 2 active, on 256 rows", {"v": 1, "run": "r0001", "step": 300, "kl_per_dim": f32_array([0.0625, 1.5, 0.0, 2.25], [4]), "kl": 3.8125, "active_units": 2, "rows": 256}),
    ("stream", "recons: 2 test rows of 8x8 digits and their reconstructions", recons_stream()),
    ("stream", "layers: a 3-layer MLP", {"v": 1, "run": "r0001", "step": 300, "names": ["encoder.body.0", "to_mu", "decoder.body.0"], "weight_norm": f32_array([8.5, 1.25, 6.0], [3]), "grad_norm": f32_array([0.5, 2.0, 0.25], [3]), "grad_norm_total": 2.0766559657295187}),
    ("stream", "eval: the test split at step 500", {"v": 1, "run": "r0001", "step": 500, "split": "test", "n": 180, "elbo": -24.5, "recon": 21.25, "kl": 3.25}),
    ("stream", "log: posterior collapse warning", {"v": 1, "run": "r0001", "step": 900, "level": "warning", "event": "collapse", "message": "Posterior collapse at step 900: no latent dimension is active any more (the encoder's means no longer change with the input, so the decoder ignores z). Try a KL warm-up (kl_warmup linear), free bits (free_bits 0.1 to 0.5) or a lower beta."}),
    ("request", "config.set: a test-split evaluation every 500 steps", {"v": 1, "id": 27, "op": "config.set", "args": {"eval_every": 500}}),
    ("request", "data.get two rows", {"v": 1, "id": 24, "op": "data.get", "args": {"indices": {"dtype": "i32", "shape": [2], "data": struct.pack("<2i", 0, 5)}}}),
    ("request", "latent.view: dimensions 5 and 7, coloured by z5", {"v": 1, "id": 25, "op": "latent.view", "args": {"projection": "dims", "dims": [5, 7], "color": "z5"}}),
    ("request", "sample at temperature 0.5", {"v": 1, "id": 26, "op": "sample", "args": {"n": 16, "seed": 3, "temperature": 0.5}}),
    ("request", "trace of data-set row 0 at seed 0", {"v": 1, "id": 40, "op": "trace", "args": {"index": 0, "seed": 0}}),
    ("reply", "trace reply, digits MLP", trace_reply()),
    ("request", "metrics.history of the live run in at most 3 buckets", {"v": 1, "id": 50, "op": "metrics.history", "args": {"since_step": 0, "max_points": 3}}),
    ("reply", "metrics.history reply, 3 buckets of loss and test_loss", history_reply()),
    # use cases (protocol/README.md §5.4)
    ("request", "denoise two rows, gaussian noise at level 0.3, seed 1", {"v": 1, "id": 60, "op": "denoise", "args": {"indices": i32_array([0, 5]), "noise": {"kind": "gaussian", "level": 0.3}, "seed": 1}}),
    ("reply", "denoise reply, two 2x2 images", denoise_reply()),
    ("request", "anomaly of the default test rows, class 0 unusual", {"v": 1, "id": 61, "op": "anomaly", "args": {"positive_labels": [0]}}),
    ("reply", "anomaly reply, 4 rows with labels, AUC and ROC", anomaly_reply()),
    ("request", "anomaly of two rows given as x, importance-sampled", {"v": 1, "id": 62, "op": "anomaly", "args": {"x": f32_array([0.0, 1.0, 0.5, 0.25], [2, 2]), "iw_samples": 100, "time_limit_s": 30.0}}),
    ("reply", "anomaly reply for rows given as x: scores only", {"v": 1, "id": 62, "ok": True, "result": {"scores": f32_array([3.5, 12.25], [2])}}),
    ("request", "compress two rows at 3 bits", {"v": 1, "id": 63, "op": "compress", "args": {"indices": i32_array([0, 5]), "bits": 3}}),
    ("reply", "compress reply, 2 rows, latent_dim 3 at 3 bits: levels [0, 7, 3] and [5, 2, 6]", compress_reply()),
    ("request", "style: rows 0 and 5 as classes 0, 1 and 2", {"v": 1, "id": 71, "op": "style", "args": {"indices": i32_array([0, 5]), "labels": i32_array([0, 1, 2])}}),
    ("reply", "style reply, 2 sources x 3 labels of 2x2 images", style_reply()),
    ("request", "analogy: row 3 is to row 8 as row 11 is to ?", {"v": 1, "id": 72, "op": "analogy", "args": {"a": 3, "b": 8, "c": 11}}),
    ("reply", "analogy reply, latent_dim 2, one 2x2 image and its three sources", analogy_reply()),
    ("request", "attribute: from class 1 to class 7", {"v": 1, "id": 73, "op": "attribute", "args": {"from_label": 1, "to_label": 7}}),
    ("reply", "attribute reply, latent_dim 2", {"v": 1, "id": 73, "ok": True, "result": {"vector": f32_array([0.75, -1.0], [2]), "norm": 1.25, "counts": [162, 159]}}),
    ("request", "features of the test split", {"v": 1, "id": 74, "op": "features", "args": {"split": "test", "time_limit_s": 120.0}}),
    ("reply", "features reply, shapes: probes, confusion, MIG and DCI", features_reply()),
    ("reply", "features reply, swiss_roll (factors, no labels): MIG and DCI only", {"v": 1, "id": 75, "ok": True, "result": {"split": "test", "mig": 0.25, "dci": {"disentanglement": 0.5, "completeness": 0.5, "informativeness": 0.25}}}),
    ("request", "generation: 256 samples at temperature 1, seed 0", {"v": 1, "id": 76, "op": "generation", "args": {"n": 256, "seed": 0, "temperature": 1.0}}),
    ("reply", "generation reply", {"v": 1, "id": 76, "ok": True, "result": {"recon_psnr": 18.5, "diversity": 0.75, "sample_diversity": 0.28125, "data_diversity": 0.375, "n": 256, "n_data": 180, "n_recon": 180}}),
    # settings (protocol/README.md §5.5)
    ("reply", "model.list reply, abridged: one model, its Param, spec, train and layer Params", model_list_reply()),
    ("reply", "data.list reply, abridged: digits with two options", data_list_reply()),
    ("request", "model.check of a custom MLP on the live data", {"v": 1, "id": 92, "op": "model.check", "args": {"model": {"arch": "custom", "encoder": [{"type": "linear", "out": 32}, {"type": "relu"}], "decoder": [{"type": "linear", "out": 64}]}}}),
    ("reply", "model.check reply: normalised spec, parameter count, layer shapes", model_check_reply()),
    ("request", "data.browse of the --data-dir folders", {"v": 1, "id": 93, "op": "data.browse", "args": {}}),
    ("reply", "data.browse reply: the --data-dir folders", {"v": 1, "id": 93, "ok": True, "result": {"path": "", "parent": None, "truncated": False, "entries": [{"name": "data", "kind": "dir", "size": 0, "path": "."}]}}),
    ("request", "data.browse of a folder", {"v": 1, "id": 94, "op": "data.browse", "args": {"path": "mnist"}}),
    ("reply", "data.browse reply: a folder and a file", data_browse_reply()),
]

# Requests a server MUST answer with exactly one error reply of this code (and keep running).
BAD_REQUESTS = [
    ("not msgpack", "c1", "bad_request", None),
    ("msgpack but not a map", "93010203", "bad_request", None),
    ("map without op", pack({"v": 1, "id": 7, "args": {}}).hex(), "bad_request", 7),
    ("wrong protocol version", pack({"v": 2, "id": 8, "op": "status", "args": {}}).hex(), "bad_request", 8),
    ("args not a map", pack({"v": 1, "id": 9, "op": "status", "args": [1]}).hex(), "bad_request", 9),
    ("unknown op", pack({"v": 1, "id": 10, "op": "fly", "args": {}}).hex(), "unknown_op", 10),
    ("decode with z as a list of numbers", pack({"v": 1, "id": 11, "op": "decode", "args": {"z": [[0.0, 0.0]]}}).hex(), "invalid_argument", 11),
    ("decode with z of the wrong width", pack({"v": 1, "id": 12, "op": "decode", "args": {"z": f32_array([0.0] * 3, [1, 3])}}).hex(), "invalid_argument", 12),
    ("decode with data shorter than its shape", pack({"v": 1, "id": 13, "op": "decode", "args": {"z": {"dtype": "f32", "shape": [4, 2], "data": b"\x00" * 8}}}).hex(), "invalid_argument", 13),
    ("config.set with a negative lr", pack({"v": 1, "id": 14, "op": "config.set", "args": {"lr": -1.0}}).hex(), "invalid_argument", 14),
    ("train.step with n as a string", pack({"v": 1, "id": 15, "op": "train.step", "args": {"n": "5"}}).hex(), "invalid_argument", 15),
    ("sample beyond the size limit", pack({"v": 1, "id": 16, "op": "sample", "args": {"n": 100000}}).hex(), "too_large", 16),
    ("run.load with a name that leaves the runs folder", pack({"v": 1, "id": 17, "op": "run.load", "args": {"run": "../secrets"}}).hex(), "invalid_argument", 17),
    ("run.export with an unknown item", pack({"v": 1, "id": 18, "op": "run.export", "args": {"items": ["weights.pkl"]}}).hex(), "invalid_argument", 18),
    ("eval of an unknown split", pack({"v": 1, "id": 19, "op": "eval", "args": {"split": "validation"}}).hex(), "invalid_argument", 19),
    ("run.fetch of a path that leaves the run folder", pack({"v": 1, "id": 113, "op": "run.fetch", "args": {"run": "vae-digits-20261125-120000-ab12", "path": "../../secrets.txt"}}).hex(), "invalid_argument", 113),
    ("run.fetch of a chunk beyond 4 MiB", pack({"v": 1, "id": 114, "op": "run.fetch", "args": {"run": "vae-digits-20261125-120000-ab12", "path": "config.json", "length": 4194305}}).hex(), "invalid_argument", 114),
    ("run.delete without a run", pack({"v": 1, "id": 115, "op": "run.delete", "args": {}}).hex(), "invalid_argument", 115),
    ("run.new with an unknown model", pack({"v": 1, "id": 20, "op": "run.new", "args": {"model": {"name": "gan"}}}).hex(), "invalid_argument", 20),
    ("cancel without an id", pack({"v": 1, "id": 22, "op": "cancel", "args": {}}).hex(), "invalid_argument", 22),
    ("eval with a time limit out of range", pack({"v": 1, "id": 23, "op": "eval", "args": {"time_limit_s": 0.0}}).hex(), "invalid_argument", 23),
    ("data.get beyond the last row", pack({"v": 1, "id": 27, "op": "data.get", "args": {"indices": {"dtype": "i32", "shape": [1], "data": struct.pack("<i", 999999)}}}).hex(), "invalid_argument", 27),
    ("latent.view with an unknown projection", pack({"v": 1, "id": 28, "op": "latent.view", "args": {"projection": "tsne"}}).hex(), "invalid_argument", 28),
    ("sample at temperature 0", pack({"v": 1, "id": 29, "op": "sample", "args": {"n": 4, "temperature": 0.0}}).hex(), "invalid_argument", 29),
    ("metrics.history with max_points beyond 4096", pack({"v": 1, "id": 51, "op": "metrics.history", "args": {"max_points": 5000}}).hex(), "invalid_argument", 51),
    ("metrics.history of an unknown run", pack({"v": 1, "id": 52, "op": "metrics.history", "args": {"run": "no-such-run"}}).hex(), "invalid_argument", 52),
    ("trace with neither index nor x", pack({"v": 1, "id": 41, "op": "trace", "args": {"seed": 1}}).hex(), "invalid_argument", 41),
    ("style on a model that is not conditional", pack({"v": 1, "id": 77, "op": "style", "args": {"indices": i32_array([0]), "labels": i32_array([1])}}).hex(), "invalid_argument", 77),
    ("analogy without c", pack({"v": 1, "id": 78, "op": "analogy", "args": {"a": 0, "b": 1}}).hex(), "invalid_argument", 78),
    ("attribute with a class beyond the last", pack({"v": 1, "id": 79, "op": "attribute", "args": {"from_label": 0, "to_label": 10}}).hex(), "invalid_argument", 79),
    ("features of an unknown split", pack({"v": 1, "id": 80, "op": "features", "args": {"split": "validation"}}).hex(), "invalid_argument", 80),
    ("generation of a single sample", pack({"v": 1, "id": 81, "op": "generation", "args": {"n": 1}}).hex(), "invalid_argument", 81),
    ("model.check with a decoder that does not fit the data", pack({"v": 1, "id": 95, "op": "model.check", "args": {"model": {"arch": "custom", "encoder": [{"type": "linear", "out": 8}], "decoder": [{"type": "linear", "out": 16}, {"type": "unflatten", "shape": [1, 4, 4]}, {"type": "linear", "out": 64}]}}}).hex(), "invalid_argument", 95),
    ("model.check with an unknown layer type", pack({"v": 1, "id": 96, "op": "model.check", "args": {"model": {"arch": "custom", "encoder": [{"type": "attention"}], "decoder": [{"type": "linear", "out": 64}]}}}).hex(), "invalid_argument", 96),
    ("data.browse out of the data folders", pack({"v": 1, "id": 97, "op": "data.browse", "args": {"path": "../.."}}).hex(), "invalid_argument", 97),
    ("data.browse of an absolute path elsewhere", pack({"v": 1, "id": 98, "op": "data.browse", "args": {"path": "/etc"}}).hex(), "invalid_argument", 98),
    ("labels for a model that is not conditional", pack({"v": 1, "id": 21, "op": "decode", "args": {"z": f32_array([0.0, 0.0], [1, 2]), "labels": {"dtype": "i32", "shape": [1], "data": struct.pack("<i", 0)}}}).hex(), "invalid_argument", 21),
]


def message_vectors():
    return {
        "description": "Whole message bodies of wire contract v1 (protocol/README.md). `messages`: "
        "a decoder MUST turn hex into value; an encoder writing value MUST produce hex. "
        "`bad_requests`: a server MUST answer each hex body with exactly one error reply whose "
        "error.code is `code` and whose id is `id` (null when no id could be read).",
        "messages": [{"kind": k, "description": d, "value": tag(v), "hex": pack(v).hex()} for k, d, v in MESSAGES],
        "bad_requests": [{"description": d, "hex": h, "code": c, "id": i} for d, h, c, i in BAD_REQUESTS],
    }


if __name__ == "__main__":
    main()

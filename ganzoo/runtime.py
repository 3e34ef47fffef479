"""Torch-free ONNX runtime for exported ganzoo generators: numpy + onnxruntime only.

    from ganzoo.runtime import OnnxGenerator
    gen = OnnxGenerator("generator.onnx")
    images = gen.sample(16, seed=0)            # float32 (16, C, H, W) in [0, 1]
    images = gen.sample(8, labels="Sneaker")   # conditional models

This module must not import torch (a test enforces it). It also works copied alone into an app;
the input checks here are the ones `ganzoo.load(...).sample` uses, so both accept the same input.
"""
from __future__ import annotations

import json
import os
import re
from typing import Sequence

import numpy as np

try:
    from .errors import GanzooError, LabelError, escaped
    from .registry import did_you_mean
except ImportError:  # runtime.py copied alone into an app: the same names, as plain ValueErrors

    class GanzooError(ValueError):  # type: ignore[no-redef]
        pass

    class LabelError(GanzooError):  # type: ignore[no-redef]
        pass

    def escaped(text):  # type: ignore[no-redef]
        return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(text))

    def did_you_mean(name, choices, n=3, cutoff=0.6):  # type: ignore[no-redef]
        import difflib

        close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=n, cutoff=cutoff)
        return f" Did you mean: {', '.join(map(escaped, close))}?" if close else ""


class OnnxGeneratorError(GanzooError):
    """A bad ONNX file, provider or input."""


MAX_SEED = 2**64  # torch's and numpy's seeds both take any int in [0, 2**64)


def check_seed(seed) -> int | None:
    """None or an int in [0, 2**64) (numpy ints too); anything else is an error."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < MAX_SEED:
        raise GanzooError(f"seed must be an int in [0, 2**64), got {seed!r}")
    return int(seed)


def check_truncation(truncation) -> float | None:
    """None or a positive finite number."""
    if truncation is not None and (isinstance(truncation, bool) or not isinstance(truncation, (int, float))
                                   or not 0 < truncation < float("inf")):
        raise GanzooError(f"truncation must be a positive number (e.g. 0.7), got {truncation!r}")
    return None if truncation is None else float(truncation)


def check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise GanzooError(f"n must be a positive int, got {n!r}")
    return int(n)


def nonfinite_error(bad: int, total: int) -> GanzooError:
    return GanzooError(f"z holds {bad} NaN or infinite value(s) out of {total}; latents must be finite "
                       "(standard-normal draws, e.g. from sample_latent).")


def label_indices(labels, n: int, class_names: Sequence[str], source: str = "this model") -> np.ndarray | None:
    """Class indices (n,) for labels given as None (balanced 0, 1, ..., K-1, 0, ...), one int or class
    name for all, or one per sample (list, numpy array or tensor). Floats and bools are refused, not
    truncated; numpy ints are ints."""
    k = len(class_names)
    if not k:
        if labels is not None:
            raise LabelError(f"{source} is unconditional: it takes no labels. Drop `labels`, or load a "
                             "conditional model such as cgan-mnist.")
        return None
    if labels is None:
        return np.arange(n, dtype=np.int64) % k
    if hasattr(labels, "tolist") and not isinstance(labels, np.generic):  # numpy arrays, torch tensors
        if getattr(labels, "ndim", 1) > 1:
            raise LabelError(f"labels must be one value or a flat sequence, got shape {tuple(labels.shape)}")
        labels = labels.tolist()
    if isinstance(labels, (str, int, np.integer, float, np.floating)):
        labels = [labels] * n
    labels = list(labels)
    if len(labels) != n:
        raise LabelError(f"got {len(labels)} labels for {n} samples; give one label or exactly {n}.")
    return np.asarray([_label_index(v, class_names) for v in labels], dtype=np.int64)


def int_label(text: str) -> int | None:
    """The int a label or class string spells in ASCII digits ('7', ' 7 ', '-1'), else None (a class name).
    Not str.isdigit() with int(): isdigit is True for '³', which int() refuses, and int() reads '٣' and '７'
    as 3 and 7; a label is a class name or plain digits, nothing in between."""
    t = text.strip()
    if not re.fullmatch(r"-?[0-9]+", t):
        return None
    if len(t) > 30:  # int() refuses over 4300 digits; any such label is out of range anyway
        raise LabelError(f"label {t[:12]}... ({len(t)} digits) is not a class index; give an int such as 0.")
    return int(t)


def _label_index(label, class_names: Sequence[str]) -> int:
    k = len(class_names)
    if isinstance(label, str):
        if label in class_names:
            return list(class_names).index(label)
        index = int_label(label)
        if index is None:
            raise LabelError(f"unknown class name {label!r}.{did_you_mean(label, class_names, n=2)} "
                             f"Valid: {', '.join(map(escaped, class_names))} "
                             f"(or an int 0..{k - 1}).")
        label = index
    if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)):
        raise LabelError(f"labels must be ints or class names, got {label!r} ({type(label).__name__})")
    # onnxruntime's Gather wraps negative indices to the end: a -1 would silently give the last class
    if not 0 <= label < k:
        raise LabelError(f"label {label} is out of range: this model has {k} classes, 0..{k - 1} "
                         f"({', '.join(map(escaped, class_names))}).")
    return int(label)


# -- the portable latent generator ---------------------------------------------------------------
PHILOX_M = (0xD2511F53, 0xCD9E8D57)  # Philox4x32 multipliers
PHILOX_W = (0x9E3779B9, 0xBB67AE85)  # Philox4x32 key increments (Weyl sequence)
TRUNCATION_ROUNDS = 1000  # draws per entry before truncation gives up and clamps
_CHUNK_BLOCKS = 1 << 14  # Philox blocks per numpy pass: temporaries stay in cache (fastest), any n


def philox4x32(c0, c1, c2, c3, k0: int, k1: int) -> tuple[np.ndarray, ...]:
    """Philox4x32-10 (Salmon et al., SC'11; Random123's philox4x32_10) on uint32 arrays: counter words
    c0..c3 (arrays or ints, broadcast), key words k0, k1 -> four uint32 arrays."""
    shape = np.broadcast_shapes(*(np.shape(c) for c in (c0, c1, c2, c3)))
    # uint64 words holding 32-bit values: one multiply gives the full product (hi and lo words), and the
    # in-place ufuncs avoid a temporary per step (8x faster than casting back and forth)
    c0, c1, c2, c3 = (np.array(np.broadcast_to(np.asarray(c, dtype=np.uint64), shape)) for c in (c0, c1, c2, c3))
    p0, p1 = np.empty_like(c0), np.empty_like(c0)
    m0, m1, low, s32 = np.uint64(PHILOX_M[0]), np.uint64(PHILOX_M[1]), np.uint64(0xFFFFFFFF), np.uint64(32)
    for _ in range(10):
        np.multiply(c0, m0, out=p0)
        np.multiply(c2, m1, out=p1)
        np.right_shift(p1, s32, out=c0)  # c0 <- hi(p1) ^ c1 ^ k0
        c0 ^= c1
        c0 ^= np.uint64(k0)
        np.bitwise_and(p1, low, out=c1)  # c1 <- lo(p1)
        np.right_shift(p0, s32, out=c2)  # c2 <- hi(p0) ^ c3 ^ k1
        c2 ^= c3
        c2 ^= np.uint64(k1)
        np.bitwise_and(p0, low, out=c3)  # c3 <- lo(p0)
        k0, k1 = (k0 + PHILOX_W[0]) & 0xFFFFFFFF, (k1 + PHILOX_W[1]) & 0xFFFFFFFF
    return tuple(c.astype(np.uint32) for c in (c0, c1, c2, c3))


def _normal_blocks(seed: int, blocks: np.ndarray, rnd: int) -> np.ndarray:
    """(len(blocks), 4) float32: the four normals of each block (uint64 block numbers) in round rnd."""
    x = philox4x32(blocks & np.uint64(0xFFFFFFFF), blocks >> np.uint64(32), rnd, 0, seed & 0xFFFFFFFF, seed >> 32)
    out = np.empty((len(blocks), 4), dtype=np.float32)
    for lane, a, b in ((0, x[0], x[1]), (2, x[2], x[3])):
        # the float64 steps exactly as written in the spec (and in web/src/latent.js): same rounding everywhere
        r = np.sqrt(-2.0 * np.log((a + 0.5) / 4294967296.0))  # (a + 0.5) / 2**32 is in (0, 1): never log(0)
        theta = (2.0 * np.pi) * ((b + 0.5) / 4294967296.0)
        out[:, lane] = r * np.cos(theta)
        out[:, lane + 1] = r * np.sin(theta)
    return out


def sample_latent(n: int, latent_dim: int, seed: int | None = None, truncation: float | None = None) -> np.ndarray:
    """n standard-normal latents (n, latent_dim), float32: ganzoo's one portable latent generator.

    The same seed gives the same latents in torch (`GANModel.sample_latent`), here (`OnnxGenerator`) and
    in JavaScript (web/src/latent.js: the browser page and web/node-example.mjs). The spec:

    - Entry (row, col) is number i = row * latent_dim + col of the seed's stream, so the first rows
      do not depend on n. Entry i is lane i % 4 of block b = i // 4.
    - Block b in round r: Philox4x32-10 with key (seed & 0xFFFFFFFF, seed >> 32) and counter
      (b & 0xFFFFFFFF, b >> 32, r, 0) gives four uint32 words x0..x3.
    - Box-Muller in float64 on the pairs (x0, x1) -> lanes 0, 1 and (x2, x3) -> lanes 2, 3:
      u = (x + 0.5) / 2**32 (never 0), rad = sqrt(-2 * log(u_first)), theta = (2 * pi) * u_second;
      lane 0 (or 2) = rad * cos(theta), lane 1 (or 3) = rad * sin(theta); then rounded to float32.
    - truncation t: an entry with |z| > t (z the float32, compared in float64) is redrawn as entry i
      of round 1, 2, ... (round 0 is the first draw) until |z| <= t; after round 999 it is clamped
      to the float32 nearest to +-t.

    seed=None draws a fresh seed from the OS: random, not reproducible.
    """
    n, seed, t = check_n(n), check_seed(seed), check_truncation(truncation)
    latent_dim = check_n(latent_dim)
    if seed is None:
        seed = int.from_bytes(os.urandom(8), "little")
    count = n * latent_dim
    z = np.empty(count, dtype=np.float32)
    nblocks = -(-count // 4)
    for b0 in range(0, nblocks, _CHUNK_BLOCKS):
        blocks = np.arange(b0, min(b0 + _CHUNK_BLOCKS, nblocks), dtype=np.uint64)
        z[4 * b0:4 * b0 + 4 * len(blocks)] = _normal_blocks(seed, blocks, 0).reshape(-1)[:count - 4 * b0]
    if t is not None:
        bad = np.flatnonzero(np.abs(z) > np.float64(t))  # a float64 scalar: compared in float64, not float32
        for rnd in range(1, TRUNCATION_ROUNDS):
            if not bad.size:
                break
            redraw = _normal_blocks(seed, (bad // 4).astype(np.uint64), rnd)[np.arange(bad.size), bad % 4]
            z[bad] = redraw
            bad = bad[np.abs(redraw) > np.float64(t)]
        lim = np.float32(t)
        np.clip(z, -lim, lim, out=z)
    return z.reshape(n, latent_dim)


class OnnxGenerator:
    def __init__(self, path: str | os.PathLike, *, providers: Sequence[str] | None = None,
                 intra_op_threads: int | None = None):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        # Don't spin idle threads: the runtime often shares a process (and cores) with torch or a web server.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.inter_op_num_threads = 1
        if intra_op_threads:
            opts.intra_op_num_threads = intra_op_threads
        if not os.path.isfile(path):
            raise OnnxGeneratorError(f"ONNX file {path} not found; export one with `ganzoo export NAME -o {path}`")
        available = ort.get_available_providers()
        providers = list(providers) if providers else ["CPUExecutionProvider"]
        missing = [p for p in providers if p not in available]
        if missing:
            raise OnnxGeneratorError(f"onnxruntime providers {missing} are not available here; available: {available}. "
                                     "For CUDA install onnxruntime-gpu.")
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=providers)
        except Exception as e:  # noqa: BLE001 - onnxruntime raises its own exception types
            raise OnnxGeneratorError(f"{path} is not a valid ONNX model ({e})") from e
        meta = self.session.get_modelmeta().custom_metadata_map
        if "latent_dim" not in meta:
            raise OnnxGeneratorError(f"{path} has no ganzoo metadata; export it with `ganzoo export`.")
        self.metadata = dict(meta)
        self.latent_dim = int(meta["latent_dim"])
        self.image_shape = tuple(json.loads(meta["image_shape"]))
        self.num_classes = int(meta.get("num_classes", 0))
        self.class_names = json.loads(meta.get("class_names", "[]"))
        self.output_format = meta.get("output_format", "")
        self.precision = meta.get("precision", "fp32")  # fp32 | fp16 | int8 (ganzoo export --fp16/--quantize)
        self.input_names = [i.name for i in self.session.get_inputs()]

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    def sample_latent(self, n: int, seed: int | None = None, truncation: float | None = None) -> np.ndarray:
        """Standard-normal latents (n, latent_dim), float32: the same numbers as ganzoo.load(...).sample_latent
        and the JavaScript examples give for the seed (see `sample_latent` in this module)."""
        return sample_latent(n, self.latent_dim, seed, truncation)

    def labels_array(self, labels, n: int) -> np.ndarray | None:
        y = label_indices(labels, n, self.class_names if self.conditional else [], "this generator")
        return None if y is None else np.asarray(y, dtype=np.int64)

    def generate(self, z: np.ndarray, labels=None) -> np.ndarray:
        z = np.asarray(z)
        if z.dtype != np.float32:
            if not np.issubdtype(z.dtype, np.floating):
                raise OnnxGeneratorError(f"z must be float32, got {z.dtype}")
            z = z.astype(np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise OnnxGeneratorError(f"z must have shape (batch, {self.latent_dim}), got {z.shape}")
        bad = int(z.size - np.isfinite(z).sum())
        if bad:
            raise nonfinite_error(bad, z.size)
        if self.conditional and labels is None:
            raise OnnxGeneratorError(f"this generator is conditional: pass labels (ints 0..{self.num_classes - 1} "
                                     f"or class names {self.class_names})")
        feeds = {"z": z}
        y = self.labels_array(labels, z.shape[0])
        if y is not None:
            feeds["labels"] = y
        return self.session.run(None, feeds)[0]

    def sample(self, n: int, labels=None, seed: int | None = None, truncation: float | None = None) -> np.ndarray:
        """n images; conditional models without labels get balanced labels 0, 1, ..., K-1, 0, ...
        The same seed gives the same images as ganzoo.load(...).sample (to float tolerance)."""
        n = check_n(n)
        y = self.labels_array(labels, n)
        return self.generate(self.sample_latent(n, seed, truncation), y)

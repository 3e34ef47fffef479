"""Torch-free ONNX runtime for exported ganzoo generators: numpy + onnxruntime only.

    from ganzoo.runtime import OnnxGenerator
    gen = OnnxGenerator("generator.onnx")
    images = gen.sample(16, seed=0)            # float32 (16, C, H, W) in [0, 1]
    images = gen.sample(8, labels="Sneaker")   # conditional models

A style-based generator (StyleGAN2) also exports a w file (ws -> images) and a mapping file (z -> ws): with both,
`OnnxGenerator("map.onnx").sample_ws(4, seed=0, psi=0.7)` and then `OnnxGenerator("w.onnx").generate(ws)`.

This module must not import torch (a test enforces it). It also works copied alone into an app;
the input checks here are the ones `ganzoo.load(...).sample` uses, so both accept the same input.
"""

from __future__ import annotations

import json
import math
import numbers
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
    """None or a positive finite number (numpy scalars too). Beyond float32's range a threshold truncates nothing
    that a standard-normal draw can reach, so it is kept there: the float32 latents are compared with it."""
    if truncation is not None and (
        isinstance(truncation, bool) or not isinstance(truncation, numbers.Real) or not 0 < truncation < float("inf")
    ):
        raise GanzooError(f"truncation must be a positive number (e.g. 0.7), got {truncation!r}")
    if truncation is None:
        return None
    try:
        t = float(truncation)
    except OverflowError:  # an int or Fraction beyond any float
        t = float("inf")
    return min(t, FLOAT32_MAX)


def check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise GanzooError(f"n must be a positive int, got {n!r}")
    return int(n)


FLOAT32_MAX = float(np.finfo(np.float32).max)  # latents beyond it turn into inf in the float32 cast


def nonfinite_error(bad: int, total: int, name: str = "z") -> GanzooError:
    return GanzooError(
        f"{name} holds {bad} NaN, infinite or out-of-float32-range value(s) out of {total}; latents "
        "must be finite (standard-normal draws, e.g. from sample_latent)."
    )


def empty_error(name: str, what: str, shape: Sequence[int], cls: type[GanzooError] = GanzooError) -> GanzooError:
    """The one message for a batch of zero latents or images, refused alike by every family, in torch and ONNX (as
    sample(n=0) is): some generators returned an empty batch, others could not reshape zero images."""
    return cls(f"{name} holds no {what} (shape {tuple(shape)}); pass at least one")


def label_indices(labels, n: int, class_names: Sequence[str], source: str = "this model") -> np.ndarray | None:
    """Class indices (n,) for labels given as None (balanced 0, 1, ..., K-1, 0, ...), one int or class
    name for all, or one per sample (list, numpy array or tensor). Floats and bools are refused, not
    truncated; numpy ints are ints."""
    k = len(class_names)
    if not k:
        if labels is not None:
            raise LabelError(
                f"{source} is unconditional: it takes no labels. Drop `labels`, or load a "
                "conditional model such as cgan-mnist."
            )
        return None
    if labels is None:
        return np.arange(n, dtype=np.int64) % k
    if hasattr(labels, "tolist") and not isinstance(labels, np.generic):  # numpy arrays, torch tensors
        if getattr(labels, "ndim", 1) > 1:
            raise LabelError(f"labels must be one value or a flat sequence, got shape {tuple(labels.shape)}")
        labels = labels.tolist()
    if isinstance(labels, (str, int, np.integer, float, np.floating)):
        return np.full(n, _label_index(labels, class_names), dtype=np.int64)  # one for all: no n-long list
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
            raise LabelError(
                f"unknown class name {label!r}.{did_you_mean(label, class_names, n=2)} "
                f"Valid: {', '.join(map(escaped, class_names))} "
                f"(or an int 0..{k - 1})."
            )
        label = index
    if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)):
        raise LabelError(f"labels must be ints or class names, got {label!r} ({type(label).__name__})")
    # onnxruntime's Gather wraps negative indices to the end: a -1 would silently give the last class
    if not 0 <= label < k:
        raise LabelError(
            f"label {label} is out of range: this model has {k} classes, 0..{k - 1} "
            f"({', '.join(map(escaped, class_names))})."
        )
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
    # z, and with truncation |z| and its mask (float32 + bool) over all entries at once
    ensure_fits(count * (9 if t is not None else 4), f"{n} latents of size {latent_dim}")
    z = np.empty(count, dtype=np.float32)
    nblocks = -(-count // 4)
    for b0 in range(0, nblocks, _CHUNK_BLOCKS):
        blocks = np.arange(b0, min(b0 + _CHUNK_BLOCKS, nblocks), dtype=np.uint64)
        z[4 * b0 : 4 * b0 + 4 * len(blocks)] = _normal_blocks(seed, blocks, 0).reshape(-1)[: count - 4 * b0]
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


# -- memory: every user-given size is checked against the peak it costs, before anything is allocated ---------------
ALWAYS_FITS = 64 * 2**20  # bytes: any machine that runs ganzoo has this much free; smaller peaks skip the check
MEMINFO = "/proc/meminfo"
SELF_CGROUP = "/proc/self/cgroup"
CGROUP_ROOT = "/sys/fs/cgroup"


def _read_int(path: str) -> int | None:
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None  # v2's "max": no limit


def _stat_value(path: str, key: str) -> int:
    try:
        with open(path) as f:
            for line in f:
                name, _, value = line.partition(" ")
                if name == key and value.strip().isdigit():
                    return int(value)
    except OSError:
        pass
    return 0


def cgroup_free() -> int | None:
    """Bytes left under the tightest memory limit of this process's cgroup and its ancestors (a container's limit):
    v2 memory.max - memory.current, v1 memory.limit_in_bytes - memory.usage_in_bytes, with inactive file cache
    counted as free (the kernel reclaims it before it kills; the kubelet's "working set" does the same). None where
    there is no cgroup or no limit."""
    try:
        with open(SELF_CGROUP) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    best = None
    for line in lines:
        hier, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hier == "0" and controllers == "":  # cgroup v2 (unified; mounted at the root or at unified/)
            bases = [CGROUP_ROOT, os.path.join(CGROUP_ROOT, "unified")]
            names = ("memory.max", "memory.current", "inactive_file")
        elif "memory" in controllers.split(","):  # cgroup v1's memory controller
            bases = [os.path.join(CGROUP_ROOT, "memory")]
            names = ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")
        else:
            continue
        for base in bases:
            d = os.path.normpath(base + "/" + path.strip("/"))
            if not os.path.isdir(d):
                d = base  # inside a container the own cgroup is often mounted as the root
            while True:
                limit, usage = _read_int(os.path.join(d, names[0])), _read_int(os.path.join(d, names[1]))
                if limit is not None and usage is not None:
                    free = limit - max(0, usage - _stat_value(os.path.join(d, "memory.stat"), names[2]))
                    best = free if best is None else min(best, free)
                if len(d) <= len(base):
                    break
                d = os.path.dirname(d)
    return None if best is None else max(0, best)


def available_memory() -> int | None:
    """Bytes this process can still allocate: the smaller of the kernel's MemAvailable and what the cgroup limit
    leaves (a container's limit is often far below the machine's memory); None where neither is known."""
    free = None
    try:
        with open(MEMINFO) as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    free = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    limit = cgroup_free()
    return limit if free is None else free if limit is None else min(free, limit)


def grid_layout(n: int, nrow: int | None = None) -> tuple[int, int]:
    """(rows, images per row) of a grid of n >= 1 images: nrow (default ceil(sqrt(n))), at most n per row (as
    torchvision's make_grid: a larger nrow would only widen the picture with empty cells)."""
    nrow = min(nrow or math.isqrt(n - 1) + 1, n)
    return -(-n // nrow), nrow


def peak_bytes(
    n: int,
    latent_dim: int,
    image_shape: Sequence[int],
    *,
    chunk: int,
    work_per_image: int,
    image_itemsize: int = 4,
    grid: bool = False,
    nrow: int | None = None,
) -> int:
    """Estimated peak bytes of making n images chunk at a time (and, with `grid`, a grid PNG of them): the n
    latents twice (a float32 copy, a finiteness mask or truncation's temporaries), the n images, the generator's working
    memory for one
    chunk (`work_per_image` each), and for the grid its uint8 array, PIL's copy of it and one chunk's
    conversion to uint8."""
    c, h, w = (int(s) for s in image_shape)
    image = c * h * w
    k = min(n, chunk)
    total = 2 * n * latent_dim * 4 + n * image * image_itemsize + k * work_per_image
    if grid:
        rows, per_row = grid_layout(n, nrow)
        total += 2 * (rows * (h + 2) + 2) * (per_row * (w + 2) + 2) * c + 2 * k * image * 4
    return total


ONNX_CHUNK = 1024  # images per onnxruntime run: bounds its working memory for any n
# Working memory per output value of one image where it cannot be measured (onnxruntime; a generator in training
# mode): a bound for the zoo's generators, whose widest layer (DCGAN's 256x7x7 in, 128x14x14 out) takes 163 bytes
# per 28x28 output pixel.
ONNX_WORK_PER_VALUE = 192


def _gb(nbytes: int) -> str:
    return f"{nbytes / 1e9:.1f} GB" if nbytes >= 1e8 else f"{nbytes / 1e6:.0f} MB"


def ensure_fits(nbytes: int, what: str) -> None:
    """Refuse, before anything is allocated, work whose estimated peak (`peak_bytes`) exceeds available_memory()."""
    if nbytes < ALWAYS_FITS:
        return  # reading /proc and /sys costs more than generating one small batch
    free = available_memory()
    if free is not None and nbytes > free:
        raise GanzooError(
            f"{what} need about {_gb(nbytes)} of memory at the peak, but only {_gb(free)} is available"
            " (the smaller of MemAvailable and the cgroup limit): ask for fewer at a time (e.g. a loop "
            "of sample(10000, seed=i))."
        )


MAX_META_SIZE = 2**20  # latent size, image side, classes: no exported ganzoo model comes near
TRANSLATOR_FORMAT = "float32 NCHW [0, 1]"  # what ganzoo.export writes for a translator, and all it writes


def _is_size(v, low: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and low <= v <= MAX_META_SIZE


def _clip(text) -> str:
    """repr of an untrusted metadata value, cut short."""
    r = repr(text)
    return r if len(r) <= 80 else r[:77] + "..."


def _meta_int(meta: dict, key: str, low: int, bad: str) -> int:
    text = meta[key]
    if not (text.isascii() and text.isdigit() and len(text) <= 8) or not _is_size(int(text), low):
        raise OnnxGeneratorError(f"{bad} ({key} must be an int in [{low}, {MAX_META_SIZE}], got {_clip(text)})")
    return int(text)


def _meta_json(meta: dict, key: str, default: str, bad: str):
    text = meta.get(key, default)
    if len(text) > MAX_META_SIZE:
        raise OnnxGeneratorError(f"{bad} ({key} is {len(text)} characters long)")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:  # JSONDecodeError is a ValueError
        raise OnnxGeneratorError(f"{bad} ({key} is not valid JSON: {_clip(str(e))})") from None


class OnnxGenerator:
    def __init__(
        self, path: str | os.PathLike, *, providers: Sequence[str] | None = None, intra_op_threads: int | None = None
    ):
        self.session = _session(path, providers, intra_op_threads)
        meta = self.session.get_modelmeta().custom_metadata_map
        if meta.get("task") == "translation":
            raise OnnxGeneratorError(
                f"{path} translates images ({meta.get('source_domain')} -> {meta.get('target_domain')}) and has "
                "no latent to sample: open it with ganzoo.runtime.OnnxTranslator and call translate(images)"
            )
        if "latent_dim" not in meta:
            raise OnnxGeneratorError(f"{path} has no ganzoo metadata; export it with `ganzoo export`.")
        self.metadata = dict(meta)
        bad = f"{path} has damaged ganzoo metadata: re-export it with `ganzoo export`"
        self.latent_dim = _meta_int(meta, "latent_dim", 1, bad)
        self.image_shape = tuple(_meta_json(meta, "image_shape", "[]", bad))
        if len(self.image_shape) != 3 or not all(_is_size(v, 1) for v in self.image_shape):
            raise OnnxGeneratorError(
                f"{bad} (image_shape must be [channels, height, width], got {_clip(meta['image_shape'])})"
            )
        self.num_classes = _meta_int(meta, "num_classes", 0, bad) if "num_classes" in meta else 0
        self.class_names = _meta_json(meta, "class_names", "[]", bad)
        if (
            not isinstance(self.class_names, list)
            or len(self.class_names) != self.num_classes
            or not all(isinstance(c, str) for c in self.class_names)
            or len(set(self.class_names)) != self.num_classes
        ):
            raise OnnxGeneratorError(
                f"{bad} (class_names must be {self.num_classes} distinct strings, got "
                f"{_clip(meta.get('class_names', '[]'))})"
            )
        self.output_format = meta.get("output_format", "")
        uint8_graph = self.session.get_outputs()[0].type == "tensor(uint8)"
        if self.output_format.startswith("uint8") != uint8_graph:  # no output_format: floats, as before uint8 files
            # the CLI and the examples lay out the images by this text: it must say what the graph gives
            raise OnnxGeneratorError(
                f"{bad} (output_format says {_clip(self.output_format)}, but the graph's output is "
                f"{self.session.get_outputs()[0].type})"
            )
        self.precision = meta.get("precision", "fp32")  # fp32 | fp16 | int8 (ganzoo export --fp16/--quantize)
        if self.precision not in ("fp32", "fp16", "int8"):
            raise OnnxGeneratorError(f"{bad} (precision must be fp32, fp16 or int8, got {_clip(self.precision)})")
        # "z", or "w" for a style-based generator's w file (`ganzoo export --space w`): its input is ws
        # (batch, num_ws, w_dim), one w per layer; w_avg is the centre that truncation pulls toward. "mapping": the
        # mapping network's file (`ganzoo export --space mapping`), z in and those ws out (map, sample_ws).
        self.space = meta.get("space", "z")
        if self.space not in ("z", "w", "mapping"):
            raise OnnxGeneratorError(f"{bad} (space must be z, w or mapping, got {_clip(self.space)})")
        self.truncates_in_w = meta.get("truncation") == "w"  # a style-based generator: psi in W, not z truncation
        if self.space in ("w", "mapping"):
            self.num_ws, self.w_dim = _meta_int(meta, "num_ws", 1, bad), _meta_int(meta, "w_dim", 1, bad)
            w_avg = _meta_json(meta, "w_avg", "null", bad)
            if (
                not isinstance(w_avg, list)
                or len(w_avg) != self.w_dim
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in w_avg)
            ):
                raise OnnxGeneratorError(f"{bad} (w_avg must be {self.w_dim} finite numbers)")
            self.w_avg = np.asarray(w_avg, dtype=np.float32)
        inputs = {i.name: i for i in self.session.get_inputs()}
        self.input_names = list(inputs)
        first = "ws" if self.space == "w" else "z"
        want = [first, "labels"] if self.conditional else [first]
        if sorted(inputs) != sorted(want):
            raise OnnxGeneratorError(
                f"{bad} (a {'conditional' if self.conditional else 'unconditional'} generator "
                f"takes inputs {want}, this graph takes {self.input_names})"
            )
        dims, shape = inputs[first].shape, (self.num_ws, self.w_dim) if self.space == "w" else (self.latent_dim,)
        if self.space == "mapping" and self.conditional:
            raise OnnxGeneratorError(f"{bad} (a mapping file takes z only, but the metadata names classes)")
        if len(dims) != len(shape) + 1 or any(isinstance(d, int) and d != s for d, s in zip(dims[1:], shape)):
            raise OnnxGeneratorError(
                f"{bad} (the metadata says {first} has shape (batch, "
                f"{', '.join(map(str, shape))}), the graph's {first} input has shape {dims})"
            )

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    def sample_latent(self, n: int, seed: int | None = None, truncation: float | None = None) -> np.ndarray:
        """Standard-normal latents (n, latent_dim), float32: the same numbers as ganzoo.load(...).sample_latent
        and the JavaScript examples give for the seed (see `sample_latent` in this module)."""
        return sample_latent(n, self.latent_dim, seed, truncation)

    def peak_bytes(self, n: int, *, grid: bool = False, nrow: int | None = None) -> int:
        """Estimated peak bytes of generating n images, and with `grid` a grid of them (see `peak_bytes`)."""
        itemsize = 1 if self.session.get_outputs()[0].type == "tensor(uint8)" else 4
        return peak_bytes(
            n,
            self.latent_dim,
            self.image_shape,
            chunk=ONNX_CHUNK,
            image_itemsize=itemsize,
            work_per_image=ONNX_WORK_PER_VALUE * math.prod(self.image_shape),
            grid=grid,
            nrow=nrow,
        )

    def _ensure_fits(self, n: int) -> None:
        ensure_fits(self.peak_bytes(n), f"{n} images of {'x'.join(map(str, self.image_shape))}")

    def labels_array(self, labels, n: int) -> np.ndarray | None:
        y = label_indices(labels, n, self.class_names if self.conditional else [], "this generator")
        return None if y is None else np.asarray(y, dtype=np.int64)

    def _refuse_mapping(self) -> None:
        if self.space == "mapping":
            raise OnnxGeneratorError(
                "this is a mapping file: it turns z into ws (map(z), sample_ws(n, seed)) and draws no images; "
                "draw the ws with the w file's generate(ws) (`ganzoo export NAME --space w -o FILE`), or sample "
                "with the z file"
            )

    def _need_mapping(self, what: str) -> None:
        if self.space != "mapping":
            raise OnnxGeneratorError(
                f"{what} needs the mapping file of a style-based generator (`ganzoo export NAME --space mapping -o "
                f"FILE`); this is {'a w' if self.space == 'w' else 'a z'} file"
            )

    def _latents(self, z, shape: tuple[int, ...], name: str) -> np.ndarray:
        """z as float32 (batch, *shape), or an error: not floats, another shape, NaN / infinite / beyond float32."""
        z = np.asarray(z)
        if not np.issubdtype(z.dtype, np.floating):
            raise OnnxGeneratorError(f"{name} must be float32, got {z.dtype}")
        if z.shape[1:] != shape or z.ndim != len(shape) + 1:
            raise OnnxGeneratorError(f"{name} must have shape (batch, {', '.join(map(str, shape))}), got {z.shape}")
        if not len(z):
            raise empty_error(name, "latents", z.shape, OnnxGeneratorError)
        # before the cast: a float64 1e300 is finite but becomes inf in float32, and NaN images
        with np.errstate(invalid="ignore"):
            bad = int(z.size - (np.abs(z) <= np.float32(FLOAT32_MAX)).sum())  # NaN compares False
        if bad:
            raise nonfinite_error(bad, z.size, name)
        return z.astype(np.float32, copy=False)

    def map(self, z: np.ndarray) -> np.ndarray:
        """A mapping file's ws (batch, num_ws, w_dim), float32, for latents z (batch, latent_dim): each z's w
        repeated for every layer, as torch's `generator.styles(z)` (what the w file's `generate` takes)."""
        self._need_mapping("map(z)")
        z = self._latents(z, (self.latent_dim,), "z")
        n = len(z)
        ensure_fits(n * (self.latent_dim + 2 * self.num_ws * self.w_dim) * 4, f"the ws of {n} latents")
        out = np.empty((n, self.num_ws, self.w_dim), np.float32)
        for i in range(0, n, ONNX_CHUNK):
            out[i : i + ONNX_CHUNK] = self.session.run(None, {"z": z[i : i + ONNX_CHUNK]})[0]
        if not np.isfinite(out).all():
            raise OnnxGeneratorError(
                f"the ONNX model produced {int(out.size - np.isfinite(out).sum())} NaN or infinite value(s) in "
                f"{out.size} outputs: its weights are damaged. Re-export it with `ganzoo export`."
            )
        return out

    def sample_ws(self, n: int, seed: int | None = None, psi: float | None = None) -> np.ndarray:
        """ws (n, num_ws, w_dim) of the seed's latents (`sample_latent(n, seed)`: the same z as torch's
        `sample_latent`), from a mapping file; `psi` in [0, 1] truncates them in W, w_avg + psi (ws - w_avg), as
        torch's `sample(n, seed=seed, truncation=psi)` does. Draw them with the w file's `generate(ws)`."""
        self._need_mapping("sample_ws(n, seed)")
        n = check_n(n)
        if psi is not None and (isinstance(psi, bool) or not isinstance(psi, numbers.Real) or not 0 <= psi <= 1):
            raise OnnxGeneratorError(f"psi must be a number in [0, 1] (1: no truncation, 0: w_avg), got {psi!r}")
        ws = self.map(self.sample_latent(n, seed))
        return ws if psi is None else self.w_avg + np.float32(psi) * (ws - self.w_avg)

    def generate(self, z: np.ndarray, labels=None) -> np.ndarray:
        """Images for latents z (batch, latent_dim); for a w file, ws (batch, num_ws, w_dim)."""
        self._refuse_mapping()
        name = "ws" if self.space == "w" else "z"
        shape = (self.num_ws, self.w_dim) if self.space == "w" else (self.latent_dim,)
        z = self._latents(z, shape, name)
        if self.conditional and labels is None:
            raise OnnxGeneratorError(
                f"this generator is conditional: pass labels (ints 0..{self.num_classes - 1} "
                f"or class names {self.class_names})"
            )
        n = z.shape[0]
        self._ensure_fits(n)
        y = self.labels_array(labels, n)
        out = None
        for i in range(0, n, ONNX_CHUNK):  # bounded working memory for any n
            feeds = {name: z[i : i + ONNX_CHUNK]}
            if y is not None:
                feeds["labels"] = y[i : i + ONNX_CHUNK]
            images = self.session.run(None, feeds)[0]
            if np.issubdtype(images.dtype, np.floating) and not np.isfinite(images).all():
                # damaged weights in the file: say so instead of handing back NaN images
                raise OnnxGeneratorError(
                    f"the ONNX model produced {int(images.size - np.isfinite(images).sum())} NaN or infinite "
                    f"value(s) in {images.size} outputs: its weights are damaged. Re-export it with `ganzoo export`."
                )
            if n <= ONNX_CHUNK:
                return images
            if out is None:
                out = np.empty((n, *images.shape[1:]), images.dtype)
            out[i : i + len(images)] = images
        return out

    def sample(self, n: int, labels=None, seed: int | None = None, truncation: float | None = None) -> np.ndarray:
        """n images; conditional models without labels get balanced labels 0, 1, ..., K-1, 0, ...
        The same seed gives the same images as ganzoo.load(...).sample (to float tolerance)."""
        self._refuse_mapping()
        if self.space == "w":
            raise OnnxGeneratorError(
                "this is a w file: it draws images for given ws (batch, num_ws, w_dim) with "
                "generate(ws); sample from z with the z file (`ganzoo export NAME -o FILE`)"
            )
        if truncation is not None and self.truncates_in_w:
            raise OnnxGeneratorError(
                "this style-based generator truncates in W (each w pulled toward w_avg), not "
                "z as sample(truncation=) does for other files: draw the seed's truncated ws with the "
                "mapping file (`ganzoo export NAME --space mapping`), sample_ws(n, seed, psi), and their "
                "images with the w file's generate(ws) (`--space w`); or sample_latent(n, seed, "
                "truncation=t) for z truncation on purpose"
            )
        n = check_n(n)
        self._ensure_fits(n)  # before the labels and latents are made
        y = self.labels_array(labels, n)
        return self.generate(self.sample_latent(n, seed, truncation), y)


def _session(path, providers: Sequence[str] | None, intra_op_threads: int | None):
    """An onnxruntime session of an exported file, with the runtime's options; clear errors otherwise."""
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
        raise OnnxGeneratorError(
            f"onnxruntime providers {missing} are not available here; available: {available}. "
            "For CUDA install onnxruntime-gpu."
        )
    try:
        return ort.InferenceSession(str(path), opts, providers=providers)
    except Exception as e:  # noqa: BLE001 - onnxruntime raises its own exception types
        raise OnnxGeneratorError(f"{path} is not a valid ONNX model ({e})") from e


class OnnxTranslator:
    """An exported direction of an image-to-image model (CycleGAN; `ganzoo export NAME --to DOMAIN`):

    tr = OnnxTranslator("to-fashion-mnist.onnx")
    out = tr.translate(images)   # float32 (N, C, H, W) in [0, 1] of tr.source_domain -> tr.target_domain
    """

    def __init__(
        self, path: str | os.PathLike, *, providers: Sequence[str] | None = None, intra_op_threads: int | None = None
    ):
        self.session = _session(path, providers, intra_op_threads)
        meta = self.session.get_modelmeta().custom_metadata_map
        if meta.get("task") != "translation":
            raise OnnxGeneratorError(
                f"{path} is not an exported ganzoo translator (no translation metadata); a generator file opens "
                "with OnnxGenerator, and translators are exported with `ganzoo export NAME --to DOMAIN`"
            )
        self.metadata = dict(meta)
        bad = f"{path} has damaged ganzoo metadata: re-export it with `ganzoo export NAME --to DOMAIN`"
        for key in ("domains", "source_domain", "target_domain", "image_shape"):
            if key not in meta:
                raise OnnxGeneratorError(f"{bad} (no {key})")
        domains = _meta_json(meta, "domains", "[]", bad)
        if (
            not isinstance(domains, list)
            or len(domains) != 2
            or not all(isinstance(d, str) and 0 < len(d) <= 100 for d in domains)
            or domains[0] == domains[1]
        ):
            raise OnnxGeneratorError(f"{bad} (domains must be two different names, got {_clip(meta['domains'])})")
        self.domains = tuple(domains)
        self.source_domain, self.target_domain = meta["source_domain"], meta["target_domain"]
        if sorted((self.source_domain, self.target_domain)) != sorted(domains):
            raise OnnxGeneratorError(
                f"{bad} (source_domain {_clip(self.source_domain)} and target_domain {_clip(self.target_domain)} "
                f"must be the two domains {list(domains)}, one each)"
            )
        fmt = meta.get("output_format", TRANSLATOR_FORMAT)  # the one format a translator is exported in
        if fmt != TRANSLATOR_FORMAT:
            raise OnnxGeneratorError(f"{bad} (output_format must be {TRANSLATOR_FORMAT}, got {_clip(fmt)})")
        self.image_shape = tuple(_meta_json(meta, "image_shape", "[]", bad))
        if len(self.image_shape) != 3 or not all(_is_size(v, 1) for v in self.image_shape):
            raise OnnxGeneratorError(
                f"{bad} (image_shape must be [channels, height, width], got {_clip(meta['image_shape'])})"
            )
        inputs = self.session.get_inputs()
        dims = inputs[0].shape if len(inputs) == 1 and inputs[0].name == "images" else None
        if (
            dims is None
            or len(dims) != 4
            or any(isinstance(d, int) and d != v for d, v in zip(dims[1:], self.image_shape))
        ):
            raise OnnxGeneratorError(
                f"{bad} (the metadata says the input is images (batch, {', '.join(map(str, self.image_shape))}); "
                f"the graph takes {[(i.name, i.shape) for i in inputs]})"
            )

    def translate(self, images) -> np.ndarray:
        """Images of target_domain, float32 in [0, 1], for images of source_domain: an array (N, C, H, W) or
        (C, H, W) of floats in [0, 1] (the output has the input's layout)."""
        x = np.asarray(images)
        if not np.issubdtype(x.dtype, np.floating):
            raise OnnxGeneratorError(f"images must be floats in [0, 1] (divide uint8 images by 255), got {x.dtype}")
        single = x.ndim == 3
        x = x[None] if single else x
        c, h, w = self.image_shape
        if x.ndim != 4 or x.shape[1:] != (c, h, w):
            raise OnnxGeneratorError(
                f"images must have shape (N, {c}, {h}, {w}) or ({c}, {h}, {w}), got {np.asarray(images).shape}"
            )
        if not len(x):
            raise empty_error("images", "images", x.shape, OnnxGeneratorError)
        bad = int(x.size - np.isfinite(x).sum())
        if bad:
            raise OnnxGeneratorError(
                f"images hold {bad} NaN or infinite value(s) out of {x.size}; images must be finite floats in [0, 1]"
            )
        if x.min() < 0 or x.max() > 1:
            raise OnnxGeneratorError("images must be floats in [0, 1] (divide uint8 images by 255)")
        n = len(x)
        ensure_fits((2 * n + ONNX_CHUNK * ONNX_WORK_PER_VALUE) * c * h * w * 4, f"translating {n} images")
        x = x.astype(np.float32, copy=False)
        out = np.empty_like(x)
        for i in range(0, n, ONNX_CHUNK):  # bounded working memory for any n
            out[i : i + ONNX_CHUNK] = self.session.run(None, {"images": x[i : i + ONNX_CHUNK]})[0]
        return out[0] if single else out

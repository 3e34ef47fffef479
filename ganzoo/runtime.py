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
from typing import Sequence

import numpy as np

try:
    from .errors import GanzooError, LabelError
    from .registry import did_you_mean
except ImportError:  # runtime.py copied alone into an app: the same names, as plain ValueErrors

    class GanzooError(ValueError):  # type: ignore[no-redef]
        pass

    class LabelError(GanzooError):  # type: ignore[no-redef]
        pass

    def did_you_mean(name, choices, n=3, cutoff=0.6):  # type: ignore[no-redef]
        import difflib

        close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=n, cutoff=cutoff)
        return f" Did you mean: {', '.join(close)}?" if close else ""


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


def _label_index(label, class_names: Sequence[str]) -> int:
    k = len(class_names)
    if isinstance(label, str):
        if label in class_names:
            return list(class_names).index(label)
        if not label.strip().lstrip("-").isdigit():
            raise LabelError(f"unknown class name {label!r}.{did_you_mean(label, class_names, n=2)} "
                             f"Valid: {', '.join(class_names)} "
                             f"(or an int 0..{k - 1}).")
        label = int(label)
    if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)):
        raise LabelError(f"labels must be ints or class names, got {label!r} ({type(label).__name__})")
    # onnxruntime's Gather wraps negative indices to the end: a -1 would silently give the last class
    if not 0 <= label < k:
        raise LabelError(f"label {label} is out of range: this model has {k} classes, 0..{k - 1} "
                         f"({', '.join(class_names)}).")
    return int(label)


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

    def sample_latent(self, n: int, seed: int | None = None) -> np.ndarray:
        """Standard-normal latents (n, latent_dim), float32. numpy's RNG: not the same numbers as torch's."""
        n, seed = check_n(n), check_seed(seed)
        return np.random.default_rng(seed).standard_normal((n, self.latent_dim), dtype=np.float32)

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

    def sample(self, n: int, labels=None, seed: int | None = None) -> np.ndarray:
        """n images; conditional models without labels get balanced labels 0, 1, ..., K-1, 0, ..."""
        n = check_n(n)
        y = self.labels_array(labels, n)
        return self.generate(self.sample_latent(n, seed), y)

"""Torch-free ONNX runtime for exported ganzoo generators: numpy + onnxruntime only.

    from ganzoo.runtime import OnnxGenerator
    gen = OnnxGenerator("generator.onnx")
    images = gen.sample(16, seed=0)            # float32 (16, C, H, W) in [0, 1]
    images = gen.sample(8, labels="Sneaker")   # conditional models

This module must not import torch (a test enforces it).
"""
from __future__ import annotations

import json
import os
from typing import Sequence

import numpy as np


class OnnxGeneratorError(ValueError):
    pass


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
            raise FileNotFoundError(f"ONNX file {path} not found; export one with `ganzoo export NAME -o {path}`")
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
        self.input_names = [i.name for i in self.session.get_inputs()]

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    def sample_latent(self, n: int, seed: int | None = None) -> np.ndarray:
        """Standard-normal latents (n, latent_dim), float32. numpy's RNG: not the same numbers as torch's."""
        _check_n(n)
        return np.random.default_rng(seed).standard_normal((n, self.latent_dim), dtype=np.float32)

    def labels_array(self, labels, n: int) -> np.ndarray | None:
        if not self.conditional:
            if labels is not None:
                raise OnnxGeneratorError("this generator is unconditional: it takes no labels")
            return None
        if labels is None:
            return np.arange(n, dtype=np.int64) % self.num_classes
        if isinstance(labels, (int, np.integer, str)):
            labels = [labels] * n
        out = []
        for l in labels:
            if isinstance(l, str):
                if l not in self.class_names:
                    raise OnnxGeneratorError(f"unknown class name {l!r}; valid: {', '.join(self.class_names)}")
                l = self.class_names.index(l)
            l = int(l)
            # onnxruntime's Gather wraps negative indices to the end: a -1 would silently give the last class
            if not 0 <= l < self.num_classes:
                raise OnnxGeneratorError(f"label {l} is out of range 0..{self.num_classes - 1}")
            out.append(l)
        if len(out) != n:
            raise OnnxGeneratorError(f"got {len(out)} labels for {n} samples; give one label or exactly {n}")
        return np.asarray(out, dtype=np.int64)

    def generate(self, z: np.ndarray, labels=None) -> np.ndarray:
        z = np.asarray(z)
        if z.dtype != np.float32:
            if not np.issubdtype(z.dtype, np.floating):
                raise OnnxGeneratorError(f"z must be float32, got {z.dtype}")
            z = z.astype(np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise OnnxGeneratorError(f"z must have shape (batch, {self.latent_dim}), got {z.shape}")
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
        _check_n(n)
        y = self.labels_array(labels, n)
        return self.generate(self.sample_latent(n, seed), y)


def _check_n(n) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise OnnxGeneratorError(f"n must be a positive int, got {n!r}")

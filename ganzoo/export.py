"""ONNX export of a generator: z (and labels) in, images out; noise is never drawn in the graph."""
from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from torch import nn

from .errors import GanzooError, MissingDependencyError
from .model import to_unit_range

DEFAULT_OPSET = 18
MIN_OPSET = 18  # torch's ONNX exporter emits opset 18 or newer (older requests were silently raised)


class _Exportable(nn.Module):
    """Generator + the [-1, 1] -> [0, 1] (or uint8 NHWC) conversion, so the graph matches .sample()."""

    def __init__(self, generator: nn.Module, uint8: bool, conditional: bool):
        super().__init__()
        self.g, self.uint8, self.conditional = generator, uint8, conditional

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = to_unit_range(self.g(z, labels))  # (B, C, H, W) in [0, 1]
        if self.uint8:
            return (x * 255).round().to(torch.uint8).permute(0, 2, 3, 1)  # (B, H, W, C) uint8
        return x


def export_onnx(model, path: str | os.PathLike, *, opset: int = DEFAULT_OPSET, uint8: bool = False,
                check: bool = True, batch_sizes: tuple[int, ...] = (1, 7, 64), atol: float = 1e-4,
                optimize: bool = False) -> Path:
    """Export a loaded GANModel to one self-contained ONNX file and verify it.

    Inputs: `z` float32 [batch, latent], plus `labels` int64 [batch] for conditional models;
    the batch axis is dynamic. Output `images`: float32 N x C x H x W in [0, 1], or with
    uint8=True uint8 N x H x W x C. Verification: onnx.checker (full) and onnxruntime vs torch
    at each of `batch_sizes`, max abs difference <= atol (uint8: <= 1 grey level).
    `optimize=True` exports `ganzoo.fast.optimize(generator)` (BatchNorm folded into the layer before
    it); the check still compares with the original generator.
    """
    try:
        import onnx
    except ImportError:
        raise MissingDependencyError("ONNX export needs onnx and onnxruntime: pip install 'ganzoo[onnx]'") from None

    path = Path(path)
    if not path.parent.is_dir():
        raise GanzooError(f"output folder {path.parent} does not exist; create it first or choose another -o path")
    if path.is_dir():
        raise GanzooError(f"{path} is an existing folder; give a file name such as {path / 'generator.onnx'}")
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise GanzooError(f"opset must be an int from {MIN_OPSET} (the exporter's oldest) to "
                          f"{onnx.defs.onnx_opset_version()} (this onnx's newest), got {opset!r}")
    gen = model.generator.to("cpu").eval()
    if optimize:
        from .fast import optimize as fast

        gen = fast(gen)
    wrapper = _Exportable(gen, uint8, model.conditional).eval()
    z = torch.randn(2, model.latent_dim)
    batch = torch.export.Dim("batch", min=1, max=65536)
    if model.conditional:
        args, names = (z, torch.zeros(2, dtype=torch.long)), ["z", "labels"]
        dyn = {"z": {0: batch}, "labels": {0: batch}}
    else:
        args, names, dyn = (z,), ["z"], {"z": {0: batch}}
    prog = torch.onnx.export(wrapper, args, None, input_names=names, output_names=["images"],
                             opset_version=opset, dynamo=True, dynamic_shapes=dyn, external_data=False)
    proto = prog.model_proto
    meta = {
        "ganzoo_version": model.config.get("ganzoo_version", ""),
        "source": model.source,
        "architecture": model.architecture,
        "latent_dim": str(model.latent_dim),
        "image_shape": json.dumps(list(model.image_shape)),
        "num_classes": str(model.num_classes),
        "class_names": json.dumps(model.class_names),
        "output_format": "uint8 NHWC [0, 255]" if uint8 else "float32 NCHW [0, 1]",
        "inputs": "z: float32 [batch, latent_dim] standard normal" + (
            "; labels: int64 [batch] in [0, num_classes)" if model.conditional else ""),
    }
    del proto.metadata_props[:]
    for k, v in meta.items():
        proto.metadata_props.add(key=k, value=v)
    tmp = path.with_name(path.name + ".tmp")
    try:
        onnx.save_model(proto, str(tmp), save_as_external_data=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # never leave a half-written file behind
    if check:
        verify_onnx(model, path, batch_sizes=batch_sizes, atol=atol, uint8=uint8)
    return path


def verify_onnx(model, path: str | os.PathLike, *, batch_sizes=(1, 7, 64), atol: float = 1e-4,
                uint8: bool = False) -> dict:
    """onnx.checker (full check) + onnxruntime vs torch; returns {batch: max abs diff}."""
    import numpy as np
    import onnx

    from .runtime import OnnxGenerator

    onnx.checker.check_model(str(path), full_check=True)
    rt = OnnxGenerator(path)
    gen = model.generator.to("cpu").eval()
    wrapper = _Exportable(gen, uint8, model.conditional).eval()
    diffs = {}
    for b in batch_sizes:
        z = torch.randn(b, model.latent_dim, generator=torch.Generator().manual_seed(b))
        y = (torch.arange(b) % model.num_classes) if model.conditional else None
        with torch.inference_mode():
            ref = wrapper(z, y).numpy()
        got = rt.generate(z.numpy(), None if y is None else y.numpy())
        diff = float(np.abs(got.astype(np.float64) - ref.astype(np.float64)).max())
        diffs[b] = diff
        limit = 1.0 if uint8 else atol
        if diff > limit:
            raise GanzooError(f"ONNX export check failed at batch {b}: max abs difference {diff:.2e} > {limit}")
    return diffs

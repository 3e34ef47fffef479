"""ONNX export of a generator: z (and labels) in, images out; noise is never drawn in the graph."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import warnings
from pathlib import Path

import torch
from torch import nn

from .errors import GanzooError, MissingDependencyError, pip_install
from .fileio import atomic_write
from .model import to_unit_range
from .registry import DEFAULT_CONVT
from .runtime import TRANSLATOR_FORMAT

DEFAULT_OPSET = 18
MIN_OPSET = 18  # torch's ONNX exporter emits opset 18 or newer (older requests were silently raised)
QUANTIZE = ("int8",)
# How far each precision may be from the fp32 torch generator in the export check (images in [0, 1]):
# fp32: max |diff|; fp16 (10-bit mantissa): max |diff|; int8: mean |diff| (a few pixels at edges may be
# off by more; the FD change is what benchmarks/bench.py --only precision reports).
TOLERANCE = {"fp32": 1e-4, "fp16": 1e-2, "int8": 2e-2}
CALIBRATION_SEED, CALIBRATION_BATCHES, CALIBRATION_BATCH = 1234, 8, 64


# Which file: z -> images (every generator); for a style-based generator also "w", ws (one w per layer) -> images,
# and "mapping", z -> ws (its mapping network alone: seed -> ws without torch, then the w file draws them).
SPACES = ("z", "w", "mapping")


class _Exportable(nn.Module):
    """Generator + the [-1, 1] -> [0, 1] (or uint8 NHWC) conversion, so the graph matches .sample().
    With space "w" the input is a style-based generator's per-layer ws (B, num_ws, w_dim) instead of z."""

    def __init__(self, generator: nn.Module, uint8: bool, conditional: bool, fp16: bool = False, space: str = "z"):
        super().__init__()
        self.g, self.uint8, self.conditional, self.fp16 = generator, uint8, conditional, fp16
        self.kw = {} if space == "z" else {"space": "w+"}

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.fp16:  # fp16 weights and activations inside; float32 z in and images out, as every file
            x = to_unit_range(self.g(z.half(), labels, **self.kw).float())
        else:
            x = to_unit_range(self.g(z, labels, **self.kw))  # (B, C, H, W) in [0, 1]
        if self.uint8:
            return (x * 255).round().to(torch.uint8).permute(0, 2, 3, 1)  # (B, H, W, C) uint8
        return x


class _ExportableMapping(nn.Module):
    """A style-based generator's mapping network as `styles` runs it in eval mode: z (B, latent_dim) -> ws
    (B, num_ws, w_dim), the w repeated for every layer (what the w file takes; no truncation, no mixing)."""

    def __init__(self, generator: nn.Module):
        super().__init__()
        self.g = generator

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.g.styles(z)


@contextlib.contextmanager
def _quiet(verbose: bool):
    """Hide the chatter ganzoo knows to be harmless (verbose=False): onnxruntime's quantiser advising
    pre-processing (logged on the root logger) and torch's note that z and labels share the batch axis
    (which is what we declare). torch's progress lines are turned off by its own `verbose` argument.
    Anything else still shows."""
    if verbose:
        yield
        return
    root = logging.getLogger()

    def keep(record: logging.LogRecord) -> bool:
        return "onnxruntime" not in Path(record.pathname).parts

    # a handler on root stops logging.warning() from installing a stderr handler for the rest of the process
    null = logging.NullHandler() if not root.handlers else None
    if null:
        root.addHandler(null)
    root.addFilter(keep)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"# The axis name: .* will not be used", category=UserWarning)
            yield
    finally:
        root.removeFilter(keep)
        if null:
            root.removeHandler(null)


def _export_proto(wrapper: nn.Module, args: tuple, input_names: list[str], output_name: str, opset: int, verbose: bool):
    """`wrapper` traced with the example `args` into an ONNX ModelProto (in memory: external_data=False keeps the
    weights inside), every input's axis 0 one shared dynamic batch axis."""
    batch = torch.export.Dim("batch", min=1, max=65536)
    with _quiet(verbose):
        prog = torch.onnx.export(
            wrapper,
            args,
            None,
            input_names=input_names,
            output_names=[output_name],
            verbose=verbose,
            opset_version=opset,
            dynamo=True,
            dynamic_shapes=tuple({0: batch} for _ in args),
            external_data=False,
        )
    return prog.model_proto


def precision_of(fp16: bool, quantize: str | None) -> str:
    if fp16 and quantize:
        raise GanzooError("choose one of fp16 and quantize='int8', not both: an int8 file already stores 8-bit weights")
    if quantize is not None and quantize not in QUANTIZE:
        raise GanzooError(f"quantize must be one of {', '.join(QUANTIZE)} or None, got {quantize!r}")
    return quantize or ("fp16" if fp16 else "fp32")


def _check_output(path, opset, example: str) -> Path:
    """The export's file path, after checking it and the opset (clear errors before any work)."""
    import onnx

    path = Path(path)
    if not path.parent.is_dir():
        raise GanzooError(f"output folder {path.parent} does not exist; create it first or choose another -o path")
    if path.is_dir():
        raise GanzooError(f"{path} is an existing folder; give a file name such as {path / example}")
    if (
        isinstance(opset, bool)
        or not isinstance(opset, int)
        or not MIN_OPSET <= opset <= onnx.defs.onnx_opset_version()
    ):
        raise GanzooError(
            f"opset must be an int from {MIN_OPSET} (the exporter's oldest) to "
            f"{onnx.defs.onnx_opset_version()} (this onnx's newest), got {opset!r}"
        )
    return path


def export_onnx(
    model,
    path: str | os.PathLike,
    *,
    opset: int = DEFAULT_OPSET,
    uint8: bool = False,
    check: bool = True,
    batch_sizes: tuple[int, ...] = (1, 7, 64),
    atol: float | None = None,
    convt: str = DEFAULT_CONVT,
    fp16: bool = False,
    quantize: str | None = None,
    verbose: bool = False,
    space: str = "z",
) -> Path:
    """Export a loaded GANModel to one self-contained ONNX file and verify it.

    Inputs: `z` float32 [batch, latent], plus `labels` int64 [batch] for conditional models;
    the batch axis is dynamic. Output `images`: float32 N x C x H x W in [0, 1], or with
    uint8=True uint8 N x H x W x C. The graph is `ganzoo.fast.optimize(generator, convt=convt, onnx=True)`:
    BatchNorm folded, transposed convolutions in the form `convt`, a style-based generator in its `onnx_form()`
    (same images to float tolerance).
    `fp16=True` stores fp16 weights and computes in fp16 (for GPU apps; inputs and outputs stay float32);
    `quantize="int8"` applies onnxruntime's static QDQ quantisation, calibrated on the model's own
    latents (8 x 64 standard-normal draws, seed 1234). Verification: onnx.checker (full) and onnxruntime
    vs the fp32 torch generator at each of `batch_sizes`, within `atol` (default TOLERANCE[precision];
    max |diff|, int8: mean |diff|; uint8 outputs: one grey level more). `verbose=True` shows torch's
    exporter progress and the warnings ganzoo otherwise hides as harmless.
    `space="w"` (style-based generators): the file's input is `ws` float32 [batch, num_ws, w_dim], one w per
    layer (a plain w repeated num_ws times; mixed or projected ws as `model.mix` / `invert(space="w+")` make
    them), and its metadata holds num_ws, w_dim and w_avg (JSON), so truncation is w_avg + psi (ws - w_avg).
    `space="mapping"` (style-based generators): the mapping network alone, `z` float32 [batch, latent_dim] in,
    `ws` float32 [batch, num_ws, w_dim] out (the w repeated for every layer), the same metadata (w_avg too): with
    the runtime's seeded latents a torch-free app turns a seed into ws, mixes or truncates them and draws them
    with the w file. fp32 only (uint8, fp16 and quantize are for image files).
    """
    try:
        import onnx  # noqa: F401 - the dependency check, before any work
    except ImportError:
        raise MissingDependencyError(f"ONNX export needs onnx and onnxruntime: {pip_install('onnx')}") from None
    from .fast import optimize

    precision = precision_of(fp16, quantize)  # a bad convt is refused by optimize(), before anything is written
    if space not in SPACES:
        raise GanzooError(f"space must be one of {', '.join(map(repr, SPACES))}, got {space!r}")
    if space == "w":
        model.check_space("w")  # a style-based generator, or an error saying it is not
        if quantize:
            raise GanzooError("quantize='int8' calibrates on z: export the w file in fp32 or fp16")
    if space == "mapping":
        return _export_mapping(
            model,
            path,
            opset=opset,
            uint8=uint8,
            fp16=fp16,
            quantize=quantize,
            check=check,
            batch_sizes=batch_sizes,
            atol=atol,
            verbose=verbose,
        )

    path = _check_output(path, opset, "generator.onnx")
    gen = optimize(model.generator.to("cpu"), convt=convt, onnx=True)
    if fp16:
        gen = gen.half()
    wrapper = _Exportable(gen, uint8, model.conditional, fp16, space).eval()
    z = torch.randn(2, *model.latent_shape("w+" if space == "w" else "z"))
    first = "ws" if space == "w" else "z"  # the graph's input name (dynamic_shapes follow forward's argument order)
    if model.conditional:
        args, names = (z, torch.zeros(2, dtype=torch.long)), [first, "labels"]
    else:
        args, names = (z,), [first]
    proto = _export_proto(wrapper, args, names, "images", opset, verbose)
    meta = {
        **_model_meta(model),
        "output_format": "uint8 NHWC [0, 255]" if uint8 else "float32 NCHW [0, 1]",
        "precision": precision,
        "convt": convt,
        "inputs": "z: float32 [batch, latent_dim] standard normal"
        + ("; labels: int64 [batch] in [0, num_classes)" if model.conditional else ""),
    }
    if model.has_w_space:  # its truncation is psi in W: the runtime must not truncate z in its name
        meta["truncation"] = "w"
    if space == "w":
        meta.update(
            {
                "space": "w",
                "inputs": "ws: float32 [batch, num_ws, w_dim], one w per layer, coarsest first",
                **_w_meta(model),
            }
        )
    if quantize:
        with _quiet(verbose):
            proto = _quantize_int8(proto, model, path.parent)
    del proto.metadata_props[:]
    for k, v in meta.items():
        proto.metadata_props.add(key=k, value=v)
    # a unique temporary name, checked, then a rename: a file that fails its check never replaces `path`
    verify = (lambda tmp: verify_onnx(model, tmp, batch_sizes=batch_sizes, atol=atol, uint8=uint8)) if check else None
    atomic_write(path, lambda f: f.write(proto.SerializeToString()), check=verify)
    return path


def _model_meta(model) -> dict:
    """The metadata every exported generator file carries (the runtime reads it)."""
    return {
        "ganzoo_version": model.config.get("ganzoo_version", ""),
        "source": model.source,
        "architecture": model.architecture,
        "latent_dim": str(model.latent_dim),
        "image_shape": json.dumps(list(model.image_shape)),
        "num_classes": str(model.num_classes),
        "class_names": json.dumps(model.class_names),
    }


def _w_meta(model) -> dict:
    """A style-based generator's W in a file's metadata: num_ws, w_dim and w_avg (JSON, 7 decimals)."""
    g = model.generator
    return {
        "num_ws": str(g.num_ws),
        "w_dim": str(g.w_dim),
        "w_avg": json.dumps([round(float(v), 7) for v in g.w_avg.detach().cpu()]),
    }


def _export_mapping(
    model, path, *, opset: int, uint8: bool, fp16: bool, quantize, check: bool, batch_sizes, atol, verbose: bool
) -> Path:
    """`export_onnx(..., space="mapping")`: the mapping network alone, z -> ws, checked against torch."""
    if not model.has_w_space:
        raise GanzooError(
            f"space='mapping' needs a style-based generator (stylegan2-*); {model.source or model.architecture} "
            f"({model.architecture}) has no mapping network: export its z file (leave space out)"
        )
    for flag, given in (("uint8", uint8), ("fp16", fp16), ("quantize", quantize)):
        if given:
            raise GanzooError(f"{flag} is for image files: the mapping file (z -> ws) is fp32 only, drop {flag}")
    path = _check_output(path, opset, "mapping.onnx")
    wrapper = _ExportableMapping(model.generator.to("cpu").eval()).eval()
    proto = _export_proto(wrapper, (torch.randn(2, model.latent_dim),), ["z"], "ws", opset, verbose)
    meta = {
        **_model_meta(model),
        "space": "mapping",
        "output_format": "float32 ws [batch, num_ws, w_dim], the w repeated for every layer",
        "precision": "fp32",
        "inputs": "z: float32 [batch, latent_dim] standard normal",
        "truncation": "w",
        **_w_meta(model),
    }
    del proto.metadata_props[:]
    for k, v in meta.items():
        proto.metadata_props.add(key=k, value=v)
    verify = (lambda tmp: verify_onnx(model, tmp, batch_sizes=batch_sizes, atol=atol)) if check else None
    atomic_write(path, lambda f: f.write(proto.SerializeToString()), check=verify)
    return path


def _check_inputs(model, b: int, space: str) -> torch.Tensor:
    """Seeded inputs of batch b for the export check: z, or ws spread around w_avg like the generator's own."""
    gen = torch.Generator().manual_seed(b)
    if space == "z":
        return torch.randn(b, model.latent_dim, generator=gen)
    g = model.generator
    with torch.no_grad():
        w = g.mapping(torch.randn(b * g.num_ws, model.latent_dim, generator=gen).to(g.w_avg.device))
    return w.reshape(b, g.num_ws, g.w_dim).cpu()  # every layer a different w: mixing at its most


def calibration_feeds(model) -> list[dict]:
    """The int8 calibration inputs: the model's own latents (and balanced labels), fixed seed."""
    import numpy as np

    rng = np.random.default_rng(CALIBRATION_SEED)
    feeds = []
    for _ in range(CALIBRATION_BATCHES):
        f = {"z": rng.standard_normal((CALIBRATION_BATCH, model.latent_dim), dtype=np.float32)}
        if model.conditional:
            f["labels"] = np.arange(CALIBRATION_BATCH, dtype=np.int64) % model.num_classes
        feeds.append(f)
    return feeds


def _quantize_int8(proto, model, near: Path):
    """onnxruntime static quantisation (QDQ: int8 weights per channel, uint8 activations) of the fp32 graph."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.feeds = iter(calibration_feeds(model))

        def get_next(self):
            return next(self.feeds, None)

    weighted = ["Conv", "ConvTranspose", "Gemm", "MatMul"]
    # The layer that draws the pixels stays fp32: quantised, it cost dcgan-fashion-mnist 36 % in FD (15.2 ->
    # 20.6); kept in fp32, 5 % (16.0). In the phase form it is a PhasePair's four `draw` convs; otherwise the
    # last weighted node. The image conversion after it (Tanh, scale, clamp) is never quantised either.
    draw = [n.name for n in proto.graph.node if n.op_type in weighted and any(".draw." in i for i in n.input)]
    last = draw or [n.name for n in proto.graph.node if n.op_type in weighted][-1:]
    # Interpolation by constant matrices (StyleGAN2's Upsample2x: buffers `up`, `up_t`) is exact in float and
    # cheap; quantised it only adds error.
    interp = [
        n.name for n in proto.graph.node if n.op_type == "MatMul" and any(i.endswith((".up", ".up_t")) for i in n.input)
    ]
    # scratch files in a new folder of our own beside the output (the same disk), removed afterwards
    with tempfile.TemporaryDirectory(dir=near, prefix=".ganzoo-quantize-") as scratch:
        src, dst = Path(scratch) / "fp32.onnx", Path(scratch) / "int8.onnx"
        onnx.save_model(proto, str(src))
        quantize_static(
            str(src),
            str(dst),
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=weighted,
            nodes_to_exclude=last + interp,
        )
        return onnx.load(str(dst))


def verify_onnx(
    model, path: str | os.PathLike, *, batch_sizes=(1, 7, 64), atol: float | None = None, uint8: bool = False
) -> dict:
    """onnx.checker (full check) + onnxruntime vs the fp32 torch generator; returns {batch: difference}
    (max |diff|; for int8 files mean |diff|), within atol (default TOLERANCE of the file's precision). A mapping
    file is compared with the torch mapping network's ws."""
    import numpy as np
    import onnx

    from .runtime import OnnxGenerator

    onnx.checker.check_model(str(path), full_check=True)
    rt = OnnxGenerator(path)
    mean = rt.precision == "int8"
    if atol is None:
        atol = TOLERANCE[rt.precision]
    gen = model.generator.to("cpu").eval()
    space = rt.space
    if space == "mapping":
        wrapper = _ExportableMapping(gen).eval()
    else:
        wrapper = _Exportable(gen, uint8, model.conditional, space=space).eval()
    diffs = {}
    for b in batch_sizes:
        z = _check_inputs(model, b, "z" if space == "mapping" else space)
        y = (torch.arange(b) % model.num_classes) if model.conditional else None
        with torch.inference_mode():
            ref = (wrapper(z) if space == "mapping" else wrapper(z, y)).numpy()
        got = rt.map(z.numpy()) if space == "mapping" else rt.generate(z.numpy(), None if y is None else y.numpy())
        err = np.abs(got.astype(np.float64) - ref.astype(np.float64))
        diff = float(err.mean() if mean else err.max())
        diffs[b] = diff
        limit = atol * 255 + 1 if uint8 else atol
        if diff > limit:
            raise GanzooError(
                f"ONNX export check failed at batch {b}: {'mean' if mean else 'max'} abs difference "
                f"{diff:.2e} > {limit:g} ({rt.precision} file)"
            )
    return diffs


class _ExportableTranslator(nn.Module):
    """One translator of an image-to-image model with the [0, 1] <-> [-1, 1] conversions, so the graph matches
    `TranslationModel.translate`: images (B, C, H, W) in [0, 1] in, the other domain's images in [0, 1] out."""

    def __init__(self, translator: nn.Module):
        super().__init__()
        self.t = translator

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return to_unit_range(self.t(images * 2 - 1))


def export_translator(
    model,
    path: str | os.PathLike,
    *,
    to: str,
    opset: int = DEFAULT_OPSET,
    check: bool = True,
    batch_sizes: tuple[int, ...] = (1, 7, 64),
    atol: float | None = None,
    verbose: bool = False,
) -> Path:
    """Export one direction of a TranslationModel (the translator into domain `to`) to one self-contained ONNX file
    and verify it. Input `images`: float32 [batch, C, H, W] in [0, 1] of the other domain, dynamic batch; output
    `images_out`: float32 [batch, C, H, W] in [0, 1]. Its metadata names both domains (`source_domain`,
    `target_domain`), for `ganzoo.runtime.OnnxTranslator`. fp32 only (no uint8, fp16 or int8 forms)."""
    try:
        import onnx  # noqa: F401  (the export needs it: said here, before any work)
    except ImportError:
        raise MissingDependencyError(f"ONNX export needs onnx and onnxruntime: {pip_install('onnx')}") from None
    target = model.check_domain(to, "to")
    source = model.other(target)
    path = _check_output(path, opset, "translator.onnx")
    import copy

    wrapper = _ExportableTranslator(copy.deepcopy(model.generator.translator(target)).to("cpu")).eval()
    x = torch.rand(2, *model.image_shape)
    proto = _export_proto(wrapper, (x,), ["images"], "images_out", opset, verbose)
    meta = {
        "ganzoo_version": model.config.get("ganzoo_version", ""),
        "source": model.source,
        "architecture": model.architecture,
        "task": "translation",
        "domains": json.dumps(list(model.domains)),
        "source_domain": source,
        "target_domain": target,
        "image_shape": json.dumps(list(model.image_shape)),
        "output_format": TRANSLATOR_FORMAT,
        "precision": "fp32",
        "inputs": f"images: float32 [batch, C, H, W] in [0, 1], {source} images",
    }
    del proto.metadata_props[:]
    for k, v in meta.items():
        proto.metadata_props.add(key=k, value=v)
    verify = (lambda tmp: verify_translator(model, tmp, batch_sizes=batch_sizes, atol=atol)) if check else None
    atomic_write(path, lambda f: f.write(proto.SerializeToString()), check=verify)
    return path


def verify_translator(model, path: str | os.PathLike, *, batch_sizes=(1, 7, 64), atol: float | None = None) -> dict:
    """onnx.checker (full check) + onnxruntime vs `model.translate` on seeded images in [0, 1]; returns
    {batch: max |diff|}, each within atol (default TOLERANCE["fp32"])."""
    import numpy as np
    import onnx

    from .runtime import OnnxTranslator

    onnx.checker.check_model(str(path), full_check=True)
    rt = OnnxTranslator(path)
    atol = TOLERANCE["fp32"] if atol is None else atol
    diffs = {}
    for b in batch_sizes:
        x = torch.rand(b, *model.image_shape, generator=torch.Generator().manual_seed(b))
        ref = model.translate(x.to(model.device), to=rt.target_domain).cpu().numpy()
        diff = float(np.abs(rt.translate(x.numpy()).astype(np.float64) - ref).max())
        diffs[b] = diff
        if diff > atol:
            raise GanzooError(f"ONNX export check failed at batch {b}: max abs difference {diff:.2e} > {atol:g}")
    return diffs

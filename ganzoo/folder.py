"""The model folder format, shared by bundled zoo weights, local folders and Hub repos.

    config.json               architecture, its config, output range, latent size, classes, version
    model.safetensors         generator weights
    discriminator.safetensors (optional) discriminator / critic weights
    README.md                 (optional) model card
    samples.png               (optional) sample grid

No pickle anywhere. Loading is strict and goes to CPU first.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import __version__
from .errors import ModelFolderError
from .fileio import atomic_write_bytes
from .models import build_empty, build_meta, make_config
from .registry import ARCHITECTURES, did_you_mean

CONFIG = "config.json"
GENERATOR = "model.safetensors"
DISCRIMINATOR = "discriminator.safetensors"


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# config.json's top-level keys that make_config_dict writes from the architecture and its config
FROM_ARCHITECTURE = frozenset(
    {"ganzoo_version", "architecture", "config", "latent_dim", "image_shape", "output_range", "num_classes"}
)


def make_config_dict(
    arch: str, cfg, /, *, dataset: str | None = None, class_names: list[str] | None = None, **extra: Any
) -> dict:
    """config.json's content; `extra` holds the other known top-level keys (training=...)."""
    derived = FROM_ARCHITECTURE | {"class_names", "dataset"}
    unknown = sorted(set(extra) - (set(TOP_LEVEL_KEYS) - derived))
    if unknown:  # never write a folder that load would refuse
        raise ModelFolderError(
            f"config.json cannot hold {unknown}: known top-level keys are "
            f"{', '.join(TOP_LEVEL_KEYS)}, and {', '.join(sorted(derived))} come from the model"
        )
    cfg_dict = dataclasses.asdict(cfg)
    num_classes = cfg_dict.get("num_classes", 0)
    if class_names is None:
        class_names = [str(i) for i in range(num_classes)]
    return {
        "ganzoo_version": __version__,
        "architecture": arch,
        "config": cfg_dict,
        "latent_dim": cfg.latent_dim,
        "image_shape": [cfg.channels, cfg.image_size, cfg.image_size],
        "output_range": [-1.0, 1.0],
        "num_classes": num_classes,
        "class_names": list(class_names) if num_classes else [],
        "dataset": dataset,
        **extra,
    }


def save_folder(
    path: str | os.PathLike,
    arch: str,
    cfg,
    generator: nn.Module,
    discriminator: nn.Module | None = None,
    /,
    *,
    generator_dtype: torch.dtype | None = None,
    **meta: Any,
) -> Path:
    """Write a model folder; returns its path. `meta` goes into config.json (dataset, class_names, ...).
    `generator_dtype=torch.float16` stores the generator's floating tensors in half precision (half the
    size; loading computes in float32 again): what a recipe with storage="float16" ships."""
    from safetensors.torch import save

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    conf = make_config_dict(arch, cfg, **meta)
    atomic_write_bytes(path / GENERATOR, save(_cpu_state(generator, generator_dtype), metadata={"format": "pt"}))
    if discriminator is not None:
        atomic_write_bytes(path / DISCRIMINATOR, save(_cpu_state(discriminator), metadata={"format": "pt"}))
    atomic_write_bytes(path / CONFIG, (json.dumps(conf, indent=2) + "\n").encode())
    return path


def _cpu_state(module: nn.Module, dtype: torch.dtype | None = None) -> dict[str, torch.Tensor]:
    module = getattr(module, "module", module)  # unwrap DDP
    state = {k: v.detach().to("cpu").contiguous() for k, v in module.state_dict().items()}
    if dtype is not None:
        state = {k: v.to(dtype) if v.is_floating_point() else v for k, v in state.items()}
    return state


def upcast_half(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Half-precision storage (float16 / bfloat16) back to the float32 the networks compute in."""
    return {k: v.float() if v.dtype in (torch.float16, torch.bfloat16) else v for k, v in state.items()}


MAX_CONFIG_BYTES = 1 << 20  # a ganzoo config.json is about 1 kB; a larger one is not ours

# The top-level keys of config.json (make_config_dict writes them; "training" is the run's summary) and
# a check of each value. An unknown key is refused: ganzoo would drop or misread it.
TOP_LEVEL_KEYS = {
    "ganzoo_version": (lambda v: isinstance(v, str) and len(v) <= 100, "a version string"),
    "architecture": (lambda v: isinstance(v, str), "a string"),
    "config": (lambda v: isinstance(v, dict), "an object of architecture settings"),
    "latent_dim": (lambda v: True, "an int"),  # checked against the architecture config (validate_config)
    "image_shape": (lambda v: True, "[channels, size, size]"),
    "num_classes": (lambda v: True, "an int"),
    "class_names": (lambda v: True, "a list of strings"),
    "output_range": (
        lambda v: _same(v, [-1.0, 1.0]) or _same(v, [-1, 1]),
        "[-1.0, 1.0] (ganzoo generators end in tanh)",
    ),
    "dataset": (  # a name, never a path: it picks data folders and classifiers
        lambda v: v is None or isinstance(v, str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", v) is not None,
        "a data set name or null (letters, digits, '.', '_' and '-', such as fashion-mnist)",
    ),
    "training": (lambda v: isinstance(v, dict), "an object (the training run's summary)"),
}


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _absent(file: Path, why: str) -> ModelFolderError:
    """The error for a model folder's file that is not a regular file: missing, or something else of that name."""
    if not os.path.lexists(file):
        return ModelFolderError(f"{file.parent} has no {file.name}: {why}")
    kind = (
        "a folder"
        if file.is_dir()
        else "a broken or looping symbolic link"
        if file.is_symlink()
        else "not a regular file (a pipe, a device or a socket)"
    )
    return ModelFolderError(f"{file} is {kind}, not the file a model folder needs: {why}")


def read_config(path: str | os.PathLike) -> dict:
    """config.json of a model folder, parsed and checked at the top level; any damage is a ModelFolderError."""
    path = Path(path)
    if not path.is_dir():
        raise ModelFolderError(f"{path} is not a folder. A ganzoo model is a folder with {CONFIG} and {GENERATOR}.")
    cfile = path / CONFIG
    if not cfile.is_file():
        raise _absent(
            cfile,
            f"it is not a ganzoo model folder. A model folder holds {CONFIG} and {GENERATOR} (see `ganzoo info` "
            "and the README).",
        )
    damaged = "Re-download or re-export the model."
    try:
        with open(cfile, "rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as e:
        raise ModelFolderError(f"cannot read {cfile}: {e.strerror or e}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ModelFolderError(
            f"{cfile} is larger than {MAX_CONFIG_BYTES >> 20} MiB; a ganzoo config.json is "
            f"about 1 kB, so this is not one. {damaged}"
        )
    try:
        conf = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as e:
        raise ModelFolderError(f"{cfile} is not UTF-8 text (byte {e.start}); it is damaged. {damaged}") from None
    except json.JSONDecodeError as e:
        raise ModelFolderError(f"{cfile} is not valid JSON ({e}). {damaged}") from None
    except RecursionError:
        raise ModelFolderError(f"{cfile} is nested too deeply to be a ganzoo config. {damaged}") from None
    except ValueError as e:  # NaN/Infinity, an integer of thousands of digits
        why = "an integer of thousands of digits" if "digits" in str(e) else str(e)  # not Python's own advice
        raise ModelFolderError(f"{cfile} holds a value ganzoo does not accept ({why}). {damaged}") from None
    if not isinstance(conf, dict):
        raise ModelFolderError(
            f"{cfile} must hold a JSON object, got {type(conf).__name__}; it was not written by ganzoo. {damaged}"
        )
    unknown = sorted(k for k in conf if k not in TOP_LEVEL_KEYS)
    if unknown:
        from .models import _short

        raise ModelFolderError(
            f"{cfile} has unknown top-level key(s) {', '.join(_short(k) for k in unknown[:5])}"
            f"{' ...' if len(unknown) > 5 else ''}; known: {', '.join(TOP_LEVEL_KEYS)}. The file was edited, "
            f"or a newer ganzoo wrote it (this is {__version__})."
        )
    for key in ("architecture", "config"):
        if key not in conf:
            raise ModelFolderError(f"{cfile} lacks the {key!r} key; it was not written by ganzoo.")
    for key, value in conf.items():
        ok, kind = TOP_LEVEL_KEYS[key]
        if not ok(value):
            from .models import _short

            raise ModelFolderError(f"{cfile}: {key!r} must be {kind}, got {_short(value)}. {damaged}")
    if conf["architecture"] not in ARCHITECTURES:
        raise ModelFolderError(
            f"{cfile} names unknown architecture {conf['architecture']!r}."
            f"{did_you_mean(conf['architecture'], ARCHITECTURES)} "
            f"Known: {', '.join(ARCHITECTURES)}. A newer ganzoo may be needed (this is {__version__})."
        )
    return conf


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same JSON types (8.0 is not the int 8, true is not 1)."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def load_state_file(file: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not file.is_file():
        raise _absent(file, "the weights are missing. Re-download the model or re-run the training recipe.")
    try:
        return load_file(str(file), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise ModelFolderError(f"{file} is corrupt or not a safetensors file ({e}). Re-download it.") from e


def mismatch_error(module: nn.Module, shapes: dict[str, tuple], file: Path) -> None:
    """Raise an error naming the missing, unexpected and mis-shaped keys of `shapes` against `module`."""
    expected = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    missing = sorted(set(expected) - set(shapes))
    unexpected = sorted(set(shapes) - set(expected))
    wrong = [
        f"{k}: file {shapes[k]} vs config {expected[k]}" for k in expected if k in shapes and shapes[k] != expected[k]
    ]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing keys {missing[:5]}{' ...' if len(missing) > 5 else ''}")
        if unexpected:
            parts.append(f"unexpected keys {unexpected[:5]}{' ...' if len(unexpected) > 5 else ''}")
        if wrong:
            parts.append(f"shape mismatches {wrong[:5]}{' ...' if len(wrong) > 5 else ''}")
        raise ModelFolderError(
            f"{file} does not match the architecture in config.json: {'; '.join(parts)}. "
            "The weights and config.json come from different models; re-download or re-export the folder."
        )


def load_strict(module: nn.Module, state: dict[str, torch.Tensor], file: Path) -> None:
    """load_state_dict(strict=True) with an error that names the offending keys and shapes."""
    mismatch_error(module, {k: tuple(v.shape) for k, v in state.items()}, file)
    module.load_state_dict(state, strict=True)


def validate_config(conf: dict, cfg, file: Path) -> None:
    """The top-level fields every consumer reads, present and consistent with the architecture config `cfg`."""
    expected = {
        "latent_dim": cfg.latent_dim,
        "image_shape": [cfg.channels, cfg.image_size, cfg.image_size],
        "num_classes": cfg.num_classes,
    }
    for key, want in expected.items():
        if key not in conf:
            raise ModelFolderError(
                f"{file} lacks {key!r}; a ganzoo config.json holds latent_dim, image_shape, "
                "num_classes and class_names. Re-export or re-download the folder."
            )
        if not _same(conf[key], want):
            from .models import _short

            raise ModelFolderError(
                f"{file}: {key} is {_short(conf[key])} but the architecture config says {want!r}; "
                "the file was edited or is damaged. Re-export or re-download the folder."
            )
    names = conf.get("class_names")
    k = conf["num_classes"]
    if (
        not isinstance(names, list)
        or not all(isinstance(n, str) for n in names)
        or len(names) != k
        or len(set(names)) != len(names)
    ):
        from .models import _short

        raise ModelFolderError(f"{file}: class_names must be {k} distinct strings (one per class), got {_short(names)}")


def check_header(module: nn.Module, file: Path, *, half_ok: bool = False) -> None:
    """Compare the weights file's header (names, shapes, dtypes) with the module before any tensor is read.
    `half_ok`: float32 tensors may be stored as float16 or bfloat16 (a generator's half-precision storage).

    `module` is built on the meta device, so a config.json that declares huge sizes costs nothing
    here and fails with the mismatch instead of exhausting memory.
    """
    from safetensors import SafetensorError, safe_open

    if not file.is_file():
        raise _absent(file, "the weights are missing. Re-download the model or re-run the training recipe.")
    try:
        with safe_open(str(file), framework="pt") as f:
            header = {k: (tuple(f.get_slice(k).get_shape()), f.get_slice(k).get_dtype()) for k in f.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError, OverflowError) as e:
        raise ModelFolderError(f"{file} is corrupt or not a safetensors file ({e}). Re-download it.") from e
    mismatch_error(module, {k: shape for k, (shape, _) in header.items()}, file)
    for k, v in module.state_dict().items():
        # load_state_dict would cast ints and bools to floats silently: all-zero or constant images
        want = SAFETENSORS_DTYPES.get(v.dtype, str(v.dtype))
        if header[k][1] != want and not (half_ok and want == "F32" and header[k][1] in ("F16", "BF16")):
            also = " or half-precision 'F16'/'BF16'" if half_ok and want == "F32" else ""
            raise ModelFolderError(
                f"{file}: tensor {k!r} is stored as {header[k][1]!r}, but the architecture "
                f"needs {want!r} ({v.dtype}){also}. The file was not written by ganzoo or was "
                "converted; re-download or re-export the model."
            )


SAFETENSORS_DTYPES = {
    torch.float32: "F32",
    torch.float64: "F64",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.bool: "BOOL",
}


def check_finite(state: dict[str, torch.Tensor], file: Path) -> None:
    """Refuse weights holding NaN or infinities: they would sample black or constant images silently."""
    for k, t in state.items():
        if t.is_floating_point():
            bad = t.numel() - int(torch.isfinite(t).sum())
            if bad:
                raise ModelFolderError(
                    f"{file}: tensor {k!r} holds {bad} NaN or infinite value(s) of {t.numel()}: "
                    "the weights are damaged (or training diverged). Re-download the model, or "
                    "export it from an earlier checkpoint."
                )


def load_modules(path: str | os.PathLike, *, discriminator: bool = False) -> tuple[dict, nn.Module, nn.Module | None]:
    """(config dict, generator, discriminator or None) on CPU, in eval mode."""
    path = Path(path)
    conf = read_config(path)
    if not isinstance(conf["config"], dict):
        raise ModelFolderError(f"{path / CONFIG}: 'config' must be an object of architecture settings")
    try:
        cfg = make_config(conf["architecture"], conf["config"])
    except (TypeError, ValueError) as e:
        raise ModelFolderError(f"{path / CONFIG} has an invalid config: {e}") from e
    validate_config(conf, cfg, path / CONFIG)
    try:
        gen, disc = build_meta(conf["architecture"], cfg)  # nothing allocated until the files agree with config.json
    except (RuntimeError, ValueError, TypeError, OverflowError) as e:  # sizes torch cannot lay out
        raise ModelFolderError(
            f"{path / CONFIG}: the architecture config cannot be built ({e}). Re-download or re-export the model."
        ) from None
    discriminator = discriminator and disc is not None  # a VAE has none to load
    check_header(gen, path / GENERATOR, half_ok=True)  # upcast_half below
    if discriminator:
        check_header(disc, path / DISCRIMINATOR)
    gen, disc = build_empty(conf["architecture"], cfg)  # the strict loads below fill every parameter and buffer
    state = load_state_file(path / GENERATOR)
    check_finite(state, path / GENERATOR)
    load_strict(gen, upcast_half(state), path / GENERATOR)
    gen.eval()
    if discriminator:
        state = load_state_file(path / DISCRIMINATOR)
        check_finite(state, path / DISCRIMINATOR)
        load_strict(disc, state, path / DISCRIMINATOR)
        disc.eval()
    else:
        disc = None
    return conf, gen, disc

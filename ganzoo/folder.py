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
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import __version__
from .errors import ModelFolderError
from .fileio import atomic_write_bytes
from .models import build, make_config
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


def make_config_dict(
    arch: str, cfg, *, dataset: str | None = None, class_names: list[str] | None = None, **extra: Any
) -> dict:
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


def read_config(path: str | os.PathLike) -> dict:
    path = Path(path)
    if not path.is_dir():
        raise ModelFolderError(f"{path} is not a folder. A ganzoo model is a folder with {CONFIG} and {GENERATOR}.")
    cfile = path / CONFIG
    if not cfile.is_file():
        raise ModelFolderError(
            f"{path} has no {CONFIG}: it is not a ganzoo model folder. "
            f"A model folder holds {CONFIG} and {GENERATOR} (see `ganzoo info` and the README)."
        )
    try:
        conf = json.loads(cfile.read_text())
    except json.JSONDecodeError as e:
        raise ModelFolderError(f"{cfile} is not valid JSON ({e}). Re-download or re-export the model.") from e
    for key in ("architecture", "config"):
        if key not in conf:
            raise ModelFolderError(f"{cfile} lacks the {key!r} key; it was not written by ganzoo.")
    if conf["architecture"] not in ARCHITECTURES:
        raise ModelFolderError(
            f"{cfile} names unknown architecture {conf['architecture']!r}."
            f"{did_you_mean(conf['architecture'], ARCHITECTURES)} "
            f"Known: {', '.join(ARCHITECTURES)}. A newer ganzoo may be needed (this is {__version__})."
        )
    return conf


def load_state_file(file: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not file.is_file():
        raise ModelFolderError(
            f"{file.parent} has no {file.name}: the weights are missing. "
            "Re-download the model or re-run the training recipe."
        )
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
        if conf[key] != want:
            raise ModelFolderError(
                f"{file}: {key} is {conf[key]!r} but the architecture config says {want!r}; "
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
        raise ModelFolderError(f"{file}: class_names must be {k} distinct strings (one per class), got {names!r}")


def check_header(module: nn.Module, file: Path) -> None:
    """Compare the weights file's header (names, shapes) with the module before any tensor is read.

    `module` is built on the meta device, so a config.json that declares huge sizes costs nothing
    here and fails with the mismatch instead of exhausting memory.
    """
    from safetensors import SafetensorError, safe_open

    if not file.is_file():
        raise ModelFolderError(
            f"{file.parent} has no {file.name}: the weights are missing. "
            "Re-download the model or re-run the training recipe."
        )
    try:
        with safe_open(str(file), framework="pt") as f:
            shapes = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise ModelFolderError(f"{file} is corrupt or not a safetensors file ({e}). Re-download it.") from e
    mismatch_error(module, shapes, file)


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
    with torch.device("meta"):  # shapes only: nothing is allocated until the files agree with config.json
        gen, disc = build(conf["architecture"], cfg)
    discriminator = discriminator and disc is not None  # a VAE has none to load
    check_header(gen, path / GENERATOR)
    if discriminator:
        check_header(disc, path / DISCRIMINATOR)
    gen, disc = build(conf["architecture"], cfg)
    load_strict(gen, upcast_half(load_state_file(path / GENERATOR)), path / GENERATOR)
    gen.eval()
    if discriminator:
        load_strict(disc, load_state_file(path / DISCRIMINATOR), path / DISCRIMINATOR)
        disc.eval()
    else:
        disc = None
    return conf, gen, disc

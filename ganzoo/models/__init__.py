"""Building networks from the registry's architecture table (ganzoo.registry.ARCHITECTURES).

One file per architecture in this package; this module turns a name and a config dict into
modules. The names, papers and "module:Class" specs live in the registry, not here.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any

import torch
from torch import nn

from ..registry import ARCHITECTURES, get_architecture

__all__ = ["ARCHITECTURES", "build", "build_meta", "config_class", "make_config"]


def config_class(arch: str) -> type:
    """The config dataclass of an architecture."""
    return get_architecture(arch).classes()[0]


def make_config(arch: str, values: dict[str, Any] | None = None):
    """Build an architecture's config dataclass from a plain dict (as stored in config.json)."""
    cls = config_class(arch)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values = dict(values or {})
    unknown = sorted(set(values) - set(fields))
    if unknown:
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise ValueError(
            f"Unknown {arch} config keys {', '.join(_short(k) for k in unknown[:5])}{more}; "
            f"valid keys: {sorted(fields)}"
        )
    defaults = cls()
    for k, v in values.items():  # types follow the defaults'; JSON turns tuples into lists
        like = getattr(defaults, k)
        if isinstance(like, tuple) and isinstance(v, list):
            v = values[k] = tuple(v)
        ok = (
            isinstance(v, str) and len(v) <= 100
            if isinstance(like, str)
            else isinstance(v, tuple) and len(v) <= 100 and all(_is_int(e) and 1 <= e <= MAX_SIZE for e in v)
            if isinstance(like, tuple)
            else _is_int(v) and 0 <= v <= MAX_SIZE
            if isinstance(like, int)
            else isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        )
        if not ok:
            raise ValueError(f"{arch} config key {k!r} must be {_kind(like)}, got {_short(v)}")
    if not get_architecture(arch).conditional and values.get("num_classes", 0) != 0:
        # the networks would ignore labels while the model claimed to take them
        conditional = [a.name for a in ARCHITECTURES.values() if a.conditional]
        raise ValueError(
            f"{arch} is unconditional: its num_classes must be 0, got {values['num_classes']!r} "
            f"(the class-conditional architectures: {', '.join(conditional)})"
        )
    return cls(**values)


# Sizes (widths, latent size, image size, classes) above this are refused: no GAN in reach of this package
# comes near, and torch would fail to build such layers with an obscure overflow instead.
MAX_SIZE = 2**20


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _short(v: Any) -> str:
    """repr(v), cut to a readable length (a hostile config may hold huge values)."""
    text = repr(v) if not _is_int(v) or v.bit_length() < 200 else f"an int of {v.bit_length()} bits"
    return text if len(text) <= 80 else text[:77] + "..."


def _kind(like: Any) -> str:
    if isinstance(like, str):
        return "a string (at most 100 characters)"
    if isinstance(like, tuple):
        return f"a list of at most 100 ints in [1, {MAX_SIZE}]"
    return f"an int in [0, {MAX_SIZE}]" if isinstance(like, int) else "a finite number"


def build(arch: str, cfg=None) -> tuple[nn.Module, nn.Module | None]:
    """(generator, discriminator) for an architecture name and config; the discriminator is None for a family
    trained without one (the VAE)."""
    config, generator, discriminator = get_architecture(arch).classes()
    cfg = cfg if cfg is not None else config()
    return generator(cfg), (discriminator(cfg) if discriminator is not None else None)


@functools.lru_cache(maxsize=32)
def build_meta(arch: str, cfg: Any) -> tuple[nn.Module, nn.Module | None]:
    """`build` on the meta device: shapes and dtypes only, no memory, so a config declaring huge sizes costs
    nothing. Kept per (architecture, config): read the modules, never change them. torch runs spectral norm's
    power iterations on meta through Python decompositions, about a second per BigGAN build."""
    with torch.device("meta"):
        return build(arch, cfg)

"""Building networks from the registry's architecture table (ganzoo.registry.ARCHITECTURES).

One file per architecture in this package; this module turns a name and a config dict into
modules. The names, papers and "module:Class" specs live in the registry, not here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from torch import nn

from ..registry import ARCHITECTURES, get_architecture

__all__ = ["ARCHITECTURES", "build", "config_class", "make_config"]


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
        raise ValueError(f"Unknown {arch} config keys {unknown}; valid keys: {sorted(fields)}")
    defaults = cls()
    for k, v in values.items():  # types follow the defaults'; JSON turns tuples into lists
        like = getattr(defaults, k)
        if isinstance(like, tuple) and isinstance(v, list):
            v = values[k] = tuple(v)
        ok = (
            isinstance(v, str)
            if isinstance(like, str)
            else isinstance(v, tuple) and all(_is_int(e) and e >= 1 for e in v)
            if isinstance(like, tuple)
            else _is_int(v) and v >= 0
            if isinstance(like, int)
            else isinstance(v, (int, float)) and not isinstance(v, bool)
        )
        if not ok:
            raise ValueError(f"{arch} config key {k!r} must be {_kind(like)}, got {v!r}")
    return cls(**values)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _kind(like: Any) -> str:
    if isinstance(like, str):
        return "a string"
    if isinstance(like, tuple):
        return "a list of positive ints"
    return "an int >= 0" if isinstance(like, int) else "a number"


def build(arch: str, cfg=None) -> tuple[nn.Module, nn.Module | None]:
    """(generator, discriminator) for an architecture name and config; the discriminator is None for a family
    trained without one (the VAE)."""
    config, generator, discriminator = get_architecture(arch).classes()
    cfg = cfg if cfg is not None else config()
    return generator(cfg), (discriminator(cfg) if discriminator is not None else None)

"""Building networks from the registry's architecture table (ganzoo.registry.ARCHITECTURES).

One file per architecture in this package; this module turns a name and a config dict into
modules. The names, papers and "module:Class" specs live in the registry, not here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import threading
from typing import Any

import torch
from torch import nn

from ..registry import ARCHITECTURES, get_architecture

__all__ = ["ARCHITECTURES", "build", "build_empty", "build_meta", "config_class", "make_config"]


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
        if k in ("image_size", "channels") and v < 1:  # every family's: an image has at least one pixel and channel
            raise ValueError(f"{arch} config key {k!r} must be >= 1, got {v}")
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
    nothing. Kept per (architecture, config): read the modules, never change them."""
    with torch.device("meta"), _skipping_init():
        return build(arch, cfg)


def build_empty(arch: str, cfg: Any) -> tuple[nn.Module, nn.Module | None]:
    """`build` without the random initialisation: parameters and buffers hold whatever memory held, for a strict
    load to overwrite every one of them (a fresh build's draws, BigGAN's orthogonal QRs among them, would take
    seconds only to be thrown away)."""
    with _skipping_init():
        return build(arch, cfg)


# Skipping is per thread: a build in another thread meanwhile initialises as usual.
_SKIP = threading.local()


def skipping_init() -> bool:
    """True inside `build_meta` / `build_empty` (in this thread): a module's own initialisation may skip its work
    (torch's orthogonal_ draws through Tensor.normal_, which is skipped, but then runs a QR of the undrawn values)."""
    return getattr(_SKIP, "depth", 0) > 0


@contextlib.contextmanager
def _skipping_init():
    _hook_spectral_norm()
    _SKIP.depth = getattr(_SKIP, "depth", 0) + 1
    try:
        with _NoRandomInit():
            yield
    finally:
        _SKIP.depth -= 1


class _NoRandomInit(torch.overrides.TorchFunctionMode):
    """In-place random initialisations (normal_, uniform_, nn.init's) return their tensor untouched: for a build
    whose values a load replaces, and on the meta device, where there are no values to draw and torch decomposes
    them in Python, importing torch._dynamo on first use (18 s of a cGAN's or BigGAN's first load on this
    project's 2-core machine, for nn.Embedding's normal_). A TorchFunctionMode acts in the thread that entered it."""

    # Three of nn.init's functions dispatch here themselves (the tensor methods they call inside then do not); the
    # others call Tensor.normal_ / uniform_ inside, skipped as such (orthogonal_ then still runs its QR, which
    # BigGAN's initialiser skips by asking `skipping_init()`).
    SKIP = frozenset(
        {torch.Tensor.normal_, torch.Tensor.uniform_, nn.init.normal_, nn.init.uniform_, nn.init.kaiming_uniform_}
    )

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in self.SKIP:
            return args[0] if args else kwargs["tensor"]
        return func(*args, **kwargs)


_HOOK_LOCK = threading.Lock()


def _hook_spectral_norm() -> None:
    """Once per process: spectral norm's parametrization, while `skipping_init()`, keeps only its shape (the same
    buffers _u and _v, left empty, and state-dict keys; no power iterations at init; an identity forward for the
    registration's shape check; a load fills _u and _v), and is torch's own otherwise. On the meta device torch
    runs those steps through Python decompositions whose first use imports their machinery (10-15 s of a BigGAN
    load on this project's 2-core machine). If torch's private class moves, nothing is hooked and builds are only
    slower."""
    sn = getattr(torch.nn.utils.parametrizations, "_SpectralNorm", None)
    with _HOOK_LOCK:
        if sn is None or not hasattr(sn, "_reshape_weight_to_matrix") or getattr(sn, "_ganzoo_hooked", False):
            return
        init, forward = sn.__init__, sn.forward

        def shaped_init(self, weight: torch.Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12):
            if not skipping_init():
                return init(self, weight, n_power_iterations, dim, eps)
            nn.Module.__init__(self)
            self.dim, self.eps = (dim if dim >= 0 else dim + weight.ndim), eps
            if weight.ndim > 1:
                self.n_power_iterations = n_power_iterations
                h, w = self._reshape_weight_to_matrix(weight).shape
                self.register_buffer("_u", weight.new_empty(h))
                self.register_buffer("_v", weight.new_empty(w))

        def shaped_forward(self, weight: torch.Tensor) -> torch.Tensor:
            return weight if skipping_init() else forward(self, weight)

        sn.__init__, sn.forward, sn._ganzoo_hooked = shaped_init, shaped_forward, True

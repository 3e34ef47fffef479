"""Architecture registry: the one place architecture names map to code."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from torch import nn

from .cgan import CGANConfig, CGANDiscriminator, CGANGenerator
from .dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator
from .gan import GANConfig, GANDiscriminator, GANGenerator
from .wgan import WGANConfig, WGANCritic, WGANGenerator
from .wgan_gp import WGANGPConfig, WGANGPCritic, WGANGPGenerator


@dataclass(frozen=True)
class Architecture:
    name: str
    paper: str
    config: type
    generator: type[nn.Module]
    discriminator: type[nn.Module]

    @property
    def conditional(self) -> bool:
        return self.config().num_classes > 0


ARCHITECTURES: dict[str, Architecture] = {
    a.name: a
    for a in [
        Architecture("gan", "Goodfellow et al. 2014, Generative Adversarial Nets", GANConfig, GANGenerator, GANDiscriminator),
        Architecture("dcgan", "Radford et al. 2015, Unsupervised Representation Learning with DCGANs", DCGANConfig, DCGANGenerator, DCGANDiscriminator),
        Architecture("cgan", "Mirza & Osindero 2014, Conditional Generative Adversarial Nets", CGANConfig, CGANGenerator, CGANDiscriminator),
        Architecture("wgan", "Arjovsky et al. 2017, Wasserstein GAN", WGANConfig, WGANGenerator, WGANCritic),
        Architecture("wgan-gp", "Gulrajani et al. 2017, Improved Training of Wasserstein GANs", WGANGPConfig, WGANGPGenerator, WGANGPCritic),
    ]
}


def get_architecture(name: str) -> Architecture:
    if name not in ARCHITECTURES:
        import difflib

        close = difflib.get_close_matches(name, ARCHITECTURES, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"Unknown architecture {name!r}.{hint} Known: {', '.join(ARCHITECTURES)}.")
    return ARCHITECTURES[name]


def make_config(arch: str, values: dict[str, Any] | None = None):
    """Build an architecture's config dataclass from a plain dict (as stored in config.json)."""
    spec = get_architecture(arch)
    fields = {f.name: f for f in dataclasses.fields(spec.config)}
    values = dict(values or {})
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"Unknown {arch} config keys {unknown}; valid keys: {sorted(fields)}")
    defaults = spec.config()
    for k, v in values.items():  # types follow the defaults'; JSON turns tuples into lists
        like = getattr(defaults, k)
        if isinstance(like, tuple) and isinstance(v, list):
            v = values[k] = tuple(v)
        ok = (isinstance(v, str) if isinstance(like, str) else
              isinstance(v, tuple) and all(_is_int(e) and e >= 1 for e in v) if isinstance(like, tuple) else
              _is_int(v) and v >= 0 if isinstance(like, int) else
              isinstance(v, (int, float)) and not isinstance(v, bool))
        if not ok:
            raise ValueError(f"{arch} config key {k!r} must be {_kind(like)}, got {v!r}")
    return spec.config(**values)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _kind(like: Any) -> str:
    if isinstance(like, str):
        return "a string"
    if isinstance(like, tuple):
        return "a list of positive ints"
    return "an int >= 0" if isinstance(like, int) else "a number"


def build(arch: str, cfg=None) -> tuple[nn.Module, nn.Module]:
    """(generator, discriminator) for an architecture name and config."""
    spec = get_architecture(arch)
    cfg = cfg if cfg is not None else spec.config()
    return spec.generator(cfg), spec.discriminator(cfg)

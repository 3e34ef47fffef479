"""Conditional GAN (Mirza & Osindero 2014), in a convolutional form.

Generator: the label's learned embedding is concatenated with z and fed to the DCGAN
generator (Mirza's "feed y to both networks" on the generator side).
Discriminator: a projection discriminator (Miyato & Koyama 2018): score =
linear(h) + <embed(y), h>, with h the pooled conv features. We chose projection over
concatenating a one-hot to the input because it conditions much more strongly for the
same compute, which is what the zoo's >= 97 % label-accuracy target needs on a CPU budget.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from .dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator


@dataclass(frozen=True)
class CGANConfig(DCGANConfig):
    num_classes: int = 10
    embed_dim: int = 16

    def __post_init__(self):
        super().__post_init__()
        if self.num_classes < 2:
            raise ValueError(f"cgan needs num_classes >= 2, got {self.num_classes}")


def _dcgan_cfg(cfg: CGANConfig, extra_latent: int) -> DCGANConfig:
    """The unconditional body's config: the same widths, z widened by the label embedding."""
    shared = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(DCGANConfig)}
    return DCGANConfig(**{**shared, "latent_dim": cfg.latent_dim + extra_latent, "num_classes": 0})


class CGANGenerator(nn.Module):
    def __init__(self, cfg: CGANConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.num_classes, cfg.embed_dim)  # (B, E)
        self.body = DCGANGenerator(_dcgan_cfg(cfg, cfg.embed_dim))

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is None:
            raise ValueError("cgan generator needs labels")
        return self.body(torch.cat([z, self.embed(labels)], 1))  # (B, C, H, W)


class CGANDiscriminator(nn.Module):
    def __init__(self, cfg: CGANConfig):
        super().__init__()
        self.cfg = cfg
        body = DCGANDiscriminator(_dcgan_cfg(cfg, 0))
        self.features = body.features  # (B, F, s, s)
        width = body.head.in_channels
        self.linear = nn.Linear(width, 1)
        self.embed = nn.Embedding(cfg.num_classes, width)
        # Zero init: D starts unconditional and learns the class term. With the default N(0, 1) init
        # and no spectral norm, <embed(y), h> starts in the hundreds and training blows up.
        nn.init.zeros_(self.embed.weight)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is None:
            raise ValueError("cgan discriminator needs labels")
        h = self.features(x).mean(dim=(2, 3))  # (B, F); mean, not sum: keeps logits O(1) without spectral norm
        return self.linear(h).squeeze(1) + (self.embed(labels) * h).sum(1)  # (B,)

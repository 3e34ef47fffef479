"""WGAN (Arjovsky et al. 2017): a DCGAN generator and a critic trained with weight clipping.

The critic is the DCGAN discriminator read as an unbounded score (no sigmoid anywhere);
the paper keeps BatchNorm in the critic, which is compatible with clipping. The clipping
itself lives in the training objective (`training/objectives.py`), not in the network.
"""
from __future__ import annotations

from dataclasses import dataclass

from .dcgan import DCGANDiscriminator, DCGANGenerator


@dataclass(frozen=True)
class WGANConfig:
    latent_dim: int = 64
    channels: int = 1
    image_size: int = 28
    g_width: int = 32
    d_width: int = 32
    d_norm: str = "batch"
    num_classes: int = 0


class WGANGenerator(DCGANGenerator):
    """Same network as DCGAN's generator: (B, latent) -> (B, C, H, W) in [-1, 1]."""


class WGANCritic(DCGANDiscriminator):
    """(B, C, H, W) -> (B,) unbounded critic score."""

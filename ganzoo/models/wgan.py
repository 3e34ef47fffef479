"""WGAN (Arjovsky et al. 2017): a DCGAN generator and a critic trained with weight clipping.

The critic is read as an unbounded score (no sigmoid anywhere). It is either the DCGAN
discriminator (`critic="conv"`; the paper keeps BatchNorm in the critic, which is
compatible with clipping) or an MLP (`critic="mlp"`, hidden sizes `d_hidden`), which the
paper also trains and which learns faster per CPU second here. The clipping itself lives
in the training objective (`training/objectives.py`), not in the network.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator


@dataclass(frozen=True)
class WGANConfig(DCGANConfig):
    critic: str = "conv"  # "conv" | "mlp"
    d_hidden: tuple[int, ...] = (512, 256)  # MLP critic only

    def __post_init__(self):
        super().__post_init__()
        if self.critic not in ("conv", "mlp"):
            raise ValueError(f"critic must be 'conv' or 'mlp', got {self.critic!r}")


class WGANGenerator(DCGANGenerator):
    """Same network as DCGAN's generator: (B, latent) -> (B, C, H, W) in [-1, 1]."""


class WGANCritic(nn.Module):
    """(B, C, H, W) -> (B,) unbounded critic score."""

    def __init__(self, cfg: WGANConfig):
        super().__init__()
        self.cfg = cfg
        if cfg.critic == "mlp":
            layers: list[nn.Module] = [nn.Flatten()]  # (B, C*H*W)
            width = cfg.channels * cfg.image_size**2
            for h in cfg.d_hidden:
                layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]  # (B, h)
                width = h
            self.net = nn.Sequential(*layers, nn.Linear(width, 1))  # (B, 1)
        else:  # the DCGAN discriminator's layers, under the same state-dict keys
            body = DCGANDiscriminator(cfg)
            self.features, self.head = body.features, body.head

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.cfg.critic == "mlp":
            return self.net(x).squeeze(1)  # (B,)
        return self.head(self.features(x)).flatten()  # (B,)

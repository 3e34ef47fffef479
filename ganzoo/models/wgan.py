"""WGAN (Arjovsky et al. 2017): a generator and a critic trained with weight clipping.

The generator is DCGAN's (`generator="conv"`) or the GAN's MLP (`generator="mlp"`, hidden
sizes `g_hidden`); both keep their own state-dict keys. The critic is read as an unbounded
score (no sigmoid anywhere). It is either the DCGAN discriminator (`critic="conv"`; the paper
keeps BatchNorm in the critic, which is compatible with clipping) or an MLP (`critic="mlp"`,
hidden sizes `d_hidden`), which the paper also trains. With `d_pack` > 1 the critic scores packs of
that many samples (PacGAN, Lin et al. 2018): the conv critic stacks them along channels, the MLP
critic side by side. The clipping itself lives in the training objective (`training/objectives.py`),
not in the network.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

from .dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator
from .gan import GANGenerator, pack_samples


@dataclass(frozen=True)
class WGANConfig(DCGANConfig):
    generator: str = "conv"  # "conv" | "mlp"
    g_hidden: tuple[int, ...] = (256, 512, 1024)  # MLP generator only
    critic: str = "conv"  # "conv" | "mlp"
    d_hidden: tuple[int, ...] = (512, 256)  # MLP critic only
    d_pack: int = 1  # the critic scores packs of this many samples (1 = one sample, as in the paper)

    def __post_init__(self):
        super().__post_init__()
        for key in ("generator", "critic"):
            if getattr(self, key) not in ("conv", "mlp"):
                raise ValueError(f"{key} must be 'conv' or 'mlp', got {getattr(self, key)!r}")
        if self.d_pack < 1:
            raise ValueError(f"d_pack must be >= 1, got {self.d_pack}")


def WGANGenerator(cfg: WGANConfig) -> nn.Module:
    """(B, latent) -> (B, C, H, W) in [-1, 1]: DCGAN's generator, or the GAN's MLP with generator="mlp".

    A factory, not a subclass, so the network is exactly that class (and `ganzoo.fast` optimises it as such).
    """
    return GANGenerator(cfg) if cfg.generator == "mlp" else DCGANGenerator(cfg)


class WGANCritic(nn.Module):
    """(B, C, H, W) -> (B / d_pack,) unbounded critic score."""

    def __init__(self, cfg: WGANConfig):
        super().__init__()
        self.cfg = cfg
        if cfg.critic == "mlp":
            layers: list[nn.Module] = [nn.Flatten()]  # (B / d_pack, d_pack*C*H*W)
            width = cfg.d_pack * cfg.channels * cfg.image_size**2
            for h in cfg.d_hidden:
                layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]  # (B / d_pack, h)
                width = h
            self.net = nn.Sequential(*layers, nn.Linear(width, 1))  # (B / d_pack, 1)
        else:  # the DCGAN discriminator's layers, under the same state-dict keys
            body = DCGANDiscriminator(replace(cfg, channels=cfg.d_pack * cfg.channels))  # a pack in its channels
            self.features, self.head = body.features, body.head

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = pack_samples(x, self.cfg.d_pack)  # (B / d_pack, d_pack*C, H, W)
        if self.cfg.critic == "mlp":
            return self.net(x).squeeze(1)  # (B / d_pack,)
        return self.head(self.features(x)).flatten()  # (B / d_pack,)

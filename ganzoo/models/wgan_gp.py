"""WGAN-GP (Gulrajani et al. 2017): WGAN's generator and a critic without BatchNorm.

The gradient penalty is taken per sample, so the critic must not mix samples in a batch:
the paper drops BatchNorm and suggests layer normalisation instead, which we use
(GroupNorm with one group = LayerNorm over C, H, W). Generator and critic are WGAN's: conv
(default) or MLPs (`generator="mlp"`, `critic="mlp"`), the family PyTorch-GAN's reference
script trains.
"""

from __future__ import annotations

from dataclasses import dataclass

from .wgan import WGANConfig, WGANCritic, WGANGenerator


@dataclass(frozen=True)
class WGANGPConfig(WGANConfig):
    d_norm: str = "layer"  # never "batch": it would break the per-sample penalty

    def __post_init__(self):
        super().__post_init__()
        if self.d_norm == "batch":
            raise ValueError("WGAN-GP's critic must not use BatchNorm (use 'layer' or 'none')")
        if self.d_pack != 1:  # the penalty's gradient norm is per sample; a pack would need it per pack
            raise ValueError(f"WGAN-GP's critic scores one sample at a time (d_pack 1), got d_pack={self.d_pack}")


WGANGPGenerator = WGANGenerator  # DCGAN's generator, or the GAN's MLP with generator="mlp"


class WGANGPCritic(WGANCritic):
    """(B, C, H, W) -> (B,) unbounded critic score, no BatchNorm."""

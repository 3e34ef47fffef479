"""DCGAN (Radford et al. 2015): transposed-conv generator, strided-conv discriminator.

Generator: z is projected to a small feature map by a transposed conv, then doubled in
size with stride-2 transposed convs (BatchNorm + ReLU), last layer Tanh.
Discriminator: stride-2 convs with LeakyReLU(0.2), BatchNorm on all but the first layer,
and a final conv over the whole remaining map giving one logit (`d_head="conv"`), or global
average pooling and a linear layer (`d_head="pool"`, as in the cGAN's projection discriminator).
28x28 starts from 7x7 (two doublings); 32/64 start from 4x4 (three/four doublings).
`d_norm` lets the WGAN-GP critic reuse this network without BatchNorm.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..fast import InferenceRewrite
from .gan import num_upsamples


@dataclass(frozen=True)
class DCGANConfig:
    latent_dim: int = 64
    channels: int = 1
    image_size: int = 28
    g_width: int = 32  # channels of the last hidden generator layer; doubles going back
    d_width: int = 32  # channels of the first discriminator layer; doubles going deeper
    d_norm: str = "batch"  # "batch" | "layer" | "spectral" | "none"
    d_head: str = "conv"  # "conv": a conv over the whole last map | "pool": average pooling, then linear
    num_classes: int = 0

    def __post_init__(self):
        for k in ("latent_dim", "channels", "g_width", "d_width"):
            if getattr(self, k) < 1:
                raise ValueError(f"{k} must be >= 1, got {getattr(self, k)}")
        if self.d_norm not in ("batch", "layer", "spectral", "none"):
            raise ValueError(f"d_norm must be 'batch', 'layer', 'spectral' or 'none', got {self.d_norm!r}")
        if self.d_head not in ("conv", "pool"):
            raise ValueError(f"d_head must be 'conv' or 'pool', got {self.d_head!r}")
        num_upsamples(self.image_size)  # raises for sizes the network cannot make


class DCGANGenerator(nn.Module):
    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        self.cfg = cfg
        start, steps = num_upsamples(cfg.image_size)
        width = cfg.g_width * 2 ** (steps - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(cfg.latent_dim, width, start, 1, 0, bias=False),  # (B, W, start, start)
            nn.BatchNorm2d(width),
            nn.ReLU(True),
        ]
        for _ in range(steps - 1):
            layers += [
                nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),  # (B, W/2, 2s, 2s)
                nn.BatchNorm2d(width // 2),
                nn.ReLU(True),
            ]
            width //= 2
        layers += [nn.ConvTranspose2d(width, cfg.channels, 4, 2, 1), nn.Tanh()]  # (B, C, H, W)
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z[:, :, None, None])

    # -- what ganzoo.fast needs (see its docstring) --
    def inference_rewrite(self) -> InferenceRewrite | None:
        """Sampling runs the phase form (the last two layers as one PhasePair) on channels_last weights: the
        fastest candidate at every batch, 1.2-2.8x eager at batch 1-256 with 1 and 2 threads (`benchmarks/bench.py
        --only paths`, 2026-12-03, dcgan, wgan and wgan-gp-fashion entries; the table is in
        benchmarks/results/results.md)."""
        return InferenceRewrite(convt="phase", channels_last=True)

    def output_layers(self) -> nn.Sequential:
        return self.net  # ends in (ConvTranspose2d, Tanh)

    def latent_map_layers(self) -> nn.Sequential:
        return self.net  # forward feeds it z as (B, latent, 1, 1)


def _norm(kind: str, ch: int) -> nn.Module:
    """The normalisation after a discriminator conv ("spectral" wraps the conv itself instead)."""
    if kind == "batch":
        return nn.BatchNorm2d(ch)
    if kind == "layer":  # per-sample normalisation: keeps the gradient penalty per-sample
        return nn.GroupNorm(1, ch)
    if kind in ("none", "spectral"):
        return nn.Identity()
    raise ValueError(f"d_norm must be 'batch', 'layer', 'spectral' or 'none', got {kind!r}")


def _sn(conv: nn.Module, kind: str) -> nn.Module:
    # Spectral norm (Miyato 2018) bounds every layer's Lipschitz constant without mixing the samples
    # of a batch (see the ablation in training/README.md for what it does to FD here).
    return nn.utils.parametrizations.spectral_norm(conv) if kind == "spectral" else conv


class DCGANDiscriminator(nn.Module):
    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        self.cfg = cfg
        start, steps = num_upsamples(cfg.image_size)
        width = cfg.d_width
        norm = cfg.d_norm
        layers: list[nn.Module] = [
            _sn(nn.Conv2d(cfg.channels, width, 4, 2, 1), norm),
            nn.LeakyReLU(0.2, True),
        ]  # (B, W, H/2, W/2)
        for _ in range(steps - 1):
            layers += [
                _sn(nn.Conv2d(width, width * 2, 4, 2, 1, bias=norm in ("none", "spectral")), norm),  # (B, 2W, s/2, s/2)
                _norm(cfg.d_norm, width * 2),
                nn.LeakyReLU(0.2, True),
            ]
            width *= 2
        self.features = nn.Sequential(*layers)  # (B, W_last, start, start)
        self.feature_width = width
        if cfg.d_head == "pool":  # position-free: every location's features count the same
            self.head = nn.Sequential(
                nn.AdaptiveAvgPool2d(1),
                nn.Flatten(),  # (B, W_last)
                _sn(nn.Linear(width, 1), norm),
            )  # (B, 1)
        else:
            self.head = _sn(nn.Conv2d(width, 1, start, 1, 0), norm)  # (B, 1, 1, 1) logit / critic value

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x)).flatten()  # (B,)

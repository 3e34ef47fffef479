"""GAN (Goodfellow et al. 2014): MLP generator and discriminator.

The 2014 paper used maxout discriminators; like most modern re-implementations we use
LeakyReLU MLPs, which train faster on a CPU and reach better samples on MNIST.
The discriminator returns a logit; the sigmoid lives in the loss (BCE-with-logits) for
numerical stability.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ..fast import InferenceRewrite


@dataclass(frozen=True)
class GANConfig:
    latent_dim: int = 64
    channels: int = 1
    image_size: int = 28
    g_hidden: tuple[int, ...] = (256, 512, 1024)
    d_hidden: tuple[int, ...] = (512, 256)
    d_pack: int = 1  # PacGAN: D judges packs of this many samples at once (1 = one sample, as in the paper)
    d_dropout: float = 0.0  # dropout after each hidden D layer (the paper's D used it); 0 = none
    d_mbstd: int = 0  # minibatch standard deviation (ProGAN) over groups of this many D inputs; 0 = none
    num_classes: int = 0  # unconditional

    def __post_init__(self):
        if self.latent_dim < 1 or self.channels < 1 or self.image_size < 1:
            raise ValueError(
                f"latent_dim, channels and image_size must be >= 1, got {self.latent_dim}, "
                f"{self.channels}, {self.image_size}"
            )
        if self.d_pack < 1:
            raise ValueError(f"d_pack must be >= 1, got {self.d_pack}")
        if not 0 <= self.d_dropout < 1:
            raise ValueError(f"d_dropout must be in [0, 1), got {self.d_dropout}")
        check_mbstd(self.d_mbstd)


class GANGenerator(nn.Module):
    def __init__(self, cfg: GANConfig):
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = []
        width = cfg.latent_dim
        for i, h in enumerate(cfg.g_hidden):
            layers.append(nn.Linear(width, h))  # (B, h)
            if i > 0:  # no BatchNorm right after the noise: keeps z's scale informative
                layers.append(nn.BatchNorm1d(h))
            layers.append(nn.LeakyReLU(0.2))
            width = h
        out = cfg.channels * cfg.image_size**2
        layers += [nn.Linear(width, out), nn.Tanh()]  # (B, C*H*W) in [-1, 1]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        c, s = self.cfg.channels, self.cfg.image_size
        return self.net(z).view(z.shape[0], c, s, s)  # (B, C, H, W)

    # -- what ganzoo.fast needs (see its docstring) --
    def inference_rewrite(self) -> InferenceRewrite | None:
        """Sampling folds BatchNorm and the output range into the Linears and runs them as one LinearChain: the
        fastest candidate, 1.1-1.5x eager at batch 1-256 with 1 and 2 threads (`benchmarks/bench.py --only paths`,
        2026-12-03; the table is in benchmarks/results/results.md)."""
        return InferenceRewrite(linear_chain=True)

    def output_layers(self) -> nn.Sequential:
        return self.net  # ends in (Linear, Tanh); forward only reshapes its output


class GANDiscriminator(nn.Module):
    """(B, C, H, W) -> (B / d_pack,) logits. With d_pack > 1 (PacGAN, Lin et al. 2018) each logit judges
    d_pack samples of the same kind side by side: a generator that drops a mode makes packs that look
    less varied than real ones, which a one-sample D cannot see. With d_mbstd > 0 (Karras et al. 2018) the last
    hidden layer also gets one feature: how much the D inputs of a group differ, averaged over features."""

    def __init__(self, cfg: GANConfig):
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = [nn.Flatten()]  # (B / d_pack, d_pack*C*H*W)
        width = cfg.d_pack * cfg.channels * cfg.image_size**2
        for h in cfg.d_hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]  # (B, h)
            if cfg.d_dropout:  # only when used, so the keys of dropout-free folders stay net.1, net.3, ...
                layers.append(nn.Dropout(cfg.d_dropout))
            width = h
        layers.append(nn.Linear(width + (1 if cfg.d_mbstd else 0), 1))  # (B, 1) logit
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        h = self.net[:-1](pack_samples(x, self.cfg.d_pack))  # (B / d_pack, h)
        if self.cfg.d_mbstd:
            h = torch.cat([h, minibatch_std(h, self.cfg.d_mbstd)], 1)  # (B / d_pack, h + 1)
        return self.net[-1](h).squeeze(1)  # (B / d_pack,)


def minibatch_std(h: torch.Tensor, group: int, eps: float = 0.0) -> torch.Tensor:
    """(B, F) -> (B, 1): per group of `group` rows (rows i, i + B/group, ...), the standard deviation of each
    feature across the group, averaged over features. A generator that collapses makes groups with less spread.
    `eps` > 0 takes sqrt(variance + eps) (StyleGAN2's form): finite gradients where a feature does not vary at all
    in a group (the blank border of every digit), which a gradient penalty on real images otherwise turns to NaN."""
    g = min(group, h.shape[0])
    if h.shape[0] % g:
        raise ValueError(f"{h.shape[0]} D inputs do not split into groups of d_mbstd={group}")
    hg = h.view(g, -1, h.shape[1])
    std = ((hg.var(0, unbiased=False) + eps).sqrt() if eps else hg.std(0, unbiased=False)).mean(1)  # (B / g,)
    return std.repeat(g).unsqueeze(1)  # (B, 1): row i gets its group's value


def pack_samples(x: torch.Tensor, k: int) -> torch.Tensor:
    """(B, C, H, W) -> (B / k, k*C, H, W): samples i*k .. i*k+k-1 form pack i (PacGAN), stacked along channels."""
    if x.shape[0] % k:
        raise ValueError(f"batch size {x.shape[0]} is not a multiple of d_pack={k}")
    b, c, h, w = x.shape
    return x.reshape(b // k, k * c, h, w)


def check_mbstd(group: int) -> None:
    """A discriminator's minibatch standard deviation group: 0 (off) or >= 2 (a group of one has no spread)."""
    if group < 0 or group == 1:
        raise ValueError(f"d_mbstd must be 0 (off) or a group size >= 2, got {group}")


def check_widths(cfg) -> tuple[int, int]:
    """num_upsamples(cfg.image_size), once cfg's g_widths and d_widths hold one width per resolution each."""
    start, steps = num_upsamples(cfg.image_size)  # raises for sizes the network cannot make
    for k in ("g_widths", "d_widths"):
        if len(getattr(cfg, k)) != steps + 1:
            raise ValueError(
                f"{k} needs one width per resolution ({steps + 1} for {cfg.image_size}x{cfg.image_size}), "
                f"got {getattr(cfg, k)}"
            )
    return start, steps


def num_upsamples(image_size: int) -> tuple[int, int]:
    """(start size, number of x2 steps) for conv nets: 28 = 7*2^2, 32 = 4*2^3, 64 = 4*2^4."""
    start = 7 if image_size % 7 == 0 else 4
    steps = int(round(math.log2(image_size / start)))
    if start * 2**steps != image_size:
        raise ValueError(f"image_size must be 7*2^k or 4*2^k (28, 32, 64, ...), got {image_size}")
    return start, steps

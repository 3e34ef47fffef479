"""BigGAN (Brock et al. 2019, "Large Scale GAN Training for High Fidelity Natural Image Synthesis"), sized for
28x28 and 10 classes.

Generator: class-conditional ResNet. z is split into chunks (the hierarchical latent): the first chunk goes
through a linear layer to a 7x7 map; every residual up-block (7 -> 14 -> 28) gets its own chunk, concatenated
with the shared class embedding (one nn.Embedding for the whole generator), and that vector sets the gain and
bias of both of the block's conditional BatchNorms (gain = 1 + linear(cond), bias = linear(cond)). A block:
CBN, ReLU, nearest 2x upsampling, 3x3 conv, CBN, ReLU, 3x3 conv, plus a 1x1-conv skip of the upsampled input.
Then BatchNorm, ReLU, a 3x3 conv to the image and tanh. Spectral norm on every conv and linear layer (not on
the shared embedding), orthogonal initialisation. Optionally a self-attention block (SAGAN's, with the
learned gate starting at 0) after the block that reaches `attention` (e.g. 14).

Discriminator: residual down-blocks (28 -> 14 -> 7), then one block at 7x7 without pooling, ReLU, a sum over
positions and the projection head (Miyato & Koyama 2018): score = linear(h) + <embed(y), h>. Spectral norm on
everything (the embedding too), a self-attention block at the same resolution as G's when `attention` is set.

Training: the hinge loss (`hinge` objective), the generator EMA (the recipe's `ema`), and the modified
orthogonal regularisation on G's weights, ortho_reg * sum_W ||W W^T (1 - I)||_F^2 (Brock et al., sec. 3.1), which
the trainer adds to G's loss through `regularizer` (0 = off; the shared embedding is left out, as in the
paper's code).

Truncation is the BigGAN trick itself: `sample(n, truncation=t)` redraws every entry of z with |z| > t
(ganzoo's portable latent generator, seeded and the same in the torch-free runtime).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn

from .cgan import embed_labels
from .gan import check_widths, num_upsamples

_sn = nn.utils.parametrizations.spectral_norm


@dataclass(frozen=True)
class BigGANConfig:
    latent_dim: int = 96  # z, split into one chunk for the 7x7 map and one per up-block (the first takes any rest)
    channels: int = 1
    image_size: int = 28
    g_widths: tuple[int, ...] = (128, 64, 32)  # generator channels per resolution, coarsest (7x7) first
    d_widths: tuple[int, ...] = (32, 64, 128)  # discriminator channels after each block, finest first
    embed_dim: int = 32  # the shared class embedding
    attention: int = 0  # resolution of the self-attention block in G and D (e.g. 14); 0 = none
    ortho_reg: float = 1e-4  # weight of the orthogonal regularisation on G; 0 = off
    num_classes: int = 10
    # Scale of D's class projection <embed(y), h> against its unconditional score. Below 1 the class term pulls
    # less, so G is pushed less toward the most typical member of each class (the embedding is spectrally
    # normalised, so D cannot simply grow it back).
    proj_weight: float = 1.0

    def __post_init__(self):
        for k in ("latent_dim", "channels", "embed_dim"):
            if getattr(self, k) < 1:
                raise ValueError(f"{k} must be >= 1, got {getattr(self, k)}")
        start, steps = check_widths(self)
        if self.latent_dim < steps + 1:
            raise ValueError(
                f"latent_dim must be >= {steps + 1}: one chunk for the {start}x{start} map and one per up-block, "
                f"got {self.latent_dim}"
            )
        sizes = [start * 2**i for i in range(1, steps)]  # reached by a block in G and in D
        if self.attention and self.attention not in sizes:
            raise ValueError(
                f"attention must be 0 (none) or a resolution between the blocks of G and D "
                f"({', '.join(map(str, sizes))}), got {self.attention}"
            )
        if not self.ortho_reg >= 0:
            raise ValueError(f"ortho_reg must be >= 0, got {self.ortho_reg}")
        if not self.proj_weight > 0:
            raise ValueError(f"proj_weight must be > 0, got {self.proj_weight}")
        if self.num_classes < 2:
            raise ValueError(f"biggan is class-conditional: num_classes must be >= 2, got {self.num_classes}")


def _ortho_init(module: nn.Module) -> nn.Module:
    from . import skipping_init

    if skipping_init():  # a build for shapes or for loading: the QRs would cost seconds for nothing
        return module
    nn.init.orthogonal_(module.weight)
    if getattr(module, "bias", None) is not None:
        nn.init.zeros_(module.bias)
    return module


def snconv(cin: int, cout: int, k: int) -> nn.Module:
    return _sn(_ortho_init(nn.Conv2d(cin, cout, k, padding=k // 2)))


def snlinear(cin: int, cout: int, bias: bool = True) -> nn.Module:
    return _sn(_ortho_init(nn.Linear(cin, cout, bias=bias)))


class ConditionalBatchNorm(nn.Module):
    """BatchNorm without its own affine map, then gain 1 + linear(cond) and bias linear(cond) per sample."""

    def __init__(self, channels: int, cond_dim: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain = snlinear(cond_dim, channels, bias=False)
        self.bias = snlinear(cond_dim, channels, bias=False)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:  # x (B, C, H, W), cond (B, E)
        return self.bn(x) * (1 + self.gain(cond))[:, :, None, None] + self.bias(cond)[:, :, None, None]


class SelfAttention(nn.Module):
    """SAGAN's self-attention: (B, C, H, W) -> the same, x + gamma * attention(x); gamma starts at 0 (the block
    starts as the identity). Keys and values are 2x2 max-pooled (a quarter of the positions), as in BigGAN."""

    def __init__(self, ch: int):
        super().__init__()
        self.theta, self.phi = snconv(ch, max(1, ch // 8), 1), snconv(ch, max(1, ch // 8), 1)
        self.g, self.o = snconv(ch, max(1, ch // 2), 1), snconv(max(1, ch // 2), ch, 1)
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q = self.theta(x).flatten(2)  # (B, C/8, HW)
        k = F.max_pool2d(self.phi(x), 2).flatten(2)  # (B, C/8, HW/4)
        v = F.max_pool2d(self.g(x), 2).flatten(2)  # (B, C/2, HW/4)
        attn = torch.softmax(q.transpose(1, 2) @ k, -1)  # (B, HW, HW/4)
        out = (v @ attn.transpose(1, 2)).reshape(b, -1, h, w)  # (B, C/2, H, W)
        return x + self.gamma * self.o(out)


class GBlock(nn.Module):
    """(B, Cin, s, s), cond (B, E) -> (B, Cout, 2s, 2s)."""

    def __init__(self, cin: int, cout: int, cond_dim: int):
        super().__init__()
        self.bn0, self.bn1 = ConditionalBatchNorm(cin, cond_dim), ConditionalBatchNorm(cout, cond_dim)
        self.conv0, self.conv1, self.skip = snconv(cin, cout, 3), snconv(cout, cout, 3), snconv(cin, cout, 1)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(F.relu(self.bn0(x, cond)), scale_factor=2, mode="nearest")
        h = self.conv1(F.relu(self.bn1(self.conv0(h), cond)))
        return h + self.skip(F.interpolate(x, scale_factor=2, mode="nearest"))


class BigGANGenerator(nn.Module):
    """forward(z, labels) -> (B, C, 28, 28) in [-1, 1]."""

    def __init__(self, cfg: BigGANConfig):
        super().__init__()
        self.cfg = cfg
        start, steps = num_upsamples(cfg.image_size)
        chunk = cfg.latent_dim // (steps + 1)
        self.start, self.chunks = start, [cfg.latent_dim - steps * chunk] + [chunk] * steps
        w = cfg.g_widths
        self.shared = nn.Embedding(cfg.num_classes, cfg.embed_dim)  # the shared class embedding
        self.linear = snlinear(self.chunks[0], w[0] * start * start)  # (B, W0 * 7 * 7)
        self.blocks = nn.ModuleList(GBlock(a, b, chunk + cfg.embed_dim) for a, b in pairwise(w))
        sizes = [start * 2**i for i in range(1, steps + 1)]
        self.attn = nn.ModuleDict(
            {str(i): SelfAttention(w[i + 1]) for i, s in enumerate(sizes) if s == cfg.attention}
        )  # after block i
        self.out_bn = nn.BatchNorm2d(w[-1])
        self.out_conv = snconv(w[-1], cfg.channels, 3)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is None:
            raise ValueError("biggan generator needs labels")
        chunks = z.split(self.chunks, 1)  # the hierarchical latent: (B, chunk) per consumer
        e = embed_labels(self.shared, labels)  # (B, E)
        x = self.linear(chunks[0]).reshape(z.shape[0], -1, self.start, self.start)  # (B, W0, 7, 7)
        for i, block in enumerate(self.blocks):
            x = block(x, torch.cat([chunks[i + 1], e], 1))  # (B, W_i+1, 2s, 2s)
            if str(i) in self.attn:
                x = self.attn[str(i)](x)
        return torch.tanh(self.out_conv(F.relu(self.out_bn(x))))  # (B, C, 28, 28)

    def regularizer(self, batch: int, step: int) -> tuple[torch.Tensor, dict] | None:
        """The modified orthogonal regularisation, weighted (None when off): ortho_reg * sum over G's weight
        matrices W (a conv's as out x in*k*k) of ||W W^T * (1 - I)||_F^2 (only the off-diagonal: filters are
        pushed apart without fixing their norms). The raw weights, before spectral norm; not the shared
        embedding."""
        if not self.cfg.ortho_reg:
            return None
        total = torch.zeros((), device=self.shared.weight.device)
        for name, p in self.named_parameters():
            if p.ndim < 2 or name.startswith("shared."):
                continue
            w = p.flatten(1)
            gram = w @ w.T
            total = total + (gram * (1 - torch.eye(gram.shape[0], device=gram.device))).square().sum()
        return total * self.cfg.ortho_reg, {"ortho": total.item()}

    def inference_rewrite(self) -> None:
        """Sampling runs this generator as is: its BatchNorms are conditional (nothing to fold) and no rewrite
        has been measured against it."""
        return None


class DBlock(nn.Module):
    """(B, Cin, s, s) -> (B, Cout, s/2, s/2) (or s with down=False). The first block skips the leading ReLU
    (its input is the image), as BigGAN's."""

    def __init__(self, cin: int, cout: int, down: bool, first: bool):
        super().__init__()
        self.conv0, self.conv1 = snconv(cin, cout, 3), snconv(cout, cout, 3)
        self.skip = snconv(cin, cout, 1) if cin != cout or down else None
        self.down, self.first = down, first

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.relu(self.conv0(x if self.first else F.relu(x))))
        s = x
        if self.first:  # pool, then project: the image's channels are few
            s = self.skip(F.avg_pool2d(s, 2) if self.down else s)
        else:
            s = self.skip(s) if self.skip is not None else s
            s = F.avg_pool2d(s, 2) if self.down else s
        return (F.avg_pool2d(h, 2) if self.down else h) + s


class BigGANDiscriminator(nn.Module):
    """(B, C, 28, 28), labels (B,) -> (B,) scores (hinge loss: unbounded)."""

    def __init__(self, cfg: BigGANConfig):
        super().__init__()
        self.cfg = cfg
        start, steps = num_upsamples(cfg.image_size)
        w = cfg.d_widths
        ins = (cfg.channels, *w[:-1])
        self.blocks = nn.ModuleList(
            DBlock(a, b, down=i < steps, first=i == 0) for i, (a, b) in enumerate(zip(ins, w))
        )  # 28 -> 14 -> 7 -> 7
        sizes = [cfg.image_size // 2 ** (i + 1) for i in range(steps)] + [start]
        self.attn = nn.ModuleDict({str(i): SelfAttention(w[i]) for i, s in enumerate(sizes) if s == cfg.attention})
        self.linear = snlinear(w[-1], 1)
        self.embed = _sn(nn.Embedding(cfg.num_classes, w[-1]))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is None:
            raise ValueError("biggan discriminator needs labels")
        for i, block in enumerate(self.blocks):
            x = block(x)
            if str(i) in self.attn:
                x = self.attn[str(i)](x)
        h = F.relu(x).sum((2, 3))  # (B, W_last)
        proj = (self.embed(labels) * h).sum(1)  # (B,)
        return self.linear(h).squeeze(1) + self.cfg.proj_weight * proj  # (B,)

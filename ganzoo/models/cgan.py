"""Conditional GAN (Mirza & Osindero 2014), in a convolutional form.

Generator: the label's learned embedding is concatenated with z and fed to the DCGAN
generator (Mirza's "feed y to both networks" on the generator side). With g_cond="cbn" every
BatchNorm of the generator is also class-conditional: a per-class gain and bias after the
normalisation (de Vries et al. 2017; Miyato & Koyama 2018), so the label steers every layer.
Discriminator: a projection discriminator (Miyato & Koyama 2018): score =
linear(h) + <embed(y), h>, with h the pooled conv features (so it always pools: `d_head` is not
used). We chose projection over concatenating a one-hot to the input because it conditions much
more strongly for the same compute, which is what the zoo's >= 97 % label-accuracy target needs on
a CPU budget.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from ..fast import InferenceRewrite
from .dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator
from .gan import num_upsamples


@dataclass(frozen=True)
class CGANConfig(DCGANConfig):
    num_classes: int = 10
    embed_dim: int = 16
    g_cond: str = "concat"  # "concat": label embedding joins z; "cbn": also class-conditional BatchNorm

    def __post_init__(self):
        super().__post_init__()
        if self.num_classes < 2:
            raise ValueError(f"cgan needs num_classes >= 2, got {self.num_classes}")
        if self.g_cond not in ("concat", "cbn"):
            raise ValueError(f"g_cond must be 'concat' or 'cbn', got {self.g_cond!r}")


def embed_labels(table: nn.Embedding, labels: torch.Tensor) -> torch.Tensor:
    """The class embedding (B, E) of int labels (B,), or of class weights (B, K) (rows of a simplex, for
    example a label moving from one class to another): the weighted sum of the classes' rows, which for a
    one-hot row is exactly that class's embedding."""
    if labels.is_floating_point():
        return labels.to(table.weight.dtype) @ table.weight  # (B, K) @ (K, E)
    return table(labels)


def _dcgan_cfg(cfg: CGANConfig, extra_latent: int) -> DCGANConfig:
    """The unconditional body's config: the same widths, z widened by the label embedding."""
    shared = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(DCGANConfig)}
    return DCGANConfig(**{**shared, "latent_dim": cfg.latent_dim + extra_latent, "num_classes": 0})


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm without its own affine map, then a per-class gain and bias (starting at 1 and 0)."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Embedding(num_classes, channels)
        self.bias = nn.Embedding(num_classes, channels)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:  # x (B, C, H, W)
        gain, bias = embed_labels(self.gain, labels), embed_labels(self.bias, labels)  # (B, C)
        return self.bn(x) * gain[:, :, None, None] + bias[:, :, None, None]


class CBNBody(nn.Module):
    """The DCGAN generator's layers with every BatchNorm class-conditional."""

    def __init__(self, cfg: DCGANConfig, num_classes: int):
        super().__init__()
        start, steps = num_upsamples(cfg.image_size)
        width = cfg.g_width * 2 ** (steps - 1)
        self.convs = nn.ModuleList([nn.ConvTranspose2d(cfg.latent_dim, width, start, 1, 0, bias=False)])
        self.norms = nn.ModuleList([ConditionalBatchNorm2d(width, num_classes)])
        for _ in range(steps - 1):
            self.convs.append(nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False))  # (B, W/2, 2s, 2s)
            self.norms.append(ConditionalBatchNorm2d(width // 2, num_classes))
            width //= 2
        self.out = nn.ConvTranspose2d(width, cfg.channels, 4, 2, 1)  # (B, C, H, W)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        x = z[:, :, None, None]  # (B, latent + E, 1, 1)
        for conv, norm in zip(self.convs, self.norms):
            x = torch.relu(norm(conv(x), labels))
        return torch.tanh(self.out(x))


class CGANGenerator(nn.Module):
    def __init__(self, cfg: CGANConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.num_classes, cfg.embed_dim)  # (B, E)
        body_cfg = _dcgan_cfg(cfg, cfg.embed_dim)
        self.body = CBNBody(body_cfg, cfg.num_classes) if cfg.g_cond == "cbn" else DCGANGenerator(body_cfg)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is None:
            raise ValueError("cgan generator needs labels")
        zy = torch.cat([z, embed_labels(self.embed, labels)], 1)  # (B, latent + E)
        return self.body(zy, labels) if self.cfg.g_cond == "cbn" else self.body(zy)  # (B, C, H, W)

    # -- what ganzoo.fast needs (see its docstring) --
    def inference_rewrite(self) -> InferenceRewrite | None:
        """The DCGAN body's rewrite (measured on both cgan entries: 1.2-2.7x eager). With g_cond="cbn", none: no
        zoo entry uses it, so it was not measured, and its conditional BatchNorm does not fold."""
        return None if self.cfg.g_cond == "cbn" else self.body.inference_rewrite()

    def output_layers(self) -> nn.Sequential | None:
        # The DCGAN body's; the cbn body ends in torch.tanh inside its forward: nothing to fold into.
        return None if self.cfg.g_cond == "cbn" else self.body.output_layers()


class CGANDiscriminator(nn.Module):
    def __init__(self, cfg: CGANConfig):
        super().__init__()
        self.cfg = cfg
        body = DCGANDiscriminator(_dcgan_cfg(cfg, 0))
        self.features = body.features  # (B, F, s, s)
        width = body.feature_width
        self.linear = nn.Linear(width, 1)
        self.embed = nn.Embedding(cfg.num_classes, width)
        # Zero init: D starts unconditional and learns the class term. With the default N(0, 1) init
        # and no spectral norm, <embed(y), h> starts in the hundreds and training blows up.
        nn.init.zeros_(self.embed.weight)
        if cfg.d_norm == "spectral":  # the head too (as in Miyato & Koyama), or it escapes the Lipschitz bound
            self.linear = nn.utils.parametrizations.spectral_norm(self.linear)
            nn.init.normal_(self.embed.weight, std=0.02)  # a zero matrix has no spectral norm to divide by
            self.embed = nn.utils.parametrizations.spectral_norm(self.embed)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is None:
            raise ValueError("cgan discriminator needs labels")
        h = self.features(x).mean(dim=(2, 3))  # (B, F); mean, not sum: keeps logits O(1) without spectral norm
        return self.linear(h).squeeze(1) + (self.embed(labels) * h).sum(1)  # (B,)

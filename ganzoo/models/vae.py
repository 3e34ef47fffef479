"""VAE (Kingma & Welling 2014): the baseline the GAN families are measured against.

A convolutional encoder q(z | x) = N(mu(x), diag(exp(logvar(x)))) and decoder p(x | z) = Bernoulli(sigmoid(logits(z)))
per pixel, with a standard normal prior p(z); trained on the ELBO (training/objectives.py `ELBO`). The shape
follows the VAE of Lucic et al. 2018's GAN comparison at 28x28: encoder conv64 -> conv128 -> fc1024, decoder
fc1024 -> fc(128 x 7 x 7) -> deconv64 -> deconv to the image.

Both halves live in the generator module, because both are needed at inference: `forward(z)` decodes (the mean
image 2 * sigmoid(logits) - 1 = tanh(logits / 2), in [-1, 1] like every generator here, so sampling, export and
the runtime treat a VAE like any other entry) and `encode(x)` gives the amortised posterior. A VAE has no
discriminator: the architecture's discriminator is None.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from ..fast import InferenceRewrite


@dataclass(frozen=True)
class VAEConfig:
    latent_dim: int = 64
    channels: int = 1
    image_size: int = 28
    width: int = 64  # channels of the first encoder conv / last decoder deconv; the middle ones double it
    hidden: int = 1024  # the fully connected layer on both sides
    num_classes: int = 0  # unconditional

    def __post_init__(self):
        for k in ("latent_dim", "channels", "width", "hidden"):
            if getattr(self, k) < 1:
                raise ValueError(f"{k} must be >= 1, got {getattr(self, k)}")
        if self.image_size % 4:
            raise ValueError(f"image_size must be a multiple of 4 (two stride-2 layers), got {self.image_size}")
        if self.num_classes:
            raise ValueError("the VAE is unconditional: num_classes must be 0")


class VAEGenerator(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.cfg = cfg
        w, s = cfg.width, cfg.image_size // 4
        self.encoder = nn.Sequential(
            nn.Conv2d(cfg.channels, w, 4, 2, 1),
            nn.LeakyReLU(0.2, True),  # (B, w, H/2, W/2)
            nn.Conv2d(w, 2 * w, 4, 2, 1),
            nn.LeakyReLU(0.2, True),  # (B, 2w, H/4, W/4)
            nn.Flatten(),
            nn.Linear(2 * w * s * s, cfg.hidden),
            nn.LeakyReLU(0.2, True),  # (B, hidden)
            nn.Linear(cfg.hidden, 2 * cfg.latent_dim),  # (B, 2 * latent): mu, logvar
        )
        # The decoder's last layer gives half the Bernoulli logits, so that the image is its tanh: the same
        # (..., ConvTranspose2d, Tanh) ending as the GAN generators, which inference rewrites (ganzoo.fast) and
        # exports the same way.
        self.net = nn.Sequential(
            nn.Linear(cfg.latent_dim, cfg.hidden),
            nn.ReLU(True),  # (B, hidden)
            nn.Linear(cfg.hidden, 2 * w * s * s),
            nn.ReLU(True),
            nn.Unflatten(1, (2 * w, s, s)),  # (B, 2w, H/4, W/4)
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1),
            nn.ReLU(True),  # (B, w, H/2, W/2)
            nn.ConvTranspose2d(w, cfg.channels, 4, 2, 1),  # (B, C, H, W) half logits
            nn.Tanh(),  # the mean image 2 * sigmoid(logits) - 1 in [-1, 1]
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, logvar), each (B, latent_dim), of q(z | x) for images x in [-1, 1]."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar.clamp(-30.0, 20.0)  # exp() stays finite whatever the input

    def logits(self, z: torch.Tensor) -> torch.Tensor:
        """Per-pixel Bernoulli logits (B, C, H, W) of p(x | z)."""
        return 2 * self.net[:-1](z)

    def neg_elbo_terms(self, x: torch.Tensor, noise: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(reconstruction nats, KL nats), each (B,), of -ELBO = E_q[-log p(x | z)] + KL(q(z | x) || N(0, I)) for
        images x in [-1, 1]: a per-pixel Bernoulli likelihood of the grey levels in [0, 1] (not binarised) and one
        reparameterised sample of z drawn from `noise`. Training minimises their sum; evaluation reports it."""
        mu, logvar = self.encode(x)  # (B, latent) each
        eps = torch.randn(mu.shape, generator=noise).to(mu.device)
        z = mu + eps * torch.exp(0.5 * logvar)
        target = (x + 1) / 2  # (B, C, H, W) in [0, 1]
        recon = F.binary_cross_entropy_with_logits(self.logits(z), target, reduction="none").flatten(1).sum(1)
        kl = 0.5 * (mu.square() + logvar.exp() - 1 - logvar).sum(1)
        return recon, kl

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z)  # tanh(logits / 2) = 2 * sigmoid(logits) - 1

    # -- what ganzoo.fast needs (see its docstring) --
    def inference_rewrite(self) -> InferenceRewrite | None:
        """Sampling runs the decoder's transposed convolutions in the phase form on channels_last weights: the
        fastest candidate, 1.15-1.3x eager at batch 1-256 with 1 and 2 threads (`benchmarks/bench.py --only paths`,
        2026-12-03, vae-mnist's recipe with untrained weights: the speed does not depend on them)."""
        return InferenceRewrite(convt="phase", channels_last=True)

    def output_layers(self) -> nn.Sequential:
        return self.net  # the decoder, ending in (ConvTranspose2d, Tanh)

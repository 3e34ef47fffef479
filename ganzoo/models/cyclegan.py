"""CycleGAN (Zhu et al. 2017): unpaired image-to-image translation between two data sets, sized for 28x28 greyscale.

Two generators, A -> B and B -> A, each a small ResNet encoder-decoder as in the paper's generator (c7s1-w, d2w, d4w,
residual blocks at 4w, u2w, uw, c7s1-C with tanh; instance norm, reflection padding), and two PatchGAN
discriminators (stride-2 4x4 convs, then a 3x3 conv to one score per patch: at 28x28, with d_layers 2 a 7x7 map
of 18x18-pixel patches, with 3 (v4) a 3x3 map of 38x38-pixel patches). Trained with least-squares adversarial,
cycle-consistency and identity losses and a history pool of generated images (training/objectives.py
`CycleGANObjective`).

There is no latent: the generator module holds both translators and `translate(x, to=...)` maps images in [-1, 1]
between the domains named by the config (`domain_a`, `domain_b`: data set names of ganzoo's registry).
`forward(a, b)` is the training pass: all six images of one step from one call, so DDP sees one forward per
backward. The loss weights and the pool size live in the config, as StyleGAN2's regulariser weights do, so that a
recipe's `model` values hold every number of the family.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..registry import DATASETS

# The steering ensemble member (ganzoo/classifiers/DATASET-MEMBER.safetensors) that reads classes for the
# class-mapping term (`mapping_weight`; training.objectives.mapping_mi): never ganzoo's own classifier, which reads
# `ganzoo eval`'s mapping share and FD, nor the other member or the held-out judges. Here so that the card, which
# says what the training read, and the training name the same network.
MAPPING_MEMBER = "allconv-10"
MAX_BLOCKS = 64  # the paper's largest generator has 9; a config asking for more is refused before any build


@dataclass(frozen=True)
class CycleGANConfig:
    domain_a: str = "mnist"  # data set names (ganzoo.registry.DATASETS); G_ab translates a -> b
    domain_b: str = "fashion-mnist"
    channels: int = 1
    image_size: int = 28
    g_width: int = 16  # channels of the generators' first conv; 2x and 4x after the two downsamplings
    g_blocks: int = 3  # residual blocks at image_size / 4
    d_width: int = 32  # channels of the discriminators' first conv; 2x after each later stride-2 conv
    d_layers: int = 2  # stride-2 convs in each discriminator: 2 scores 7x7 patches of 18x18 pixels, 3 scores 3x3
    # patches of 38x38 (at 28x28 the centre score sees the whole image, the others all but a corner strip)
    cycle_weight: float = 10.0  # lambda of || G_ba(G_ab(a)) - a ||_1 and the B cycle (the paper's 10)
    cycle_scale_b: float = 1.0  # the B cycle's lambda (|| G_ab(G_ba(b)) - b ||_1) as a multiple of cycle_weight
    late_cycle_weight: float = 0.0  # the cycle lambda once the learning rates decay (updates from the recipe's
    # decay_from on), when the class mapping has formed; 0: cycle_weight throughout
    identity_weight: float = 5.0  # of || G_ab(b) - b ||_1 and || G_ba(a) - a ||_1 (the paper's 0.5 x lambda)
    distance_weight: float = 0.0  # of the distance term (DistanceGAN, Benaim & Wolf 2017): pairs of a batch
    # as far apart after translation as before, relative to the batch; 0: none
    mapping_weight: float = 0.0  # of the class-mapping term: minus the mutual information between a source
    # image's class and its translation's, each read by a steering ensemble member (training.objectives
    # mapping_mi, subtracted); the evaluation's classifier never enters training; 0: none
    mapping_scale_b: float = 1.0  # the B direction's (b -> G_ba(b)) class-mapping weight as a multiple of
    # mapping_weight
    pool_size: int = 50  # generated images per domain the discriminators also see (Shrivastava 2017); 0: none

    def __post_init__(self):
        for k in ("channels", "g_width", "g_blocks", "d_width", "d_layers"):
            if getattr(self, k) < 1:
                raise ValueError(f"{k} must be >= 1, got {getattr(self, k)}")
        if self.g_blocks > MAX_BLOCKS:  # each block is modules built before any weight is read: bound the count
            raise ValueError(f"g_blocks must be at most {MAX_BLOCKS} (residual blocks), got {self.g_blocks}")
        for k in ("domain_a", "domain_b"):
            if getattr(self, k) not in DATASETS:
                raise ValueError(f"{k} must be a data set name ({', '.join(DATASETS)}), got {getattr(self, k)!r}")
        if self.domain_a == self.domain_b:
            raise ValueError(f"domain_a and domain_b must differ (both are {self.domain_a!r})")
        if self.image_size % 4:
            raise ValueError(f"image_size must be a multiple of 4 (two stride-2 layers), got {self.image_size}")
        for k in ("cycle_weight", "late_cycle_weight", "identity_weight", "distance_weight", "mapping_weight"):
            if not getattr(self, k) >= 0:
                raise ValueError(f"{k} must be >= 0, got {getattr(self, k)}")
        for k, what in (("cycle_scale_b", "cycle"), ("mapping_scale_b", "mapping term")):
            if not getattr(self, k) >= 0:
                raise ValueError(f"{k} must be >= 0 (1: the B {what} weighs as the A {what}), got {getattr(self, k)}")
        if self.image_size >> self.d_layers < 2:
            raise ValueError(
                f"d_layers={self.d_layers} halves a {self.image_size}x{self.image_size} image below 2x2; "
                f"use at most {self.image_size.bit_length() - 2}"
            )

    @property
    def cycle_weights(self) -> tuple[float, float]:
        """The lambdas of the A cycle (a -> b -> a) and the B cycle (b -> a -> b)."""
        return self.cycle_weights_at(late=False)

    def cycle_weights_at(self, late: bool) -> tuple[float, float]:
        """The cycle lambdas of an update before (late False) or during (True) the learning rates' decay."""
        w = self.late_cycle_weight if late and self.late_cycle_weight else self.cycle_weight
        return w, w * self.cycle_scale_b

    # A translator has no latent and no classes; the model folder's fields say so (ganzoo.folder).
    @property
    def latent_dim(self) -> int:
        return 0

    @property
    def num_classes(self) -> int:
        return 0

    @property
    def domains(self) -> tuple[str, str]:
        return (self.domain_a, self.domain_b)


def _norm(ch: int) -> nn.Module:
    # instance norm without affine parameters or running statistics, as the reference code's "instance" norm:
    # training and inference compute the same thing, per image
    return nn.InstanceNorm2d(ch)


class ResBlock(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(ch, ch, 3),
            _norm(ch),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(ch, ch, 3),
            _norm(ch),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Translator(nn.Module):
    """One direction: images (B, C, H, W) in [-1, 1] to images of the other domain, same shape."""

    def __init__(self, cfg: CycleGANConfig):
        super().__init__()
        w, c = cfg.g_width, cfg.channels
        self.net = nn.Sequential(
            nn.ReflectionPad2d(3),
            nn.Conv2d(c, w, 7),
            _norm(w),
            nn.ReLU(True),  # (B, w, H, W)
            nn.Conv2d(w, 2 * w, 3, 2, 1),
            _norm(2 * w),
            nn.ReLU(True),  # (B, 2w, H/2, W/2)
            nn.Conv2d(2 * w, 4 * w, 3, 2, 1),
            _norm(4 * w),
            nn.ReLU(True),  # (B, 4w, H/4, W/4)
            *[ResBlock(4 * w) for _ in range(cfg.g_blocks)],  # (B, 4w, H/4, W/4)
            nn.ConvTranspose2d(4 * w, 2 * w, 3, 2, 1, output_padding=1),
            _norm(2 * w),
            nn.ReLU(True),  # (B, 2w, H/2, W/2)
            nn.ConvTranspose2d(2 * w, w, 3, 2, 1, output_padding=1),
            _norm(w),
            nn.ReLU(True),  # (B, w, H, W)
            nn.ReflectionPad2d(3),
            nn.Conv2d(w, c, 7),
            nn.Tanh(),  # (B, C, H, W) in [-1, 1]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class CycleGANGenerator(nn.Module):
    """Both translators: g_ab (domain_a -> domain_b) and g_ba."""

    translation = True  # ganzoo.load gives a TranslationModel (no latent; `translate`)

    def __init__(self, cfg: CycleGANConfig):
        super().__init__()
        self.cfg = cfg
        self.g_ab, self.g_ba = Translator(cfg), Translator(cfg)

    def translator(self, to: str) -> Translator:
        """The translator into domain `to` (a name of cfg.domains)."""
        if to == self.cfg.domain_b:
            return self.g_ab
        if to == self.cfg.domain_a:
            return self.g_ba
        raise ValueError(f"unknown domain {to!r}: this model translates between {' and '.join(self.cfg.domains)}")

    def translate(self, x: torch.Tensor, to: str) -> torch.Tensor:
        return self.translator(to)(x)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The training pass for real batches a and b (in [-1, 1]): (fake_b, fake_a, rec_a, rec_b, idt_b, idt_a),
        i.e. G_ab(a), G_ba(b), G_ba(G_ab(a)), G_ab(G_ba(b)), G_ab(b), G_ba(a)."""
        fake_b, fake_a = self.g_ab(a), self.g_ba(b)
        rec_a, rec_b = self.g_ba(fake_b), self.g_ab(fake_a)
        if self.cfg.identity_weight:
            idt_b, idt_a = self.g_ab(b), self.g_ba(a)
        else:  # not computed: saves two of six generator passes
            idt_b, idt_a = b, a
        return fake_b, fake_a, rec_a, rec_b, idt_b, idt_a


class PatchDiscriminator(nn.Module):
    """PatchGAN: (B, C, 28, 28) -> (B, 1, 7, 7) scores with d_layers 2, one per 18x18-pixel patch, or (B, 1, 3, 3)
    of 38x38 patches with 3 (no sigmoid: the least-squares loss scores them directly)."""

    def __init__(self, cfg: CycleGANConfig):
        super().__init__()
        w = cfg.d_width
        layers: list[nn.Module] = [nn.Conv2d(cfg.channels, w, 4, 2, 1), nn.LeakyReLU(0.2, True)]  # (B, w, 14, 14)
        for _ in range(cfg.d_layers - 1):  # (B, 2w, 7, 7), then (B, 4w, 3, 3)
            layers += [nn.Conv2d(w, 2 * w, 4, 2, 1), _norm(2 * w), nn.LeakyReLU(0.2, True)]
            w *= 2
        self.net = nn.Sequential(*layers, nn.Conv2d(w, 1, 3, 1, 1))  # (B, 1, 7, 7) or (B, 1, 3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class CycleGANDiscriminator(nn.Module):
    """Both discriminators: d_a judges domain_a images, d_b domain_b images."""

    def __init__(self, cfg: CycleGANConfig):
        super().__init__()
        self.cfg = cfg
        self.d_a, self.d_b = PatchDiscriminator(cfg), PatchDiscriminator(cfg)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Patch scores (N_a, 1, h, w) of a under d_a and (N_b, ...) of b under d_b, h and w the image's halved
        d_layers times (rounded down: 7x7 at 28x28 with 2, 3x3 with 3): one call for both, so DDP sees one forward
        per backward."""
        return self.d_a(a), self.d_b(b)

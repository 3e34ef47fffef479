"""ProGAN (Karras et al. 2018, "Progressive Growing of GANs for Improved Quality, Stability, and Variation"),
sized for 28x28: three resolutions, 7x7 -> 14x14 -> 28x28.

Growth: both networks hold every resolution's layers from the start; which of them run is a pure function of
the training step (`growth_at(step, stable_steps, fade_steps)`): `stable_steps` at 7x7, `fade_steps` fading
14x14 in, `stable_steps` at 14x14, `fade_steps` fading 28x28 in, then 28x28 to the end of the run. The trainer
tells both networks the step before every update (`at_step`), so a resumed run is at exactly the phase and
fade of the uninterrupted one. The step is saved with the weights (the module's extra state), so a model
folder written mid-growth samples at the stage it had reached; a finished run is at 28x28.

Generator: z, normalised per pixel (pixelwise feature normalisation, "pixel norm"), -> an equalized-lr linear
layer to a 7x7 map -> a 3x3 conv; one block per doubling (nearest-neighbour 2x upsampling, two 3x3 convs);
LeakyReLU(0.2) and pixel norm after every layer; a toRGB (1x1 conv, linear output) per resolution. While
resolution r fades in with weight alpha, the image is (1 - alpha) * upsample(toRGB_{r/2}) + alpha *
toRGB_r. The output is always 28x28: a lower stage's image is nearest-upsampled (each 7x7 pixel a 4x4 block),
so the discriminator, which average-pools its input to the stage's resolution, sees that image (to float rounding).

Discriminator: mirror image: a fromRGB (1x1 conv) per resolution, one block per halving (two 3x3 convs, then
2x2 average pooling), and at 7x7 the minibatch standard deviation (over contiguous groups of `d_mbstd`
inputs, so real, fake and interpolated images stacked in one batch never share a group), a 3x3 conv and two
linear layers to the critic score. While a resolution fades in, the input also enters one block lower through
the lower fromRGB, weighted 1 - alpha. Reals are shown at the stage's resolution (and, while fading, blended
across the two resolutions as in the paper): `show_reals`, which the objective calls.

All layers use the equalized learning rate (weights N(0, 1), scaled by He's constant at run time). The loss is
WGAN-GP with the paper's drift term (the `wgan-gp-drift` objective).

`forward(z, resolution=r)` draws from the generator's stage r (7, 14 or 28; its own toRGB, no fade) instead of
the current stage: the growth made visible. The image is returned nearest-upsampled to 28x28 like every other
output; `x[..., ::k, ::k]` with k = 28 // r recovers the r x r image exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ModelFolderError
from .gan import check_mbstd, check_widths, num_upsamples
from .stylegan2 import EqualConv2d, EqualLinear


@dataclass(frozen=True)
class ProGANConfig:
    latent_dim: int = 128
    channels: int = 1
    image_size: int = 28
    g_widths: tuple[int, ...] = (128, 64, 32)  # generator channels per resolution, coarsest (7x7) first
    d_widths: tuple[int, ...] = (32, 64, 128)  # discriminator channels per resolution, finest (28x28) first
    d_mbstd: int = 4  # minibatch standard deviation over groups of this many D inputs; 0 = none
    stable_steps: int = 2000  # generator updates at each resolution before the next one fades in
    fade_steps: int = 2000  # generator updates over which a new resolution fades in (alpha 1/fade .. 1)
    num_classes: int = 0  # unconditional

    def __post_init__(self):
        for k in ("latent_dim", "channels", "fade_steps"):
            if getattr(self, k) < 1:
                raise ValueError(f"{k} must be >= 1, got {getattr(self, k)}")
        check_widths(self)
        check_mbstd(self.d_mbstd)
        if self.num_classes:
            raise ValueError(f"progan is unconditional: num_classes must be 0, got {self.num_classes}")

    @property
    def resolutions(self) -> tuple[int, ...]:
        start, steps = num_upsamples(self.image_size)
        return tuple(start * 2**i for i in range(steps + 1))  # (7, 14, 28)


def growth_at(step: int, stable_steps: int, fade_steps: int, stages: int) -> tuple[int, float]:
    """(stage, alpha) for generator update `step` (0-based): stage k is resolution index k (0 = 7x7); alpha < 1
    while stage k fades in over stage k - 1. Stages beyond the last stay at (stages - 1, 1.0)."""
    cycle = stable_steps + fade_steps
    i, r = divmod(step, cycle)
    if i >= stages - 1:
        return stages - 1, 1.0
    if r < stable_steps:
        return i, 1.0
    return i + 1, (r - stable_steps + 1) / fade_steps


def pixel_norm(x: torch.Tensor) -> torch.Tensor:
    """Each pixel's feature vector scaled to unit mean square (the paper's eps 1e-8): G cannot escalate
    magnitudes against D."""
    return x * (x.square().mean(1, keepdim=True) + 1e-8).rsqrt()


def _up(x: torch.Tensor, factor: int) -> torch.Tensor:
    return x if factor == 1 else F.interpolate(x, scale_factor=factor, mode="nearest")


def _down(x: torch.Tensor, factor: int) -> torch.Tensor:
    return x if factor == 1 else F.avg_pool2d(x, factor)


class _Grows(nn.Module):
    """The growth state both networks share: the training step they were last told (saved with the weights as
    the module's extra state) and the (stage, alpha) it means under the config's schedule."""

    ddp_find_unused_parameters = True  # before and while growing, the higher resolutions' layers sit out

    def __init__(self, cfg: ProGANConfig):
        super().__init__()
        self.cfg = cfg
        self.resolutions = cfg.resolutions
        self.growth_step = 0

    def at_step(self, step: int) -> None:
        """Follow the trainer's step (called before every update)."""
        self.growth_step = int(step)

    def growth(self) -> tuple[int, float]:
        """(stage, alpha) at the current step."""
        return growth_at(self.growth_step, self.cfg.stable_steps, self.cfg.fade_steps, len(self.resolutions))

    def get_extra_state(self) -> torch.Tensor:
        return torch.tensor(self.growth_step, dtype=torch.int64)

    def set_extra_state(self, state) -> None:
        if not isinstance(state, torch.Tensor) or state.dtype != torch.int64 or state.numel() != 1 or state < 0:
            raise ModelFolderError(
                f"the weights' growth step (_extra_state) must be one int64 >= 0, got {state!r}: the file was "
                "edited or is damaged. Re-export or re-download the folder."
            )
        self.growth_step = int(state)


class ProGANGenerator(_Grows):
    """forward(z, labels=None, *, resolution=None) -> (B, C, 28, 28), linear output in about [-1, 1]."""

    def __init__(self, cfg: ProGANConfig):
        super().__init__(cfg)
        w, start = cfg.g_widths, self.resolutions[0]
        self.fc = EqualLinear(cfg.latent_dim, w[0] * start * start, act=True)  # (B, W0 * 7 * 7)
        self.conv0 = EqualConv2d(w[0], w[0], 3, act=True)  # (B, W0, 7, 7)
        self.blocks = nn.ModuleList(
            nn.ModuleList([EqualConv2d(a, b, 3, act=True), EqualConv2d(b, b, 3, act=True)]) for a, b in pairwise(w)
        )  # block i: (B, W_i, s, s) -> (B, W_i+1, 2s, 2s)
        self.to_rgb = nn.ModuleList(EqualConv2d(c, cfg.channels, 1) for c in w)  # one per resolution

    def forward(
        self, z: torch.Tensor, labels: torch.Tensor | None = None, *, resolution: int | None = None
    ) -> torch.Tensor:
        if resolution is None:
            stage, alpha = self.growth()
        elif resolution in self.resolutions:
            stage, alpha = self.resolutions.index(resolution), 1.0
        else:
            raise ValueError(f"resolution must be one of {', '.join(map(str, self.resolutions))}, got {resolution!r}")
        start = self.resolutions[0]
        x = self.fc(pixel_norm(z)).reshape(z.shape[0], -1, start, start)  # (B, W0, 7, 7)
        x = pixel_norm(self.conv0(pixel_norm(x)))
        before = None
        for i in range(stage):
            if i == stage - 1 and alpha < 1:  # the stage below, still blended in
                before = self.to_rgb[i](x)
            x = _up(x, 2)  # (B, W_i, 2s, 2s)
            for conv in self.blocks[i]:
                x = pixel_norm(conv(x))
        img = self.to_rgb[stage](x)  # (B, C, r, r)
        if before is not None:
            img = torch.lerp(_up(before, 2), img, alpha)
        return _up(img, self.cfg.image_size // self.resolutions[stage])  # (B, C, 28, 28)

    def inference_rewrite(self) -> None:
        """Sampling runs this generator as is: no BatchNorm to fold, no tanh, functional convolutions (as
        StyleGAN2's); no rewrite has been measured against it."""
        return None


def _mbstd(x: torch.Tensor, group: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, C + 1, H, W): the standard deviation of each feature over contiguous groups of
    `group` inputs (rows 0..g-1, g..2g-1, ...), averaged, as one more channel. sqrt(var + 1e-8): finite
    gradients where a feature does not vary in a group."""
    b = x.shape[0]
    g = min(group, b)
    if b % g:
        raise ValueError(f"{b} D inputs do not split into groups of d_mbstd={group}")
    std = (x.reshape(b // g, g, -1).var(1, unbiased=False) + 1e-8).sqrt().mean(1)  # (B / g,)
    std = std.repeat_interleave(g)[:, None, None, None].expand(b, 1, x.shape[2], x.shape[3])
    return torch.cat([x, std], 1)


class ProGANDiscriminator(_Grows):
    """(B, C, 28, 28) -> (B,) critic scores, judged at the current stage's resolution."""

    def __init__(self, cfg: ProGANConfig):
        super().__init__(cfg)
        w = cfg.d_widths  # finest first
        n = len(w)
        # from_rgb[k] / blocks[k] belong to resolution index k (0 = 7x7): block k takes it to index k - 1
        self.from_rgb = nn.ModuleList(EqualConv2d(cfg.channels, w[n - 1 - k], 1, act=True) for k in range(n))
        self.blocks = nn.ModuleList(
            nn.Sequential(
                EqualConv2d(w[n - 1 - k], w[n - 1 - k], 3, act=True),
                EqualConv2d(w[n - 1 - k], w[n - k], 3, act=True, down=True),
            )
            for k in range(1, n)
        )  # blocks[k - 1]: (B, W, 2s, 2s) -> (B, W', s, s)
        last, start = w[-1], self.resolutions[0]
        self.conv = EqualConv2d(last + (1 if cfg.d_mbstd else 0), last, 3, act=True)
        self.fc = EqualLinear(last * start * start, last, act=True)
        self.out = EqualLinear(last, 1)

    def show_reals(self, real: torch.Tensor) -> torch.Tensor:
        """Real images as the generator makes them at the current stage: at its resolution (nearest-upsampled
        back to full size), and while a resolution fades in, blended with the one below by the same alpha."""
        stage, alpha = self.growth()
        r = self.resolutions[stage]
        x = _down(real, self.cfg.image_size // r)
        if stage and alpha < 1:
            x = torch.lerp(_up(_down(x, 2), 2), x, alpha)
        return _up(x, self.cfg.image_size // r)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        stage, alpha = self.growth()
        x = _down(x, self.cfg.image_size // self.resolutions[stage])  # (B, C, r, r)
        h = self.from_rgb[stage](x)
        if stage:
            h = self.blocks[stage - 1](h)  # (B, W, r/2, r/2)
            if alpha < 1:
                h = torch.lerp(self.from_rgb[stage - 1](_down(x, 2)), h, alpha)
            for k in range(stage - 1, 0, -1):
                h = self.blocks[k - 1](h)  # (B, W_last, 7, 7) at the end
        if self.cfg.d_mbstd:  # one more channel: how much the images of a group differ
            h = _mbstd(h, self.cfg.d_mbstd)
        h = self.conv(h)
        return self.out(self.fc(h.flatten(1))).squeeze(1)  # (B,)

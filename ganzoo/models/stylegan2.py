"""StyleGAN2 (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN"), sized for 28x28.

Generator = mapping network + synthesis network:
- mapping: z (normalised to unit second moment) -> w through `mapping_layers` equalized-lr linear layers with
  LeakyReLU, at a learning-rate multiplier of 0.01 (the paper's). During training every forward pass moves
  `w_avg` (a buffer, saved with the weights) toward the batch's mean w: the centre that truncation pulls toward.
- synthesis: a learned constant at 7x7, then a block per doubling (7 -> 14 -> 28). Every 3x3 convolution is
  modulated by a style (an affine map of one w) and demodulated (its output scaled back to unit variance),
  followed by a per-pixel noise input with a learned strength, a bias and LeakyReLU. Each resolution also has
  a toRGB layer (1x1, modulated, not demodulated); the image is the sum of all of them, each bilinearly
  upsampled to 28x28 (the paper's "skip" generator). The output is linear (no tanh), in about [-1, 1].
- style inputs: one w per layer, `num_ws` of them (6 at 28x28). Index 0 drives the 7x7 conv; the toRGB of a
  resolution shares its w with the next resolution's first conv, as in the official code: at 28x28 the
  indices are 7x7 -> 0, 1; 14x14 -> 1, 2, 3; 28x28 -> 3, 4, 5. Style mixing with crossover k takes
  ws[:k] from one latent (coarse: layout, shape) and ws[k:] from another (fine: stroke, texture).

Noise: in eval mode every noise input is a constant buffer drawn once at construction and saved with the
weights, so an image is a function of z alone: `sample(n, seed=s)` is exactly reproducible, and the ONNX
graph has no random op. In training mode the noise is drawn fresh (torch's global RNG, which checkpoints
carry), as in the paper.

Training-mode extras in the generator's own forward: style-mixing regularisation (with probability
`mixing_prob` a sample takes its ws from a second latent after a random crossover, per sample) and the
`w_avg` update. Path-length regularisation is optional (`pl_weight` > 0; off by default): the trainer adds
`regularizer(...)` to the generator's loss.

Discriminator: the paper's residual D: fromRGB (1x1), one residual block per halving (28 -> 14 -> 7; two 3x3
convs, 2x2 average pooling, a 1x1 skip), then minibatch standard deviation, a 3x3 conv, a linear layer and the
logit. All layers of both networks use the equalized learning rate (weights N(0, 1), scaled at run time).

Simplifications for this size, none of which changes what the layers compute in kind: upsampling is
bilinear (the official FIR filter [1, 3, 3, 1] is the same filter away from the border), downsampling 2x2
average pooling (the down conv and its pooling run as a 2x2 box filter, then the conv at stride 2: the same map,
a quarter of the conv's work); the modulated convolution runs as scale -> conv -> scale (the official "non-fused" form,
which exports to ONNX with a dynamic batch); no equalized-lr clamping or mixed precision.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn

from .gan import check_mbstd, check_widths, minibatch_std, num_upsamples

SQRT2 = math.sqrt(2)


@dataclass(frozen=True)
class StyleGAN2Config:
    latent_dim: int = 128  # z
    w_dim: int = 128
    mapping_layers: int = 2
    channels: int = 1
    image_size: int = 28
    g_widths: tuple[int, ...] = (96, 48, 24)  # synthesis channels per resolution, coarsest (7x7) first
    d_widths: tuple[int, ...] = (24, 48, 96)  # discriminator channels per resolution, finest (28x28) first
    mapping_lr_mul: float = 0.01  # the mapping network learns 100x slower (the paper's setting)
    w_avg_beta: float = 0.995  # w_avg <- beta * w_avg + (1 - beta) * batch mean of w, every training forward
    mixing_prob: float = 0.5  # style-mixing regularisation: the share of training samples mixed
    d_mbstd: int = 4  # minibatch standard deviation over groups of this many D inputs; 0 = none
    pl_weight: float = 0.0  # path-length regularisation weight; 0 = off
    pl_every: int = 4  # lazy: on every k-th generator update, weighted by k
    num_classes: int = 0  # unconditional

    def __post_init__(self):
        for k in ("latent_dim", "w_dim", "channels"):
            if getattr(self, k) < 1:
                raise ValueError(f"{k} must be >= 1, got {getattr(self, k)}")
        if not 1 <= self.mapping_layers <= 8:
            raise ValueError(f"mapping_layers must be 1..8, got {self.mapping_layers}")
        check_widths(self)
        if not 0 < self.mapping_lr_mul <= 1:
            raise ValueError(f"mapping_lr_mul must be in (0, 1], got {self.mapping_lr_mul}")
        if not 0 <= self.w_avg_beta < 1:
            raise ValueError(f"w_avg_beta must be in [0, 1), got {self.w_avg_beta}")
        if not 0 <= self.mixing_prob <= 1:
            raise ValueError(f"mixing_prob must be in [0, 1], got {self.mixing_prob}")
        check_mbstd(self.d_mbstd)
        if self.pl_weight < 0 or self.pl_every < 1:
            raise ValueError(f"pl_weight must be >= 0 and pl_every >= 1, got {self.pl_weight}, {self.pl_every}")
        if self.num_classes:
            raise ValueError(f"stylegan2 is unconditional: num_classes must be 0, got {self.num_classes}")


def lrelu(x: torch.Tensor) -> torch.Tensor:
    """LeakyReLU(0.2) with the gain sqrt(2) that keeps unit variance (the equalized-lr convention)."""
    return F.leaky_relu(x, 0.2) * SQRT2


class EqualLinear(nn.Module):
    """Linear with the equalized learning rate: weights N(0, 1) / lr_mul, scaled by lr_mul / sqrt(fan_in)."""

    def __init__(self, cin: int, cout: int, *, bias_init: float = 0.0, lr_mul: float = 1.0, act: bool = False):
        super().__init__()
        # in place: the same values, and on the meta device (shapes only, `build_meta`) an out-of-place op with a
        # Python number goes through torch's Python decompositions, which import torch._dynamo (seconds)
        self.weight = nn.Parameter(torch.randn(cout, cin).div_(lr_mul))
        self.bias = nn.Parameter(torch.full((cout,), float(bias_init) / lr_mul))
        self.w_gain, self.b_gain, self.act = lr_mul / math.sqrt(cin), lr_mul, act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.linear(x, self.weight * self.w_gain, self.bias * self.b_gain)
        return lrelu(x) if self.act else x


class EqualConv2d(nn.Module):
    """Conv2d (same padding) with the equalized learning rate; `down` averages 2x2 after the conv, `gain`
    scales the output (the residual blocks' sqrt(0.5)).

    With `down` the layer runs as a 2x2 box filter (stride 1) on the padded input, then the conv at stride 2: the
    same linear map as the conv followed by the 2x2 average (each output is the same weighted sum of the same
    inputs), at a quarter of the conv's multiply-adds. The reference also filters first, then strides."""

    def __init__(
        self,
        cin: int,
        cout: int,
        k: int,
        *,
        bias: bool = True,
        act: bool = False,
        down: bool = False,
        gain: float = 1.0,
    ):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin, k, k))
        self.bias = nn.Parameter(torch.zeros(cout)) if bias else None
        self.w_gain, self.act, self.down, self.gain = 1 / math.sqrt(cin * k * k), act, down, gain

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w, p = self.weight * self.w_gain, self.weight.shape[-1] // 2
        if self.down:  # (B, C, H, W) -> (B, C', H // 2, W // 2)
            x = F.conv2d(F.avg_pool2d(F.pad(x, [p] * 4), 2, stride=1), w, stride=2)
        else:
            x = F.conv2d(x, w, padding=p)
        if self.bias is not None:
            x = x + self.bias[:, None, None]
        return (lrelu(x) if self.act else x) * self.gain


class MappingNetwork(nn.Module):
    """(B, z_dim) -> (B, w_dim)."""

    def __init__(self, z_dim: int, w_dim: int, layers: int, lr_mul: float):
        super().__init__()
        dims = [z_dim] + [w_dim] * layers
        self.fcs = nn.ModuleList(EqualLinear(a, b, lr_mul=lr_mul, act=True) for a, b in pairwise(dims))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = z * (z.square().mean(1, keepdim=True) + 1e-8).rsqrt()  # unit second moment: z's scale is no signal
        for fc in self.fcs:
            x = fc(x)
        return x


class StyleConv(nn.Module):
    """Modulated, demodulated 3x3 conv (optionally after a 2x bilinear upsampling), + noise, bias, LeakyReLU."""

    def __init__(self, cin: int, cout: int, w_dim: int, res: int, up: bool = False):
        super().__init__()
        self.affine = EqualLinear(w_dim, cin, bias_init=1.0)  # styles start at 1: plain convs at first
        self.weight = nn.Parameter(torch.randn(cout, cin, 3, 3))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.noise_strength = nn.Parameter(torch.zeros(()))
        self.register_buffer("noise_const", torch.randn(res, res))  # the eval-mode noise, saved with the weights
        self.up = up

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:  # x (B, Cin, H, W), w (B, w_dim)
        s = self.affine(w)  # (B, Cin)
        # Demodulation: the (b, o) output of a conv with weights weight[o] * s[b] has variance sum_(i,k)
        # (weight[o, i, k] s[b, i])^2 for unit inputs; dividing by its square root restores unit variance.
        d = (s.square() @ self.weight.square().sum((2, 3)).T + 1e-8).rsqrt()  # (B, Cout)
        x = x * s[:, :, None, None]
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)  # (B, Cin, 2H, 2W)
        x = F.conv2d(x, self.weight, padding=1) * d[:, :, None, None]  # (B, Cout, H', W')
        if self.training:
            noise = torch.randn(x.shape[0], 1, x.shape[2], x.shape[3], device=x.device, dtype=x.dtype)
        else:
            noise = self.noise_const
        x = x + noise * self.noise_strength
        return lrelu(x + self.bias[:, None, None])


class ToRGB(nn.Module):
    """Modulated 1x1 conv to the image's channels, not demodulated (the output's scale is the image's)."""

    def __init__(self, cin: int, cout: int, w_dim: int):
        super().__init__()
        self.affine = EqualLinear(w_dim, cin, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(cout, cin, 1, 1))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.w_gain = 1 / math.sqrt(cin)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        s = self.affine(w) * self.w_gain  # (B, Cin)
        return F.conv2d(x * s[:, :, None, None], self.weight) + self.bias[:, None, None]  # (B, C, H, W)


class SynthesisNetwork(nn.Module):
    """(B, num_ws, w_dim) -> (B, C, H, W)."""

    def __init__(self, cfg: StyleGAN2Config):
        super().__init__()
        start, steps = num_upsamples(cfg.image_size)
        widths = cfg.g_widths
        self.const = nn.Parameter(torch.randn(widths[0], start, start))
        self.convs = nn.ModuleList([StyleConv(widths[0], widths[0], cfg.w_dim, start)])
        self.torgbs = nn.ModuleList([ToRGB(widths[0], cfg.channels, cfg.w_dim)])
        for i in range(steps):
            res = start * 2 ** (i + 1)
            self.convs.append(StyleConv(widths[i], widths[i + 1], cfg.w_dim, res, up=True))
            self.convs.append(StyleConv(widths[i + 1], widths[i + 1], cfg.w_dim, res))
            self.torgbs.append(ToRGB(widths[i + 1], cfg.channels, cfg.w_dim))
        self.num_ws = 2 * steps + 2

    def forward(self, ws: torch.Tensor) -> torch.Tensor:
        x = self.const.unsqueeze(0).expand(ws.shape[0], -1, -1, -1)  # (B, C7, 7, 7)
        x = self.convs[0](x, ws[:, 0])
        img = self.torgbs[0](x, ws[:, 1])  # (B, C, 7, 7)
        for i in range(len(self.torgbs) - 1):
            x = self.convs[2 * i + 1](x, ws[:, 2 * i + 1])  # (B, W, 2s, 2s)
            x = self.convs[2 * i + 2](x, ws[:, 2 * i + 2])
            img = F.interpolate(img, scale_factor=2, mode="bilinear", align_corners=False) + self.torgbs[i + 1](
                x, ws[:, 2 * i + 3]
            )  # (B, C, 2s, 2s)
        return img


class Upsample2x(nn.Module):
    """F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False) on (B, C, n, n) maps as two MatMuls
    with constant interpolation matrices: (up @ x) @ up.T. Bilinear upsampling is separable, and each output row
    is 0.25 / 0.75 of its two nearest input rows (the border row repeated), so the result is the same to float
    rounding. In onnxruntime a MatMul runs at GEMM speed on every thread, where its Resize took 14 % of the
    StyleGAN2 graph's kernel time (its profiler, batch 64)."""

    def __init__(self, n: int):
        super().__init__()
        up = torch.zeros(2 * n, n, dtype=torch.float64)
        for i in range(n):  # output rows 2i and 2i+1 sit at input coordinates i - 1/4 and i + 1/4
            up[2 * i, max(i - 1, 0)] += 0.25
            up[2 * i, i] += 0.75
            up[2 * i + 1, i] += 0.75
            up[2 * i + 1, min(i + 1, n - 1)] += 0.25
        self.register_buffer("up", up.float())  # (2n, n)
        self.register_buffer("up_t", up.T.contiguous().float())  # (n, 2n)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, n, n) -> (B, C, 2n, 2n)
        return (self.up @ x) @ self.up_t  # rows first: the batched small products run on the smaller map


class OnnxStyleConv(nn.Module):
    """A StyleConv in eval mode with its constants folded, for export: styles with the previous layer's LeakyReLU
    gain (`in_gain`) folded in (the style scales the input anyway, so the gain costs nothing there: one pass
    over the map less); noise (the saved buffer) and bias as one constant added; LeakyReLU without its gain
    (the next layers fold it). `first`: the layer reads the learned constant, so x * s then the 3x3 conv is
    s @ K, K the conv of every constant channel by itself (precomputed): one GEMM at a ninth of the conv's
    multiply-adds."""

    def __init__(self, conv: StyleConv, in_gain: float, const: torch.Tensor | None = None):
        super().__init__()
        with torch.no_grad():
            a = conv.affine
            self.register_buffer("style_w", a.weight * (a.w_gain * in_gain))  # (Cin, w_dim)
            self.register_buffer("style_b", a.bias * (a.b_gain * in_gain))
            # d from s' = in_gain * s: the same sum of squares with the weights' squares / in_gain^2
            self.register_buffer("demod", (conv.weight.square().sum((2, 3)) / in_gain**2).T.contiguous())
            self.register_buffer("shift", (conv.noise_const * conv.noise_strength + conv.bias[:, None, None])[None])
            self.first = const is not None
            if self.first:  # K[i] = conv of constant channel i by weight[:, i]: (Cin, Cout * H * W)
                cout, cin = conv.weight.shape[:2]
                w = conv.weight.double().transpose(0, 1).reshape(cin * cout, 1, 3, 3)
                k = F.conv2d(const.double()[None], w, padding=1, groups=cin)  # (1, Cin * Cout, H, W)
                self.register_buffer("const_conv", k.reshape(cin, -1).float())
                self.shape = (cout, *const.shape[1:])
            else:
                self.register_buffer("weight", conv.weight.detach().clone())
        self.upsample = Upsample2x(conv.noise_const.shape[0] // 2) if conv.up else None

    def forward(self, x: torch.Tensor | None, w: torch.Tensor) -> torch.Tensor:
        s = F.linear(w, self.style_w, self.style_b)  # (B, Cin)
        d = (s.square() @ self.demod + 1e-8).rsqrt()  # (B, Cout)
        if self.first:
            x = (s @ self.const_conv).reshape(s.shape[0], *self.shape)
        else:
            x = x * s[:, :, None, None]
            if self.upsample is not None:
                x = self.upsample(x)
            x = F.conv2d(x, self.weight, padding=1)
        return F.leaky_relu(x * d[:, :, None, None] + self.shift, 0.2)  # lrelu's gain: folded into the next styles


class OnnxToRGB(nn.Module):
    """A ToRGB for export, reading the gainless LeakyReLU output (its gain folded into the style): the modulated
    1x1 conv as one batched MatMul of the per-sample weights (B, C, Cin) and the map (B, Cin, H * W), which reads
    the map once, where x * s then a 1x1 Conv read it twice and had onnxruntime pad C to 16 channels."""

    def __init__(self, rgb: ToRGB, in_gain: float):
        super().__init__()
        with torch.no_grad():
            a, g = rgb.affine, rgb.w_gain * in_gain
            self.register_buffer("style_w", a.weight * (a.w_gain * g))
            self.register_buffer("style_b", a.bias * (a.b_gain * g))
            self.register_buffer("weight", rgb.weight[:, :, 0, 0].clone())  # (C, Cin)
            self.register_buffer("bias", rgb.bias[None, :, None, None].clone())

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:  # x (B, Cin, H, W) -> (B, C, H, W)
        s = F.linear(w, self.style_w, self.style_b)  # (B, Cin)
        b, cin, h, wd = x.shape
        y = (s[:, None, :] * self.weight[None]) @ x.reshape(b, cin, h * wd)  # (B, C, H * W)
        return y.reshape(b, -1, h, wd) + self.bias


class OnnxSynthesis(nn.Module):
    """A SynthesisNetwork in eval mode (the saved noise) in the form ONNX export traces: the same images to float
    rounding, faster in onnxruntime (why: ganzoo/fast.py's docstring, `onnx_form()`). Weights are buffers: it is
    never trained."""

    def __init__(self, syn: SynthesisNetwork):
        super().__init__()
        self.convs = nn.ModuleList(
            OnnxStyleConv(c, 1.0 if i == 0 else SQRT2, syn.const if i == 0 else None) for i, c in enumerate(syn.convs)
        )
        self.torgbs = nn.ModuleList(OnnxToRGB(t, SQRT2) for t in syn.torgbs)
        self.skips = nn.ModuleList(Upsample2x(c.noise_const.shape[0] // 2) for c in syn.convs[1::2])

    def forward(self, ws: torch.Tensor) -> torch.Tensor:
        x = self.convs[0](None, ws[:, 0])
        img = self.torgbs[0](x, ws[:, 1])
        for i, skip in enumerate(self.skips):
            x = self.convs[2 * i + 1](x, ws[:, 2 * i + 1])
            x = self.convs[2 * i + 2](x, ws[:, 2 * i + 2])
            img = skip(img) + self.torgbs[i + 1](x, ws[:, 2 * i + 3])
        return img


SPACES = ("z", "w", "w+")


class StyleGAN2Generator(nn.Module):
    """forward(x, labels=None, *, space="z", truncation=None) -> (B, C, H, W) in about [-1, 1].

    space "z": x is z (B, latent_dim); "w": one w per sample (B, w_dim), used by every layer; "w+": one w per
    layer (B, num_ws, w_dim). `truncation` psi pulls every w toward `w_avg`: w_avg + psi (w - w_avg).
    """

    w_space = True  # tells ganzoo.model.GANModel: truncation in W, mix, invert(space="w" | "w+")

    def __init__(self, cfg: StyleGAN2Config):
        super().__init__()
        self.cfg = cfg
        self.mapping = MappingNetwork(cfg.latent_dim, cfg.w_dim, cfg.mapping_layers, cfg.mapping_lr_mul)
        self.synthesis = SynthesisNetwork(cfg)
        self.num_ws, self.w_dim = self.synthesis.num_ws, cfg.w_dim
        self.register_buffer("w_avg", torch.zeros(cfg.w_dim))
        if cfg.pl_weight:  # training state of the optional path-length term (folders without it stay as they are)
            self.register_buffer("pl_mean", torch.zeros(()))

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, *, space: str = "z", truncation: float | None = None
    ) -> torch.Tensor:
        return self.synthesis(self.styles(x, space, truncation))

    def styles(self, x: torch.Tensor, space: str = "z", truncation: float | None = None) -> torch.Tensor:
        """The per-layer ws (B, num_ws, w_dim) for latents in `space` (training mode: w_avg update, mixing)."""
        if space == "z":
            w = self.mapping(x)  # (B, w_dim)
            if self.training:
                with torch.no_grad():
                    self.w_avg.copy_(w.detach().mean(0).lerp(self.w_avg, self.cfg.w_avg_beta))
            ws = w.unsqueeze(1).repeat(1, self.num_ws, 1)
            if self.training and self.cfg.mixing_prob > 0:
                ws = self._mix_for_training(x, ws)
        elif space == "w":
            ws = x.unsqueeze(1).repeat(1, self.num_ws, 1)
        elif space == "w+":
            ws = x
        else:
            raise ValueError(f"space must be one of {', '.join(SPACES)}, got {space!r}")
        if truncation is not None:  # lerp: psi = 1 gives ws exactly, psi = 0 w_avg exactly
            ws = torch.lerp(self.w_avg.expand_as(ws), ws, truncation)
        return ws

    def _mix_for_training(self, z: torch.Tensor, ws: torch.Tensor) -> torch.Tensor:
        """Style-mixing regularisation: with probability mixing_prob a sample's ws from a random crossover on
        come from a second latent, so that neighbouring layers cannot rely on sharing one w."""
        b = z.shape[0]
        w2 = self.mapping(torch.randn_like(z))  # (B, w_dim)
        cutoff = torch.randint(1, self.num_ws, (b,), device=z.device)
        cutoff = torch.where(torch.rand(b, device=z.device) < self.cfg.mixing_prob, cutoff, self.num_ws)
        first = torch.arange(self.num_ws, device=z.device)[None, :] < cutoff[:, None]  # (B, num_ws)
        return torch.where(first[:, :, None], ws, w2[:, None, :])

    def regularizer(self, batch: int, step: int) -> tuple[torch.Tensor, dict] | None:
        """The path-length penalty on this generator update (None when off or lazily skipped), weighted.

        E (||J_w^T y||_2 - a)^2 for y ~ N(0, I) / sqrt(H W), J_w the image's Jacobian w.r.t. the ws, and a a
        running mean of the lengths: small changes of w should change the image by a steady amount."""
        if not self.cfg.pl_weight or step % self.cfg.pl_every:
            return None
        z = torch.randn(max(1, batch // 2), self.cfg.latent_dim, device=self.w_avg.device)
        ws = self.styles(z)
        img = self.synthesis(ws)
        y = torch.randn_like(img) / math.sqrt(img.shape[2] * img.shape[3])
        (grad,) = torch.autograd.grad((img * y).sum(), ws, create_graph=True)
        lengths = grad.square().sum(2).mean(1).sqrt()  # (B,)
        with torch.no_grad():
            self.pl_mean.copy_(self.pl_mean.lerp(lengths.mean(), 0.01))
        penalty = (lengths - self.pl_mean).square().mean()
        return penalty * self.cfg.pl_weight * self.cfg.pl_every, {"pl": penalty.item()}

    def inference_rewrite(self) -> None:
        """Sampling runs this generator as is (ganzoo.fast declares nothing to fold: no BatchNorm, no tanh, and
        the convolutions are functional); no rewrite has been measured against it."""
        return None

    def onnx_form(self) -> "StyleGAN2Generator":
        """The copy that ONNX export traces (`ganzoo.fast.optimize(onnx=True)`): eval mode, the synthesis network
        as an OnnxSynthesis (the same images to float tolerance, faster in onnxruntime). This generator is not
        touched."""
        g = copy.deepcopy(self).eval()
        g.synthesis = OnnxSynthesis(g.synthesis)
        return g


class DBlock(nn.Module):
    """Residual discriminator block: (B, Cin, H, W) -> (B, Cout, H/2, W/2)."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        g = math.sqrt(0.5)  # the sum of two unit-variance paths, back to unit variance
        self.conv0 = EqualConv2d(cin, cin, 3, act=True)
        self.conv1 = EqualConv2d(cin, cout, 3, act=True, down=True, gain=g)
        self.skip = EqualConv2d(cin, cout, 1, bias=False, down=True, gain=g)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.skip(x) + self.conv1(self.conv0(x))


class StyleGAN2Discriminator(nn.Module):
    """(B, C, H, W) -> (B,) logits."""

    def __init__(self, cfg: StyleGAN2Config):
        super().__init__()
        self.cfg = cfg
        start, _ = num_upsamples(cfg.image_size)
        widths = cfg.d_widths
        self.from_rgb = EqualConv2d(cfg.channels, widths[0], 1, act=True)  # (B, W0, H, W)
        self.blocks = nn.ModuleList(DBlock(a, b) for a, b in pairwise(widths))  # (B, W_last, 7, 7)
        last = widths[-1]
        self.conv = EqualConv2d(last + (1 if cfg.d_mbstd else 0), last, 3, act=True)
        self.fc = EqualLinear(last * start * start, last, act=True)
        self.out = EqualLinear(last, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = self.from_rgb(x)
        for block in self.blocks:
            x = block(x)
        if self.cfg.d_mbstd:  # one more channel: how much the images of a group differ
            std = minibatch_std(x.flatten(1), self.cfg.d_mbstd, eps=1e-8)  # (B, 1)
            x = torch.cat([x, std[:, :, None, None].expand(-1, 1, x.shape[2], x.shape[3])], 1)
        x = self.conv(x)
        return self.out(self.fc(x.flatten(1))).squeeze(1)  # (B,)

"""Inference-only rewrites of a generator that give the same images to float tolerance, faster.

- fold_batchnorm: a BatchNorm in eval mode is an affine map per channel, so it folds into the
  Linear / ConvTranspose2d before it (scale the weights, shift the bias) and disappears.
- subpixel: a stride-2, kernel-4, padding-1 ConvTranspose2d equals a 3x3 Conv2d with 4x the
  output channels followed by PixelShuffle(2) (the "sub-pixel convolution" form), a plain
  convolution, which onnxruntime runs on more threads than its transposed convolution. It costs
  2.25x the multiply-adds (9 taps per output parity where 4 are non-zero), so it pays only where
  the back end's Conv is that much faster: measure before turning it on (benchmarks/bench.py).
- phase: the same ConvTranspose2d as one 2x2 Conv2d (padding 1) with 4x the output channels, one
  group of channels per output parity: each parity reads a 2x2 input window, offset by one row/column
  between parities. The groups are ordered so that PixelShuffle(2) followed by a one-pixel crop does the
  interleave, and the activation after the layer moves before the shuffle (onnxruntime fuses it into the
  Conv). No zero taps: it costs (H+1)(W+1)/(HW) of the multiply-adds (1.31x at 7x7, 1.15x at 14x14).
  With either form a ConvTranspose2d on a 1x1 input (DCGAN's first layer) becomes a Linear + reshape.
  The last two phase layers (a wide one, then the narrow one that draws the image) become a PhasePair:
  the second layer is rewritten to read the first one's conv output directly (one 2x2 conv, 16x its
  channels, then PixelShuffle(4)), so the wide map is never interleaved or cropped. That copy was a third
  of onnxruntime's time with 2 threads (DepthToSpace and Pad run on one thread there).
- linear_chain: an MLP's Linear layers and activations (after folding) as one LinearChain, an addmm per layer
  and the activation in place: no module call or new tensor per activation, which is much of an MLP's time at
  small batches. Torch only (export keeps the layers).
- The nn.Identity layers that folding and the phase form leave in an nn.Sequential are dropped.

`optimize(generator)` returns a rewritten deep copy in eval mode; the original is not touched (the
zoo's files, steering and training keep using it). `fast_generator` is what sampling runs. The tests
check every rewrite against the original on every architecture.

This module holds the mechanisms only. What a generator is made of, and which rewrite it samples with,
its class declares (all optional; a class that declares nothing runs as is):
- `inference_rewrite()`: the InferenceRewrite that sampling uses, or None for none (chosen per
  architecture by measurement: `python benchmarks/bench.py --only paths`);
- `output_layers()`: the nn.Sequential that makes its output, ending in (Linear | ConvTranspose2d, Tanh),
  which the output range folds into;
- `latent_map_layers()`: an nn.Sequential fed z as (B, latent, 1, 1), whose first ConvTranspose2d may then
  become a Linear (any submodule may declare one);
- `onnx_form()`: a copy of the generator in the form ONNX export traces (`optimize(onnx=True)`), the same images
  to float tolerance. StyleGAN2 declares one (ganzoo.models.stylegan2.OnnxSynthesis), chosen from onnxruntime's
  profile of the plain graph at batch 64: Conv 56 %, Resize 14 % (the bilinear upsampling, on NCHW maps: the
  per-sample style Mul in front of it keeps it out of onnxruntime's blocked NCHWc layout), Mul 9 %, the NCHWc
  reorders 11 %, Add 6 %. The form (a) upsamples with two MatMuls by constant interpolation matrices (multi-
  threaded GEMMs) instead of Resize; (b) runs the 7x7 layer, a 3x3 conv of the learned constant scaled per
  sample, as one GEMM s @ K with K the precomputed conv of each constant channel (a ninth of the multiply-adds,
  no reorders); (c) folds each LeakyReLU's gain sqrt(2) into the next styles and noise + bias into one constant
  Add (two passes over every map fewer); (d) draws each toRGB as one batched MatMul of per-sample weights and
  the map (where x * s and a 1x1 Conv read the map twice and had onnxruntime pad 1 output channel to 16).
  Each step was kept by interleaved A/B of the two files (benchmarks/results holds the speeds). Turning off
  NCHWc instead (graph level ORT_ENABLE_EXTENDED) was tried: much slower on both graphs. Sampling in torch keeps
  the generator as is (`inference_rewrite()` None), so sampled images stay bit-identical.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from .errors import GanzooError
from .model import to_unit_range
from .registry import CONVT_FORMS


@dataclass(frozen=True)
class InferenceRewrite:
    """The rewrite a generator class declares for sampling (its `inference_rewrite()`): BatchNorm folded,
    images in [0, 1] folded into the last layer, stride-2 transposed convolutions in form `convt` (one of
    CONVT_FORMS), with `channels_last` 4-d weights in that memory format, and with `linear_chain` every
    nn.Sequential of Linear layers and elementwise activations as one LinearChain."""

    convt: str = "native"
    channels_last: bool = False
    linear_chain: bool = False  # Sequentials of Linear layers and activations run as one LinearChain

    def __post_init__(self):
        if self.convt not in CONVT_FORMS:
            raise GanzooError(f"convt must be one of {', '.join(CONVT_FORMS)}, got {self.convt!r}")


def declared(module: nn.Module, name: str):
    """What `module`'s class declares under `name` (see the module docstring), or None where it declares
    nothing."""
    fn = getattr(module, name, None)
    return fn() if callable(fn) else None


@torch.no_grad()
def _fold(layer: nn.Module, bn: nn.modules.batchnorm._BatchNorm) -> nn.Module:
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)  # (C,)
    shift = bn.bias - bn.running_mean * scale
    if isinstance(layer, nn.Linear):  # weight (out, in)
        new = nn.Linear(layer.in_features, layer.out_features, bias=True)
        new.weight.copy_(layer.weight * scale[:, None])
    elif isinstance(layer, nn.ConvTranspose2d):  # weight (in, out, kh, kw)
        new = nn.ConvTranspose2d(
            layer.in_channels,
            layer.out_channels,
            layer.kernel_size,
            layer.stride,
            layer.padding,
            layer.output_padding,
            layer.groups,
            True,
            layer.dilation,
        )
        new.weight.copy_(layer.weight * scale[None, :, None, None])
    elif isinstance(layer, nn.Conv2d):  # weight (out, in, kh, kw)
        new = copy.deepcopy(layer)
        new.bias = nn.Parameter(torch.zeros(layer.out_channels))
        new.weight.copy_(layer.weight * scale[:, None, None, None])
    else:
        raise TypeError(f"cannot fold BatchNorm into {type(layer).__name__}")
    bias = layer.bias if layer.bias is not None else torch.zeros_like(scale)
    new.bias.copy_(bias * scale + shift)
    return new


def fold_batchnorm(module: nn.Module) -> nn.Module:
    """Fold every (Linear | Conv2d | ConvTranspose2d, BatchNorm) pair of every nn.Sequential, in place."""
    for child in module.children():
        fold_batchnorm(child)
    if isinstance(module, nn.Sequential):
        layers = list(module)
        for i in range(len(layers) - 1):
            if isinstance(layers[i + 1], nn.modules.batchnorm._BatchNorm) and isinstance(
                layers[i], (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)
            ):
                module[i] = _fold(layers[i], layers[i + 1])
                module[i + 1] = nn.Identity()
    return module


class LinearToMap(nn.Module):
    """ConvTranspose2d(latent, C, k) on a (B, latent, 1, 1) input as Linear + reshape to (B, C, k, k)."""

    def __init__(self, conv: nn.ConvTranspose2d, act: nn.Module | None = None):
        super().__init__()
        cin, cout, kh, kw = conv.weight.shape
        self.shape = (cout, kh, kw)
        self.linear = nn.Linear(cin, cout * kh * kw)
        self.act = act if act is not None else nn.Identity()  # elementwise: fused into the Gemm by onnxruntime
        with torch.no_grad():
            self.linear.weight.copy_(conv.weight.reshape(cin, -1).T)
            b = conv.bias if conv.bias is not None else torch.zeros(cout)
            self.linear.bias.copy_(b[:, None].expand(cout, kh * kw).reshape(-1))
        self.nhwc = False  # output order (C, k, k); to_nhwc() makes it (k, k, C)

    @torch.no_grad()
    def to_nhwc(self) -> "LinearToMap":
        """Reorder the Linear's outputs to (k, k, C), so that the map comes out channels_last without a copy
        (the conv after it would otherwise convert it: one more pass over the map)."""
        if not self.nhwc:
            c, kh, kw = self.shape
            order = torch.arange(c * kh * kw).view(c, kh, kw).permute(1, 2, 0).reshape(-1)
            self.linear.weight.copy_(self.linear.weight[order])
            self.linear.bias.copy_(self.linear.bias[order])
            self.nhwc = True
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x (B, latent, 1, 1)
        y = self.act(self.linear(x.flatten(1)))  # (B, C*k*k), or (B, k*k*C) when nhwc
        if self.nhwc:
            c, kh, kw = self.shape
            return y.view(x.shape[0], kh, kw, c).permute(0, 3, 1, 2)  # (B, C, k, k), channels_last strides
        return y.view(x.shape[0], *self.shape)  # (B, C, k, k)


# For output row parity a (0 or 1) and input offset d in {-1, 0, +1}: the ConvTranspose kernel row
# that connects them (k=4, stride 2, padding 1), or None. Derived from oy = 2*iy - 1 + ky.
_TAP = {0: {-1: 3, 0: 1, 1: None}, 1: {-1: None, 0: 2, 1: 0}}


def subpixel_conv(conv: nn.ConvTranspose2d) -> nn.Sequential:
    """ConvTranspose2d(k=4, s=2, p=1) as Conv2d(3x3, 4x channels, padding 1) + PixelShuffle(2)."""
    cin, cout = conv.in_channels, conv.out_channels
    new = nn.Conv2d(cin, 4 * cout, 3, 1, 1, bias=True)
    w = torch.zeros(cout, 2, 2, cin, 3, 3)  # (out, a, b, in, dy, dx)
    with torch.no_grad():
        for a in (0, 1):
            for b in (0, 1):
                for dy in (-1, 0, 1):
                    for dx in (-1, 0, 1):
                        ky, kx = _TAP[a][dy], _TAP[b][dx]
                        if ky is not None and kx is not None:
                            w[:, a, b, :, dy + 1, dx + 1] = conv.weight[:, :, ky, kx].T
        new.weight.copy_(w.reshape(4 * cout, cin, 3, 3))
        bias = conv.bias if conv.bias is not None else torch.zeros(cout)
        new.bias.copy_(bias[:, None].expand(cout, 4).reshape(-1))
    return nn.Sequential(new, nn.PixelShuffle(2))


class PhaseConvTranspose(nn.Module):
    """ConvTranspose2d(k=4, s=2, p=1) [+ an elementwise activation] as one Conv2d(2x2, 4x channels,
    padding 1), the activation, PixelShuffle(2) and a one-pixel crop: in ONNX Conv, DepthToSpace and Pad,
    with the activation fused into the Conv by onnxruntime."""

    def __init__(self, conv: nn.ConvTranspose2d, act: nn.Module | None = None):
        super().__init__()
        cin, cout = conv.in_channels, conv.out_channels
        self.conv = nn.Conv2d(cin, 4 * cout, 2, 1, 1, bias=True)
        # The activation is elementwise, so it commutes with the interleave and the crop; applied right
        # after the conv it is fused into it instead of being one more pass over the output.
        self.act = act if act is not None else nn.Identity()
        # Output parity (a, b) reads conv rows a..a+H and columns b..b+W (the (H+1)x(W+1) map of the
        # padded 2x2 conv). Its channels go to PixelShuffle's slot (1-a, 1-b), i.e. channel c*4 +
        # 2(1-a) + (1-b): then conv row i+a lands on shuffled row 2(i+a) + 1-a = 2i+a + 1, one row
        # below output row 2i+a for both parities, so a single crop of one pixel finishes the job.
        w = torch.zeros(cout, 2, 2, cin, 2, 2)  # (out, slot row, slot col, in, r, s)
        with torch.no_grad():
            # Output row 2i+a reads input rows i-1+a and i+a: conv row r <-> input offset r - 1 + a.
            for a in (0, 1):
                for b in (0, 1):
                    for r in (0, 1):
                        for c in (0, 1):
                            w[:, 1 - a, 1 - b, :, r, c] = conv.weight[:, :, _TAP[a][r - 1 + a], _TAP[b][c - 1 + b]].T
            self.conv.weight.copy_(w.reshape(4 * cout, cin, 2, 2))
            bias = conv.bias if conv.bias is not None else torch.zeros(cout)
            self.conv.bias.copy_(bias[:, None].expand(cout, 4).reshape(-1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x (B, Cin, H, W)
        y = self.act(self.conv(x))  # (B, 4*Cout, H+1, W+1)
        y = nn.functional.pixel_shuffle(y, 2)  # (B, Cout, 2H+2, 2W+2)
        # The crop as a negative pad: one ONNX Pad (indexing exports as one Slice per axis) and, in torch, a
        # contiguous result for the next conv.
        return nn.functional.pad(y, (-1, -1, -1, -1))  # (B, Cout, 2H, 2W)


# Output row 4q+s of two phase layers in a row, s = 0..3, from the first layer's conv rows (before its
# interleave and crop): ((parity a of that row, row offset from q, tap row r of the second conv), ...).
# Worked out from X[2j - a] = U_a[j] (first layer, after crop) and Y[2j - a'] = V_a'[j] (second layer):
# every output row in block q reads first-layer conv rows q and q+1 only, i.e. one 2x2 conv, no padding.
_PAIR_READS = {
    0: ((1, 0, 0), (0, 0, 1)),
    1: ((0, 0, 0), (1, 1, 1)),
    2: ((0, 0, 0), (1, 1, 1)),
    3: ((1, 1, 0), (0, 1, 1)),
}
# A pair fuses only when the second layer is this narrow (an image layer): its fused conv costs 4x its
# own phase conv, cheap next to a wide layer, while it saves the interleave and crop of the wide map.
PAIR_MAX_CHANNELS = 4


class PhasePair(nn.Module):
    """Two PhaseConvTranspose layers in a row, the second narrow (<= PAIR_MAX_CHANNELS outputs, the image):
    the first conv and its activation, the border rows/columns its crop would drop set to zero, one 2x2
    Conv2d with 16x the second layer's channels, its activation and PixelShuffle(4). The wide map in
    between is never interleaved or cropped."""

    def __init__(self, first: PhaseConvTranspose, second: PhaseConvTranspose, split: bool = False):
        """`split`: the form for onnxruntime (see `forward`)."""
        super().__init__()
        self.split = split
        self.conv1, self.act1, self.act2 = first.conv, first.act, second.act
        c1, c2 = first.conv.out_channels // 4, second.conv.out_channels // 4
        self.conv2 = nn.Conv2d(4 * c1, 16 * c2, 2, 1, 0, bias=True)
        w2 = second.conv.weight.view(c2, 2, 2, c1, 2, 2)  # (out, slot row 1-a', slot col 1-b', in, r, c)
        w = torch.zeros(c2, 4, 4, c1, 2, 2, 2, 2)  # (out, s row, s col, in, slot row 1-a, slot col 1-b, dy, dx)
        with torch.no_grad():
            for sr in range(4):
                for sc in range(4):
                    for a, dy, r in _PAIR_READS[sr]:
                        for b, dx, c in _PAIR_READS[sc]:
                            w[:, sr, sc, :, 1 - a, 1 - b, dy, dx] += w2[:, 1 - sr % 2, 1 - sc % 2, :, r, c]
            self.conv2.weight.copy_(w.reshape(16 * c2, 4 * c1, 2, 2))
            self.conv2.bias.copy_(second.conv.bias.view(c2, 4)[:, :1].expand(c2, 16).reshape(-1))
        if split:  # the split form replaces the two convs
            self.wide, self.draw = self._split(c1)
            del self.conv1, self.conv2

    def _split(self, c1: int) -> tuple[nn.ModuleList, nn.ModuleList]:
        """Per parity group (slot row, slot col) of the first layer: its own conv, padded so that it never
        computes the border rows/columns that the other form zeroes, and its share of the second conv (padded
        to match)."""
        cin, out2 = self.conv1.in_channels, self.conv2.out_channels
        w1, b1 = self.conv1.weight.view(c1, 2, 2, cin, 2, 2), self.conv1.bias.view(c1, 2, 2)
        w2 = self.conv2.weight.view(out2, c1, 2, 2, 2, 2)
        wide, draw = nn.ModuleList(), nn.ModuleList()
        with torch.no_grad():
            for sr in (0, 1):
                for sc in (0, 1):
                    a, b = nn.Conv2d(cin, c1, 2), nn.Conv2d(c1, out2, 2, bias=(sr, sc) == (0, 0))
                    a.weight.copy_(w1[:, sr, sc])
                    a.bias.copy_(b1[:, sr, sc])
                    b.weight.copy_(w2[:, :, sr, sc])
                    if b.bias is not None:  # the second conv's bias, once
                        b.bias.copy_(self.conv2.bias)
                    wide.append(a)
                    draw.append(b)
        return wide, draw

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x (B, Cin, H, W)
        if self.split:
            # Slot row 0 keeps conv rows 1..H of the padded conv (pad bottom only), slot row 1 rows 0..H-1 (pad
            # top only); the second conv reads rows q, q+1 of the uncropped map, so q-1, q for slot row 0
            # (pad top) and q, q+1 for slot row 1 (pad bottom). Columns likewise. onnxruntime gets 8 Convs
            # (the pads become the Convs' own) whose sum it fuses, all in its blocked layout: no zeroing, no
            # reorder of the wide map. In torch the pads are copies, so sampling runs the other form.
            y = 0
            for k, (a, b) in enumerate(zip(self.wide, self.draw)):
                sr, sc = divmod(k, 2)
                u = self.act1(a(nn.functional.pad(x, (sc, 1 - sc, sr, 1 - sr))))  # (B, C1, H, W)
                y = y + b(nn.functional.pad(u, (1 - sc, sc, 1 - sr, sr)))  # (B, 16*C2, H, W)
        else:
            u = self.act1(self.conv1(x))  # (B, 4*C1, H+1, W+1), channel c*4 + 2*(slot row) + (slot col)
            # Where the first layer's crop would drop a conv output (slot row 0 at row 0, slot row 1 at row H,
            # likewise for columns) the second layer's padding reads zeros. Zeroing those strips in place
            # touches a fraction of the map, where multiplying by a mask was one more pass over all of it.
            v = u.view(u.shape[0], -1, 2, 2, u.shape[2], u.shape[3])  # (B, C1, slot row, slot col, H+1, W+1)
            v[:, :, 0, :, 0].zero_()
            v[:, :, 1, :, -1].zero_()
            v[:, :, :, 0, :, 0].zero_()
            v[:, :, :, 1, :, -1].zero_()
            y = self.conv2(u)  # (B, 16*C2, H, W)
        return nn.functional.pixel_shuffle(self.act2(y), 4)  # (B, C2, 4H, 4W)


# Elementwise activations that may move from after a (folded) transposed conv into PhaseConvTranspose.
_ELEMENTWISE = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid)


def _is_subpixel_able(m: nn.Module) -> bool:
    return (
        isinstance(m, nn.ConvTranspose2d)
        and m.kernel_size == (4, 4)
        and m.stride == (2, 2)
        and m.padding == (1, 1)
        and m.output_padding == (0, 0)
        and m.groups == 1
        and m.dilation == (1, 1)
    )


def _is_first_layer(m: nn.Module) -> bool:  # ConvTranspose2d(latent, C, k, stride 1, padding 0) on 1x1 inputs
    return isinstance(m, nn.ConvTranspose2d) and m.stride == (1, 1) and m.padding == (0, 0) and m.groups == 1


def rewrite_convtranspose(
    module: nn.Module, form: str = "subpixel", split_pairs: bool = False, latent_maps: tuple[nn.Module, ...] = ()
) -> nn.Module:
    """Replace stride-2 ConvTranspose2d by `form` ("subpixel" or "phase") and the first 1x1 -> kxk one by a
    Linear, in place. With "phase", an elementwise activation that follows such a layer (after a folded
    BatchNorm) moves into it, and the last two stride-2 layers become a PhasePair (`split_pairs`: its
    onnxruntime form).

    The first layer is only rewritten when it opens one of `latent_maps`: nn.Sequentials whose input is
    (B, latent, 1, 1), as their generators declare (`latent_map_layers()`).
    """
    for name, child in module.named_children():
        if _is_subpixel_able(child):
            setattr(module, name, subpixel_conv(child) if form == "subpixel" else PhaseConvTranspose(child))
        else:
            rewrite_convtranspose(child, form, split_pairs, latent_maps)
    if (
        isinstance(module, nn.Sequential)
        and len(module)
        and _is_first_layer(module[0])
        and any(module is m for m in latent_maps)
    ):
        module[0] = LinearToMap(module[0])
    if form == "phase" and isinstance(module, nn.Sequential):  # (layer, Identity*, activation) -> layer(act)
        for i, layer in enumerate(module):
            if isinstance(layer, (PhaseConvTranspose, LinearToMap)) and isinstance(layer.act, nn.Identity):
                j = i + 1
                while j < len(module) and type(module[j]) is nn.Identity:  # a folded BatchNorm
                    j += 1
                if j < len(module) and isinstance(module[j], _ELEMENTWISE):
                    layer.act, module[j] = module[j], nn.Identity()
    if form == "phase" and isinstance(module, nn.Sequential) and len(module) and isinstance(module[0], LinearToMap):
        # (wide phase layer, Identity*, narrow phase layer) -> PhasePair.
        for i, layer in enumerate(module):
            if not isinstance(layer, PhaseConvTranspose):
                continue
            j = i + 1
            while j < len(module) and type(module[j]) is nn.Identity:
                j += 1
            if (
                j < len(module)
                and isinstance(module[j], PhaseConvTranspose)
                and module[j].conv.out_channels // 4 <= PAIR_MAX_CHANNELS
            ):
                module[i], module[j] = PhasePair(layer, module[j], split_pairs), nn.Identity()
                break
    return module


# The activations a LinearChain applies in place, by kind.
_CHAIN_ACTS = {nn.ReLU: "relu", nn.LeakyReLU: "leaky_relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid"}


class LinearChain(nn.Module):
    """An nn.Sequential of Linear layers, each followed by at most one elementwise activation (Identity between
    them skipped): one addmm per layer and the activation in place on its output. The same result without a
    module call and a new tensor per activation, which is much of an MLP generator's time at small batches."""

    def __init__(self, seq: nn.Sequential):
        super().__init__()
        self.linears = nn.ModuleList()
        self.acts: list[tuple[str, float] | None] = []  # (kind, LeakyReLU slope) after each Linear
        for m in seq:
            if isinstance(m, nn.Linear):
                self.linears.append(m)
                self.acts.append(None)
            elif type(m) in _CHAIN_ACTS and self.acts and self.acts[-1] is None:
                self.acts[-1] = (_CHAIN_ACTS[type(m)], getattr(m, "negative_slope", 0.0))
            elif type(m) is not nn.Identity:
                raise TypeError(f"a LinearChain holds Linear layers and one activation after each, not {m}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x (B, in) -> (B, out)
        for linear, act in zip(self.linears, self.acts):
            x = torch.addmm(linear.bias, x, linear.weight.t()) if linear.bias is not None else x @ linear.weight.t()
            if act is not None:
                kind, slope = act
                if kind == "leaky_relu":
                    nn.functional.leaky_relu_(x, slope)
                else:
                    getattr(torch, kind + "_")(x)  # torch.relu_, tanh_, sigmoid_
        return x


def _is_linear_chain(m: nn.Module) -> bool:
    if not isinstance(m, nn.Sequential) or not len(m) or not isinstance(m[0], nn.Linear):
        return False
    try:
        LinearChain(m)
    except TypeError:
        return False
    return True


def chain_linear_layers(module: nn.Module) -> nn.Module:
    """Replace every nn.Sequential below `module` that is a chain of Linear layers and activations by a
    LinearChain, in place."""
    for name, child in module.named_children():
        if _is_linear_chain(child):
            setattr(module, name, LinearChain(child))
        else:
            chain_linear_layers(child)
    return module


def drop_identities(module: nn.Module) -> nn.Module:
    """Remove the nn.Identity layers the rewrites leave in nn.Sequentials (a folded BatchNorm, an activation
    moved into a conv), in place: each is a module call for nothing."""
    for m in module.modules():
        if isinstance(m, nn.Sequential) and any(type(x) is nn.Identity for x in m):
            keep = [x for x in m if type(x) is not nn.Identity]
            m._modules.clear()
            for i, x in enumerate(keep):
                m.add_module(str(i), x)
    return module


class ToUnitRange(nn.Module):
    """A generator (output in [-1, 1]) whose images come out in [0, 1], as `model.generate` returns them."""

    def __init__(self, generator: nn.Module):
        super().__init__()
        self.generator = generator

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None, **kwargs) -> torch.Tensor:
        return to_unit_range(self.generator(z, labels, **kwargs))  # kwargs: a style-based G's space, truncation


def _output_layers(generator: nn.Module) -> nn.Sequential | None:
    """The nn.Sequential whose output is the generator's, as its class declares (`output_layers()`), if it
    ends in (Linear | ConvTranspose2d, Tanh)."""
    net = declared(generator, "output_layers")
    if (
        isinstance(net, nn.Sequential)
        and len(net) >= 2
        and type(net[-1]) is nn.Tanh
        and isinstance(net[-2], (nn.Linear, nn.ConvTranspose2d))
    ):
        return net
    return None


@torch.no_grad()
def fold_unit_range(generator: nn.Module) -> nn.Module:
    """The generator with images in [0, 1] out, in place where it can: (tanh(x) + 1) / 2 = sigmoid(2x), so
    the last layer's weights and bias double and its Tanh becomes a Sigmoid (one pass instead of four, and
    no clamp: a sigmoid stays in [0, 1]). A generator that declares no such output layers is wrapped in
    ToUnitRange."""
    net = _output_layers(generator)
    if net is None:
        return ToUnitRange(generator)
    net[-2].weight.mul_(2)
    if net[-2].bias is not None:
        net[-2].bias.mul_(2)
    net[-1] = nn.Sigmoid()
    return generator


def optimize(
    generator: nn.Module,
    *,
    convt: str = "native",
    channels_last: bool = False,
    onnx: bool = False,
    unit_range: bool = False,
    linear_chain: bool = False,
) -> nn.Module:
    """A faster copy of `generator` for inference: eval mode, BatchNorm folded, the stride-2 transposed
    convolutions in form `convt` ("native" keeps them; "subpixel" or "phase", see the module docstring),
    with `channels_last` its 4-d weights in that memory format (convolutions then run NHWC), with
    `onnx` the graph meant for export (the generator's declared `onnx_form()` where it has one; PhasePair
    split per parity group, which onnxruntime runs fastest),
    with `unit_range` images in [0, 1] out (`fold_unit_range`) instead of the generator's [-1, 1], and with
    `linear_chain` its chains of Linear layers as LinearChains (torch only: in-place activations)."""
    if convt not in CONVT_FORMS:
        raise GanzooError(f"convt must be one of {', '.join(CONVT_FORMS)}, got {convt!r}")
    g = copy.deepcopy(generator).eval()
    if onnx:
        g = declared(g, "onnx_form") or g
    fold_batchnorm(g)
    if unit_range:
        g = fold_unit_range(g)
    if convt != "native":
        maps = tuple(m for m in (declared(x, "latent_map_layers") for x in g.modules()) if m is not None)
        rewrite_convtranspose(g, convt, split_pairs=onnx, latent_maps=maps)
    if linear_chain:
        chain_linear_layers(g)
    drop_identities(g)
    if channels_last:
        g = g.to(memory_format=torch.channels_last)
        for m in g.modules():
            if isinstance(m, LinearToMap):
                m.to_nhwc()
    for p in g.parameters():
        p.requires_grad_(False)
    return g


def fast_generator(generator: nn.Module) -> nn.Module:
    """The module that `model.generate` runs, images in [0, 1] out: `optimize` with the rewrite the
    generator's class declares (`inference_rewrite()`), or the generator as is (wrapped in ToUnitRange)
    where it declares none."""
    rewrite = declared(generator, "inference_rewrite")
    if rewrite is None:
        return ToUnitRange(generator)
    return optimize(
        generator,
        convt=rewrite.convt,
        channels_last=rewrite.channels_last,
        unit_range=True,
        linear_chain=rewrite.linear_chain,
    )

"""Held-out judges: classifiers that only *measure* steering and inversion, never guide them.

ganzoo's steering and inversion follow the package's own classifier (ganzoo.metrics.Classifier, a
two-conv CNN trained on shifted images). An image that fools that one network is not yet an image of
the class; these judges differ from it in architecture, seed and augmentation (small rotations, scalings
and shifts), and nothing in ganzoo/ can load them: they live in benchmarks/judges/ (float16
safetensors + a JSON with the test accuracy and the command), read by benchmarks/control.py and the
tests only.

    python -m training.train_classifier mnist --arch resnet --seed 1     # writes benchmarks/judges/mnist-resnet.*
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

JUDGE_DIR = Path(__file__).resolve().parent.parent / "benchmarks" / "judges"


class _Block(nn.Module):
    """A ResNet basic block (He et al. 2016) that halves the size and widens the channels."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, 2, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(h)) + self.skip(x))


class ResNetJudge(nn.Module):
    """Small ResNet: 28x28 -> 14x14 -> 7x7 with BatchNorm, global average pooling, linear head (~75k weights)."""

    def __init__(self, channels: int = 1, num_classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(channels, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.blocks = nn.Sequential(_Block(16, 32), _Block(32, 64))
        self.head = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x - 0.5)).mean((2, 3)))


class MLPJudge(nn.Module):
    """Fully connected 784-256-128-10 with dropout: no convolution, so none of the CNN's inductive bias."""

    def __init__(self, channels: int = 1, num_classes: int = 10, size: int = 28):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(channels * size * size, 256),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(256, 128),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(128, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x - 0.5)


class LeNetJudge(nn.Module):
    """LeNet-5-like: 5x5 convolutions, average pooling, tanh (LeCun et al. 1998)."""

    def __init__(self, channels: int = 1, num_classes: int = 10):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, 16, 5, padding=2),
            nn.Tanh(),
            nn.AvgPool2d(2),  # (B, 16, 14, 14)
            nn.Conv2d(16, 32, 5),
            nn.Tanh(),
            nn.AvgPool2d(2),  # (B, 32, 5, 5)
            nn.Flatten(),
            nn.Linear(32 * 5 * 5, 120),
            nn.Tanh(),
            nn.Linear(120, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x * 2 - 1)


ARCHS = {"resnet": ResNetJudge, "mlp": MLPJudge, "lenet": LeNetJudge}


# Digits are written at any slant; clothes are photographed upright and centred, where rotations and
# scalings only blur the classes (and a left and a right shoe are the same class).
AUGMENT = {
    "mnist": dict(degrees=12.0, scale=0.1, shift=2.5, flip=False),
    "fashion-mnist": dict(degrees=3.0, scale=0.04, shift=2.0, flip=True),
}


def random_affine(
    x: torch.Tensor,
    g: torch.Generator,
    *,
    degrees: float = 12.0,
    scale: float = 0.1,
    shift: float = 2.5,
    flip: bool = False,
) -> torch.Tensor:
    """Each image of x (B, C, H, W) rotated, scaled, shifted (and mirrored, with flip) by its own small random
    amount."""
    b, _, h, w = x.shape
    u = torch.rand(b, 5, generator=g) * 2 - 1
    a = u[:, 0] * math.radians(degrees)
    s = 1 + u[:, 1] * scale
    cos, sin = torch.cos(a) / s, torch.sin(a) / s
    mirror = torch.where(u[:, 4] < 0, -1.0, 1.0) if flip else torch.ones(b)
    theta = torch.stack(
        [
            torch.stack([cos * mirror, -sin, u[:, 2] * shift * 2 / w], 1),
            torch.stack([sin * mirror, cos, u[:, 3] * shift * 2 / h], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")


def judge_path(dataset: str, arch: str) -> Path:
    return JUDGE_DIR / f"{dataset}-{arch}.safetensors"


def load_judge(dataset: str, arch: str) -> nn.Module:
    """One judge in eval mode, float32, frozen."""
    from safetensors.torch import load_file

    path = judge_path(dataset, arch)
    if not path.is_file():
        raise FileNotFoundError(
            f"no {arch} judge for {dataset} at {path}; train it with "
            f"`python -m training.train_classifier {dataset} --arch {arch}`"
        )
    net = ARCHS[arch]()
    net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in load_file(str(path)).items()})
    for p in net.parameters():
        p.requires_grad_(False)
    return net.eval()


def load_judges(dataset: str) -> dict[str, nn.Module]:
    """Every judge of a data set that benchmarks/judges/ holds, by architecture name."""
    return {arch: load_judge(dataset, arch) for arch in ARCHS if judge_path(dataset, arch).is_file()}


def judge_meta(dataset: str, arch: str) -> dict:
    return json.loads(judge_path(dataset, arch).with_suffix(".json").read_text())


@torch.inference_mode()
def predict(net: nn.Module, images: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    """Predicted classes (N,) for images in [0, 1] (N, C, H, W), on the CPU."""
    return torch.cat(
        [net(images[i : i + batch].float().cpu()).argmax(1) for i in range(0, len(images), batch)]
        or [torch.zeros(0, dtype=torch.long)]
    )

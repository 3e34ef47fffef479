"""Training data: torchvision data sets held in memory as uint8 tensors.

The data root comes from --data-root, else $GANZOO_DATA, else ./data. Nothing is
downloaded unless --download is given.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from ganzoo.datasets import data_root
from ganzoo.errors import DataNotFoundError

TORCHVISION = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "cifar10": "CIFAR10"}


def load_images(dataset: str, root: str | os.PathLike | None = None, *, train: bool = True,
                download: bool = False, image_size: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(images uint8 (N, C, H, W), labels int64 (N,)) for a data set split."""
    import torchvision

    root = data_root(root)
    if dataset in TORCHVISION:
        cls = getattr(torchvision.datasets, TORCHVISION[dataset])
        try:
            ds = cls(str(root), train=train, download=download)
        except RuntimeError as e:
            raise DataNotFoundError(
                f"{dataset} was not found under {root}: expected {root / TORCHVISION[dataset]} in torchvision's "
                f"layout ({'raw/*-ubyte' if dataset != 'cifar10' else 'cifar-10-batches-py/'}). Put the files "
                "there, point --data-root or GANZOO_DATA at the folder that holds them, or add --download "
                f"to fetch them (needs internet). ({e})") from e
        x = torch.as_tensor(ds.data)
        x = x[:, None] if x.ndim == 3 else x.permute(0, 3, 1, 2)  # (N, C, H, W)
        return x.contiguous(), torch.as_tensor(ds.targets, dtype=torch.long)
    if dataset == "celeba":
        return _image_folder(root / "celeba", image_size or 64)
    raise ValueError(f"unknown data set {dataset!r}; known: {', '.join([*TORCHVISION, 'celeba'])}")


def _image_folder(folder: Path, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """CelebA (or any folder of images): centre crop 178 -> resize to size, as in the DCGAN paper."""
    import torchvision.transforms.v2 as T
    from torchvision.io import decode_image

    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not files:
        raise DataNotFoundError(f"no images found under {folder}: put CelebA's img_align_celeba/*.jpg there "
                                "(download from the CelebA site; torchvision cannot fetch it reliably).")
    tf = T.Compose([T.CenterCrop(178), T.Resize(size, antialias=True)])
    x = torch.stack([tf(decode_image(str(p), mode="RGB")) for p in files])
    return x, torch.zeros(len(x), dtype=torch.long)


def to_model_range(x: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float [-1, 1]."""
    return x.float().div_(127.5).sub_(1)

"""Training data: data sets held in memory as uint8 tensors (MNIST formats read by ganzoo, others by torchvision).

The data root comes from --data-root, else $GANZOO_DATA, else ./data. Nothing is
downloaded unless --download is given.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ganzoo.datasets import data_root, load_idx_split
from ganzoo.errors import DataNotFoundError
from ganzoo.registry import get_dataset


def load_images(
    dataset: str,
    root: str | os.PathLike | None = None,
    *,
    train: bool = True,
    download: bool = False,
    image_size: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(images uint8 (N, C, H, W), labels int64 (N,)) for a data set split."""
    import torchvision

    root = data_root(root)
    info = get_dataset(dataset)
    folder = info.folder
    if info.zoo:  # MNIST-format: ganzoo's own IDX reader, which checks every file (a damaged one is an error)
        if download:  # torchvision fetches the files that are missing (and checks their md5)
            getattr(torchvision.datasets, folder)(str(root), train=train, download=True)
        try:
            x, y = load_idx_split(dataset, "train" if train else "test", root, min_images=1)
        except DataNotFoundError:
            raw = root / folder / "raw" / f"{'train' if train else 't10k'}-images-idx3-ubyte"
            raise DataNotFoundError(
                f"{dataset} was not found under {root}: expected {raw} (or .gz) and its labels file, in "
                f"torchvision's {folder}/raw layout. Put the files there, point --data-root or GANZOO_DATA at the "
                "folder that holds them, or add --download to fetch them (needs internet)."
            ) from None
        return torch.from_numpy(x.copy())[:, None], torch.from_numpy(y)
    if hasattr(torchvision.datasets, folder):  # the table's folder is torchvision's class name
        cls = getattr(torchvision.datasets, folder)
        try:
            ds = cls(str(root), train=train, download=download)
        except RuntimeError as e:
            raise DataNotFoundError(
                f"{dataset} was not found under {root}: expected {root / folder} in torchvision's layout. Put the "
                "files there, point --data-root or GANZOO_DATA at the folder that holds them, or add --download "
                f"to fetch them (needs internet). ({e})"
            ) from e
        x = torch.as_tensor(ds.data)
        x = x[:, None] if x.ndim == 3 else x.permute(0, 3, 1, 2)  # (N, C, H, W)
        return x.contiguous(), torch.as_tensor(ds.targets, dtype=torch.long)
    return _image_folder(root / folder, image_size or info.image_size)  # e.g. celeba/*.jpg


def _image_folder(folder: Path, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """CelebA (or any folder of images): centre crop 178 -> resize to size, as in the DCGAN paper."""
    import torchvision.transforms.v2 as T
    from torchvision.io import decode_image

    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not files:
        raise DataNotFoundError(
            f"no images found under {folder}: put CelebA's img_align_celeba/*.jpg there "
            "(download from the CelebA site; torchvision cannot fetch it reliably)."
        )
    tf = T.Compose([T.CenterCrop(178), T.Resize(size, antialias=True)])
    x = torch.stack([tf(decode_image(str(p), mode="RGB")) for p in files])
    return x, torch.zeros(len(x), dtype=torch.long)


def to_model_range(x: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float [-1, 1]."""
    return x.float().div_(127.5).sub_(1)


class Batches:
    """Infinite shuffled batches from an in-memory uint8 tensor, sharded per rank.

    Uses DistributedSampler (seeded, set_epoch) for the index order, so the order is the same
    for any run of the recipe and can be resumed from a count of batches consumed.
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch: int, seed: int, rank: int, world: int):
        from torch.utils.data import DistributedSampler

        self.x, self.y, self.batch = x, y, batch
        self.sampler = DistributedSampler(
            range(len(x)), num_replicas=world, rank=rank, shuffle=True, seed=seed, drop_last=True
        )
        self.per_epoch = len(self.sampler) // batch
        if self.per_epoch < 1:
            raise ValueError(f"data set of {len(x)} images is smaller than one batch per rank ({batch})")
        self.consumed = 0
        self._epoch, self._order = -1, None

    def next(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        epoch, i = divmod(self.consumed, self.per_epoch)
        if epoch != self._epoch:
            self.sampler.set_epoch(epoch)
            self._order, self._epoch = torch.tensor(list(iter(self.sampler))), epoch
        idx = self._order[i * self.batch : (i + 1) * self.batch]
        self.consumed += 1
        return to_model_range(self.x[idx]).to(device), self.y[idx].to(device)

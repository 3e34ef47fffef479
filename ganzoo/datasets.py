"""Read MNIST-style IDX files with numpy alone (for evaluation; training uses torchvision)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from .errors import DataNotFoundError, GanzooError

# The one default data root of ganzoo, training, the benchmarks and the tests: ./data in the working
# directory, as in torchvision's examples. Elsewhere: --data-root, or $GANZOO_DATA.
DEFAULT_DATA_ROOT = "data"


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The data root: `root` (a --data-root flag or argument), else $GANZOO_DATA, else ./data.

    It holds torchvision's layout: MNIST/raw/*-ubyte, FashionMNIST/raw/*-ubyte, cifar-10-batches-py/."""
    return Path(root or os.environ.get("GANZOO_DATA") or DEFAULT_DATA_ROOT)


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_idx_split(
    dataset: str, split: str = "test", root: str | os.PathLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), labels int64 (N,)) of an MNIST-format data set split."""
    from .registry import DATASETS

    if dataset not in DATASETS or not DATASETS[dataset].zoo:
        raise GanzooError(
            f"no IDX reader for data set {dataset!r}; known: {', '.join(n for n, d in DATASETS.items() if d.zoo)}"
        )
    folder = DATASETS[dataset].folder
    raw = data_root(root) / folder / "raw"
    prefix = "t10k" if split == "test" else "train"
    out = []
    for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        base = raw / f"{prefix}-{kind}"
        path = base if base.exists() else base.with_name(base.name + ".gz")
        if not path.exists():
            raise DataNotFoundError(
                f"{dataset} {split} split not found: expected {base} (or .gz). Put torchvision's "
                f"{folder}/raw files under the data root ({data_root(root)}), set GANZOO_DATA or "
                "--data-root to the folder that holds them, or download them with "
                f"`python -m training.train ... --download` / torchvision.datasets.{folder}(root, download=True)."
            )
        out.append(_read_idx(path))
    return out[0], out[1].astype(np.int64)

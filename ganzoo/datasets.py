"""Read MNIST-style IDX files with numpy alone (evaluation and training), every field checked."""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from .errors import DataFileError, DataNotFoundError, GanzooError

# The one default data root of ganzoo, training, the benchmarks and the tests: ./data in the working
# directory, as in torchvision's examples. Elsewhere: --data-root, or $GANZOO_DATA.
DEFAULT_DATA_ROOT = "data"


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The data root: `root` (a --data-root flag or argument), else $GANZOO_DATA, else ./data.

    It holds torchvision's layout: MNIST/raw/*-ubyte, FashionMNIST/raw/*-ubyte, cifar-10-batches-py/."""
    return Path(root or os.environ.get("GANZOO_DATA") or DEFAULT_DATA_ROOT)


# The official sizes of the MNIST-format splits (MNIST and Fashion-MNIST alike).
SPLIT_SIZES = {"train": 60000, "test": 10000}
MAX_IDX_BYTES = 2**30  # no MNIST-format file is larger; a header that declares more is damaged
MIN_EVAL_IMAGES = 10  # real images the metrics need at least (precision/recall: 5 neighbours, as `eval --n`)


def _damaged(path: Path, what: str, dataset: str, root) -> DataFileError:
    from .registry import DATASETS

    folder = DATASETS[dataset].folder
    return DataFileError(
        f"{path} is damaged: {what}. Replace it with an intact copy: delete it and download {dataset} again "
        f"(torchvision.datasets.{folder}({str(data_root(root))!r}, download=True), or `ganzoo train <recipe> "
        f"--data-root {data_root(root)} --download`), which puts the files in {path.parent}."
    )


def read_idx(path: Path, ndim: int, dataset: str, root=None, item_shape: tuple[int, ...] = ()) -> np.ndarray:
    """An IDX file of unsigned bytes (MNIST's format) as a uint8 array, every header field checked
    against the file: a damaged file is a DataFileError naming it and what is wrong."""
    kind = "image" if ndim == 3 else "label"
    try:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
            head = f.read(4)
            if not head:
                raise _damaged(path, "it is empty (0 bytes)", dataset, root)
            if len(head) < 4 or head[:3] != b"\x00\x00\x08":
                raise _damaged(
                    path,
                    f"it is not an IDX file of unsigned bytes (it starts with {head.hex(' ')}; "
                    f"an MNIST {kind} file starts with 00 00 08 {ndim:02x})",
                    dataset,
                    root,
                )
            if head[3] != ndim:
                raise _damaged(
                    path,
                    f"it holds a {head[3]}-dimensional array, but an MNIST {kind} file holds {ndim} dimensions",
                    dataset,
                    root,
                )
            dims_raw = f.read(4 * ndim)
            if len(dims_raw) < 4 * ndim:
                raise _damaged(path, f"it ends inside its header ({4 + len(dims_raw)} bytes)", dataset, root)
            shape = tuple(int.from_bytes(dims_raw[4 * i : 4 * i + 4], "big") for i in range(ndim))
            if item_shape and shape[1:] != item_shape:
                raise _damaged(
                    path,
                    f"its header declares {'x'.join(map(str, shape[1:]))} images, but {dataset} "
                    f"images are {'x'.join(map(str, item_shape))}",
                    dataset,
                    root,
                )
            size = int(np.prod(shape, dtype=object))
            if size > MAX_IDX_BYTES:
                raise _damaged(
                    path,
                    f"its header declares {' x '.join(map(str, shape))} = {size:,} bytes, "
                    "more than any MNIST-format file holds",
                    dataset,
                    root,
                )
            data = f.read(size + 1)
    except (OSError, EOFError, zlib.error) as e:  # gzip.BadGzipFile is an OSError
        raise _damaged(path, f"it cannot be read ({type(e).__name__}: {e})", dataset, root) from None
    if len(data) < size:
        raise _damaged(
            path,
            f"it is truncated: its header declares {shape[0]:,} {kind}s ({size:,} bytes of data) "
            f"but it holds {len(data):,} bytes (an interrupted download?)",
            dataset,
            root,
        )
    if len(data) > size:
        raise _damaged(path, f"it holds more data than the {shape[0]:,} {kind}s its header declares", dataset, root)
    return np.frombuffer(data, dtype=np.uint8).reshape(shape)


def load_idx_split(
    dataset: str, split: str = "test", root: str | os.PathLike | None = None, *, min_images: int = MIN_EVAL_IMAGES
) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), labels int64 (N,)) of an MNIST-format data set split, holding at least
    `min_images` (the default: what evaluation's metrics need)."""
    from .registry import DATASETS

    if dataset not in DATASETS or not DATASETS[dataset].zoo:
        raise GanzooError(
            f"no IDX reader for data set {dataset!r}; known: {', '.join(n for n, d in DATASETS.items() if d.zoo)}"
        )
    ds = DATASETS[dataset]
    raw = data_root(root) / ds.folder / "raw"
    prefix = "t10k" if split == "test" else "train"
    paths = []
    for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        base = raw / f"{prefix}-{kind}"
        path = base if base.exists() else base.with_name(base.name + ".gz")
        if not path.exists():
            raise DataNotFoundError(
                f"{dataset} {split} split not found: expected {base} (or .gz). Put torchvision's "
                f"{ds.folder}/raw files under the data root ({data_root(root)}), set GANZOO_DATA or "
                "--data-root to the folder that holds them, or download them with "
                f"`ganzoo train <recipe> --download` / torchvision.datasets.{ds.folder}(root, download=True)."
            )
        paths.append(path)
    x = read_idx(paths[0], 3, dataset, root, (ds.image_size, ds.image_size))
    y = read_idx(paths[1], 1, dataset, root)
    if len(x) != len(y):
        raise _damaged(
            paths[0] if len(x) < len(y) else paths[1],
            f"it holds {min(len(x), len(y)):,} {'images' if len(x) < len(y) else 'labels'}, but "
            f"{paths[1 if len(x) < len(y) else 0].name} beside it holds {max(len(x), len(y)):,}: "
            "the two files come from different downloads",
            dataset,
            root,
        )
    if len(y) and int(y.max()) >= len(ds.class_names):
        raise _damaged(
            paths[1],
            f"it holds label {int(y.max())}, but {dataset} has classes 0-{len(ds.class_names) - 1}",
            dataset,
            root,
        )
    if len(x) < min_images:
        raise _damaged(
            paths[0],
            f"it holds {len(x):,} images, too few to use (at least {min_images:,}; the "
            f"official {dataset} {split} split has {SPLIT_SIZES[split]:,})",
            dataset,
            root,
        )
    return x, y.astype(np.int64)

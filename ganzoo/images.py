"""Image helpers: tensors in [0, 1] to PIL images and grid PNGs (PIL + numpy, no torchvision)."""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from .errors import GanzooError

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif")  # what grids are written as


def _to_uint8_nhwc(images) -> np.ndarray:
    arr = images.detach().cpu().numpy() if hasattr(images, "detach") else np.asarray(images)
    if arr.ndim != 4:
        raise ValueError(f"images must be N x C x H x W, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = (np.clip(arr, 0, 1) * 255 + 0.5).astype(np.uint8)
    return arr.transpose(0, 2, 3, 1)


def to_pil(images) -> list:
    """N x C x H x W images in [0, 1] (torch or numpy) to a list of PIL images."""
    from PIL import Image

    arr = _to_uint8_nhwc(images)
    return [Image.fromarray(a[..., 0] if a.shape[-1] == 1 else a) for a in arr]


def make_grid(images, nrow: int | None = None, padding: int = 2) -> np.ndarray:
    """A uint8 H x W x C grid with `nrow` images per row."""
    if nrow is not None and (isinstance(nrow, bool) or not isinstance(nrow, int) or nrow < 1):
        raise GanzooError(f"nrow must be a positive int (images per row), got {nrow!r}")
    arr = _to_uint8_nhwc(images)
    n, h, w, c = arr.shape
    nrow = nrow or max(1, int(math.ceil(math.sqrt(n))))
    rows = int(math.ceil(n / nrow))
    grid = np.zeros((rows * (h + padding) + padding, nrow * (w + padding) + padding, c), np.uint8)
    for i, a in enumerate(arr):
        r, col = divmod(i, nrow)
        y, x = padding + r * (h + padding), padding + col * (w + padding)
        grid[y:y + h, x:x + w] = a
    return grid


def save_grid(images, path: str | os.PathLike, nrow: int | None = None) -> Path:
    """Save images as one PNG grid; returns the path."""
    from PIL import Image

    path = Path(path)
    if path.suffix.lower() not in IMAGE_EXTS:  # checked here: PIL would say `unknown file extension: ;`
        got = f"{path.suffix!r}" if path.suffix else "no extension"
        example = path.with_name(path.name.rstrip(".")).with_suffix(".png") if path.name.rstrip(".") else "grid.png"
        raise GanzooError(f"cannot write {path}: an image needs a file name ending in {', '.join(IMAGE_EXTS)} "
                          f"(got {got}), e.g. {example}")
    if not path.parent.is_dir():
        raise GanzooError(f"folder {path.parent} does not exist; create it or choose another output path")
    g = make_grid(images, nrow)
    try:
        Image.fromarray(g[..., 0] if g.shape[-1] == 1 else g).save(path)
    except (KeyError, ValueError) as e:  # PIL: a format this PIL cannot write (e.g. built without WebP)
        raise GanzooError(f"cannot write {path}: {e}; use a .png or .jpg file name") from None
    except OSError as e:
        raise GanzooError(f"cannot write {path}: {e}") from None
    return path

"""Image helpers: tensors in [0, 1] to PIL images and grid PNGs (PIL + numpy, no torchvision)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from .errors import GanzooError
from .runtime import ensure_fits, grid_layout, peak_bytes

CHUNK = 4096  # images converted to uint8 at a time: the float temporaries stay small for any n

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif")  # what grids are written as


def _nchw(images) -> np.ndarray:
    """The images as a numpy N x C x H x W array of uint8 or floats in [0, 1], or a GanzooError saying what to give."""
    arr = images.detach().cpu().numpy() if hasattr(images, "detach") else np.asarray(images)
    if arr.ndim != 4:
        hint = "; for one image use images[None]" if arr.ndim == 3 else ""
        raise GanzooError(f"images must be N x C x H x W, got shape {tuple(arr.shape)}{hint}")
    if arr.shape[1] not in (1, 3, 4):
        raise GanzooError(
            f"images must have 1 (grey), 3 (RGB) or 4 (RGBA) channels in dimension 1 (N x C x H x W), "
            f"got shape {tuple(arr.shape)}"
        )
    if 0 in arr.shape[2:]:
        raise GanzooError(f"images must have at least one pixel, got shape {tuple(arr.shape)} (N x C x H x W)")
    if arr.dtype == np.bool_:
        return arr.astype(np.float32)
    if arr.dtype.kind in "iu" and arr.dtype != np.uint8:  # 0..255 ints would clip to 0/1 silently
        raise GanzooError(f"images of dtype {arr.dtype}: give floats in [0, 1] or uint8 values 0..255")
    if arr.dtype.kind not in "fu":
        raise GanzooError(f"images of dtype {arr.dtype}: give floats in [0, 1] or uint8 values 0..255")
    if arr.dtype.kind == "f":
        _check_float_range(arr)
    return arr


def _check_float_range(arr: np.ndarray) -> None:
    """Float images must be finite and in [0, 1]: 0..255 or -1..1 values would be clipped to a wrong picture
    without a word. A little slack (0.5) is left for arithmetic that strays just outside the range, which is
    clipped as torchvision's save_image clips it. Read in slices of about 4M values: no full-size temporaries."""
    step = max(1, (1 << 22) // math.prod(arr.shape[1:]))  # images per slice (each has >= 1 pixel: _nchw)
    lo, hi = np.inf, -np.inf
    for i in range(0, len(arr), step):
        part = arr[i : i + step]
        if not np.isfinite(part).all():
            raise GanzooError("images hold NaN or infinite values, which have no grey level: check what made them")
        lo, hi = min(lo, float(part.min())), max(hi, float(part.max()))
    if hi > 1.5:
        raise GanzooError(
            f"images hold values up to {hi:g}, but float images must be in [0, 1]: divide 0..255 values by 255 "
            "(or give them as uint8)"
        )
    if lo < -0.5:
        raise GanzooError(
            f"images hold values down to {lo:g}, but float images must be in [0, 1]: map -1..1 values with (x + 1) / 2"
        )


def _to_uint8_nhwc(arr: np.ndarray) -> np.ndarray:
    """uint8 N x H x W x C of N x C x H x W images in [0, 1] (or uint8), converted CHUNK images at a time."""
    if arr.dtype == np.uint8:
        return arr.transpose(0, 2, 3, 1)
    out = np.empty((arr.shape[0], *arr.shape[2:], arr.shape[1]), np.uint8)
    for i in range(0, len(arr), CHUNK):
        out[i : i + CHUNK] = (np.clip(arr[i : i + CHUNK], 0, 1) * 255 + 0.5).transpose(0, 2, 3, 1)
    return out


def to_pil(images) -> list:
    """N x C x H x W images in [0, 1] (torch or numpy) to a list of PIL images."""
    from PIL import Image

    arr = _to_uint8_nhwc(_nchw(images))
    return [Image.fromarray(a[..., 0] if a.shape[-1] == 1 else a) for a in arr]


def make_grid(images, nrow: int | None = None, padding: int = 2) -> np.ndarray:
    """A uint8 H x W x C grid with `nrow` images per row (at most all of them: see runtime.grid_layout)."""
    if nrow is not None and (isinstance(nrow, bool) or not isinstance(nrow, int) or nrow < 1):
        raise GanzooError(f"nrow must be a positive int (images per row), got {nrow!r}")
    arr = _nchw(images)
    n, c, h, w = arr.shape
    if n == 0:
        raise GanzooError("no images to put in a grid")
    ensure_fits(
        peak_bytes(n, 0, (c, h, w), chunk=CHUNK, work_per_image=0, image_itemsize=0, grid=True, nrow=nrow),
        f"{n} images of {c}x{h}x{w} in a grid",
    )
    rows, nrow = grid_layout(n, nrow)
    grid = np.zeros((rows * (h + padding) + padding, nrow * (w + padding) + padding, c), np.uint8)
    for i in range(0, n, CHUNK):
        for j, a in enumerate(_to_uint8_nhwc(arr[i : i + CHUNK]), start=i):
            r, col = divmod(j, nrow)
            y, x = padding + r * (h + padding), padding + col * (w + padding)
            grid[y : y + h, x : x + w] = a
    return grid


def save_grid(images, path: str | os.PathLike, nrow: int | None = None) -> Path:
    """Save images as one PNG grid; returns the path."""
    from PIL import Image

    path = Path(path)
    if path.suffix.lower() not in IMAGE_EXTS:  # checked here: PIL would say `unknown file extension: ;`
        got = f"{path.suffix!r}" if path.suffix else "no extension"
        example = path.with_name(path.name.rstrip(".")).with_suffix(".png") if path.name.rstrip(".") else "grid.png"
        raise GanzooError(
            f"cannot write {path}: an image needs a file name ending in {', '.join(IMAGE_EXTS)} "
            f"(got {got}), e.g. {example}"
        )
    if not path.parent.is_dir():
        raise GanzooError(f"folder {path.parent} does not exist; create it or choose another output path")
    from .fileio import atomic_write, refuse_special

    refuse_special(path)  # before the grid is made: a folder or a pipe named x.png is never replaced

    g = make_grid(images, nrow)
    img = Image.fromarray(g[..., 0] if g.shape[-1] == 1 else g)
    try:
        fmt = Image.registered_extensions().get(path.suffix.lower())
        if fmt is None:
            raise KeyError(path.suffix.lower())
        # atomically (a unique temporary file, then a rename): an interrupted save never leaves half a PNG where
        # a user's earlier picture was
        atomic_write(path, lambda f: img.save(f, format=fmt))
    except GanzooError:  # atomic_write's own message (a full disk, no permission): already says what to do
        raise
    except (KeyError, ValueError) as e:  # PIL: a format this PIL cannot write (e.g. built without WebP)
        raise GanzooError(f"cannot write {path}: {e}; use a .png or .jpg file name") from None
    except OSError as e:
        from .fileio import write_error

        raise write_error(e, path) from None
    return path

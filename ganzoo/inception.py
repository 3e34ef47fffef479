"""Inception FID / IS / KID through torch-fidelity, for users who have the Inception weights locally.

The weights cannot be downloaded by ganzoo (and not at all on offline machines): pass the path of
torch-fidelity's `weights-inception-2015-12-05-6726825d.pth` (the TF FID Inception converted to
PyTorch). Note that torch-fidelity reads that file with torch.load (pickle): use a file you trust.
Greyscale images are replicated to 3 channels; torch-fidelity resizes to 299x299 with its
TF1.x-compatible bilinear resize, so numbers match the original TF FID implementation.
"""
from __future__ import annotations

import os

import torch

from .errors import GanzooError


class _Uint8RGB(torch.utils.data.Dataset):
    def __init__(self, images: torch.Tensor):
        self.images = images  # (N, C, H, W) uint8

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        x = self.images[i]
        return x.expand(3, -1, -1).contiguous() if x.shape[0] == 1 else x


def _to_uint8(x: torch.Tensor) -> torch.Tensor:
    return (x.clamp(0, 1) * 255).round().to(torch.uint8)


def inception_metrics(model, weights_path: str | os.PathLike, *, n: int = 10000, seed: int = 0, root=None,
                      split: str = "test", kid_subset_size: int = 1000, n_real: int | None = None) -> dict:
    """Inception FID/IS/KID of n samples against a real split (all of it, or its first n_real images)."""
    try:
        import torch_fidelity
    except ImportError:
        raise GanzooError("Inception metrics need torch-fidelity: pip install torch-fidelity") from None
    from . import __version__
    from .datasets import load_idx_split
    from .folder import sha256_file

    if not os.path.isfile(weights_path):
        raise GanzooError(f"Inception weights {weights_path} not found. Download "
                          "weights-inception-2015-12-05-6726825d.pth (torch-fidelity's release) on a machine with "
                          "internet and pass its path.")
    dataset = model.config.get("dataset")
    x, _ = load_idx_split(dataset, split, root)
    real = torch.from_numpy(x[:n_real].copy())[:, None]
    fake = []
    for i in range(0, n, 500):
        m = min(500, n - i)
        y = model.labels_tensor(None, m) if model.conditional else None
        fake.append(_to_uint8(model.generate(model.sample_latent(m, seed=seed * 1_000_003 + i), y).cpu()))
    fake = torch.cat(fake)
    sub = min(kid_subset_size, len(fake), len(real))
    res = torch_fidelity.calculate_metrics(
        input1=_Uint8RGB(fake), input2=_Uint8RGB(real), cuda=torch.cuda.is_available(), isc=True, fid=True,
        kid=True, feature_extractor_weights_path=str(weights_path), kid_subset_size=sub, verbose=False,
        cache=False, batch_size=64)
    metrics = {"inception_fid": float(res["frechet_inception_distance"]),
               "inception_score": float(res["inception_score_mean"]),
               "inception_score_std": float(res["inception_score_std"]),
               "inception_kid": float(res["kernel_inception_distance_mean"]),
               "inception_kid_std": float(res["kernel_inception_distance_std"])}
    protocol = {"n_generated": n, "n_real": len(real), "real_split": split, "dataset": dataset, "seed": seed,
                "feature_network": "InceptionV3 (TF FID weights) via torch-fidelity "
                                   f"{getattr(torch_fidelity, '__version__', '?')}",
                "feature_network_sha256": sha256_file(weights_path),
                "preprocessing": "uint8, greyscale replicated to RGB, TF1.x-compatible bilinear resize to 299x299",
                "kid_subset_size": sub, "ganzoo_version": __version__, "model": model.source}
    return {"metrics": metrics, "protocol": protocol}

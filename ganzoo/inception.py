"""Inception FID / IS / KID through torch-fidelity, for users who have the Inception weights locally.

The weights cannot be downloaded by ganzoo (and not at all on offline machines): pass the path of
torch-fidelity's `weights-inception-2015-12-05-6726825d.pth` (the TF FID Inception converted to
PyTorch), or that file converted once to safetensors:

    python -m ganzoo.inception convert weights-inception-2015-12-05-6726825d.pth -o inception.safetensors

No user file is ever unpickled: a .safetensors file holds tensors only, and a .pth file is read with
torch.load(weights_only=True), which refuses pickled code; torch-fidelity then gets a copy that
ganzoo wrote itself from the checked tensors. Greyscale images are replicated to 3 channels; torch-fidelity
resizes to 299x299 with its TF1.x-compatible bilinear resize, so numbers match the original TF FID implementation.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import torch

from .errors import GanzooError, MissingDependencyError, pip_install

HOW_TO_GET = (
    "Download weights-inception-2015-12-05-6726825d.pth (torch-fidelity's release) on a machine with "
    "internet and pass its path, or its safetensors conversion (`python -m ganzoo.inception convert`)."
)


def load_inception_weights(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The Inception state dict from .safetensors, or from .pth with weights_only=True (never full pickle)."""
    if not os.path.isfile(path):
        raise GanzooError(f"Inception weights {path} not found. {HOW_TO_GET}")
    if str(path).endswith(".safetensors"):
        from .folder import load_state_file

        return load_state_file(Path(path))
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - UnpicklingError and friends: refuse, never fall back to pickle
        raise GanzooError(
            f"refusing to load {path}: it is not a plain tensor file that loads with "
            f"weights_only=True ({type(e).__name__}); files that need full unpickling can run code. "
            f"{HOW_TO_GET}"
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise GanzooError(f"{path} is not a state dict of tensors. {HOW_TO_GET}")
    return state


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


def inception_metrics(
    model,
    weights_path: str | os.PathLike,
    *,
    n: int = 10000,
    seed: int = 0,
    root=None,
    split: str = "test",
    kid_subset_size: int = 1000,
    n_real: int | None = None,
) -> dict:
    """Inception FID/IS/KID of n samples against a real split (all of it, or its first n_real images)."""
    try:
        import torch_fidelity
    except ImportError:
        raise MissingDependencyError(f"Inception metrics need torch-fidelity: {pip_install('inception')}") from None
    from . import __version__
    from .datasets import load_idx_split
    from .folder import sha256_file

    state = load_inception_weights(weights_path)
    dataset = model.config.get("dataset")
    x, _ = load_idx_split(dataset, split, root)
    real = torch.from_numpy(x[:n_real].copy())[:, None]
    from .metrics import sample_for_eval

    fake = _to_uint8(sample_for_eval(model, n, seed)[0])
    sub = min(kid_subset_size, len(fake), len(real))
    with tempfile.TemporaryDirectory(prefix="ganzoo-inception-") as tmp:
        checked = os.path.join(tmp, "inception.pth")  # torch-fidelity unpickles this, so it gets our own copy
        torch.save(state, checked)
        res = torch_fidelity.calculate_metrics(
            input1=_Uint8RGB(fake),
            input2=_Uint8RGB(real),
            cuda=torch.cuda.is_available(),
            isc=True,
            fid=True,
            kid=True,
            feature_extractor_weights_path=checked,
            kid_subset_size=sub,
            verbose=False,
            cache=False,
            batch_size=64,
            save_cpu_ram=True,
        )  # no DataLoader workers: the images are in memory
    metrics = {
        "inception_fid": float(res["frechet_inception_distance"]),
        "inception_score": float(res["inception_score_mean"]),
        "inception_score_std": float(res["inception_score_std"]),
        "inception_kid": float(res["kernel_inception_distance_mean"]),
        "inception_kid_std": float(res["kernel_inception_distance_std"]),
    }
    protocol = {
        "n_generated": n,
        "n_real": len(real),
        "real_split": split,
        "dataset": dataset,
        "seed": seed,
        "feature_network": "InceptionV3 (TF FID weights) via torch-fidelity "
        f"{getattr(torch_fidelity, '__version__', '?')}",
        "feature_network_sha256": sha256_file(weights_path),
        "preprocessing": "uint8, greyscale replicated to RGB, TF1.x-compatible bilinear resize to 299x299",
        "kid_subset_size": sub,
        "ganzoo_version": __version__,
        "model": model.source,
    }
    return {"metrics": metrics, "protocol": protocol}


def main(argv: list[str] | None = None) -> int:
    """`python -m ganzoo.inception convert IN.pth -o OUT.safetensors`: a one-time, pickle-free conversion."""
    from safetensors.torch import save_file

    p = argparse.ArgumentParser(prog="python -m ganzoo.inception")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert", help="convert torch-fidelity's Inception .pth to .safetensors")
    c.add_argument("weights")
    c.add_argument("-o", "--output", required=True)
    a = p.parse_args(argv)
    try:
        state = load_inception_weights(a.weights)
    except GanzooError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    save_file({k: v.contiguous() for k, v in state.items()}, a.output)
    print(f"wrote {a.output} ({len(state)} tensors)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from ganzoo.folder import save_folder
from ganzoo.models import ARCHITECTURES, build, make_config

ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = Path(os.environ.get("GANZOO_DATA") or ROOT.parent / "shared" / "data").resolve()  # absolute: doc blocks run elsewhere

# Small widths so every architecture builds and runs in milliseconds.
TINY = {
    "gan": {"latent_dim": 8, "g_hidden": (16, 32), "d_hidden": (32,)},
    "dcgan": {"latent_dim": 8, "g_width": 8, "d_width": 8},
    "cgan": {"latent_dim": 8, "g_width": 8, "d_width": 8, "num_classes": 10, "embed_dim": 4},
    "wgan": {"latent_dim": 8, "g_width": 8, "d_width": 8},
    "wgan-gp": {"latent_dim": 8, "g_width": 8, "d_width": 8},
    "vae": {"latent_dim": 8, "width": 8, "hidden": 32},
}
FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def make_tiny_folder(path: Path, arch: str, seed: int = 0, dataset: str = "fashion-mnist") -> Path:
    torch.manual_seed(seed)
    cfg = make_config(arch, TINY[arch])
    G, D = build(arch, cfg)
    # put BatchNorm running stats away from their defaults so the round trip checks buffers too
    for m in G.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.9, 1.1)
    return save_folder(path, arch, cfg, G, D, dataset=dataset, class_names=FASHION)


@pytest.fixture(params=sorted(ARCHITECTURES))
def tiny(request, tmp_path) -> tuple[str, Path]:
    return request.param, make_tiny_folder(tmp_path / request.param, request.param)


@pytest.fixture
def data_root() -> Path:
    if not (DATA_ROOT / "MNIST" / "raw").is_dir():
        pytest.fail(f"test data missing: expected MNIST under {DATA_ROOT} (set GANZOO_DATA)")
    return DATA_ROOT


def patch_manifest(monkeypatch, name: str, manifest: dict | None) -> None:
    """Make the registry see `manifest` (None: no bundled weights) for zoo entry `name`, files untouched."""
    from ganzoo import registry

    real = registry._read_manifest

    def read(path):
        return manifest if path.parent.name == name else real(path)

    monkeypatch.setattr(registry, "_read_manifest", read)

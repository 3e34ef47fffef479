"""The zoo registry: the single source of truth for entry names.

Each entry names an architecture, a data set, the Hub repo it is published to and the
sha256 of its bundled generator weights (None until trained weights are shipped).
This module imports nothing heavy so `ganzoo list` is instant.
"""
from __future__ import annotations

import difflib
import fnmatch
from dataclasses import dataclass
from pathlib import Path

WEIGHTS_DIR = Path(__file__).parent / "weights"
HUB_ORG = "ganzoo"

DATASETS: dict[str, dict] = {
    "mnist": {"class_names": [str(i) for i in range(10)], "channels": 1, "image_size": 28,
              "hf_dataset": "ylecun/mnist"},
    "fashion-mnist": {"class_names": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
                      "channels": 1, "image_size": 28, "hf_dataset": "zalando-datasets/fashion_mnist"},
    "cifar10": {"class_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                                "horse", "ship", "truck"], "channels": 3, "image_size": 32,
                "hf_dataset": "uoft-cs/cifar10"},
    "celeba": {"class_names": [], "channels": 3, "image_size": 64, "hf_dataset": "celeba"},
}

# sha256 of each bundled model.safetensors, written by `python -m training.bundle`.
# --- SHA256 begin ---
SHA256: dict[str, str] = {
    "gan-mnist": "0fe9ce25e7e0ee9fba32a4adc4e175d49ed29535bc99a4c50db808ae51e820cb",
    "gan-fashion-mnist": "e6f7012cea768db8b15d484c9005b926ad57a259f93086f599047a0285927195",
    "dcgan-mnist": "5812c48db030caa653717e7130c255a4e605d096c1d09434a91aeeec3e8e142c",
    "dcgan-fashion-mnist": "e7fd9b90c4ad18594cfdaabf72321948976842139a910aa6600cb041e33d917f",
    "cgan-mnist": "02a714d0bb04976ac9b26b31237d5cec669cf661f93d150ba5430340a181e1b7",
    "cgan-fashion-mnist": "a6f16be818b2fb6174846575b0ad12547c4d3c34b3da3c78daf6dec4f9fc4378",
    "wgan-mnist": "0da7a865b844bb0cb9a290e87a545b3e9c23974f466deeaa0aa40394c17d2eba",
    "wgan-fashion-mnist": "f7bb28482aa98998c9c2a6b45b9bd25224d097826d5aa7ea7e46488e8684e5bc",
    "wgan-gp-mnist": "d697882b759652d479e6d5655ea92008a2c40f05916403b1849ad4b468cd8b60",
    "wgan-gp-fashion-mnist": "fd6855144e136a352783910131250b5fca776c596761a54418380f180ebce796",
}
# --- SHA256 end ---


@dataclass(frozen=True)
class ZooEntry:
    name: str
    arch: str
    dataset: str

    @property
    def hub_repo(self) -> str:
        return f"{HUB_ORG}/{self.name}"

    @property
    def sha256(self) -> str | None:
        return SHA256.get(self.name)

    @property
    def has_weights(self) -> bool:
        return self.sha256 is not None

    @property
    def folder(self) -> Path:
        return WEIGHTS_DIR / self.name


ARCHS = ["gan", "dcgan", "cgan", "wgan", "wgan-gp"]
ZOO_DATASETS = ["mnist", "fashion-mnist"]
ZOO: dict[str, ZooEntry] = {
    f"{a}-{d}": ZooEntry(f"{a}-{d}", a, d) for a in ARCHS for d in ZOO_DATASETS
}


def list_models(pattern: str = "*", *, with_weights: bool = False) -> list[str]:
    """Zoo entry names matching a glob pattern (e.g. "*-mnist", "cgan-*")."""
    return [n for n, e in ZOO.items() if fnmatch.fnmatch(n, pattern) and (e.has_weights or not with_weights)]


def close_matches(name: str) -> list[str]:
    return difflib.get_close_matches(name, list(ZOO), n=3, cutoff=0.5)


def get_entry(name: str) -> ZooEntry:
    if name not in ZOO:
        from .errors import UnknownModelError

        close = close_matches(name)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UnknownModelError(
            f"Unknown model {name!r}: not a zoo name, an existing folder or an OWNER/NAME Hub repo id.{hint}"
            " Run `ganzoo list` to see the zoo."
        )
    return ZOO[name]


def info(name: str) -> dict:
    """A plain-dict description of a zoo entry."""
    e = get_entry(name)
    return {"name": e.name, "architecture": e.arch, "dataset": e.dataset, "hub_repo": e.hub_repo,
            "bundled_weights": e.has_weights, "sha256": e.sha256,
            "class_names": DATASETS[e.dataset]["class_names"] if e.arch == "cgan" else []}

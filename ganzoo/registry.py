"""The registry: the single source of truth for every name ganzoo knows.

Three tables, torch-free so `ganzoo list` is instant: ARCHITECTURES (name, paper, conditional or
not, and "module:Class" of its config and networks, imported on first use), DATASETS (channels,
size, class names, where to find them) and the ZOO entries (architecture x data set) with the
version of their bundled weights (read from each weights folder's manifest.json, written by
`python -m training.release`). A new architecture or data set is one row here plus its file.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
from dataclasses import dataclass
from pathlib import Path

WEIGHTS_DIR = Path(__file__).parent / "weights"
HUB_ORG = "ganzoo"
# Zoo entries whose Hub repo HUB_ORG/NAME has been uploaded and checked. None yet: until a name is
# here, `ganzoo list`, `info` and the cards say the entry is not on the Hub instead of naming a repo.
# Forms of a generator's stride-2 transposed convolutions for inference (ganzoo.fast) and ONNX export.
# Same images to float tolerance. The export default was chosen by measurement (benchmarks/bench.py
# --only forms): "phase" runs onnxruntime's 2-thread batches faster than native ConvTranspose
# (2026-11-25, dcgan-mnist, batch 16-256). Sampling in torch uses it too (fast.fast_generator).
CONVT_FORMS = ("native", "subpixel", "phase")
DEFAULT_CONVT = "phase"
# Defaults of GANModel.steer / invert (and ganzoo.control's), here so that the CLI's help can show them without
# importing torch: a steered path's length (images, both ends included), and the optimiser steps of an inversion.
STEER_STEPS = 8
INVERT_STEPS = 1000

PUBLISHED: frozenset[str] = frozenset()


def did_you_mean(name: str, choices, n: int = 3, cutoff: float = 0.6) -> str:
    """ " Did you mean: a, b?" for the close matches of `name`, or "" (the one close-match helper)."""
    from .errors import escaped

    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=n, cutoff=cutoff)
    return f" Did you mean: {', '.join(map(escaped, close))}?" if close else ""  # choices may be untrusted


def _resolve(spec: str):
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class Architecture:
    name: str
    paper: str
    conditional: bool
    config: str  # "module:Class" of the config dataclass
    generator: str  # "module:Class"
    discriminator: str | None  # "module:Class"; None for a family trained without one (the VAE)
    # image-to-image between two data sets, without a latent (CycleGAN): its zoo entries are pairs of data sets
    # (NAME-A-B), and ganzoo.load gives a TranslationModel (`translate(images, to=...)`) instead of a sampler
    translation: bool = False

    def classes(self) -> tuple[type, type, type | None]:
        """(config, generator, discriminator or None) classes, imported now (this imports torch)."""
        disc = _resolve(self.discriminator) if self.discriminator else None
        return _resolve(self.config), _resolve(self.generator), disc


def _arch(
    name: str,
    paper: str,
    conditional: bool,
    module: str,
    cfg: str,
    gen: str,
    disc: str | None,
    translation: bool = False,
) -> Architecture:
    m = f"ganzoo.models.{module}"
    return Architecture(
        name, paper, conditional, f"{m}:{cfg}", f"{m}:{gen}", f"{m}:{disc}" if disc else None, translation
    )


ARCHITECTURES: dict[str, Architecture] = {
    a.name: a
    for a in [
        _arch(
            "gan",
            "Goodfellow et al. 2014, Generative Adversarial Nets",
            False,
            "gan",
            "GANConfig",
            "GANGenerator",
            "GANDiscriminator",
        ),
        _arch(
            "dcgan",
            "Radford et al. 2015, Unsupervised Representation Learning with DCGANs",
            False,
            "dcgan",
            "DCGANConfig",
            "DCGANGenerator",
            "DCGANDiscriminator",
        ),
        _arch(
            "cgan",
            "Mirza & Osindero 2014, Conditional Generative Adversarial Nets",
            True,
            "cgan",
            "CGANConfig",
            "CGANGenerator",
            "CGANDiscriminator",
        ),
        _arch(
            "wgan", "Arjovsky et al. 2017, Wasserstein GAN", False, "wgan", "WGANConfig", "WGANGenerator", "WGANCritic"
        ),
        _arch(
            "wgan-gp",
            "Gulrajani et al. 2017, Improved Training of Wasserstein GANs",
            False,
            "wgan_gp",
            "WGANGPConfig",
            "WGANGPGenerator",
            "WGANGPCritic",
        ),
        # the baseline the GANs are measured against (no discriminator: trained on the ELBO)
        _arch(
            "vae",
            "Kingma & Welling 2014, Auto-Encoding Variational Bayes",
            False,
            "vae",
            "VAEConfig",
            "VAEGenerator",
            None,
        ),
        _arch(
            "stylegan2",
            "Karras et al. 2020, Analyzing and Improving the Image Quality of StyleGAN",
            False,
            "stylegan2",
            "StyleGAN2Config",
            "StyleGAN2Generator",
            "StyleGAN2Discriminator",
        ),
        _arch(
            "progan",
            "Karras et al. 2018, Progressive Growing of GANs for Improved Quality, Stability, and Variation",
            False,
            "progan",
            "ProGANConfig",
            "ProGANGenerator",
            "ProGANDiscriminator",
        ),
        _arch(
            "biggan",
            "Brock et al. 2019, Large Scale GAN Training for High Fidelity Natural Image Synthesis",
            True,
            "biggan",
            "BigGANConfig",
            "BigGANGenerator",
            "BigGANDiscriminator",
        ),
        # image-to-image translation between two data sets (no latent): entries are pairs, cyclegan-A-B
        _arch(
            "cyclegan",
            "Zhu et al. 2017, Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks",
            False,
            "cyclegan",
            "CycleGANConfig",
            "CycleGANGenerator",
            "CycleGANDiscriminator",
            translation=True,
        ),
    ]
}
# Families whose truncation is BigGAN's trick on z, measured and pictured on their cards (`ganzoo eval --truncation t`,
# ganzoo.control.truncation_grid); a style-based family truncates in W instead, and the others only sample with it.
TRUNCATION_TRICK = ("biggan",)


@dataclass(frozen=True)
class Dataset:
    name: str
    channels: int
    image_size: int
    class_names: tuple[str, ...]
    hf_dataset: str  # the Hub data set the cards link to
    folder: str  # under the data root: torchvision's folder name, or the image folder (celeba)
    zoo: bool = False  # the zoo has entries for it, and ganzoo ships its evaluation classifier


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset("mnist", 1, 28, tuple(str(i) for i in range(10)), "ylecun/mnist", "MNIST", zoo=True),
        Dataset(
            "fashion-mnist",
            1,
            28,
            ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
            "zalando-datasets/fashion_mnist",
            "FashionMNIST",
            zoo=True,
        ),
        Dataset(
            "cifar10",
            3,
            32,
            ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
            "uoft-cs/cifar10",
            "CIFAR10",
        ),
        Dataset("celeba", 3, 64, (), "celeba", "celeba"),
    ]
}


def get_architecture(name: str) -> Architecture:
    if name not in ARCHITECTURES:
        from .errors import GanzooError

        raise GanzooError(
            f"unknown architecture {name!r}.{did_you_mean(name, ARCHITECTURES)} Known: {', '.join(ARCHITECTURES)}."
        )
    return ARCHITECTURES[name]


def get_dataset(name: str) -> Dataset:
    if name not in DATASETS:
        from .errors import GanzooError

        raise GanzooError(f"unknown data set {name!r}.{did_you_mean(name, DATASETS)} Known: {', '.join(DATASETS)}.")
    return DATASETS[name]


MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ZooEntry:
    """An architecture x data set pair. Its bundled weights, if any, are described by the folder's manifest.json:
    version, sha256 of every file, the exact recipe, command, hardware, CPU and wall time, and the metrics.
    Releasing an entry (`python -m training.release`) writes that folder and manifest; no Python source changes."""

    name: str
    arch: str
    dataset: str
    dataset_b: str | None = None  # a translation entry's second domain (dataset is its first)

    @property
    def domains(self) -> tuple[str, ...]:
        """The data sets the entry models: one, or a translation entry's two (A, B)."""
        return (self.dataset, self.dataset_b) if self.dataset_b else (self.dataset,)

    @property
    def datasets_text(self) -> str:
        """How listings show the data set(s): "mnist", or "mnist<>fashion-mnist" for a translation entry."""
        return "<>".join(self.domains)

    @property
    def folder(self) -> Path:
        return WEIGHTS_DIR / self.name

    @property
    def manifest(self) -> dict | None:
        """The bundled weights' manifest, or None when this ganzoo bundles no weights for the entry."""
        return _read_manifest(self.folder / MANIFEST)

    @property
    def has_weights(self) -> bool:
        return self.manifest is not None

    @property
    def version(self) -> str | None:
        """The bundled weights' version ("v3"), or None."""
        return self.manifest["version"] if self.manifest else None

    @property
    def sha256(self) -> dict[str, str] | None:
        """{file name: sha256} of the bundled files, or None when no weights are bundled."""
        return dict(self.manifest["files"]) if self.manifest else None

    @property
    def discriminator_sha256(self) -> str | None:
        """sha256 of the discriminator, which lives in the checkout's zoo_extras/ and the Hub folder only (the
        installed package ships generators: inference needs nothing else)."""
        return self.manifest.get("discriminator_sha256") if self.manifest else None

    @property
    def hub_repo(self) -> str | None:
        """The entry's Hub repo id once it is published (see PUBLISHED), else None."""
        return f"{HUB_ORG}/{self.name}" if self.name in PUBLISHED else None


_MANIFESTS: dict[Path, tuple[float, dict | None]] = {}


def _read_manifest(path: Path) -> dict | None:
    """A manifest as a dict (cached until the file changes), None when absent; an error when damaged."""
    import json

    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    hit = _MANIFESTS.get(path)
    if hit and hit[0] == mtime:
        return hit[1]
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
        ok = (
            isinstance(m, dict)
            and isinstance(m.get("version"), str)
            and isinstance(m.get("files"), dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in m["files"].items())
        )
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        ok = False
    if not ok:
        from .errors import REINSTALL, ModelFolderError

        raise ModelFolderError(
            f"bundled manifest {path} is damaged (not a ganzoo manifest with a version and "
            f"the files' sha256): the ganzoo install is incomplete; {REINSTALL}."
        )
    _MANIFESTS[path] = (mtime, m)
    return m


def _zoo_entries() -> list[ZooEntry]:
    """Every architecture on every zoo data set; a translation architecture on every pair of them (in the
    table's order: cyclegan-mnist-fashion-mnist translates both ways, so there is no cyclegan-fashion-mnist-mnist)."""
    zoo = [d for d, ds in DATASETS.items() if ds.zoo]
    out = []
    for a, arch in ARCHITECTURES.items():
        if arch.translation:
            out += [ZooEntry(f"{a}-{x}-{y}", a, x, y) for i, x in enumerate(zoo) for y in zoo[i + 1 :]]
        else:
            out += [ZooEntry(f"{a}-{d}", a, d) for d in zoo]
    return out


ZOO: dict[str, ZooEntry] = {e.name: e for e in _zoo_entries()}


def checkout_dir(sub: str, purpose: str, instead: str = "") -> Path:
    """A folder of the ganzoo git checkout (model_cards/, zoo_extras/, training/): an installed wheel has none.
    `instead`: what the user can do without a checkout, if anything (said in the error)."""
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / sub).is_dir():
        return root / sub
    from .errors import GanzooError

    raise GanzooError(
        f"{purpose} needs the ganzoo repository's {sub}/ folder, which the installed package does "
        "not include: git clone the ganzoo repository, `pip install -e .` in it and run this there"
        f"{f' ({instead})' if instead else ''}."
    )


def list_models(pattern: str = "*", *, with_weights: bool = False) -> list[str]:
    """Zoo entry names matching a glob pattern (e.g. "*-mnist", "cgan-*"; case-insensitive, as the names)."""
    return [
        n for n, e in ZOO.items() if fnmatch.fnmatchcase(n, pattern.lower()) and (e.has_weights or not with_weights)
    ]


def canonical_name(name):
    """The zoo name `name` means: zoo names are case-insensitive ("DCGAN-MNIST" is "dcgan-mnist"); any other
    value comes back unchanged."""
    if isinstance(name, str) and name not in ZOO and name.lower() in ZOO:
        return name.lower()
    return name


def get_entry(name: str) -> ZooEntry:
    """The zoo entry of a (case-insensitive) zoo name; an UnknownModelError with close matches otherwise."""
    key = canonical_name(name)
    if key not in ZOO:
        from .errors import UnknownModelError

        raise UnknownModelError(
            f"Unknown model {name!r}: not a zoo name, an existing folder or an OWNER/NAME Hub repo id."
            f"{did_you_mean(str(name).lower(), ZOO, cutoff=0.5)}"
            " Run `ganzoo list` to see the zoo."
        )
    return ZOO[key]


def info(name: str) -> dict:
    """A plain-dict description of a zoo entry."""
    e = get_entry(name)
    return {
        "name": e.name,
        "architecture": e.arch,
        "dataset": e.dataset,
        **({"domains": list(e.domains)} if e.dataset_b else {}),
        "version": e.version,
        "hub_repo": e.hub_repo,
        "bundled_weights": e.has_weights,
        "sha256": e.sha256 or {},
        "class_names": list(DATASETS[e.dataset].class_names) if ARCHITECTURES[e.arch].conditional else [],
    }


def listing(name: str) -> dict:
    """What `ganzoo list --json` prints for an entry: the registry's facts plus its bundled config's shapes and
    classes (read as JSON: no torch)."""
    import json

    e = get_entry(name)
    out = {
        "name": e.name,
        "architecture": e.arch,
        "dataset": e.dataset,
        "version": e.version,
        "bundled": e.has_weights,
        "hub_repo": e.hub_repo,
        "conditional": ARCHITECTURES[e.arch].conditional,
    }
    if e.dataset_b:
        out["domains"] = list(e.domains)
    if e.has_weights:
        conf = json.loads((e.folder / "config.json").read_text(encoding="utf-8"))
        out.update({k: conf[k] for k in ("latent_dim", "image_shape", "num_classes", "class_names")})
    return out

"""Shared fixtures. Data: quick tests train and evaluate on `data_root`, a small synthetic MNIST and
Fashion-MNIST written in torchvision's IDX layout, so they run on any clean checkout; tests that need
the real data sets take `real_data_root`, which skips (with the reason) where they are absent.

Speed (the quick run must stay near a minute on 2 cores): quick tests run torch on one thread; tiny model folders
(`tiny_folder`, copied per test by `tiny`) and their default ONNX exports (`tiny_onnx`) are made once per session
and only read; an ONNX test that needs nothing else should take `tiny_onnx` rather than export again."""

from __future__ import annotations

import functools
import importlib
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from ganzoo.datasets import data_root as resolve_data_root
from ganzoo.folder import save_folder
from ganzoo.models import ARCHITECTURES, build, make_config

DEFAULT_THREADS = torch.get_num_threads()


@pytest.fixture(autouse=True)
def _one_thread_in_quick_tests(request, monkeypatch):
    """Quick tests run tiny tensors, where a second intra-op thread mostly waits for a busy core (on 2 cores running
    anything else, tests/test_models.py took twice the time with two): one thread, in the test and in the
    subprocesses it starts. Slow tests (real sizes: Inception, longer training) keep torch's default."""
    if request.node.get_closest_marker("slow") is None:
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        torch.set_num_threads(1)
    else:
        torch.set_num_threads(DEFAULT_THREADS)


def _keep_the_onnx_function_table() -> None:
    """Every torch.onnx.export rebuilds its table of ONNX functions from onnxscript's, re-parsing each function's
    source for its domain: about 0.4 s, half the export of a tiny generator, and the tests export dozens of times.
    On the first export (onnxscript is slow to import, so not before), onnxscript's list of functions is kept for
    the rest of the session: the same entries (frozen records), the exporter and ganzoo's code run unchanged. Without
    the torch internals this relies on, the tests export as before."""
    import torch.onnx

    real_export = torch.onnx.export

    @functools.wraps(real_export)
    def export(*args, **kwargs):
        try:
            from torch.onnx._internal._lazy_import import onnxscript_apis

            apis = importlib.import_module(onnxscript_apis._name)
        except ImportError:  # onnxscript missing, or hidden by a test: torch's export says so; keep it for later
            return real_export(*args, **kwargs)
        except AttributeError:  # torch's internals moved: export as before
            torch.onnx.export = real_export
            return real_export(*args, **kwargs)
        listing = functools.cache(apis.get_torchlib_ops)
        apis.get_torchlib_ops = lambda: list(listing())
        torch.onnx.export = real_export
        return real_export(*args, **kwargs)

    torch.onnx.export = export


_keep_the_onnx_function_table()
ROOT = Path(__file__).resolve().parent.parent
# ganzoo's one rule ($GANZOO_DATA, else ./data); absolute, since doc blocks and subprocesses run elsewhere
DATA_ROOT = resolve_data_root().resolve()
IDX_FOLDERS = ("MNIST", "FashionMNIST")  # the zoo's data sets, as torchvision names their folders
IDX_FILES = tuple(
    f"{split}-{kind}" for split in ("train", "t10k") for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")
)

# Small widths so every architecture builds and runs in milliseconds.
TINY = {
    "gan": {"latent_dim": 8, "g_hidden": (16, 32), "d_hidden": (32,)},
    "dcgan": {"latent_dim": 8, "g_width": 8, "d_width": 8},
    "cgan": {"latent_dim": 8, "g_width": 8, "d_width": 8, "num_classes": 10, "embed_dim": 4},
    "wgan": {"latent_dim": 8, "g_width": 8, "d_width": 8},
    "wgan-gp": {"latent_dim": 8, "g_width": 8, "d_width": 8},
    "vae": {"latent_dim": 8, "width": 8, "hidden": 32},
    "stylegan2": {"latent_dim": 8, "w_dim": 8, "g_widths": (8, 8, 4), "d_widths": (4, 8, 8)},
    "progan": {"latent_dim": 8, "g_widths": (8, 8, 8), "d_widths": (4, 8, 8), "stable_steps": 2, "fade_steps": 2},
    "biggan": {
        "latent_dim": 8,
        "g_widths": (8, 8, 4),
        "d_widths": (4, 8, 8),
        "embed_dim": 4,
        "attention": 14,
        "num_classes": 10,
    },
    "cyclegan": {"g_width": 4, "g_blocks": 1, "d_width": 4},
}
# The architectures that sample from a latent: the `tiny` fixture's. A translation architecture (CycleGAN) has no
# latent and its own tests (tests/test_cyclegan.py).
GENERATIVE = sorted(a for a, spec in ARCHITECTURES.items() if not spec.translation)
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
    if hasattr(G, "w_avg"):  # StyleGAN2: a w_avg away from its initial zeros, so truncation tests see it
        G.w_avg.normal_()
    if hasattr(G, "at_step"):  # ProGAN: fully grown, as a finished run
        G.at_step(10**6)
        D.at_step(10**6)
    for m in G.modules():  # BigGAN: self-attention's gate away from its initial 0, so its layers count
        if hasattr(m, "gamma"):
            torch.nn.init.constant_(m.gamma, 0.5)
    return save_folder(path, arch, cfg, G, D, dataset=dataset, class_names=FASHION)


@pytest.fixture(scope="session")
def tiny_folder(tmp_path_factory):
    """tiny_folder(arch) -> `make_tiny_folder(..., arch)`, made once per architecture for the session (BigGAN's
    takes a tenth of a second, and hundreds of tests use one): read it, never change it; `tiny` gives each test
    its own copy."""
    root = tmp_path_factory.mktemp("tiny")
    made: dict[str, Path] = {}

    def get(arch: str) -> Path:
        if arch not in made:
            made[arch] = make_tiny_folder(root / arch, arch)
        return made[arch]

    return get


@pytest.fixture
def translator(tmp_path):
    """A tiny CycleGAN between MNIST and Fashion-MNIST (untrained), loaded as a TranslationModel."""
    import ganzoo

    torch.manual_seed(0)
    cfg = make_config("cyclegan", TINY["cyclegan"])
    G, D = build("cyclegan", cfg)
    return ganzoo.load(save_folder(tmp_path / "m", "cyclegan", cfg, G, D, dataset="mnist"))


@pytest.fixture(params=GENERATIVE)
def tiny(request, tmp_path, tiny_folder) -> tuple[str, Path]:
    """(arch, a copy of the session's tiny folder of arch in tmp_path): byte for byte what make_tiny_folder writes."""
    return request.param, Path(shutil.copytree(tiny_folder(request.param), tmp_path / request.param))


@pytest.fixture(scope="session")
def tiny_onnx(tmp_path_factory, tiny_folder):
    """tiny_onnx(arch) -> (folder, file): the session's tiny folder of `arch` and its generator exported with the
    defaults (verified against torch at batch 1, 7, 64 on export). Made once per architecture for the whole session,
    as an export takes about a second: tests read the file and load the folder, and never change either."""
    import ganzoo

    root = tmp_path_factory.mktemp("tiny-onnx")
    made: dict[str, tuple[Path, Path]] = {}

    def get(arch: str) -> tuple[Path, Path]:
        if arch not in made:
            folder = tiny_folder(arch)
            made[arch] = folder, ganzoo.load(folder).export_onnx(root / f"{arch}.onnx")
        return made[arch]

    return get


def write_idx_split(raw: Path, prefix: str, images: np.ndarray, labels: np.ndarray | None = None) -> None:
    """One split as torchvision keeps it: raw/{prefix}-images-idx3-ubyte and raw/{prefix}-labels-idx1-ubyte. IDX:
    magic 0x00 0x00 0x08 (unsigned bytes) and the number of dimensions, big-endian sizes, the data. Labels
    default to 0, 1, ..., 9, 0, ..."""
    raw.mkdir(parents=True, exist_ok=True)
    labels = (np.arange(len(images)) % 10) if labels is None else labels
    for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
        array = np.ascontiguousarray(array, np.uint8)
        header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
        (raw / f"{prefix}-{kind}-ubyte").write_bytes(header + array.tobytes())


def write_synthetic_idx(root: Path, folder: str, n_train: int = 512, n_test: int = 256, seed: int = 0) -> Path:
    """root/folder/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte: 28x28 images of class k hold a bright bar at
    column 2k + 4 over faint noise, labels cycle 0..9."""
    rng = np.random.default_rng(seed)
    for split, n in (("train", n_train), ("t10k", n_test)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28), dtype=np.uint8)
        images[np.arange(n), 4:24, 2 * labels + 4] = 255
        write_idx_split(root / folder / "raw", split, images, labels)
    return root


def real_data_missing(root: Path = DATA_ROOT) -> str | None:
    """Why the real MNIST / Fashion-MNIST are not usable under `root`, or None when they are."""
    for folder in IDX_FOLDERS:
        for name in IDX_FILES:
            path = root / folder / "raw" / name
            if not path.is_file() and not path.with_name(name + ".gz").is_file():
                return (
                    f"needs the real MNIST and Fashion-MNIST in torchvision's layout; {path} is missing "
                    "(set GANZOO_DATA to the folder holding MNIST/ and FashionMNIST/)"
                )
    return None


@pytest.fixture(scope="session")
def data_root(tmp_path_factory) -> Path:
    """A data root with a small synthetic MNIST and Fashion-MNIST (512 train, 256 test images each): for tests
    that need some data in the right layout, not the real images. The same on every machine."""
    root = tmp_path_factory.mktemp("data")
    for i, folder in enumerate(IDX_FOLDERS):
        write_synthetic_idx(root, folder, seed=i)
    return root


@pytest.fixture(scope="session")
def real_data_root() -> Path:
    """The real data sets' root ($GANZOO_DATA, else ./data); the test is skipped, saying why, without them."""
    reason = real_data_missing()
    if reason:
        pytest.skip(reason)
    return DATA_ROOT


def patch_manifest(monkeypatch, name: str, manifest: dict | None) -> None:
    """Make the registry see `manifest` (None: no bundled weights) for zoo entry `name`, files untouched."""
    from ganzoo import registry

    real = registry._read_manifest

    def read(path):
        return manifest if path.parent.name == name else real(path)

    monkeypatch.setattr(registry, "_read_manifest", read)

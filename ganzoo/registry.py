"""The registry: the single source of truth for every name ganzoo knows.

Three tables, torch-free so `ganzoo list` is instant: ARCHITECTURES (name, paper, conditional or
not, and "module:Class" of its config and networks, imported on first use), DATASETS (channels,
size, class names, where to find them) and the ZOO entries (architecture x data set) with the
sha256 of every bundled file. A new architecture or data set is one row here plus its file.
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

PUBLISHED: frozenset[str] = frozenset()


def did_you_mean(name: str, choices, n: int = 3, cutoff: float = 0.6) -> str:
    """" Did you mean: a, b?" for the close matches of `name`, or "" (the one close-match helper)."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=n, cutoff=cutoff)
    return f" Did you mean: {', '.join(close)}?" if close else ""


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
    discriminator: str  # "module:Class"

    def classes(self) -> tuple[type, type, type]:
        """(config, generator, discriminator) classes, imported now (this imports torch)."""
        return _resolve(self.config), _resolve(self.generator), _resolve(self.discriminator)


def _arch(name: str, paper: str, conditional: bool, module: str, cfg: str, gen: str, disc: str) -> Architecture:
    m = f"ganzoo.models.{module}"
    return Architecture(name, paper, conditional, f"{m}:{cfg}", f"{m}:{gen}", f"{m}:{disc}")


ARCHITECTURES: dict[str, Architecture] = {a.name: a for a in [
    _arch("gan", "Goodfellow et al. 2014, Generative Adversarial Nets", False,
          "gan", "GANConfig", "GANGenerator", "GANDiscriminator"),
    _arch("dcgan", "Radford et al. 2015, Unsupervised Representation Learning with DCGANs", False,
          "dcgan", "DCGANConfig", "DCGANGenerator", "DCGANDiscriminator"),
    _arch("cgan", "Mirza & Osindero 2014, Conditional Generative Adversarial Nets", True,
          "cgan", "CGANConfig", "CGANGenerator", "CGANDiscriminator"),
    _arch("wgan", "Arjovsky et al. 2017, Wasserstein GAN", False,
          "wgan", "WGANConfig", "WGANGenerator", "WGANCritic"),
    _arch("wgan-gp", "Gulrajani et al. 2017, Improved Training of Wasserstein GANs", False,
          "wgan_gp", "WGANGPConfig", "WGANGPGenerator", "WGANGPCritic"),
]}


@dataclass(frozen=True)
class Dataset:
    name: str
    channels: int
    image_size: int
    class_names: tuple[str, ...]
    hf_dataset: str  # the Hub data set the cards link to
    folder: str  # under the data root: torchvision's folder name, or the image folder (celeba)
    zoo: bool = False  # the zoo has entries for it, and ganzoo ships its evaluation classifier


DATASETS: dict[str, Dataset] = {d.name: d for d in [
    Dataset("mnist", 1, 28, tuple(str(i) for i in range(10)), "ylecun/mnist", "MNIST", zoo=True),
    Dataset("fashion-mnist", 1, 28, ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                                     "Sneaker", "Bag", "Ankle boot"), "zalando-datasets/fashion_mnist",
            "FashionMNIST", zoo=True),
    Dataset("cifar10", 3, 32, ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                               "truck"), "uoft-cs/cifar10", "CIFAR10"),
    Dataset("celeba", 3, 64, (), "celeba", "celeba"),
]}


def get_architecture(name: str) -> Architecture:
    if name not in ARCHITECTURES:
        from .errors import GanzooError

        raise GanzooError(f"unknown architecture {name!r}.{did_you_mean(name, ARCHITECTURES)} "
                          f"Known: {', '.join(ARCHITECTURES)}.")
    return ARCHITECTURES[name]


def get_dataset(name: str) -> Dataset:
    if name not in DATASETS:
        from .errors import GanzooError

        raise GanzooError(f"unknown data set {name!r}.{did_you_mean(name, DATASETS)} Known: {', '.join(DATASETS)}.")
    return DATASETS[name]


# sha256 of every file of each bundled entry, written by `python -m training.bundle`: a changed
# config.json (say, reordered class names) is caught like changed weights.
# --- SHA256 begin ---
SHA256: dict[str, dict[str, str]] = {
    "gan-mnist": {
        "config.json": "58334cdb0a015f005906af4440bb5df07963d638a57e86da8cf2196b85bfdbbc",
        "model.safetensors": "36b8b6f86a75109758c73afee6733ae9188019ac4f0bac9b9a7e1752f239d1f8",
        "samples.png": "1ddccd189cc34c0a394d0d64fcf56209a3f3d77274d6325b186246db57c4198f",
        "curves.png": "5faf17e5686f14ade93394d9f96d7d3a403d15a1b7ff8d98933689d263e5a886",
    },
    "gan-fashion-mnist": {
        "config.json": "d98db3fc3f646d5945e92834dbf537be0f5b05de4365a5d01256bbc2834202e7",
        "model.safetensors": "fe54074d65fcbd0e94f0f6b33214507c73a982ff5287203df82b66cbd64360ae",
        "samples.png": "4769ffacca7c17a2cca840bf56e57a7912f692bdca31dff7f781d95be732ada3",
        "curves.png": "47475a05405f47b684d1534a44ed701b785377fa6473c8df37a0d4a2ae6049fd",
    },
    "dcgan-mnist": {
        "config.json": "79a29195c82e7814135edbc5b887d204c16b16739e7894bdad15f40c0d09d6a7",
        "model.safetensors": "215b0b9f2206ad884bcf69570a7c68469d2ad25db1d41e60501cf060f316c621",
        "samples.png": "570bee6337ea5be3790550bf9e9e5dbc53e4703b4bb4c7a4671161d62d082357",
        "curves.png": "a51a8b0ff7878e096a407414c08c39e001e067492b8a8826cd5d7830367ddd6c",
    },
    "dcgan-fashion-mnist": {
        "config.json": "e4c714b0212fae3a45ad8fff5958a8bdeda938b095c22db8fcf2ec6c6f8b91e9",
        "model.safetensors": "8b33f6d46d10188855ec3eace74e3cd6589b9c63124ace44275299a209df0604",
        "samples.png": "8d544acaf8908e72a4a12ef49a709f9a371d092071f958417f6c83e81e1cea8f",
        "curves.png": "c8e60daad82efcc67767975aabdcf25da9d7f00cb44705eefb44397bc0140c36",
    },
    "cgan-mnist": {
        "config.json": "f0b2fd9fd474c946209da02721e9b191ca4e9d5a4569b536b329bd520e1a5b95",
        "model.safetensors": "145302fa36b423e01c65f90a3988e96ff6ecd0d108943998e49fa91a2f596b9e",
        "samples.png": "eacb68eca380d1fc040c0cc379f13e6edea9fca1cce197a04ecf8208bfa2abb4",
        "curves.png": "97045f0fd11a01b1238893b7645cab52cc4d43776755b615ba390b15c3b49522",
    },
    "cgan-fashion-mnist": {
        "config.json": "dc45f703ec88cb60f2134c42d6665a1c4e76a56526388db1ffb80751d949189b",
        "model.safetensors": "3caae9e95fda715295872138bef2e28500001ab994ba904227e1992494ed2237",
        "samples.png": "0af8af324d5789e6c5109ececb92152d27c49e9ba63931f577f862d5868bbf92",
        "curves.png": "9d2e9ef18fc879a677759b362b5590a97085d18d3ef7e85e62d82ff1a5ba7913",
    },
    "wgan-mnist": {
        "config.json": "5cc1a9f7cd70fe63c1b1f00ba0429fd669aaae3b52ad22c01fcd2d5562e16011",
        "model.safetensors": "2a222331cde6c9c78511a91cece31f78c5ee4fd93aa24c467d2a272e3341f921",
        "samples.png": "70b55b89e6401f6b4af9de9eb4b3e22f9f86c9ef1661ec839b1a3a4c055b2acb",
        "curves.png": "5229bfa165fc6f0fcb34adbdb2e930181c447d8b471b5c1b679f898ce633e9c0",
    },
    "wgan-fashion-mnist": {
        "config.json": "d18d5a5c77309da381a4f0e4af8d852437d5d2e1bdd2e6668a90cc0adc3eb388",
        "model.safetensors": "6758423ca03186d1673ea74095c66f06c2f0d0c7867dd8addca8fd677d9d1899",
        "samples.png": "7e36bc4c183a166e2fc349ea1a44d21b7d1d069a2daf98540cf97a8761ff88a7",
        "curves.png": "e597c508f09823561f01b4c5903d6e8fc1aa6eae5b05b19cf165ad8e76b9701a",
    },
    "wgan-gp-mnist": {
        "config.json": "1fba0b8f16d866396842258d2784bfc11c46e1c1a3bbcb53f45ecd5b44c42d99",
        "model.safetensors": "384d9c9f278de0348db72ffe0998ba9025cdf49bb2a092042dcf8f7689c0a949",
        "samples.png": "fd3d9f9100d7228e24bc047d7e39636ee80ae401eeb84b7273c32ad2be15cf36",
        "curves.png": "49e7b0c805b67620b84891b6f83b5ff7a1f1e40be627c467cc546cf94ec41576",
    },
    "wgan-gp-fashion-mnist": {
        "config.json": "a3feb76dccc60eb72a441e8113eb5bdf0c5abfaf98af2021a50e1caaf163e18e",
        "model.safetensors": "4f3c7cc1d111f333e2bce304c9a78f9af6df1c4feed0f87dc02660727c984fb4",
        "samples.png": "d0136d57e85eadb885d325e6b7c22299e97390dba85197ed1fa5959d38c7046f",
        "curves.png": "3f0076ca4bb685a971d6152b904e43f9209f6d10ee533b8a1b42db79f6bb0ebe",
    },
}
# --- SHA256 end ---

# sha256 of each entry's discriminator. Discriminators are not in the installed package (it stays
# lean: inference needs only generators); they live in the checkout's zoo_extras/ and go to the Hub
# folder, which is complete. `ganzoo publish` checks them against these hashes.
# --- DISCRIMINATOR SHA256 begin ---
DISCRIMINATOR_SHA256: dict[str, str] = {
    "gan-mnist": "1a8226583d9962804e5e43343e38f1268734b3359c850ad739feeca586a02f36",
    "gan-fashion-mnist": "c0589af4fb33bb46024afb3a3d8b6373f23200b46b2f90cdd590580a71c3454c",
    "dcgan-mnist": "47034ef235f26ae0f395bea75f6283524d7fd03836102aef01efcef3622c2d20",
    "dcgan-fashion-mnist": "7eaff6b8545baefc3f5c4aee86ea005784c808a3876d34f57596ac12d2202a42",
    "cgan-mnist": "3cf22bf0e84e49095b444a513dcfa5fe6b42b14c330543eb258222f0e878b778",
    "cgan-fashion-mnist": "9d5253470de048a4a5cd88a89596ed69d7213f90e4e922b8be54c40fd64367c6",
    "wgan-mnist": "affc1abdcc6ea9c86f77ddbb54c032883957c2b8c889af5a7b8193e80420f6d5",
    "wgan-fashion-mnist": "d5557bf048f526f13721dc51927576b80ccb913af6404101d657ea8fc37cdc4e",
    "wgan-gp-mnist": "78e19dd1166ac9e0df706c25a26f3841c1f812929bf39838ae94e320135de7bc",
    "wgan-gp-fashion-mnist": "27ca1fea0db188717b4391be1bf4d33ce2f2288a7126cee9bf42196029a3fae7",
}
# --- DISCRIMINATOR SHA256 end ---


@dataclass(frozen=True)
class ZooEntry:
    name: str
    arch: str
    dataset: str

    @property
    def hub_repo(self) -> str | None:
        """The entry's Hub repo id once it is published (see PUBLISHED), else None."""
        return f"{HUB_ORG}/{self.name}" if self.name in PUBLISHED else None

    @property
    def sha256(self) -> dict[str, str] | None:
        """{file name: sha256} of the bundled files, or None when no weights are bundled."""
        return SHA256.get(self.name)

    @property
    def has_weights(self) -> bool:
        return self.sha256 is not None

    @property
    def folder(self) -> Path:
        return WEIGHTS_DIR / self.name


ZOO: dict[str, ZooEntry] = {
    f"{a}-{d}": ZooEntry(f"{a}-{d}", a, d) for a in ARCHITECTURES for d, ds in DATASETS.items() if ds.zoo
}


def checkout_dir(sub: str, purpose: str) -> Path:
    """A folder of the ganzoo git checkout (model_cards/, zoo_extras/): an installed wheel has none."""
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / sub).is_dir():
        return root / sub
    from .errors import GanzooError

    raise GanzooError(f"{purpose} needs the ganzoo repository's {sub}/ folder, which the installed package does "
                      "not include: git clone the ganzoo repository, `pip install -e .` in it and run this there "
                      "(or, to publish your own model, pass its folder instead of a zoo name).")


def list_models(pattern: str = "*", *, with_weights: bool = False) -> list[str]:
    """Zoo entry names matching a glob pattern (e.g. "*-mnist", "cgan-*")."""
    return [n for n, e in ZOO.items() if fnmatch.fnmatch(n, pattern) and (e.has_weights or not with_weights)]


def get_entry(name: str) -> ZooEntry:
    if name not in ZOO:
        from .errors import UnknownModelError

        raise UnknownModelError(
            f"Unknown model {name!r}: not a zoo name, an existing folder or an OWNER/NAME Hub repo id."
            f"{did_you_mean(name, ZOO, cutoff=0.5)}"
            " Run `ganzoo list` to see the zoo."
        )
    return ZOO[name]


def info(name: str) -> dict:
    """A plain-dict description of a zoo entry."""
    e = get_entry(name)
    return {"name": e.name, "architecture": e.arch, "dataset": e.dataset, "hub_repo": e.hub_repo,
            "bundled_weights": e.has_weights, "sha256": e.sha256 or {},
            "class_names": list(DATASETS[e.dataset].class_names) if ARCHITECTURES[e.arch].conditional else []}

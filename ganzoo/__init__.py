"""ganzoo: a GAN model zoo. `ganzoo.load("dcgan-mnist").sample(16)`.

`import ganzoo` is light: torch loads on first use of `load`, and torchvision, onnx,
onnxruntime and huggingface_hub only when a feature needs them.
"""

from __future__ import annotations

__version__ = "0.2.0"

from .errors import GanzooError, LabelError, ModelFolderError, SteeringWarning, UnknownModelError  # noqa: E402
from .registry import info, list_models  # noqa: E402

__all__ = [
    "load",
    "list_models",
    "info",
    "GanzooError",
    "LabelError",
    "ModelFolderError",
    "SteeringWarning",
    "UnknownModelError",
    "__version__",
]


def load(
    name_or_path,
    *,
    device: str = "cpu",
    revision: str | None = None,
    discriminator: bool = False,
    cache_dir: str | None = None,
    token: str | bool | None = None,
):
    """Load a generator by zoo name, local folder or Hub repo id ("OWNER/NAME").

    A bare zoo name always means the bundled entry and OWNER/NAME always a Hub repo; pass a path
    ("./NAME", "/abs/path", "~/x" or a Path) for a local folder (the full rule: ganzoo.hub.resolve).
    `revision` pins a version: for a zoo name, "v3" gives exactly that version's weights (the bundled
    ones when they are that version, else the entry's Hub repo at tag "v3"); for a Hub repo id, any branch,
    tag or commit (checked with git's ref-name rules). `cache_dir` and `token` go to the Hub download as in
    huggingface_hub. `model.version` says which version was loaded (None for folders without a manifest).
    Weights are loaded strictly, to CPU first, then moved to `device`, in eval mode.
    Returns a `ganzoo.model.GANModel`, or for an image-to-image entry (CycleGAN) a `ganzoo.model.TranslationModel`
    (`translate(images, to=DOMAIN)`; it has no latent to sample).
    """
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        from .errors import MissingDependencyError, pip_install

        raise MissingDependencyError(
            f"ganzoo.load needs PyTorch: {pip_install('torch')} (or the torch build for "
            "your platform). Exported ONNX files run without it: "
            "ganzoo.runtime.OnnxGenerator."
        )
    from .folder import load_modules
    from .hub import folder_version, resolve
    from .model import GANModel, TranslationModel, resolve_device

    dev = resolve_device(device)  # fail before any download
    folder, source = resolve(name_or_path, revision=revision, cache_dir=cache_dir, token=token)
    conf, gen, disc = load_modules(folder, discriminator=discriminator)
    cls = TranslationModel if getattr(gen, "translation", False) else GANModel  # CycleGAN: translate, no latent
    return cls(gen, conf, source=source, folder=folder, discriminator=disc, version=folder_version(folder)).to(dev)

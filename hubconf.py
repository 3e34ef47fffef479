"""torch.hub entry points: one per zoo entry with bundled weights, named as the entry with "_" for "-".

    model = torch.hub.load("OWNER/ganzoo", "dcgan_mnist")                     # from GitHub
    model = torch.hub.load("/path/to/ganzoo", "dcgan_mnist", source="local")  # from a checkout
    images = model.sample(16, seed=0)                                          # (16, 1, 28, 28) in [0, 1]

Each returns `ganzoo.load(name, **kwargs)`, a GANModel (its torch module is `.generator`). The list comes
from the registry, so a new zoo entry needs no edit here.
"""

from __future__ import annotations

import ganzoo as _ganzoo
from ganzoo.registry import ARCHITECTURES as _ARCHITECTURES

dependencies = ["torch", "numpy", "safetensors", "PIL"]  # torch.hub checks that these import


def _entry_point(name: str):
    info = _ganzoo.info(name)
    arch = _ARCHITECTURES[info["architecture"]]

    def load(**kwargs):
        return _ganzoo.load(name, **kwargs)

    labels = (
        f" Conditional: pass labels=, class indices or names ({', '.join(info['class_names'])})."
        if info["class_names"]
        else ""
    )
    load.__name__ = load.__qualname__ = name.replace("-", "_")
    if arch.translation:  # image-to-image (CycleGAN): no latent, two domains
        a, b = info["domains"]
        what = (
            f"trained on {a} and {b} (unpaired), the weights bundled with ganzoo.\n\nReturns "
            f"ganzoo.load({name!r}, **kwargs), a TranslationModel: .translate(images, to={b!r}) (or to={a!r}) "
            "maps images (n, C, H, W) in [0, 1] into the other domain; .generator holds both torch modules."
        )
    else:
        what = (
            f"trained on {info['dataset']}, the weights bundled with ganzoo.\n\nReturns ganzoo.load({name!r}, "
            "**kwargs), a GANModel: .sample(n, seed=...) gives n images (n, C, H, W) in [0, 1], .generator is "
            f"the torch module.{labels}"
        )
    load.__doc__ = (
        f"{name}: {arch.name} ({arch.paper}) {what} kwargs: device ('cpu', 'cuda', ...), discriminator=True to "
        "load the discriminator too."
    )
    return load


for _name in _ganzoo.list_models(with_weights=True):
    globals()[_name.replace("-", "_")] = _entry_point(_name)

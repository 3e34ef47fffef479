"""Every bundled entry still draws its published images: a change that moves one needs a new version."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

import ganzoo
from ganzoo.registry import ZOO
from training.golden import golden_images, golden_path

WITH_WEIGHTS = [n for n, e in ZOO.items() if e.has_weights]


@pytest.mark.parametrize("name", WITH_WEIGHTS)
def test_golden_samples_unchanged(name):
    model = ganzoo.load(name)
    path = golden_path(name, model.version)
    assert path.is_file(), f"{name} {model.version} has no golden samples: run `python -m training.golden {name}`"
    assert_golden(model, load_file(str(path)))


def assert_golden(model, g: dict) -> None:
    """The model makes the golden file's images from its inputs (latents, or a translation model's images)."""
    name = model.source
    images = golden_images(model, g)
    diff = torch.stack([(v - g[k].float()).abs().max() for k, v in images.items()])
    # float16 storage rounds by <= 2.5e-4 at [0.5, 1]; float32 arithmetic differs across CPUs by far less
    assert diff.max() <= 2e-3, (
        f"{name} {model.version}: published images moved by up to {diff.max():.4f}; "
        "a changed entry needs a new version (python -m training.release)"
    )


def test_golden_check_catches_a_moved_image():
    """The check above can fail: nudging one weight by a small amount moves the images past the tolerance."""
    model = ganzoo.load("dcgan-mnist")
    g = load_file(str(golden_path("dcgan-mnist", model.version)))
    with torch.no_grad():
        next(model.generator.parameters()).mul_(1.02)
    diff = (model.generate(g["z"]) - g["images"].float()).abs().max()
    assert diff > 2e-3

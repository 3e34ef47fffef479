"""ganzoo.fast: inference rewrites give the original generator's images to float tolerance."""
from __future__ import annotations

import pytest
import torch

import ganzoo
from ganzoo.fast import optimize


@pytest.mark.parametrize("subpixel", [False, True])
def test_rewrites_are_exact_on_every_architecture(tiny, subpixel):
    _, folder = tiny
    m = ganzoo.load(folder)
    fast = optimize(m.generator, subpixel=subpixel)
    assert not any(isinstance(x, torch.nn.modules.batchnorm._BatchNorm) for x in fast.modules())
    if subpixel:
        assert not any(isinstance(x, torch.nn.ConvTranspose2d) for x in fast.modules())
    z = m.sample_latent(9, seed=0)
    y = torch.arange(9) % 10 if m.conditional else None
    with torch.no_grad():
        assert torch.allclose(fast(z, y), m.generator(z, y), atol=1e-5)
    assert any(p.requires_grad for p in m.generator.parameters())  # the original is untouched


def test_optimized_export_matches_the_original(tmp_path):
    m = ganzoo.load("cgan-fashion-mnist")
    m.export_onnx(tmp_path / "o.onnx", optimize=True)  # check=True: onnxruntime vs the original, <= 1e-4
    import onnx

    ops = {n.op_type for n in onnx.load(str(tmp_path / "o.onnx")).graph.node}
    assert "BatchNormalization" not in ops

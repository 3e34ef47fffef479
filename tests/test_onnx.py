"""ONNX export over every architecture, and the torch-free runtime."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import ganzoo
from ganzoo.export import verify_onnx
from ganzoo.registry import ZOO
from ganzoo.runtime import OnnxGenerator, OnnxGeneratorError

from .conftest import GENERATIVE, make_tiny_folder


# The quick loop exports two small graphs, one unconditional and one with labels as an input; the full suite every
# family (seconds each for the larger graphs). WGAN's and WGAN-GP's generators are DCGAN's network itself
# (tests/test_models.py), so their files are the dcgan graph under another name.
QUICK_EXPORTS = ("dcgan", "cgan")


@pytest.mark.parametrize(
    "arch", [a if a in QUICK_EXPORTS else pytest.param(a, marks=pytest.mark.slow) for a in GENERATIVE]
)
def test_export_matches_torch(arch, tiny_onnx):
    folder, path = tiny_onnx(arch)  # exported once for the session, and verified (check=True)
    m = ganzoo.load(folder)
    assert path.is_file() and not list(path.parent.glob("*.data"))  # one self-contained file
    diffs = verify_onnx(m, path, batch_sizes=(1, 7, 64))
    assert max(diffs.values()) <= 1e-4
    rt = OnnxGenerator(path)
    assert rt.latent_dim == m.latent_dim and rt.image_shape == m.image_shape and rt.num_classes == m.num_classes
    assert rt.metadata["architecture"] == arch and "ganzoo_version" in rt.metadata
    assert rt.input_names == (["z", "labels"] if m.conditional else ["z"])
    # the same latents through both paths give the same images (as .sample does)
    z = m.sample_latent(3, seed=1)
    y = torch.tensor([1, 2, 3]) if m.conditional else None
    np.testing.assert_allclose(
        rt.generate(z.numpy(), None if y is None else y.numpy()), m.generate(z, y).numpy(), atol=1e-4
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n, e in ZOO.items() if e.has_weights])
def test_export_zoo_entry(name, tmp_path):
    m = ganzoo.load(name)
    if hasattr(m, "translate"):  # an image-to-image entry: one file per direction, each verified the same way
        from ganzoo.runtime import OnnxTranslator

        for to in m.domains:
            rt = OnnxTranslator(m.export_onnx(tmp_path / f"to-{to}.onnx", to=to))
            assert (rt.metadata["source"], rt.target_domain) == (name, to)
        return
    path = m.export_onnx(tmp_path / "g.onnx")  # verifies at batch 1, 7, 64 with atol 1e-4
    assert OnnxGenerator(path).metadata["source"] == name


@pytest.mark.slow
def test_uint8_export(tmp_path):
    m = ganzoo.load(make_tiny_folder(tmp_path / "m", "cgan"))
    path = m.export_onnx(tmp_path / "u.onnx", uint8=True)
    rt = OnnxGenerator(path)
    out = rt.sample(4, labels="Sneaker", seed=0)
    assert out.dtype == np.uint8 and out.shape == (4, 28, 28, 1)
    ref = (m.generate(torch.from_numpy(rt.sample_latent(4, 0)), 7) * 255).round().permute(0, 2, 3, 1).numpy()
    assert np.abs(out.astype(int) - ref.astype(int)).max() <= 1
    assert rt.output_format.startswith("uint8")


def test_export_bad_output_folder(tmp_path):
    m = ganzoo.load(make_tiny_folder(tmp_path / "m", "gan"))
    with pytest.raises(ganzoo.GanzooError, match="does not exist"):
        m.export_onnx(tmp_path / "missing" / "g.onnx")


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
def test_export_that_fails_its_check_keeps_the_earlier_file_and_leaves_nothing(tmp_path, tiny_folder):
    """The file is checked under its temporary name before the rename: a file that fails the check (here: an
    impossible tolerance) never replaces the user's earlier file, and no temporary file is left."""
    m = ganzoo.load(tiny_folder("dcgan"))
    path = tmp_path / "g.onnx"
    path.write_bytes(b"the user's earlier file")
    with pytest.raises(ganzoo.GanzooError, match=r"^ONNX export check failed at batch 1: max abs difference"):
        m.export_onnx(path, atol=-1.0)
    assert path.read_bytes() == b"the user's earlier file" and [p.name for p in tmp_path.iterdir()] == ["g.onnx"]
    m.export_onnx(path)
    assert OnnxGenerator(path).sample(2, seed=0).shape == (2, 1, 28, 28)


def test_runtime_bad_inputs(tmp_path, tiny_onnx):
    path = tiny_onnx("cgan")[1]
    rt = OnnxGenerator(path)
    z = rt.sample_latent(2, seed=0)
    with pytest.raises(OnnxGeneratorError, match=r"shape \(batch, 8\)"):
        rt.generate(z[:, :5], [0, 1])
    with pytest.raises(OnnxGeneratorError, match="float32"):
        rt.generate(z.astype(np.int64), [0, 1])
    with pytest.raises(ganzoo.LabelError, match="out of range"):
        rt.generate(z, [-1, 0])  # onnxruntime itself would wrap -1 to the last class
    with pytest.raises(ganzoo.LabelError, match="out of range"):
        rt.generate(z, [0, 10])
    with pytest.raises(OnnxGeneratorError, match="conditional: pass labels"):
        rt.generate(z)
    with pytest.raises(ganzoo.LabelError, match="unknown class name"):
        rt.sample(2, labels="Sneakers")
    with pytest.raises(ganzoo.GanzooError, match="positive int"):
        rt.sample(0)
    with pytest.raises(OnnxGeneratorError, match="providers"):
        OnnxGenerator(path, providers=["NoSuchExecutionProvider"])
    with pytest.raises(ganzoo.GanzooError, match="ganzoo export"):
        OnnxGenerator(tmp_path / "none.onnx")
    assert np.array_equal(rt.sample(3, seed=5), rt.sample(3, seed=5))


def test_runtime_without_torch(tiny_onnx):
    path = tiny_onnx("cgan")[1]
    code = textwrap.dedent(f"""
        import sys, json
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ImportError("torch is blocked in this test")
        sys.meta_path.insert(0, Block())
        from ganzoo.runtime import OnnxGenerator
        g = OnnxGenerator({str(path)!r})
        x = g.sample(4, labels="Sneaker", seed=0)
        assert "torch" not in sys.modules
        print(json.dumps([list(x.shape), str(x.dtype), float(x.min()), float(x.max())]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    shape, dtype, lo, hi = json.loads(out.stdout)
    assert shape == [4, 1, 28, 28] and dtype == "float32" and 0 <= lo <= hi <= 1


def test_cli_export_unknown_name(tmp_path):
    from ganzoo.cli import main

    assert main(["export", "dcgan-mnsit", "-o", str(tmp_path / "x.onnx")]) == 2


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
@pytest.mark.parametrize("verbose", [False, True])
def test_export_is_quiet_unless_verbose(verbose, tmp_path, capfd, caplog):
    import logging
    import warnings

    from ganzoo.cli import main

    folder = make_tiny_folder(tmp_path / "m", "cgan")  # conditional: z and labels share the batch axis
    out = tmp_path / "q.onnx"
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        assert main(["export", str(folder), "-o", str(out), "--quantize", "int8", *(["--verbose"] * verbose)]) == 0
    stdout, stderr = capfd.readouterr()
    chatter = {
        "progress": "[torch.onnx]" in stdout,
        "axis warning": any("The axis name" in str(w.message) for w in caught),
        "pre-processing advice": any("pre-processing" in r.getMessage() for r in caplog.records),
    }
    assert chatter == dict.fromkeys(chatter, verbose)
    if not verbose:
        assert stdout.startswith(f"wrote {out} (") and stdout.count("\n") == 1 and stderr == ""

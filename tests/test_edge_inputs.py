"""Edge inputs a hostile probe found (2026-12-05): nothing given, numpy scalars, an output path that is an input,
style mixing beyond memory, and the translator's latent-free refusals. Each is a clear error or the same result
as the plain Python value, never a traceback."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from PIL import Image

import ganzoo
from ganzoo import runtime
from ganzoo.cli import main as cli


def test_no_latents_is_the_same_error_on_every_family(tiny):
    arch, folder = tiny
    m = ganzoo.load(folder)
    z = m.sample_latent(2, seed=0)[:0]
    with pytest.raises(ganzoo.GanzooError, match=rf"^z holds no latents \(shape \(0, {m.latent_dim}\)\); pass at"):
        m.generate(z)


def test_no_latents_in_w_and_no_images_are_errors(tiny_folder):
    sg2 = ganzoo.load(tiny_folder("stylegan2"))
    w = torch.zeros(0, sg2.generator.w_dim)
    with pytest.raises(ganzoo.GanzooError, match=r"^w holds no latents \(shape \(0, \d+\)\)"):
        sg2.generate(w, space="w")
    with pytest.raises(ganzoo.GanzooError, match=r"^z holds no latents"):
        sg2.mix(torch.zeros(0, sg2.latent_dim), [1], crossover=1)
    with pytest.raises(ganzoo.GanzooError, match=r"^w holds 8 NaN, infinite or out-of-float32-range value"):
        sg2.generate(torch.full((1, sg2.generator.w_dim), float("nan")), space="w")
    dcgan = ganzoo.load(tiny_folder("dcgan"))
    with pytest.raises(ganzoo.GanzooError, match=r"^images holds no images \(shape \(0, 1, 28, 28\)\)"):
        dcgan.invert(torch.rand(0, 1, 28, 28), steps=1)


def test_numpy_scalars_work_as_python_numbers(tiny_folder):
    sg2 = ganzoo.load(tiny_folder("stylegan2"))
    assert torch.equal(sg2.sample(2, seed=3, truncation=np.float32(0.5)), sg2.sample(2, seed=3, truncation=0.5))
    assert torch.equal(sg2.mix([np.int64(1)], [np.uint8(2)], crossover=1), sg2.mix([1], [2], crossover=1))
    progan = ganzoo.load(tiny_folder("progan"))
    assert torch.equal(progan.sample(2, seed=0, resolution=np.int64(14)), progan.sample(2, seed=0, resolution=14))
    biggan = ganzoo.load(tiny_folder("biggan"))
    assert torch.equal(biggan.sample(2, seed=0, truncation=np.float32(0.5)), biggan.sample(2, seed=0, truncation=0.5))


def test_numpy_ints_for_crossover_steps_and_k(tiny_folder):
    sg2 = ganzoo.load(tiny_folder("stylegan2"))
    assert torch.equal(sg2.mix([1], [2], crossover=np.int64(1)), sg2.mix([1], [2], crossover=1))
    assert torch.equal(sg2.directions(np.int32(2)), sg2.directions(2))
    dcgan = ganzoo.load(tiny_folder("dcgan"))
    z0, z1 = dcgan.sample_latent(2, seed=0)
    assert torch.equal(dcgan.interpolate(z0, z1, steps=np.int64(3)), dcgan.interpolate(z0, z1, steps=3))


@pytest.mark.parametrize("t", [1e308, 10**400])
def test_a_threshold_beyond_float32_truncates_nothing_and_warns_nothing(t):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z = runtime.sample_latent(4, 16, seed=0, truncation=t)
    assert np.array_equal(z, runtime.sample_latent(4, 16, seed=0))


def test_onnx_runtime_refuses_zero_latents_and_names_w(tiny_onnx, tiny_folder, tmp_path):
    gen = runtime.OnnxGenerator(tiny_onnx("dcgan")[1])
    with pytest.raises(ganzoo.GanzooError, match=r"^z holds no latents \(shape \(0, \d+\)\); pass at least one"):
        gen.generate(np.zeros((0, gen.latent_dim), np.float32))
    sg2 = ganzoo.load(tiny_folder("stylegan2"))
    w_file = runtime.OnnxGenerator(sg2.export_onnx(tmp_path / "w.onnx", space="w"))
    g = sg2.generator
    with pytest.raises(ganzoo.GanzooError, match=rf"^ws holds {g.num_ws * g.w_dim} NaN"):
        w_file.generate(np.full((1, g.num_ws, g.w_dim), np.nan, np.float32))


def test_style_mixing_checks_memory_before_mapping_a_latent(tiny_folder, monkeypatch):
    m = ganzoo.load(tiny_folder("stylegan2"))
    m.sample(1, seed=0)  # measures the generator's working memory once (a forward pass) and keeps it

    def mapping(*_):
        raise AssertionError("the latents were mapped before the memory check")

    monkeypatch.setattr(m.generator.mapping, "forward", mapping)
    monkeypatch.setattr(runtime, "available_memory", lambda: 100 * 2**20)
    with pytest.raises(
        ganzoo.GanzooError, match=r"^the 90000 images of a 300 x 300 style-mixing grid need about .* but only"
    ):
        m.mix(list(range(300)), list(range(300)), crossover=1)


def test_translator_refuses_zero_images(translator, tmp_path):
    with pytest.raises(ganzoo.GanzooError, match=r"^images holds no images \(shape \(0, 1, 28, 28\)\)"):
        translator.translate(torch.rand(0, 1, 28, 28), to="fashion-mnist")
    onnx = runtime.OnnxTranslator(translator.export_onnx(tmp_path / "t.onnx", to="fashion-mnist"))
    with pytest.raises(ganzoo.GanzooError, match=r"^images holds no images \(shape \(0, 1, 28, 28\)\)"):
        onnx.translate(np.zeros((0, 1, 28, 28), np.float32))


def test_translator_refuses_directions_and_mix_naming_translate(translator, tmp_path, capsys):
    with pytest.raises(ganzoo.GanzooError, match=r"^directions\(\) works in a latent space.*translate\(images, to="):
        translator.directions(3)
    for argv in (["mix", "--rows", "0", "--cols", "1", "--crossover", "1"], ["directions", "-k", "2"]):
        out = tmp_path / "x.png"
        assert cli([argv[0], str(translator.folder), *argv[1:], "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert "works in a latent space" in err and "ganzoo translate NAME" in err, err
        assert not out.exists()


def _digit(path) -> None:
    Image.fromarray((np.random.default_rng(0).random((28, 28)) * 255).astype(np.uint8)).save(path)


def test_cli_translate_with_from_names_the_source_domain(translator, tmp_path, capsys):
    src, out = tmp_path / "d.png", tmp_path / "out.png"
    _digit(src)
    argv = ["translate", str(translator.folder), str(src), "--to", "fashion-mnist", "-o", str(out)]
    assert cli([*argv, "--from", "mnist"]) == 0, capsys.readouterr().err
    with_from = out.read_bytes()
    assert cli(argv) == 0
    assert out.read_bytes() == with_from  # --from only states the images' domain
    assert cli([*argv, "--from", "fashion-mnist"]) == 2
    assert "--from and --to are both 'fashion-mnist'" in capsys.readouterr().err


def test_cli_never_writes_over_an_input_image(translator, tiny_folder, tmp_path, capsys):
    src = tmp_path / "d.png"
    _digit(src)
    before = src.read_bytes()
    argv = ["translate", str(translator.folder), str(src), "--to", "fashion-mnist", "-o", str(src)]
    assert cli(argv) == 2
    assert f"-o {src} is one of the input images; write the result to another file" in capsys.readouterr().err
    dcgan = str(tiny_folder("dcgan"))
    (tmp_path / "link.png").symlink_to(src)
    for out in (f"{tmp_path}/./d.png", str(tmp_path / "link.png")):  # other spellings of the same file
        assert cli(["invert", dcgan, str(src), "--steps", "1", "-o", out]) == 2
        assert f"-o {out} is one of the input images" in capsys.readouterr().err
    assert src.read_bytes() == before
    # an input that cannot even be looked at is reported as unreadable by the command, not as a traceback
    long = str(tmp_path / ("x" * 300 + ".png"))
    assert cli(["invert", dcgan, long, "--steps", "1", "-o", str(tmp_path / "r.png")]) == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize(
    "latents, err",
    [
        ("", "--save-latents '' is empty: give a file name ending in .npy"),
        ("w.txt", "--save-latents {tmp}/w.txt: a latents file needs a file name ending in .npy (got '.txt')"),
        ("nope/w.npy", "--save-latents {tmp}/nope/w.npy: folder {tmp}/nope does not exist"),
    ],
)
def test_cli_save_latents_errors_name_the_flag(tiny_folder, tmp_path, capsys, latents, err):
    src = tmp_path / "d.png"
    _digit(src)
    path = latents and str(tmp_path / latents)
    argv = ["invert", str(tiny_folder("dcgan")), str(src), "--steps", "1", "-o", str(tmp_path / "r.png")]
    assert cli([*argv, "--save-latents", path]) == 2
    assert err.format(tmp=tmp_path) in capsys.readouterr().err
    assert not (tmp_path / "r.png").exists()


def test_cli_save_latents_writes_the_latents_atomically(tiny_folder, tmp_path, capsys, monkeypatch):
    src, z = tmp_path / "d.png", tmp_path / "z.npy"
    _digit(src)
    folder = tiny_folder("dcgan")
    argv = ["invert", str(folder), str(src), "--steps", "2", "-o", str(tmp_path / "r.png"), "--save-latents", str(z)]
    assert cli(argv) == 0
    want = ganzoo.load(folder).invert([Image.open(src)], steps=2)
    assert np.array_equal(np.load(z, allow_pickle=False), want.numpy())
    before = z.read_bytes()

    def save_half(f, arr, **kw):  # a write that dies part-way (a full disk)
        f.write(b"\x93NUMPY")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", save_half)
    assert cli(argv) == 2
    assert f"the disk is full: no space left to write {z}" in capsys.readouterr().err
    assert z.read_bytes() == before  # the old latents stay whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.png", "r.png", "z.npy"]  # no temporary left behind


TRANSPARENT = r"has transparent pixels \((\d+) of 784 with alpha below 255\), and what lies behind them is a guess"


def test_transparent_images_are_refused_and_opaque_alpha_is_read(translator, tiny_folder, tmp_path, capsys):
    """Black strokes on a transparent background became an all-black image when alpha was dropped: an image with
    transparent pixels (an alpha band, or a PNG naming a transparent colour) is refused, one fully opaque is read as
    its greyscale."""
    ink = (np.random.default_rng(1).random((28, 28)) * 255).astype(np.uint8)
    alpha = np.full((28, 28), 255, np.uint8)
    alpha[0, :3] = 0
    strokes = Image.fromarray(np.stack([ink, ink, ink, alpha], -1), "RGBA")
    grey = Image.fromarray(ink)
    with pytest.raises(ganzoo.GanzooError, match=r"^image " + TRANSPARENT.replace(r"(\d+)", "3")):
        translator.translate(strokes, to="fashion-mnist")
    with pytest.raises(ganzoo.GanzooError, match=r"^image 1 " + TRANSPARENT.replace(r"(\d+)", "3")):
        translator.translate([grey, strokes.convert("LA")], to="fashion-mnist")
    opaque = strokes.copy()
    opaque.putalpha(255)
    torch.testing.assert_close(
        translator.translate(opaque, to="fashion-mnist"), translator.translate(grey, to="fashion-mnist")
    )
    files = {"rgba.png": (strokes, {}), "trns.png": (grey, {"transparency": int(ink[5, 5])})}
    for name, (im, kw) in files.items():
        im.save(tmp_path / name, **kw)
        out = tmp_path / "out.png"
        assert (
            cli(["translate", str(translator.folder), str(tmp_path / name), "--to", "fashion-mnist", "-o", str(out)])
            == 2
        )
        err = capsys.readouterr().err
        n = 3 if name == "rgba.png" else int((ink == ink[5, 5]).sum())
        assert err.startswith(f"error: image {tmp_path / name} has transparent pixels ({n} of 784"), err
        assert "Image.alpha_composite" in err and not out.exists()
        m = ganzoo.load(tiny_folder("dcgan"))
        with pytest.raises(ganzoo.GanzooError, match=TRANSPARENT):
            m.invert(Image.open(tmp_path / name), steps=1)


def test_transparency_is_read_in_the_image_own_values(translator, tmp_path):
    """A 16-bit grey key is matched before any conversion to 8 bits, and a palette carrying alpha counts."""
    a = (np.arange(784, dtype=np.uint32).reshape(28, 28) * 83).astype(np.uint16)  # 784 distinct 16-bit levels
    Image.fromarray(a).save(tmp_path / "deep.png", transparency=int(a[3, 3]))
    with pytest.raises(ganzoo.GanzooError, match=TRANSPARENT.replace(r"(\d+)", "1")):
        translator.translate(Image.open(tmp_path / "deep.png"), to="fashion-mnist")
    Image.fromarray(a).save(tmp_path / "deep-unused.png", transparency=1)  # a level no pixel has: opaque
    translator.translate(Image.open(tmp_path / "deep-unused.png"), to="fashion-mnist")
    with pytest.raises(ganzoo.GanzooError, match=TRANSPARENT.replace(r"(\d+)", "784")):
        translator.translate(Image.new("RGBA", (28, 28)).quantize(), to="fashion-mnist")


def test_interpolate_checks_its_ends(tiny_folder):
    m = ganzoo.load(tiny_folder("dcgan"))
    z = m.sample_latent(2, seed=0)
    bad = z[1].clone()
    bad[0] = float("nan")
    with pytest.raises(ganzoo.GanzooError, match=r"^z holds 1 NaN, infinite or out-of-float32-range value\(s\) out of"):
        m.interpolate(z[0], bad, 3)
    with pytest.raises(ganzoo.GanzooError, match=rf"^z1 must be a tensor holding one latent \({m.latent_dim} values\)"):
        m.interpolate(z[0], z[1].tolist(), 3)
    assert m.interpolate(z[0], z[1], 3).shape == (3, m.latent_dim)

"""What a hostile-input probe found (2026-12-06), kept fixed: outputs that are never replaced unless named, odd
PIL images, options of steer / invert / interpolate / directions, and messages that say what was really wrong."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from PIL import Image

import ganzoo
from ganzoo.cli import main

from .conftest import make_tiny_folder


@pytest.fixture(scope="module")
def tiny_mnist(tmp_path_factory):
    return ganzoo.load(make_tiny_folder(tmp_path_factory.mktemp("o") / "m", "dcgan", seed=3, dataset="mnist"))


# -- outputs ---------------------------------------------------------------------------------------------------------
def test_a_default_output_name_never_replaces_an_existing_file(tiny_mnist, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["sample", str(tiny_mnist.folder), "-n", "2"]) == 0  # the default name, new: written
    assert "to samples.png" in capsys.readouterr().out
    mine = b"a picture of mine"
    (tmp_path / "samples.png").write_bytes(mine)
    assert main(["sample", str(tiny_mnist.folder), "-n", "2"]) == 2
    assert capsys.readouterr().err == (
        "error: samples.png already exists here and was not named with -o, so it is kept; name the output "
        "(-o samples.png replaces it, or -o another.png)\n"
    )
    assert (tmp_path / "samples.png").read_bytes() == mine
    assert main(["sample", str(tiny_mnist.folder), "-n", "2", "-o", "samples.png"]) == 0  # named: replaced, as cp
    assert (tmp_path / "samples.png").read_bytes() != mine
    (tmp_path / "morph.png").write_bytes(mine)  # every command's default name is kept the same way
    assert main(["steer", str(tiny_mnist.folder), "--toward", "3"]) == 2
    assert "morph.png already exists here" in capsys.readouterr().err


def test_output_paths_that_name_no_file_are_refused(tiny_mnist, tmp_path, capsys):
    (tmp_path / "f.txt").write_text("x")
    for out, message in (
        (f"{tmp_path}/g.png/", f"-o {tmp_path}/g.png/ ends in a slash, which names a folder"),
        (f"{tmp_path}/f.txt/g.png", f"-o {tmp_path}/f.txt/g.png: {tmp_path}/f.txt is a file, not a folder"),
    ):
        assert main(["sample", str(tiny_mnist.folder), "-n", "2", "-o", out]) == 2
        assert capsys.readouterr().err.startswith(f"error: {message}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_save_grid_never_replaces_a_pipe_or_a_folder(tiny_mnist, tmp_path):
    fifo, folder = tmp_path / "fifo.png", tmp_path / "dir.png"
    os.mkfifo(fifo)
    folder.mkdir()
    x = torch.rand(2, 1, 28, 28)
    with pytest.raises(ganzoo.GanzooError, match=r"fifo.png: it is not a regular file \(a pipe"):
        tiny_mnist.save_grid(x, fifo)
    with pytest.raises(ganzoo.GanzooError, match=r"dir.png: it is an existing folder; choose another file name"):
        tiny_mnist.save_grid(x, folder)
    assert not fifo.is_file() and os.path.exists(fifo) and folder.is_dir() and not any(folder.iterdir())
    assert [p.name for p in tmp_path.iterdir() if "ganzoo" in p.name] == []


@pytest.mark.parametrize(
    "images, message",
    [
        (
            torch.rand(1, 28, 28),
            r"images must be N x C x H x W, got shape \(1, 28, 28\); for one image use images\[None\]",
        ),
        (torch.rand(1, 5, 28, 28), r"images must have 1 \(grey\), 3 \(RGB\) or 4 \(RGBA\) channels"),
        (torch.full((1, 1, 28, 28), float("nan")), r"images hold NaN or infinite values"),
        (torch.zeros(2, 1, 0, 28), r"images must have at least one pixel, got shape \(2, 1, 0, 28\)"),
        (
            torch.full((1, 1, 28, 28), 255, dtype=torch.int64),
            r"images of dtype int64: give floats in \[0, 1\] or uint8",
        ),
        (
            torch.full((2, 1, 28, 28), 0.5).index_fill_(2, torch.tensor([3]), 255.0),
            r"images hold values up to 255, but float images must be in \[0, 1\]: divide 0..255 values by 255",
        ),
        (
            torch.full((2, 1, 28, 28), 0.5).index_fill_(0, torch.tensor([1]), -1.0),
            r"images hold values down to -1, but float images must be in \[0, 1\]: map -1..1 values with "
            r"\(x \+ 1\) / 2",
        ),
    ],
)
def test_save_grid_refuses_images_it_would_draw_wrong(images, message, tiny_mnist, tmp_path):
    with pytest.raises(ganzoo.GanzooError, match=message):
        tiny_mnist.save_grid(images, tmp_path / "g.png")
    assert not (tmp_path / "g.png").exists()
    tiny_mnist.save_grid(torch.zeros(1, 1, 28, 28, dtype=torch.bool), tmp_path / "g.png")  # bools are 0 / 1


def test_save_grid_clips_floats_that_stray_just_outside_the_unit_range(tiny_mnist, tmp_path):
    """Arithmetic strays a little past 0 and 1 (bilinear resizing, sums): clipped, as torchvision clips."""
    x = torch.rand(2, 1, 28, 28) * 1.2 - 0.1  # in [-0.1, 1.1]
    out = tiny_mnist.save_grid(x, tmp_path / "x.png", nrow=2)
    got = np.asarray(Image.open(out))[2:30, 2:30]
    assert np.array_equal(got, (x[0, 0].clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8))


def test_save_pretrained_refuses_the_current_folder_and_above_and_leaves_nothing(tiny_mnist, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for target in (".", "..", str(work)):
        with pytest.raises(ganzoo.GanzooError, match=r"it is the current folder or one above it"):
            tiny_mnist.save_pretrained(target, overwrite=True)
    assert list(work.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["work"]
    tiny_mnist.save_pretrained("again", overwrite=True)
    tiny_mnist.save_pretrained("again", overwrite=True)  # a named folder is still replaced
    assert sorted(p.name for p in work.iterdir()) == ["again"]


# -- images of odd modes ----------------------------------------------------------------------------------------
def test_images_pil_cannot_convert_are_an_error_naming_them(tiny_mnist, tmp_path, capsys):
    lab = Image.new("LAB", (28, 28), (100, 255, 128))  # its "A" band is a colour axis, not transparency
    with pytest.raises(ganzoo.GanzooError, match=r"cannot read image \(mode LAB\): .*convert it to greyscale or RGB"):
        tiny_mnist.invert(lab, steps=1, starts=1)
    closed = Image.new("L", (28, 28))
    closed.close()
    with pytest.raises(ganzoo.GanzooError, match=r"open it again: a closed PIL image has no pixels"):
        tiny_mnist.invert(closed, steps=1, starts=1)
    lab.save(tmp_path / "lab.tif")
    assert main(["invert", str(tiny_mnist.folder), str(tmp_path / "lab.tif"), "-o", str(tmp_path / "r.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot read image {tmp_path / 'lab.tif'}: ") and err.count("\n") == 1
    assert "save it as a greyscale or RGB PNG" in err


# -- options ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kw, message",
    [
        ({"iters": -1}, r"iters must be an int >= 0, got -1"),
        ({"lr": float("nan")}, r"lr must be a finite number >= 0, got nan"),
        ({"confidence": 2}, r"confidence must be a finite number >= 0 and <= 1, got 2"),
        ({"anchor_mix": -0.5}, r"anchor_mix must be a finite number >= 0 and <= 1, got -0.5"),
        ({"prior_weight": float("inf")}, r"prior_weight must be a finite number >= 0, got inf"),
        ({"centre_top": True}, r"centre_top must be an int >= 1, got True"),
    ],
)
def test_steer_options_are_checked_before_any_work(kw, message, tiny_mnist):
    with pytest.raises(ganzoo.GanzooError, match=message):
        tiny_mnist.steer(tiny_mnist.sample_latent(1, seed=0)[0], 3, **kw)


def test_invert_names_the_option_that_is_wrong(tiny_mnist):
    x = torch.rand(1, 1, 28, 28)
    for kw, message in (
        ({"starts": 0}, r"starts must be an int >= 1, got 0"),
        ({"steps": 0}, r"steps must be an int >= 1, got 0"),
        ({"lr": -1.0}, r"lr must be a finite number >= 0, got -1.0"),
        ({"feature_weight": float("nan")}, r"feature_weight must be a finite number >= 0, got nan"),
        ({"label_weight": -1}, r"label_weight must be a finite number >= 0 \(0 turns it off\), got -1"),
        ({"select_weight": True}, r"select_weight must be a finite number >= 0 \(0 turns it off\), got True"),
    ):
        with pytest.raises(ganzoo.GanzooError, match=message):
            tiny_mnist.invert(x, **kw)


def test_numpy_and_tensor_ints_name_a_class_as_ints_do(tiny_mnist):
    from ganzoo.control import _class_index

    for toward in (np.int64(7), torch.tensor(7), 7, "7"):
        assert _class_index(tiny_mnist, toward) == 7
    for toward in (torch.tensor(7.0), np.bool_(True), torch.tensor([7])):
        with pytest.raises(ganzoo.LabelError, match=r"toward must be a class of mnist"):
            _class_index(tiny_mnist, toward)


def test_slerp_from_a_zero_latent_is_the_straight_line(tiny_mnist):
    z = tiny_mnist.sample_latent(1, seed=0)[0]
    for z0, z1 in ((torch.zeros_like(z), torch.zeros_like(z)), (torch.zeros_like(z), z), (z, torch.zeros_like(z))):
        path = tiny_mnist.interpolate(z0, z1, 5)  # no direction to follow on the circle: was NaN
        torch.testing.assert_close(path, tiny_mnist.interpolate(z0, z1, 5, method="lerp"))
    path = tiny_mnist.interpolate(z, -z, 5)  # opposite latents: no single great circle; finite, from z to -z
    assert (
        torch.isfinite(path).all() and torch.allclose(path[0], z, atol=1e-5) and torch.allclose(path[-1], -z, atol=1e-5)
    )


def test_cli_options_that_were_tracebacks_or_odd_messages(tmp_path, capsys):
    cgan = make_tiny_folder(tmp_path / "c", "cgan", dataset="mnist")
    dcgan = make_tiny_folder(tmp_path / "d", "dcgan", dataset="mnist")
    out = str(tmp_path / "x.png")
    np.save(tmp_path / "big.npy", np.full((1, 8), 1e300))
    (tmp_path / "short.npy").write_bytes((tmp_path / "big.npy").read_bytes()[:140])
    for argv, message in (
        (["directions", str(dcgan), "--distance", "1e39"], "--distance must be at most 100 (farther along a unit"),
        (["directions", str(cgan), "--labels", "1,2"], "--labels 1,2: directions holds one label for the whole grid"),
        (["steer", str(dcgan), "--toward", ""], "--toward '' names no class; give an int or a class name"),
        (["steer", str(dcgan), "--toward", "7", "--latents", str(tmp_path / "big.npy")], "z holds 8 NaN, infinite"),
        (
            ["steer", str(dcgan), "--toward", "7", "--latents", str(tmp_path / "short.npy")],
            f"cannot read --latents {tmp_path / 'short.npy'} as a .npy array: mmap length is greater than file size",
        ),
    ):
        assert main([*argv, "-o", out]) == 2, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and err.startswith("error: "), err  # no warning lines either
    assert not os.path.exists(out)


def test_cli_warnings_are_one_line(tmp_path, capsys):
    import warnings

    from ganzoo import cli

    def warn_and_list(a):
        warnings.warn("something odd\nwith a second line", UserWarning, stacklevel=1)

    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(cli.__dict__, "cmd_list", warn_and_list)
        mp.setattr("sys.argv", ["ganzoo", "list"])  # as the `ganzoo` command calls it: main()
        assert main() == 0
    assert capsys.readouterr().err == "warning: something odd\\nwith a second line\n"
    with pytest.MonkeyPatch.context() as mp, pytest.warns(UserWarning, match="something odd"):
        mp.setitem(cli.__dict__, "cmd_list", warn_and_list)
        assert main(["list"]) == 0  # in-process: the caller's warning filters and recorders still see it


def test_a_model_file_that_is_not_a_regular_file_is_named_as_such(tmp_path):
    f = make_tiny_folder(tmp_path / "m", "dcgan")
    (f / "config.json").unlink()
    (f / "config.json").mkdir()
    with pytest.raises(ganzoo.ModelFolderError, match=r"config.json is a folder, not the file a model folder needs"):
        ganzoo.load(f)
    g = make_tiny_folder(tmp_path / "n", "dcgan")
    (g / "model.safetensors").unlink()
    (g / "model.safetensors").symlink_to("model.safetensors")  # a link to itself
    with pytest.raises(ganzoo.ModelFolderError, match=r"model.safetensors is a broken or looping symbolic link"):
        ganzoo.load(g)


def test_seeds_are_ascii_digits_and_an_empty_name_loads_nothing(tiny_mnist, tmp_path, monkeypatch, capsys):
    for seed in ("０", "1_000", "3.0", "٣"):
        assert main(["sample", str(tiny_mnist.folder), "--seed", seed, "-o", str(tmp_path / "x.png")]) == 2
        assert f"seed must be an int written in digits 0-9, got {seed!r}" in capsys.readouterr().err
    assert main(["sample", str(tiny_mnist.folder), "--seed", " 7 ", "-o", str(tmp_path / "x.png")]) == 0
    monkeypatch.chdir(tiny_mnist.folder)  # a model folder: "" must not load it as "."
    for name in ("", "  "):
        with pytest.raises(ganzoo.GanzooError, match=r"the model name is empty"):
            ganzoo.load(name)


def test_every_int_option_is_ascii_digits(tiny_mnist, tmp_path, capsys):
    """int() reads '٣' as 3 and '1_000' as 1000: every int option takes ASCII digits only, as --seed does."""
    folder = str(tiny_mnist.folder)
    for argv, flag in (
        (["sample", folder, "-n", "\u0663"], "-n"),
        (["sample", folder, "--nrow", "1_0"], "--nrow"),
        (["sample", folder, "--resolution", "\uff17"], "--resolution"),
        (["mix", folder, "--rows", "0", "--cols", "1", "--crossover", "\u0661"], "--crossover"),
        (["export", folder, "--opset", "1_8"], "--opset"),
        (["directions", folder, "-k", "\u0663"], "-k"),
    ):
        assert main([*argv, "-o", str(tmp_path / "x.png")]) == 2, argv
        err = capsys.readouterr().err
        assert f"{flag} must be an int written in digits 0-9, got {argv[-1]!r}" in err and err.count("\n") == 1, err
    assert not list(tmp_path.iterdir())


def test_training_overrides_are_ascii_numbers():
    from ganzoo.errors import TrainingError
    from training.recipes import apply_overrides, get_recipe

    for item, what in (
        ("--steps=1_000", "an integer"),
        ("--lr_g=\u0661e-4", "a number"),
        ("--model.g_width=\uff18", "an integer"),
    ):
        with pytest.raises(TrainingError, match=f"expected {what} in ASCII digits, got '{item.partition('=')[2]}'"):
            apply_overrides(get_recipe("dcgan-mnist"), [item])
    assert apply_overrides(get_recipe("dcgan-mnist"), ["--steps=1000", "--lr_g=1e-4"]).steps == 1000


def test_an_image_file_of_several_frames_is_refused(tiny_mnist, tmp_path, capsys):
    frames = [Image.new("L", (28, 28), v) for v in (0, 255)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    assert main(["invert", str(tiny_mnist.folder), str(tmp_path / "a.gif"), "-o", str(tmp_path / "r.png")]) == 2
    assert "a.gif holds 2 frames; save the one you mean as a single image" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_every_atomic_writer_refuses_a_pipe(tmp_path):
    from ganzoo.fileio import atomic_write_text

    os.mkfifo(tmp_path / "p.json")
    with pytest.raises(ganzoo.GanzooError, match=r"p.json: it is not a regular file \(a pipe"):
        atomic_write_text(tmp_path / "p.json", "{}")  # opening a pipe to write would block; replacing it loses it
    assert not (tmp_path / "p.json").is_file() and [p.name for p in tmp_path.iterdir()] == ["p.json"]


def test_more_names_and_options_that_loaded_the_wrong_thing_or_crashed(tiny_mnist, tmp_path, monkeypatch, capsys):
    from ganzoo.control import class_directions
    from ganzoo.publish import source_folder

    monkeypatch.chdir(tiny_mnist.folder)
    with pytest.raises(ganzoo.GanzooError, match=r"the model name is empty"):
        source_folder("")  # published the current folder before
    frames = [Image.new("L", (28, 28), v) for v in (0, 255)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    with pytest.raises(ganzoo.GanzooError, match=r"image holds 2 frames; pass the one you mean"):
        tiny_mnist.invert(Image.open(tmp_path / "a.gif"), steps=1, starts=1)
    with pytest.raises(ganzoo.GanzooError, match=r"batch must be an int >= 1, got 0"):
        class_directions(tiny_mnist, n=10, batch=0)
    with pytest.raises(ganzoo.GanzooError, match=r"views must be True or False, got 'yes'"):
        tiny_mnist.steer(tiny_mnist.sample_latent(1, seed=0)[0], 3, views="yes")
    assert main(["sample", str(tiny_mnist.folder), "--seed", "9" * 40, "-o", str(tmp_path / "x.png")]) == 2
    assert "seed must be in [0, 2**64), got 999999999999... (40 digits)" in capsys.readouterr().err
    assert main(["sample", str(tiny_mnist.folder), "-n", "1", "--seed", "+7", "-o", str(tmp_path / "x.png")]) == 0

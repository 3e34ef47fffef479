"""Hostile or damaged input (labels, class names, eval JSON, images, folders to publish) ends in a GanzooError or
one escaped `error:` line with exit code 2: never a traceback, never raw text on the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import ganzoo
from ganzoo.cli import main as cli
from ganzoo.errors import escaped
from ganzoo.runtime import int_label, label_indices

from .conftest import FASHION, make_tiny_folder

HOSTILE_NAMES = ["\x1b[2J\x1b[31mT-shirt", "Trouser\nerror: forged line", "\u202eBag", *FASHION[3:]]


def run_cli(capsys, *argv) -> tuple[int, str]:
    code = cli([str(a) for a in argv])
    return code, capsys.readouterr().err


def assert_one_clean_error_line(code: int, err: str) -> None:
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert all(c.isprintable() for c in err[:-1]), err  # no escape sequence, no control character


# -- unicode digits are class names, never ints ----------------------------------------------------------------
@pytest.mark.parametrize(
    "text, value",
    [
        ("7", 7),
        (" 7 ", 7),
        ("-1", -1),
        ("007", 7),
        ("³", None),
        ("٣", None),
        ("７", None),
        ("3.0", None),
        ("", None),
        ("-", None),
        ("Sneaker", None),
    ],
)
def test_int_label_reads_ascii_digits_only(text, value):
    assert int_label(text) == value


@pytest.mark.parametrize("label", ["³", "٣", "７", "1²"])
def test_unicode_digits_are_unknown_class_names(label, tmp_path):
    with pytest.raises(ganzoo.LabelError, match=rf"unknown class name {label!r}\..*Valid: T-shirt/top"):
        label_indices(label, 2, FASHION)
    with pytest.raises(ganzoo.LabelError, match=r"\(5000 digits\) is not a class index"):
        label_indices("9" * 5000, 1, FASHION)  # int() itself refuses over 4300 digits


def test_unicode_digits_on_the_command_line(tmp_path, capsys):
    f = make_tiny_folder(tmp_path / "m", "cgan")
    code, err = run_cli(capsys, "sample", f, "-n", "2", "--labels", "³", "-o", tmp_path / "x.png")
    assert_one_clean_error_line(code, err)
    assert "unknown class name '³'" in err and not (tmp_path / "x.png").exists()
    code, err = run_cli(capsys, "sample", f, "-n", "2", "--labels", "7,Bag", "-o", tmp_path / "x.png")
    assert code == 0
    m = ganzoo.load(make_tiny_folder(tmp_path / "d", "dcgan"))
    with pytest.raises(ganzoo.LabelError, match=r"toward must be a class of fashion-mnist.*got '³'"):
        m.steer(m.sample_latent(1)[0], "³")
    code, err = run_cli(capsys, "steer", tmp_path / "d", "--toward", "٣", "-o", tmp_path / "s.png")
    assert_one_clean_error_line(code, err)
    assert "got '٣'" in err


# -- untrusted strings are escaped wherever an error quotes them ------------------------------------------------
def test_escaped_keeps_printable_text_and_escapes_the_rest():
    assert escaped("T-shirt/top é ³") == "T-shirt/top é ³"
    assert escaped("a\x1b[31mb\nerror: x\u202e\x00\udcff") == r"a\x1b[31mb\nerror: x\u202e\x00\udcff"


def test_class_names_are_escaped_in_label_errors():
    for labels, msg in (("Bga", "unknown class name"), (12, "out of range")):
        with pytest.raises(ganzoo.LabelError, match=msg) as e:
            label_indices(labels, 2, HOSTILE_NAMES)
        text = str(e.value)
        assert all(c.isprintable() for c in text), text
        assert r"\x1b[2J\x1b[31mT-shirt, Trouser\nerror: forged line, \u202eBag" in text
    with pytest.raises(ganzoo.LabelError, match=r"Did you mean: \\u202eBag\?"):
        label_indices("\u202eBga", 2, HOSTILE_NAMES)


def test_class_names_from_a_config_never_reach_the_terminal_raw(tmp_path, capsys):
    f = make_tiny_folder(tmp_path / "m", "cgan")
    conf = json.loads((f / "config.json").read_text())
    conf["class_names"] = HOSTILE_NAMES
    (f / "config.json").write_text(json.dumps(conf))
    code, err = run_cli(capsys, "sample", f, "-n", "2", "--labels", "Bga", "-o", tmp_path / "x.png")
    assert_one_clean_error_line(code, err)  # refused at load or at the label: either way escaped, one line
    assert "\\x1b[" in err


def test_onnx_metadata_class_names_are_escaped(tiny_onnx):
    from ganzoo.runtime import OnnxGenerator

    gen = OnnxGenerator(tiny_onnx("cgan")[1])
    gen.class_names = HOSTILE_NAMES  # as read from a hostile file's metadata
    with pytest.raises(ganzoo.LabelError) as e:
        gen.sample(2, labels="nope")
    assert all(c.isprintable() for c in str(e.value)) and r"\nerror: forged" in str(e.value)
    assert gen.sample(2, labels=np.array([0, 1])).shape == (2, 1, 28, 28)


# -- eval and run JSON files: every damage is a clear error naming the file -----------------------------------------
DAMAGED_JSON = [
    (b"{", "is not valid JSON"),
    (b"\xff\xfe{}", "is not UTF-8 text"),
    (b"[" * 100_000, "is not valid JSON"),  # deeper than the parser's stack
    (b'{"metrics": {"fd": ' + b"1" * 5000 + b"}}", "is not valid JSON"),  # over int()'s digit limit
    (b"[]", "must hold a JSON object, got list"),
    (b'{"metrics": [1, 2]}', "metrics must be an object of metric values, got [1, 2]"),
    (b'{"metrics": {"fd": "12"}}', "metrics['fd'] must be a finite number or a list of them, got '12'"),
    (b'{"metrics": {"fd": NaN}}', "metrics['fd'] must be a finite number"),
    (b'{"metrics": {"fd": [1, "x"]}}', "metrics['fd'] must be a finite number or a list of them"),
    (b'{"metrics": {"fd": true}}', "metrics['fd'] must be a finite number or a list of them, got True"),
    (b'{"metrics": {"share": [0.5, 0.5]}}', "metrics must be an object holding at least one number"),
]


@pytest.mark.parametrize("data, message", DAMAGED_JSON)
def test_damaged_eval_json_for_publish(data, message, tmp_path, capsys):
    from .test_hub import _card, _run_folder

    run, card = _run_folder(tmp_path), _card(tmp_path / "card.md", 12.5)
    ev = tmp_path / "eval.json"
    ev.write_bytes(data)
    code, err = run_cli(capsys, "publish", run, "--repo-id", "me/x", "--card", card, "--eval-json", ev, "--dry-run")
    assert_one_clean_error_line(code, err)
    assert f"{ev}" in err and message in err


def test_eval_json_for_publish_missing_or_a_folder(tmp_path):
    from ganzoo.publish import publish

    from .test_hub import _card, _run_folder

    run, card = _run_folder(tmp_path), _card(tmp_path / "card.md", 12.5)
    with pytest.raises(ganzoo.GanzooError, match=r"eval JSON .*nope.json not found"):
        publish(str(run), "me/x", card=str(card), eval_json=str(tmp_path / "nope.json"), dry_run=True)
    with pytest.raises(ganzoo.GanzooError, match=r"cannot read eval JSON .*: Is a directory"):
        publish(str(run), "me/x", card=str(card), eval_json=str(tmp_path), dry_run=True)


@pytest.mark.parametrize(
    "data, message",
    [
        *DAMAGED_JSON[:3],
        (
            b'{"metrics": {"fd": 1.0}, "protocol": {}}',
            "metrics['class_share'] must be a list of class shares, got None",
        ),
        (b'{"metrics": {"fd": 1.0, "class_share": [0.1]}}', "protocol must be an object, got None"),
        (
            b'{"metrics": {"fd": 1.0, "class_share": [0.1]}, "protocol": {"n_generated": "many"}}',
            "protocol['n_generated'] must be an int, got 'many'",
        ),
    ],
)
def test_damaged_eval_json_for_card(data, message, tmp_path, capsys):
    ev = tmp_path / "eval.json"
    ev.write_bytes(data)
    code, err = run_cli(capsys, "card", "dcgan-mnist", "--eval-json", ev, "-o", tmp_path / "card.md")
    assert_one_clean_error_line(code, err)
    assert message in err and not (tmp_path / "card.md").exists()


def test_card_output_folder_and_run_json(tmp_path, capsys):
    from ganzoo.cards import card_paths, write_card

    code, err = run_cli(capsys, "card", "dcgan-mnist", "-o", tmp_path / "missing" / "card.md")
    assert_one_clean_error_line(code, err)
    assert f"folder {tmp_path / 'missing'} does not exist" in err
    with pytest.raises(ganzoo.GanzooError, match=r"folder .*missing does not exist"):
        write_card("dcgan-mnist", out=tmp_path / "missing" / "card.md")
    code, err = run_cli(capsys, "card", "dcgan-mnist", "-o", tmp_path / "card.txt")
    assert code == 2 and "a model card needs a file name ending in .md" in err
    rj = tmp_path / "run.json"
    rj.write_text('{"wall_seconds": "an hour"}')
    code, err = run_cli(capsys, "card", "dcgan-mnist", "--run-json", rj, "-o", tmp_path / "card.md")
    assert_one_clean_error_line(code, err)
    assert "wall_seconds must be a number, got 'an hour'" in err and not (tmp_path / "card.md").exists()
    assert run_cli(capsys, "card", "dcgan-mnist", "-o", tmp_path / "card.md")[0] == 0  # the real files still work
    assert (tmp_path / "card.md").read_text() == card_paths("dcgan-mnist")["card"].read_text()


# -- images for invert: no decompression bomb, every bit depth read faithfully -------------------------------------
def png_declaring(width: int, height: int, rows: bytes = b"\0" * 1000) -> bytes:
    """A small PNG whose header declares width x height 8-bit grey pixels (its data holds `rows` only)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return ganzoo.load(make_tiny_folder(tmp_path_factory.mktemp("inv") / "m", "dcgan"))


@pytest.mark.parametrize(
    "size, message",
    [
        ((100_000, 100_000), "declares more pixels than an image can sensibly have"),  # PIL's DecompressionBombError
        ((10_000, 10_000), "declares more pixels than an image can sensibly have"),  # PIL's warning, an error here
        ((5_000, 5_000), "size 5000x5000 does not match the model's 28x28"),
    ],
)
def test_decompression_bomb_is_refused_before_decoding(size, message, tmp_path, tiny_model, monkeypatch, capsys):
    from PIL import ImageFile

    from ganzoo.control import open_image

    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_declaring(*size))
    assert bomb.stat().st_size < 100
    loads = []
    real_load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda im: loads.append(im.size) or real_load(im))
    with pytest.raises(ganzoo.GanzooError, match=message):
        open_image(bomb, tiny_model)
    assert loads == []  # not a pixel decoded
    code, err = run_cli(capsys, "invert", tiny_model.folder, bomb, "-o", tmp_path / "r.png")
    assert_one_clean_error_line(code, err)
    assert message in err and not (tmp_path / "r.png").exists()


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "cannot read image"),
        (b"GIF89a", "cannot read image"),
        (png_declaring(28, 28)[:40], "cannot read image"),
        (png_declaring(28, 28, b"\0" * 100), "image file is truncated"),
    ],
)
def test_damaged_images_are_one_error(data, message, tmp_path, tiny_model):
    from ganzoo.control import open_image

    (tmp_path / "x.png").write_bytes(data)
    with pytest.raises(ganzoo.GanzooError, match=message):
        open_image(tmp_path / "x.png", tiny_model)


def gradient(top: int) -> np.ndarray:
    return (np.arange(28 * 28).reshape(28, 28) * (top / (28 * 28 - 1))).round()


def test_16_bit_and_float_images_keep_their_grey_levels(tmp_path, tiny_model, capsys):
    from PIL import Image

    from ganzoo.control import open_image, to_image_tensor

    g16 = gradient(65535).astype(np.uint16)
    Image.fromarray(g16).save(tmp_path / "g16.png")
    gf = (gradient(65535) / 65535).astype(np.float32)
    Image.fromarray(gf).save(tmp_path / "gf.tif")
    gi = gradient(65535).astype(np.int32)
    Image.fromarray(gi).save(tmp_path / "gi.tif")  # mode I: how Pillow < 10 opened a 16-bit PNG
    ims = [open_image(tmp_path / f, tiny_model) for f in ("g16.png", "gf.tif", "gi.tif")]
    assert [im.mode for im in ims] == ["I;16", "F", "I"]
    x = to_image_tensor(tiny_model, ims).numpy()
    want = (g16 / 65535).astype(np.float32)
    for a in x:
        assert np.allclose(a[0], want, atol=1e-7)
    assert len(np.unique(x[0])) == 28 * 28  # every grey level kept (convert("L") left 2 of them)
    Image.fromarray(gf * 2).save(tmp_path / "bright.tif")
    with pytest.raises(ganzoo.GanzooError, match=r"a mode-F image must hold values in 0\.\.1, got 0\.\.2"):
        to_image_tensor(tiny_model, [open_image(tmp_path / "bright.tif", tiny_model)])
    Image.fromarray(gi * 2).save(tmp_path / "wide.tif")
    with pytest.raises(ganzoo.GanzooError, match=r"a mode-I image must hold values in 0\.\.65535, got 0\.\.131070"):
        to_image_tensor(tiny_model, [open_image(tmp_path / "wide.tif", tiny_model)])
    # through the command line: the grid's top row holds the originals, 8-bit rounded from the 16-bit levels
    hostile = tmp_path / "g\x1b[2J16.png"  # a file name is untrusted text too
    hostile.write_bytes((tmp_path / "g16.png").read_bytes())
    assert cli(["invert", str(tiny_model.folder), str(hostile), "--steps", "1", "-o", str(tmp_path / "r.png")]) == 0
    out = capsys.readouterr().out
    assert "g\\x1b[2J16.png: reconstruction MSE" in out and "\x1b" not in out
    top = np.asarray(Image.open(tmp_path / "r.png"))[2:30, 2:30]
    assert np.array_equal(top, (want * 255 + 0.5).astype(np.uint8))


# -- publish uploads only regular files inside the folder -----------------------------------------------------------
def test_publish_never_follows_links_out_of_the_folder(tmp_path, monkeypatch, capsys):
    import os
    from unittest import mock

    from ganzoo.publish import publish

    from .test_hub import _run_folder, mock_hub

    run = _run_folder(tmp_path)
    model = run / "model"
    secret = tmp_path / "id_ed25519"
    secret.write_text("PRIVATE KEY")
    (model / "samples.png").unlink()
    (model / "samples.png").symlink_to(secret)
    (model / "README.md").symlink_to(secret)
    os.mkfifo(model / "curves.png")  # opening it for reading would block forever
    api, _ = mock_hub(monkeypatch, "3")
    uploaded = {}
    real_upload = api.upload_folder.side_effect

    def upload_folder(**kw):
        uploaded.update({p.name: p.read_bytes() for p in Path(kw["folder_path"]).iterdir()})
        return real_upload(**kw)

    api.upload_folder.side_effect = upload_folder
    with mock.patch("huggingface_hub.HfApi", return_value=api):
        rep = publish(str(run), "me/tiny")
    assert sorted(uploaded) == ["config.json", "discriminator.safetensors", "model.safetensors"]
    assert not any(b"PRIVATE KEY" in data for data in uploaded.values())
    assert rep["refused"] == {
        str(model / "samples.png"): f"a symbolic link to {secret}",
        str(model / "README.md"): f"a symbolic link to {secret}",
        str(model / "curves.png"): "not a regular file",
    }
    out = capsys.readouterr().out
    assert (
        f"  not uploaded: {model / 'samples.png'} (a symbolic link to {secret}; publish uploads only regular "
        "files inside the folder)" in out
    )


def test_publish_refuses_linked_weights(tmp_path, capsys):
    from ganzoo.publish import publish

    from .test_hub import _run_folder

    run = _run_folder(tmp_path)
    weights = run / "model" / "model.safetensors"
    weights.rename(tmp_path / "elsewhere.safetensors")
    weights.symlink_to(tmp_path / "elsewhere.safetensors")
    with pytest.raises(
        ganzoo.ModelFolderError,
        match=r"model.safetensors is a symbolic link to .*elsewhere.safetensors: "
        r"publish uploads only regular files inside the model folder",
    ):
        publish(str(run), "me/tiny", dry_run=True)
    code, err = run_cli(capsys, "publish", run, "--repo-id", "me/tiny", "--dry-run")
    assert_one_clean_error_line(code, err)

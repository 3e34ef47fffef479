"""Hostile or damaged input (labels, class names, eval JSON, images, folders to publish) ends in a GanzooError or
one escaped `error:` line with exit code 2: never a traceback, never raw text on the terminal."""
from __future__ import annotations

import json

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
@pytest.mark.parametrize("text, value", [("7", 7), (" 7 ", 7), ("-1", -1), ("007", 7), ("³", None), ("٣", None),
                                         ("７", None), ("3.0", None), ("", None), ("-", None), ("Sneaker", None)])
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


def test_onnx_metadata_class_names_are_escaped(tmp_path):
    from ganzoo.runtime import OnnxGenerator

    m = ganzoo.load(make_tiny_folder(tmp_path / "m", "cgan"))
    gen = OnnxGenerator(m.export_onnx(tmp_path / "c.onnx", check=False))
    gen.class_names = HOSTILE_NAMES  # as read from a hostile file's metadata
    with pytest.raises(ganzoo.LabelError) as e:
        gen.sample(2, labels="nope")
    assert all(c.isprintable() for c in str(e.value)) and r"\nerror: forged" in str(e.value)
    assert gen.sample(2, labels=np.array([0, 1])).shape == (2, 1, 28, 28)

"""Property-based tests: generated hostile config.json files, safetensors headers and command lines.

Whatever they hold, `ganzoo.load` gives a model that samples finite images in [0, 1] or raises a
GanzooError, and the CLI exits 0 or prints one `error:` line with exit 2; nothing else escapes, and no
file appears except the output asked for. The quick runs draw 60 examples each; `-m slow` draws more.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import os
import re
import shutil
import struct
import tempfile
from pathlib import Path

import pytest
import torch

import ganzoo
from ganzoo.cli import main

from .conftest import make_tiny_folder

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

QUICK = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
THOROUGH = settings(QUICK, max_examples=1500)
ARCHS = ("gan", "dcgan", "cgan")


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """A pristine tiny folder per architecture (never modified: examples work on copies)."""
    root = tmp_path_factory.mktemp("pristine")
    return {a: make_tiny_folder(root / a, a) for a in ARCHS}


@pytest.fixture
def offline_hub(monkeypatch, tmp_path):
    """Hub ids resolve against an empty local cache, never the network."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))


@pytest.fixture
def small_memory(monkeypatch):
    """Pretend 256 MB are free, so a generated huge -n is refused instead of run."""
    from ganzoo import runtime

    monkeypatch.setattr(runtime, "available_memory", lambda: 256 * 2**20)


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def outcome(e: Exception) -> str:
    """The kind of refusal, for `--hypothesis-show-statistics`: the message without paths and values."""
    text = re.sub(r"\S*/\S*|\(.*", "", str(e))  # paths, and the details in parentheses
    return f"{type(e).__name__}: {' '.join(text.split()[:4])}"


def samples_or_refuses(m) -> None:
    """Images in [0, 1] of the shape config.json declares, or a GanzooError (NaN from absurd weights)."""
    try:
        x = m.sample(2, seed=0)
    except ganzoo.GanzooError as e:
        event(f"sample: {outcome(e)}")
        return
    assert tuple(x.shape) == (2, *m.image_shape) and bool(torch.isfinite(x).all())
    assert 0 <= float(x.min()) and float(x.max()) <= 1


def loads_or_refuses(folder: Path) -> None:
    """The property: a GanzooError, or a model that samples what its config.json says; no file written."""
    before = files_under(folder)
    try:
        m = ganzoo.load(folder)
    except ganzoo.GanzooError as e:
        event(outcome(e))
    else:
        event("loaded")
        samples_or_refuses(m)
    assert files_under(folder) == before


# -- config.json ---------------------------------------------------------------------------------------------
leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(
        [
            0,
            1,
            -1,
            8,
            28,
            2**20,
            2**20 + 1,
            2**31,
            2**63,
            10**30,
            8.0,
            1e300,
            "8",
            "dcgan",
            "gan",
            "cgan",
            "\x1b[2J",
            [8],
            [1, 28, 28],
            [-1.0, 1.0],
            {},
            [],
        ]
    )
)
json_values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def mutated_config(data, conf: dict) -> dict:
    """conf with 1 to 4 edits: a value replaced by a generated one, a key removed or a key added."""
    conf = copy.deepcopy(conf)
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        inner = data.draw(st.booleans(), label="in config") and isinstance(conf.get("config"), dict)
        target = conf["config"] if inner else conf
        key = data.draw(
            st.sampled_from(sorted(target) + ["num_classes", "extra", "latent_dim"]) | st.text(max_size=6), label="key"
        )
        if data.draw(st.booleans(), label="delete"):
            target.pop(key, None)
        else:
            target[key] = data.draw(json_values, label="value")
    return conf


def hostile_bytes(data, conf: dict) -> bytes:
    kind = data.draw(st.sampled_from(["mutated", "json", "raw", "nested", "truncated"]), label="kind")
    if kind == "mutated":
        return json.dumps(mutated_config(data, conf)).encode()
    if kind == "json":
        return json.dumps(data.draw(json_values, label="document")).encode()
    if kind == "raw":
        return data.draw(st.binary(max_size=200), label="bytes")
    if kind == "nested":
        depth = data.draw(st.integers(1, 100_000), label="depth")
        opener, closer = data.draw(st.sampled_from([("[", "]"), ('{"config": ', "}")]), label="brackets")
        return (opener * depth + "0" + closer * depth).encode()
    text = json.dumps(conf).encode()
    return text[: data.draw(st.integers(0, len(text)), label="cut")]


def check_config(data, models, tmp: Path) -> None:
    arch = data.draw(st.sampled_from(ARCHS), label="architecture")
    folder = tmp / "m"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(models[arch], folder)
    conf = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_bytes(hostile_bytes(data, conf))
    loads_or_refuses(folder)


@QUICK
@given(data=st.data())
def test_hostile_config_json(data, models, tmp_path):
    check_config(data, models, tmp_path)


@pytest.mark.slow
@THOROUGH
@given(data=st.data())
def test_hostile_config_json_thorough(data, models, tmp_path):
    check_config(data, models, tmp_path)


# -- safetensors headers ---------------------------------------------------------------------------------------
DTYPES = ["F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL", "F8_E4M3", "", "f32", "X", 3, None]
dims = st.integers(-2, 40) | st.sampled_from([0, 2**31, 2**63 - 1, 2**64, -(2**63)])


def hostile_safetensors(data, original: bytes) -> bytes:
    n = struct.unpack("<Q", original[:8])[0]
    header, body = json.loads(original[8 : 8 + n]), original[8 + n :]
    names = sorted(k for k in header if k != "__metadata__")
    body = bytearray(body)
    # half the files stay well-formed (so the name, shape, dtype and value checks are reached), half not
    well_formed = data.draw(st.booleans(), label="well-formed")
    edits = ["retype", "reshape", "rename", "poison"] + (
        [] if well_formed else ["dtype", "shape", "offsets", "drop", "add", "metadata", "entry"]
    )
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        edit = data.draw(st.sampled_from(edits), label="edit")
        name = data.draw(st.sampled_from(names), label="tensor")
        entry = header.get(name)
        if edit == "retype" and isinstance(entry, dict):  # same bytes, another 4- or 8-byte type
            entry["dtype"] = data.draw(
                st.sampled_from({"F32": ["I32", "U32"], "I64": ["F64", "U64"]}.get(entry.get("dtype"), ["F32"])),
                label="dtype",
            )
        elif edit == "reshape" and isinstance(entry, dict) and isinstance(entry.get("shape"), list):
            entry["shape"] = data.draw(
                st.sampled_from([entry["shape"][::-1], [math.prod(entry["shape"])]]), label="shape"
            )
        elif edit == "rename" and name in header:
            other = data.draw(st.sampled_from(names), label="other")
            header[name], header[other] = header.get(other), header[name]
            header = {k: v for k, v in header.items() if v is not None}
        elif edit == "poison" and len(body) >= 4:  # a value: NaN, inf, a huge float or any 4 bytes
            at = data.draw(st.integers(0, len(body) // 4 - 1), label="at") * 4
            body[at : at + 4] = data.draw(
                st.sampled_from([struct.pack("<f", v) for v in (math.nan, math.inf, -math.inf, 3e38, -3e38, 1e-45)])
                | st.binary(min_size=4, max_size=4),
                label="value",
            )
        elif edit == "drop":
            header.pop(name, None)
        elif edit == "add":
            header[data.draw(st.text(max_size=10), label="new name")] = copy.deepcopy(entry or {})
        elif edit == "metadata":
            header["__metadata__"] = data.draw(json_values, label="metadata")
        elif edit == "entry":
            header[name] = data.draw(json_values, label="entry")
        elif isinstance(entry, dict):
            if edit == "dtype":
                entry["dtype"] = data.draw(st.sampled_from(DTYPES), label="dtype")
            elif edit == "shape":
                entry["shape"] = data.draw(st.lists(dims, max_size=5), label="shape")
            else:
                entry["data_offsets"] = data.draw(
                    st.lists(dims | st.integers(0, len(body)), min_size=0, max_size=3), label="offsets"
                )
    text = json.dumps(header).encode()
    size = (
        "right" if well_formed else data.draw(st.sampled_from(["right", "right", "zero", "huge", "off"]), label="size")
    )
    n = {"right": len(text), "zero": 0, "huge": 2**64 - 1}.get(size) or max(
        0, len(text) + data.draw(st.integers(-20, 20), label="off by")
    )
    cut = None if well_formed else data.draw(st.none() | st.integers(0, len(body)), label="body cut")
    return struct.pack("<Q", n) + text + bytes(body if cut is None else body[:cut])


def check_safetensors(data, models, tmp: Path) -> None:
    arch = data.draw(st.sampled_from(ARCHS), label="architecture")
    folder = tmp / "m"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(models[arch], folder)
    file = folder / data.draw(st.sampled_from(["model.safetensors", "discriminator.safetensors"]), label="file")
    file.write_bytes(hostile_safetensors(data, file.read_bytes()))
    before = files_under(folder)
    for disc in (False, True):
        try:
            m = ganzoo.load(folder, discriminator=disc)
        except ganzoo.GanzooError as e:
            event(outcome(e))
            continue
        event("loaded")
        samples_or_refuses(m)
    assert files_under(folder) == before


@pytest.mark.slow  # seconds of work: the full suite (the README's test command) runs it, `-m "not slow"` skips it
@QUICK
@given(data=st.data())
def test_hostile_safetensors_headers(data, models, tmp_path):
    check_safetensors(data, models, tmp_path)


@pytest.mark.slow
@THOROUGH
@given(data=st.data())
def test_hostile_safetensors_headers_thorough(data, models, tmp_path):
    check_safetensors(data, models, tmp_path)


# -- command lines ---------------------------------------------------------------------------------------------
TEXT = st.text(max_size=12)


def values(good: list[str], bad: list[str]):
    """Mostly well-formed values (so later checks are reached), some hostile ones, some any text."""
    return st.sampled_from(good) | st.sampled_from(good) | st.sampled_from(bad) | TEXT


VALUES = {
    "-n": values(["1", "3", "16"], ["0", "-1", "1e9", "99999999999999999999", "2**70", "³", "٣", " 2", "0x10"]),
    "--seed": values(["0", "7", "18446744073709551615"], ["-1", "18446744073709551616", "2**70", "1.5", "³"]),
    "--labels": values(
        ["3", "Sneaker", "3,3,7", "0,1,2"], ["-1", "10", "³", "٣", ",", "\x1b[31m", "1.5", "a\nerror: x"]
    ),
    "--truncation": values(["0.7", "2"], ["0", "-1", "nan", "inf", "1e-300", "1e309"]),
    "--nrow": values(["1", "3"], ["0", "99999999999999999999"]),
    "--device": values(["cpu"], ["cuda", "cuda:99", "mps", "meta", "xla", "", "cpu:0", "cpu:-1"]),
    "--revision": values(["main"], ["../../x", "a\x1b", ""]),
    "-o": st.sampled_from(
        ["out.png", "sub/out.png", "missing/out.png", "out.txt", "out", ".", "out.PNG", "x.jpg", "sub", "-o"]
    ),
    "--all": st.just(None),
}
FLAGS = {
    "sample": ["-n", "--seed", "--labels", "--truncation", "--nrow", "--device", "--revision", "-o"],
    "info": ["--revision"],
    "list": ["--all"],
    "nosuch": [],
    "--nosuch": [],
}


def command_line(data, model: Path) -> list[str]:
    cmd = data.draw(st.sampled_from(["sample", "sample", "sample", "info", "list", "nosuch", "--nosuch"]), label="cmd")
    name = data.draw(
        st.sampled_from([str(model), "./m", "m", "dcgan-mnist", "*-mnist"])
        | st.sampled_from(["dcgan-mnst", "acme/digits", "", "-", "..", "/", "~nosuchuser/x", "a\x00b", "x" * 300])
        | TEXT,
        label="name",
    )
    argv = [cmd, name]
    flags = (
        st.sampled_from(FLAGS[cmd])
        if FLAGS[cmd] and data.draw(st.integers(0, 9), label="any flag")
        else st.sampled_from(sorted(VALUES))
    )
    for flag in data.draw(st.lists(flags, max_size=4), label="flags"):
        value = data.draw(VALUES[flag], label=flag)
        argv += [flag] if value is None else [flag, value]
    return argv


def check_cli(data, models, tmp: Path) -> None:
    arch = data.draw(st.sampled_from(ARCHS), label="architecture")
    sandbox = Path(tempfile.mkdtemp(dir=tmp))
    shutil.copytree(models[arch], sandbox / "m")
    (sandbox / "sub").mkdir()
    argv = command_line(data, sandbox / "m")
    before = files_under(sandbox)
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(sandbox)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(argv)
    except SystemExit as e:  # only -h/--help (argparse prints the usage and exits 0)
        assert e.code == 0 and any(a in ("-h", "--help") for a in argv), (argv, err.getvalue())
        rc = 0
    finally:
        os.chdir(cwd)
    lines = err.getvalue().splitlines()
    if rc == 2:
        errors = [ln for ln in lines if ln.startswith("error: ")]
        event(f"{argv[0][:8]} exit 2: {outcome(Exception(errors[0] if errors else ''))}")
        assert len(errors) == 1 and "Traceback" not in err.getvalue(), (argv, err.getvalue())
        assert not any(c in errors[0] for c in "\x1b\x00\r"), (argv, errors[0])  # untrusted text is escaped
    else:
        assert rc == 0, (argv, rc, err.getvalue())
        event(f"{argv[0]} exit 0")
    after = files_under(sandbox)
    changed = {f for f in after if before.get(f) != after[f]} | (set(before) - set(after))
    allowed = set()
    if rc == 0 and argv[0] == "sample":  # the output path: a value after -o, or the default
        allowed = {os.path.normpath(argv[i + 1]) for i, a in enumerate(argv[:-1]) if a == "-o"} | {"samples.png"}
    assert changed <= allowed, (argv, changed)


@QUICK
@given(data=st.data())
def test_hostile_command_lines(data, models, tmp_path, offline_hub, small_memory):
    check_cli(data, models, tmp_path)


@pytest.mark.slow
@THOROUGH
@given(data=st.data())
def test_hostile_command_lines_thorough(data, models, tmp_path, offline_hub, small_memory):
    check_cli(data, models, tmp_path)

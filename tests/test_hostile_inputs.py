"""The model you asked for, or a clear error: which source a name means, revisions, config.json and
weights that are damaged or hostile, latents beyond float32, stale caches, bad ONNX metadata."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

import ganzoo
from ganzoo import hub
from ganzoo.cli import main
from ganzoo.fast import ToUnitRange

from .conftest import make_tiny_folder


# -- which source a name means ---------------------------------------------------------------------------
@pytest.fixture
def shadowed(tmp_path, monkeypatch):
    """A working folder holding ./acme/digits, and a fake Hub whose acme/digits is another model."""
    monkeypatch.chdir(tmp_path)
    make_tiny_folder(tmp_path / "acme" / "digits", "dcgan", seed=1)
    hub_copy = make_tiny_folder(tmp_path / "hub-cache" / "acme-digits", "gan", seed=2)
    calls = []

    def fake_download(repo_id, **kw):
        calls.append((repo_id, kw["revision"]))
        return hub_copy

    monkeypatch.setattr(hub, "download", fake_download)
    return tmp_path, calls


def test_owner_name_is_always_the_hub_repo_and_the_warning_names_the_folder(shadowed):
    tmp, calls = shadowed
    with pytest.warns(
        UserWarning,
        match=r"'acme/digits' is loaded as a Hugging Face Hub repo id, not the local "
        r"folder .* write './acme/digits' \(or pass a Path\)",
    ):
        m = ganzoo.load("acme/digits")
    assert m.architecture == "gan" and m.source == "hf://acme/digits" and calls == [("acme/digits", None)]
    for explicit in ("./acme/digits", Path("acme/digits"), str(tmp / "acme" / "digits")):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an explicit path is not ambiguous: no warning
            assert ganzoo.load(explicit).architecture == "dcgan"
    assert len(calls) == 1


def test_owner_name_hub_error_says_how_to_load_the_local_folder(shadowed, monkeypatch):
    def offline(repo_id, **kw):
        raise ganzoo.GanzooError(f"cannot load Hub repo {repo_id!r}: HF_HUB_OFFLINE is set")

    monkeypatch.setattr(hub, "download", offline)
    with (
        pytest.warns(UserWarning),
        pytest.raises(
            ganzoo.GanzooError,
            match=r"HF_HUB_OFFLINE is set \(There is a "
            r"local folder 'acme/digits' here: to "
            r"load it, write './acme/digits'",
        ),
    ):
        ganzoo.load("acme/digits")


def test_paths_that_cannot_be_hub_ids_still_load(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_tiny_folder(tmp_path / "runs" / "x" / "model", "gan")
    make_tiny_folder(tmp_path / "mine", "dcgan")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(hub, "download", lambda *a, **k: pytest.fail("no Hub access for a local path"))
    assert ganzoo.load("runs/x/model").architecture == "gan"  # two slashes: not OWNER/NAME
    assert ganzoo.load("mine").architecture == "dcgan"  # no zoo entry of that name
    assert ganzoo.load("~/mine").source == "~/mine"
    with pytest.raises(ganzoo.ModelFolderError, match="folder './absent' does not exist"):
        ganzoo.load("./absent")
    with pytest.raises(ganzoo.ModelFolderError, match="folder 'runs/absent/model' does not exist"):
        ganzoo.load("runs/absent/model")


# -- revisions --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "revision",
    [
        "../../x",
        "main/../../x",
        "/etc/passwd",
        "a\\b",
        "v1\x1b[2J",
        "",
        ".hidden",
        "x/.git",
        "main.lock",
        "a b",
        "a:b",
        "a~1",
        "x^",
        "a?",
        "a*",
        "a[b",
        "@{-1}",
        "@",
        "main/",
        "a//b",
        "main.",
        "tab\t",
        "\u202emain",
        "x" * 256,
        7,
    ],
)
def test_bad_revisions_are_refused_before_the_hub(revision, monkeypatch):
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "snapshot_download", lambda *a, **k: pytest.fail("reached the Hub cache"))
    with pytest.raises(ganzoo.GanzooError, match="is not a valid branch, tag or commit name"):
        ganzoo.load("someone/model", revision=revision)
    with pytest.raises(ganzoo.GanzooError, match="is not a valid branch, tag or commit name"):
        hub.download("someone/model", revision=revision)


@pytest.mark.parametrize("revision", ["main", "v1.0", "refs/pr/1", "feature/x-y_z", "a" * 40, "0.1.0"])
def test_good_revisions_pass(revision):
    assert hub.check_revision(revision) == revision


def test_revision_of_zoo_names_is_checked_and_folders_have_none(tmp_path):
    f = make_tiny_folder(tmp_path / "m", "gan")
    with pytest.raises(ganzoo.GanzooError, match=r"revision '../v1' is not a valid branch, tag or commit name"):
        ganzoo.load("dcgan-mnist", revision="../v1")
    for path in (f, str(f)):
        with pytest.raises(ganzoo.GanzooError, match=r"is a local folder, which has no revisions; drop revision"):
            ganzoo.load(path, revision="v1")


# -- config.json: validated against the architecture, and hostile files --------------------------------------
def write_config(folder: Path, text: str | bytes) -> None:
    (folder / "config.json").write_bytes(text if isinstance(text, bytes) else text.encode())


def edited(folder: Path, edit) -> str:
    conf = json.loads((folder / "config.json").read_text())
    edit(conf)
    return json.dumps(conf)


def test_unconditional_architecture_with_classes_is_refused(tmp_path):
    f = make_tiny_folder(tmp_path / "m", "gan")
    m = ganzoo.load(f)
    with pytest.raises(ganzoo.LabelError, match="unconditional"):
        m.sample(2, labels=3)
    write_config(
        f,
        edited(
            f,
            lambda c: (
                c["config"].update(num_classes=10),
                c.update(num_classes=10, class_names=[str(i) for i in range(10)]),
            ),
        ),
    )
    with pytest.raises(ganzoo.ModelFolderError, match=r"gan is unconditional: its num_classes must be 0, got 10"):
        ganzoo.load(f)


def test_unknown_top_level_keys_are_refused_and_never_written(tmp_path):
    f = make_tiny_folder(tmp_path / "m", "dcgan")
    original = (f / "config.json").read_text()
    for key in ("arch", "path", "extra"):  # "arch" and "path" used to crash save_pretrained later
        write_config(f, original)
        write_config(f, edited(f, lambda c: c.update({key: "x"})))
        with pytest.raises(
            ganzoo.ModelFolderError,
            match=rf"unknown top-level key\(s\) '{key}'; known: "
            r"ganzoo_version, architecture",
        ):
            ganzoo.load(f)
    from ganzoo.folder import make_config_dict
    from ganzoo.models import make_config

    with pytest.raises(ganzoo.ModelFolderError, match=r"config.json cannot hold \['extra'\]"):
        make_config_dict("dcgan", make_config("dcgan"), extra=1)


def test_a_loaded_model_saves_and_reloads(tmp_path):
    f = make_tiny_folder(tmp_path / "m", "cgan")
    m = ganzoo.load(f)
    again = ganzoo.load(m.save_pretrained(tmp_path / "copy"))
    assert again.config == m.config
    assert torch.equal(again.sample(3, seed=0), m.sample(3, seed=0))


HOSTILE_CONFIGS = [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"architecture": ' * 5000 + "1" + "}" * 5000, "nested too deeply"),
    ("[1, 2]", "must hold a JSON object, got list"),
    ('"architecture config"', "must hold a JSON object, got str"),
    ("7", "must hold a JSON object, got int"),
    ("null", "must hold a JSON object, got NoneType"),
    (b'{"architecture": "dcgan\xe9"}', r"is not UTF-8 text \(byte 23\)"),
    (b"\xff\xfe{\x00}\x00", r"is not UTF-8 text \(byte 0\)"),
    ("{", "is not valid JSON"),
    ('{"latent_dim": ' + "9" * 5000 + "}", "holds a value ganzoo does not accept .an integer of thousands of digits"),
    ('{"latent_dim": NaN}', r"holds a value ganzoo does not accept \(NaN is not a JSON number\)"),
    ('{"latent_dim": Infinity}', r"\(Infinity is not a JSON number\)"),
    ('{"architecture": ["dcgan"], "config": {}}', r"'architecture' must be a string, got \['dcgan'\]"),
    ('{"architecture": "dcgan", "config": []}', r"'config' must be an object of architecture settings, got \[\]"),
    ('{"architecture": "dcgan", "config": {}, "dataset": ["mnist"]}', r"'dataset' must be a data set name or null"),
    ('{"architecture": "dcgan", "config": {}, "dataset": "../../etc"}', r"'dataset' must be a data set name or null"),
    ('{"architecture": "dcgan", "config": {}, "dataset": "mnist/x"}', r"'dataset' must be a data set name or null"),
    ('{"architecture": "dcgan", "config": {}, "output_range": [0, 1]}', r"'output_range' must be \[-1.0, 1.0\]"),
    ('{"architecture": "dcgan", "config": {}, "training": 3}', "'training' must be an object"),
    ('{"architecture": "dcgan", "config": {}, "ganzoo_version": 1}', "'ganzoo_version' must be a version string"),
    ('{"config": {}}', "lacks the 'architecture' key"),
    ('{"architecture": "\\u001b[31mdcgan", "config": {}}', r"unknown architecture '\\x1b\[31mdcgan'"),
]


@pytest.mark.parametrize("text, message", HOSTILE_CONFIGS)
def test_hostile_config_json_is_one_model_folder_error(text, message, tmp_path, capsys):
    f = make_tiny_folder(tmp_path / "m", "dcgan")
    write_config(f, text)
    with pytest.raises(ganzoo.ModelFolderError, match=message):
        ganzoo.load(f)
    assert main(["info", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err and "\x1b" not in err


def test_oversized_config_json_is_refused_unread(tmp_path):
    f = make_tiny_folder(tmp_path / "m", "dcgan")
    write_config(f, '{"architecture": "dcgan", "config": {}, "training": {"pad": "' + "x" * (1 << 20) + '"}}')
    with pytest.raises(ganzoo.ModelFolderError, match="is larger than 1 MiB; a ganzoo config.json is about 1 kB"):
        ganzoo.load(f)


SIZE = r"must be an int in \[0, 1048576\]"


@pytest.mark.parametrize(
    "arch, edit, message",
    [
        ("dcgan", lambda c: c["config"].update(latent_dim=[8]), rf"'latent_dim' {SIZE}, got \[8\]"),
        ("dcgan", lambda c: c["config"].update(latent_dim=8.0), rf"'latent_dim' {SIZE}, got 8.0"),
        ("dcgan", lambda c: c["config"].update(latent_dim=True), rf"'latent_dim' {SIZE}, got True"),
        ("dcgan", lambda c: c["config"].update(latent_dim=-3), rf"'latent_dim' {SIZE}, got -3"),
        (
            "dcgan",
            lambda c: c["config"].update(latent_dim=10**30),
            rf"'latent_dim' {SIZE}, got 1000000000000000000000000000000",
        ),
        ("dcgan", lambda c: c["config"].update(latent_dim=10**3000), rf"'latent_dim' {SIZE}, got an int of 9966 bits"),
        ("dcgan", lambda c: c["config"].update(g_width=10**18), rf"'g_width' {SIZE}"),
        ("dcgan", lambda c: c["config"].update(image_size=7 * 2**60), rf"'image_size' {SIZE}"),
        ("dcgan", lambda c: c["config"].update(image_size=0), r"'image_size' must be >= 1, got 0"),  # not log2's words
        ("vae", lambda c: c["config"].update(channels=0), r"'channels' must be >= 1, got 0"),
        # a count of blocks is modules built before any weight is read: bounded, refused at once
        ("cyclegan", lambda c: c["config"].update(g_blocks=10**5), r"g_blocks must be at most 64 .*got 100000"),
        (
            "dcgan",
            lambda c: c["config"].update(d_norm=["batch"]),
            r"'d_norm' must be a string .at most 100 characters.",
        ),
        (
            "gan",
            lambda c: c["config"].update(g_hidden=[10**20]),
            r"'g_hidden' must be a list of at most 100 ints in \[1, "
            r"1048576\], got \(100000000000000000000,\)",
        ),
        ("gan", lambda c: c["config"].update(g_hidden=[16] * 101), r"'g_hidden' must be a list of at most 100 ints"),
        ("gan", lambda c: c["config"].update(g_hidden=16), r"'g_hidden' must be a list"),
        ("gan", lambda c: c["config"].update(d_dropout="0.5"), r"'d_dropout' must be a finite number, got '0.5'"),
        ("dcgan", lambda c: c.update(latent_dim=8.0), r"latent_dim is 8.0 but the architecture config says 8"),
        ("dcgan", lambda c: c.update(latent_dim=True), r"latent_dim is True but the architecture config says 8"),
        ("dcgan", lambda c: c.update(image_shape=[1, 28.0, 28]), r"image_shape is \[1, 28.0, 28\] but"),
        ("dcgan", lambda c: c.update(num_classes=False), r"num_classes is False but the architecture config says 0"),
        (
            "dcgan",
            lambda c: (c["config"].update(image_size=2**20, g_width=2**20), c.update(image_shape=[1, 2**20, 2**20])),
            r"the architecture config cannot be built \(.*overflow",
        ),
    ],
)
def test_wrong_types_and_huge_sizes_in_config(arch, edit, message, tmp_path):
    f = make_tiny_folder(tmp_path / "m", arch)
    write_config(f, edited(f, edit))
    with pytest.raises(ganzoo.ModelFolderError, match=message):
        ganzoo.load(f)


# -- weights: dtypes and finiteness --------------------------------------------------------------------------
def rewrite(file: Path, change) -> None:
    state = load_file(file)
    save_file({k: change(k, v) for k, v in state.items()}, file)


@pytest.mark.parametrize(
    "dtype, stored", [(torch.int32, "I32"), (torch.bool, "BOOL"), (torch.float64, "F64"), (torch.uint8, "U8")]
)
def test_weights_of_the_wrong_dtype_are_refused(dtype, stored, tmp_path):
    f = make_tiny_folder(tmp_path / "m", "dcgan")
    rewrite(f / "model.safetensors", lambda k, v: v.to(dtype) if k == "net.0.weight" else v)
    with pytest.raises(
        ganzoo.ModelFolderError,
        match=rf"model.safetensors: tensor 'net.0.weight' is stored as "
        rf"'{stored}', but the architecture needs 'F32' \(torch.float32\) "
        r"or half-precision 'F16'/'BF16'",
    ):
        ganzoo.load(f)


def test_half_precision_is_for_generator_storage_only(tmp_path):
    f = make_tiny_folder(tmp_path / "m", "dcgan")
    full = ganzoo.load(f).sample(2, seed=0)
    rewrite(f / "model.safetensors", lambda k, v: v.half() if v.is_floating_point() else v)
    torch.testing.assert_close(ganzoo.load(f).sample(2, seed=0), full, atol=2e-2, rtol=0)  # loads as float32
    key = next(k for k, v in load_file(f / "discriminator.safetensors").items() if v.is_floating_point())
    rewrite(f / "discriminator.safetensors", lambda k, v: v.half() if k == key else v)
    with pytest.raises(
        ganzoo.ModelFolderError,
        match=rf"discriminator.safetensors: tensor '{key}' is stored as "
        r"'F16', but the architecture needs 'F32' \(torch.float32\)\. ",
    ):
        ganzoo.load(f, discriminator=True)


def test_integer_buffers_must_stay_integers(tmp_path):
    f = make_tiny_folder(tmp_path / "m", "dcgan")
    key = next(k for k in load_file(f / "model.safetensors") if k.endswith("num_batches_tracked"))
    rewrite(f / "model.safetensors", lambda k, v: v.float() if k == key else v)
    with pytest.raises(
        ganzoo.ModelFolderError,
        match=rf"tensor '{key}' is stored as 'F32', but the architecture "
        r"needs 'I64'",
    ):
        ganzoo.load(f)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
@pytest.mark.parametrize("file", ["model.safetensors", "discriminator.safetensors"])
def test_non_finite_weights_are_refused(bad, file, tmp_path):
    f = make_tiny_folder(tmp_path / "m", "gan")

    def poison(k, v):
        if v.is_floating_point() and k.endswith("bias"):
            v = v.clone()
            v.view(-1)[:2] = bad
        return v

    rewrite(f / file, poison)
    key = next(k for k in load_file(f / file) if k.endswith("bias"))
    with pytest.raises(
        ganzoo.ModelFolderError,
        match=rf"{file}: tensor '{key}' holds 2 NaN or infinite value\(s\) "
        r"of \d+: the weights are damaged",
    ):
        ganzoo.load(f, discriminator=True)


# -- latents beyond float32 ----------------------------------------------------------------------------------
def test_float64_latents_beyond_float32_are_refused(tmp_path):
    m = ganzoo.load(make_tiny_folder(tmp_path / "m", "dcgan"))
    z = torch.zeros(2, m.latent_dim, dtype=torch.float64)
    z[1, 0] = 1e300  # finite in float64, inf (and NaN images) in float32
    with pytest.raises(ganzoo.GanzooError, match=r"z holds 1 NaN, infinite or out-of-float32-range value\(s\)"):
        m.generate(z)
    z[1, 0] = -3e38  # inside float32's range: accepted
    assert m.generate(z).shape == (2, 1, 28, 28)


# -- the cached fast generator follows every weight change -----------------------------------------------------
def reference(m, z):
    with torch.no_grad():
        return ToUnitRange(m.generator)(z, None)


@pytest.mark.parametrize(
    "edit",
    [
        lambda g, other: [p.data.mul_(0.5) for p in g.parameters()],  # what WGAN weight clipping does
        lambda g, other: [p.data.clamp_(-0.01, 0.01) for p in g.parameters()],
        lambda g, other: [p.data.copy_(q) for p, q in zip(g.parameters(), other.parameters())],
        lambda g, other: [setattr(p, "data", q.detach().clone()) for p, q in zip(g.parameters(), other.parameters())],
        lambda g, other: g.load_state_dict(other.state_dict()),
        lambda g, other: [b.data.add_(0.3) for n, b in g.named_buffers() if n.endswith("running_mean")],
        lambda g, other: torch.no_grad()(lambda: next(g.parameters()).copy_(next(other.parameters())))(),
    ],
)
def test_cached_generator_follows_weight_edits(edit, tmp_path):
    m = ganzoo.load(make_tiny_folder(tmp_path / "a", "dcgan", seed=0))
    other = ganzoo.load(make_tiny_folder(tmp_path / "b", "dcgan", seed=1)).generator
    z = m.sample_latent(4, seed=0)
    before = m.generate(z)
    assert m.inference_generator() is m.inference_generator()  # unchanged weights: the cache is reused
    edit(m.generator, other)
    after = m.generate(z)
    assert not torch.allclose(after, before, atol=1e-3)
    torch.testing.assert_close(after, reference(m, z), atol=1e-5, rtol=1e-4)


def test_weights_damaged_after_load_are_an_error_not_nan_images(tmp_path):
    m = ganzoo.load(make_tiny_folder(tmp_path / "a", "dcgan"))
    m.sample(2, seed=0)  # the fast generator is built and cached
    next(m.generator.parameters()).data[0] = float("nan")  # what a diverged weight edit leaves
    with pytest.raises(
        ganzoo.GanzooError,
        match=r"the generator produced \d+ NaN or infinite value\(s\) in \d+: its "
        r"weights are damaged or diverged",
    ):
        m.sample(2, seed=0)


def test_cached_generator_follows_device_moves(tmp_path):
    m = ganzoo.load(make_tiny_folder(tmp_path / "a", "dcgan"))
    z = m.sample_latent(2, seed=0)
    first = m.inference_generator()
    m.to("cpu")
    assert m.inference_generator() is first  # nothing changed
    if torch.cuda.is_available():
        m.to("cuda")
        torch.testing.assert_close(m.generate(z).cpu(), reference(m, z.cuda()).cpu(), atol=1e-5, rtol=1e-4)
        assert m.inference_generator() is not first


# -- the torch-free runtime: bad metadata, NaN outputs, latents beyond float32 -------------------------------------
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

GOOD_META = {
    "latent_dim": "4",
    "image_shape": "[1, 2, 2]",
    "num_classes": "0",
    "class_names": "[]",
    "output_format": "float32 NCHW [0, 1]",
    "precision": "fp32",
}


def save_graph(graph, meta: dict, path: Path) -> Path:
    """An ONNX file of `graph` (opset 18) with `meta` as its metadata, as ganzoo's exporter writes it."""
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    for k, v in meta.items():
        model.metadata_props.add(key=k, value=v)
    onnx.save_model(model, str(path))
    return path


def tiny_onnx(path: Path, meta: dict, *, scale: float = 1.0, latent: int | str = 4, labels: bool = False) -> Path:
    """z (batch, latent) -> images = reshape(z * scale) as (batch, 1, 2, 2): a graph small enough to build here."""
    from onnx import TensorProto, helper

    inputs = [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", latent])]
    if labels:
        inputs.append(helper.make_tensor_value_info("labels", TensorProto.INT64, ["batch"]))
    nodes = [
        helper.make_node("Mul", ["z", "scale"], ["scaled"]),
        helper.make_node("Reshape", ["scaled", "shape"], ["images"]),
    ]
    inits = [
        helper.make_tensor("scale", TensorProto.FLOAT, [], [scale]),
        helper.make_tensor("shape", TensorProto.INT64, [4], [-1, 1, 2, 2]),
    ]
    graph = helper.make_graph(
        nodes, "g", inputs, [helper.make_tensor_value_info("images", TensorProto.FLOAT, None)], inits
    )
    return save_graph(graph, meta, path)


def test_tiny_onnx_graph_runs(tmp_path):
    from ganzoo.runtime import OnnxGenerator

    rt = OnnxGenerator(tiny_onnx(tmp_path / "g.onnx", GOOD_META))
    z = rt.sample_latent(3, seed=0)
    np.testing.assert_array_equal(rt.generate(z), z.reshape(3, 1, 2, 2))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"latent_dim": "-4"}, r"latent_dim must be an int in \[1, 1048576\], got '-4'"),
        ({"latent_dim": "0"}, r"latent_dim must be an int in \[1, 1048576\], got '0'"),
        ({"latent_dim": "four"}, r"latent_dim must be an int in \[1, 1048576\], got 'four'"),
        ({"latent_dim": "4.0"}, r"latent_dim must be an int in \[1, 1048576\], got '4.0'"),
        (
            {"latent_dim": "٤"},
            r"latent_dim must be an int in \[1, 1048576\], got '٤'",
        ),  # an Arabic-Indic digit: int() would take it
        ({"latent_dim": "9" * 5000}, r"latent_dim must be an int .* got '99999"),
        (
            {"latent_dim": "5"},
            r"the metadata says z has shape \(batch, 5\), the graph's z input has shape \['batch', 4\]",
        ),
        ({"image_shape": "[1, 2"}, r"image_shape is not valid JSON"),
        ({"image_shape": "[" * 100000}, r"image_shape is not valid JSON"),
        ({"image_shape": "[1, -2, 2]"}, r"image_shape must be \[channels, height, width\], got '\[1, -2, 2\]'"),
        ({"image_shape": "[1, 2]"}, r"image_shape must be \[channels, height, width\]"),
        ({"image_shape": '{"a": 1}'}, r"image_shape must be \[channels, height, width\]"),
        ({"image_shape": "[1, 2.5, 2]"}, r"image_shape must be"),
        ({"num_classes": "-1"}, r"num_classes must be an int in \[0, 1048576\], got '-1'"),
        (
            {"num_classes": "2", "class_names": '["a", "b"]'},
            r"a conditional generator takes inputs \['z', 'labels'\], "
            r"this graph takes \['z'\]",
        ),
        ({"class_names": "{]"}, r"class_names is not valid JSON"),
        ({"class_names": '["a"]'}, r"class_names must be 0 distinct strings"),
        ({"precision": "fp8"}, r"precision must be fp32, fp16 or int8, got 'fp8'"),
        (  # the CLI lays the images out by this text: it must say what the graph gives
            {"output_format": "uint8 NHWC [0, 255]"},
            r"output_format says 'uint8 NHWC \[0, 255\]', but the graph's output is tensor\(float\)",
        ),
    ],
)
def test_bad_onnx_metadata_is_one_clear_error(change, message, tmp_path):
    from ganzoo.runtime import OnnxGenerator, OnnxGeneratorError

    path = tiny_onnx(tmp_path / "g.onnx", {**GOOD_META, **change})
    with pytest.raises(
        OnnxGeneratorError,
        match=r"g.onnx has damaged ganzoo metadata: re-export it with `ganzoo "
        rf"export` \({message}",
    ):
        OnnxGenerator(path)


def test_onnx_nan_output_is_an_error(tmp_path):
    from ganzoo.runtime import OnnxGenerator, OnnxGeneratorError

    rt = OnnxGenerator(tiny_onnx(tmp_path / "g.onnx", GOOD_META, scale=float("nan")))
    with pytest.raises(
        OnnxGeneratorError,
        match=r"the ONNX model produced 8 NaN or infinite value\(s\) in 8 outputs: "
        "its weights are damaged",
    ):
        rt.sample(2, seed=0)


def test_runtime_refuses_float64_latents_beyond_float32(tmp_path):
    from ganzoo.runtime import OnnxGenerator

    rt = OnnxGenerator(tiny_onnx(tmp_path / "g.onnx", GOOD_META))
    z = np.zeros((2, 4))
    z[0, 1] = -1e300
    with pytest.raises(
        ganzoo.GanzooError, match=r"z holds 1 NaN, infinite or out-of-float32-range value\(s\) out of 8"
    ):
        rt.generate(z)
    z[0, 1] = 3e38
    assert rt.generate(z)[0, 0, 0, 1] == np.float32(3e38)


def tiny_translator(path: Path, meta: dict) -> Path:
    """images (batch, 1, 2, 2) -> 1 - images: a translator graph small enough to build here."""
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Sub", ["one", "images"], ["images_out"])],
        "t",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 1, 2, 2])],
        [helper.make_tensor_value_info("images_out", TensorProto.FLOAT, ["batch", 1, 2, 2])],
        [helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])],
    )
    return save_graph(graph, meta, path)


TRANSLATOR_META = {
    "task": "translation",
    "domains": '["mnist", "fashion-mnist"]',
    "source_domain": "mnist",
    "target_domain": "fashion-mnist",
    "image_shape": "[1, 2, 2]",
}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"source_domain": None}, r"no source_domain"),
        ({"domains": "x"}, r"domains is not valid JSON"),
        ({"domains": '["a", "a"]'}, r"domains must be two different names"),
        ({"domains": '["mnist"]'}, r"domains must be two different names"),
        ({"target_domain": "mnist"}, r"source_domain 'mnist' and target_domain 'mnist' must be the two domains"),
        ({"source_domain": "cifar10"}, r"source_domain 'cifar10' and target_domain 'fashion-mnist' must be the two"),
        ({"image_shape": "[1, 1, 1]"}, r"the metadata says the input is images \(batch, 1, 1, 1\); the graph takes"),
        ({"image_shape": "[1, 2]"}, r"image_shape must be \[channels, height, width\]"),
        ({"output_format": "uint8 NHWC [0, 255]"}, r"output_format must be float32 NCHW \[0, 1\], got 'uint8 NHWC"),
    ],
)
def test_bad_translator_metadata_is_one_clear_error(change, message, tmp_path):
    from ganzoo.runtime import OnnxGeneratorError, OnnxTranslator

    good = tiny_translator(tmp_path / "good.onnx", TRANSLATOR_META)
    x = np.full((1, 1, 2, 2), 0.25, np.float32)
    np.testing.assert_array_equal(OnnxTranslator(good).translate(x), 1 - x)
    meta = {k: v for k, v in {**TRANSLATOR_META, **change}.items() if v is not None}
    with pytest.raises(OnnxGeneratorError, match=rf"t.onnx has damaged ganzoo metadata: .*\({message}"):
        OnnxTranslator(tiny_translator(tmp_path / "t.onnx", meta))

"""The browser page (web/) in real headless Chromium, and the Node example.

Needs Debian's chromium, node with `npm --prefix web ci` done, and playwright's Python package
(pointed at the system browser: nothing is downloaded). `.ci/run` installs all three.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest

from .conftest import ROOT, TINY, make_tiny_folder

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WEB = ROOT / "web"
CI_ENTRIES = "dcgan-mnist,cgan-fashion-mnist"  # every entry: benchmarks/web.py; CI keeps to two
TRANSLATOR = "cyclegan-tiny"  # a tiny untrained CycleGAN folder: the drawing pad's model
STYLE = "stylegan2-tiny"  # a tiny StyleGAN2 folder: a style-based z file on the page and in Node
PROGAN = "progan-tiny"  # a tiny ProGAN folder, grown: its full-resolution generator
BIGGAN = "biggan-tiny"  # a tiny BigGAN folder: labels as an input, beside z


def tiny_translator(path):
    import torch

    from ganzoo.folder import save_folder
    from ganzoo.models import build, make_config

    torch.manual_seed(0)
    cfg = make_config("cyclegan", TINY["cyclegan"])
    return save_folder(path, "cyclegan", cfg, *build("cyclegan", cfg), dataset="mnist")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    for need, how in (
        (CHROMIUM, "apt-get install chromium"),
        (shutil.which("node"), "apt-get install nodejs npm"),
        ((WEB / "node_modules").is_dir() or None, "npm --prefix web ci"),
    ):
        if need is None:
            pytest.fail(f"the browser test needs: {how}")
    out = tmp_path_factory.mktemp("web") / "dist"
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "GANZOO_WEB_ENTRIES": CI_ENTRIES,
        "GANZOO_WEB_FOLDERS": ",".join(
            [
                str(tiny_translator(tmp_path_factory.mktemp("models") / TRANSLATOR)),
                str(make_tiny_folder(tmp_path_factory.mktemp("models") / STYLE, "stylegan2", dataset="mnist")),
                str(make_tiny_folder(tmp_path_factory.mktemp("models") / PROGAN, "progan", dataset="mnist")),
                str(make_tiny_folder(tmp_path_factory.mktemp("models") / BIGGAN, "biggan")),
            ]
        ),
        "GANZOO_WEB_OUT": str(out),
        "PYTHONPATH": str(ROOT),
    }
    r = subprocess.run(
        ["npm", "--prefix", str(WEB), "run", "build"], env=env, capture_output=True, text=True, timeout=900
    )
    assert r.returncode == 0, r.stderr[-3000:]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    handler.log_message = lambda *a: None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield out, f"http://127.0.0.1:{srv.server_address[1]}/"
    srv.shutdown()


@pytest.mark.slow
def test_page_generates_every_entry_like_onnxruntime_python(site, tmp_path):
    from playwright.sync_api import sync_playwright

    from ganzoo.runtime import OnnxGenerator, sample_latent

    out, url = site
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.evaluate("window.ganzoo.ready")
        index = [e for e in page.evaluate("window.ganzoo.index") if e["kind"] == "generator"]
        assert [e["name"] for e in index] == [*CI_ENTRIES.split(","), STYLE, PROGAN, BIGGAN]
        assert [e["num_classes"] for e in index if e["name"] in (PROGAN, BIGGAN)] == [0, 10]
        for e in index:
            rt = OnnxGenerator(out / e["file"])
            z = np.random.default_rng(0).standard_normal((5, e["latent_dim"]), dtype=np.float32)
            labels = [7, 8, 9, 0, 1] if e["num_classes"] else None
            got = page.evaluate(
                "([n, z, l]) => window.ganzoo.generate(n, z, l).then(r => ({data: Array.from(r.data), dims: r.dims}))",
                [e["name"], z.ravel().tolist(), labels],
            )
            want = rt.generate(z, labels)
            assert tuple(got["dims"]) == want.shape
            assert np.abs(np.asarray(got["data"], np.float32).reshape(want.shape) - want).max() <= 1e-4, e["name"]
        # the page's latents are ganzoo's portable ones: a seed means the same images as in Python
        for seed in (0, 1, 2**63 + 5, 2**64 - 1):  # as strings: a JS Number cannot hold seeds above 2**53
            for n, d, t in ((16, 100, None), (3, 7, 0.5)):
                got = page.evaluate(
                    "([n, d, s, t]) => Array.from(window.ganzoo.sampleLatent(n, d, s, t ?? undefined))",
                    [n, d, str(seed), t],
                )
                want = sample_latent(n, d, seed, t).ravel()
                assert np.abs(np.asarray(got, np.float32) - want).max() <= 1e-6, (seed, n, d, t)
        page.screenshot(path=str(tmp_path / "page.png"))
        browser.close()
    assert errors == []
    assert (tmp_path / "page.png").stat().st_size > 10_000


def _draw(page, strokes) -> dict:
    """Draw strokes (lists of points as fractions of the pad) with the mouse; the pad's state once translated."""
    page.locator("#pad").scroll_into_view_if_needed()  # the mouse reaches only what is in the viewport
    box = page.locator("#pad").bounding_box()
    at = lambda x, y: (box["x"] + x * box["width"], box["y"] + y * box["height"])  # noqa: E731
    for points in strokes:
        page.mouse.move(*at(*points[0]))
        page.mouse.down()
        for p in points[1:]:
            page.mouse.move(*at(*p), steps=6)
        page.mouse.up()
    return page.evaluate("window.ganzoo.pad.settled()")


def _shown(page, canvas: str) -> np.ndarray:
    """The 28x28 image a result canvas shows (inside its 2-pixel frame), in [0, 255]."""
    rgba = page.evaluate(
        "(id) => Array.from(document.getElementById(id).getContext('2d').getImageData(2, 2, 28, 28).data)", canvas
    )
    return np.asarray(rgba, dtype=int).reshape(28, 28, 4)[..., 0]


@pytest.mark.slow
def test_drawing_pad_translates_strokes_like_onnxruntime_python(site):
    """Strokes drawn with simulated mouse events (and a finger's pointer events) become the 28x28 input, and the
    page shows the translation onnxruntime-python makes of that input, and its way back, in both directions."""
    from playwright.sync_api import sync_playwright

    from ganzoo.runtime import OnnxTranslator

    out, url = site
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.evaluate("window.ganzoo.ready")
        (e,) = [e for e in page.evaluate("window.ganzoo.index") if e["kind"] == "translation"]
        assert e["name"] == TRANSLATOR and e["domains"] == ["mnist", "fashion-mnist"]
        assert page.is_visible("#pad") and page.evaluate("window.ganzoo.pad.settled()") is None  # nothing drawn
        rt = {to: OnnxTranslator(out / f) for to, f in e["files"].items()}

        # a 7 (the bar, then the stem), drawn as a digit: fitted into the middle 20x20 as MNIST's digits are
        st = _draw(page, [[(0.3, 0.25), (0.7, 0.25)], [(0.7, 0.25), (0.45, 0.8)]])
        assert (st["source"], st["to"]) == ("mnist", "fashion-mnist")
        x = np.asarray(st["input"], np.float32).reshape(1, 1, 28, 28)
        assert x.max() == 1 and x[..., :3, :].max() == 0 and x[..., 25:, :].max() == 0  # the 4-pixel margins
        assert x[0, 0, 4:7].sum() > 2 * x[0, 0, 18:21].sum()  # the bar is at the top: not flipped
        assert (x[0, 0, 4:7].max(0) > 0.5).sum() >= 10  # and runs across
        y = rt["fashion-mnist"].translate(x)
        assert np.abs(np.asarray(st["output"], np.float32).reshape(y.shape) - y).max() <= 1e-4
        back = rt["mnist"].translate(np.asarray(st["output"], np.float32).reshape(y.shape))
        assert np.abs(np.asarray(st["back"], np.float32).reshape(y.shape) - back).max() <= 1e-4
        for canvas, want in (("tin", x), ("tout", y), ("tback", back)):  # what the page shows
            assert np.abs(_shown(page, canvas) - np.round(want[0, 0] * 255)).max() <= 1, canvas

        # the other direction: a garment drawn with a thick brush, translated into a digit
        page.select_option("#tsource", "fashion-mnist")
        page.select_option("#brush", "40")
        page.evaluate("window.ganzoo.pad.clear()")
        st = _draw(page, [[(0.2, 0.35), (0.4, 0.2), (0.6, 0.2), (0.8, 0.35)], [(0.35, 0.3), (0.35, 0.8), (0.65, 0.8)]])
        assert (st["source"], st["to"]) == ("fashion-mnist", "mnist")
        x2 = np.asarray(st["input"], np.float32).reshape(1, 1, 28, 28)
        assert x2.max() == 1 and x2[..., 2:26, 2:26].mean() > 0.1  # fills the frame, as garments do
        y2 = rt["mnist"].translate(x2)
        assert np.abs(np.asarray(st["output"], np.float32).reshape(y2.shape) - y2).max() <= 1e-4

        # a finger: touch pointer events draw as the mouse does; without fitting, each pixel is its 10x10 cell
        page.evaluate("window.ganzoo.pad.clear()")
        page.uncheck("#fit")
        box = page.locator("#pad").bounding_box()
        for kind, (fx, fy) in (("pointerdown", (0.5, 0.1)), ("pointermove", (0.5, 0.9)), ("pointerup", (0.5, 0.9))):
            page.dispatch_event(
                "#pad",
                kind,
                {
                    "pointerId": 7,
                    "pointerType": "touch",
                    "isPrimary": True,
                    "clientX": box["x"] + fx * box["width"],
                    "clientY": box["y"] + fy * box["height"],
                },
            )
        st = page.evaluate("window.ganzoo.pad.settled()")
        x3 = np.asarray(st["input"], np.float32).reshape(28, 28)
        assert x3[3:25, 13:15].min() > 0.5 and x3[:, :10].max() == 0 and x3[:, 18:].max() == 0  # a vertical line
        y3 = rt["mnist"].translate(x3[None, None])
        assert np.abs(np.asarray(st["output"], np.float32).reshape(y3.shape) - y3).max() <= 1e-4
        browser.close()
    assert errors == []


@pytest.mark.slow
def test_node_example_writes_the_images_python_draws_for_the_seed(site, tmp_path):
    from PIL import Image

    from ganzoo.runtime import OnnxGenerator

    out, _ = site
    onnx = out / "models" / "cgan-fashion-mnist.onnx"
    for seed in (None, 2**64 - 1):  # None: the example's default, seed 0
        args = [] if seed is None else ["--seed", str(seed)]
        r = subprocess.run(
            ["node", str(WEB / "node-example.mjs"), str(onnx), str(tmp_path / "n.png"), "7", *args],
            capture_output=True,
            text=True,
            cwd=WEB,
            timeout=300,
            check=False,
        )
        assert r.returncode == 0, r.stderr
        im = Image.open(tmp_path / "n.png")
        assert im.size == (4 * 28, 4 * 28) and im.mode == "L" and np.asarray(im).std() > 10  # not blank
        want = OnnxGenerator(onnx).sample(16, labels=7, seed=seed or 0)  # (16, 1, 28, 28) in [0, 1]
        want = np.round(np.clip(want, 0, 1) * 255).reshape(4, 4, 28, 28).transpose(0, 2, 1, 3).reshape(112, 112)
        assert np.abs(np.asarray(im, dtype=int) - want.astype(int)).max() <= 1, seed


@pytest.mark.slow
def test_node_translate_example_writes_what_onnxruntime_python_translates(site, tmp_path):
    from PIL import Image

    from ganzoo.runtime import OnnxTranslator

    out, _ = site
    onnx = out / "models" / f"{TRANSLATOR}.to-fashion-mnist.onnx"
    rng = np.random.default_rng(0)
    files = []
    for i, mode in enumerate(("L", "RGB", "RGBA", "L")):  # filters and colour types: the decoder's cases
        rgba = (rng.random((28, 28, 4)) * 255).astype(np.uint8)
        rgba[..., 3] = 255  # opaque: an image with transparent pixels is refused (below)
        im = Image.fromarray(rgba, "RGBA").convert(mode)
        files.append(tmp_path / f"in{i}.png")
        im.save(files[-1], optimize=i == 3)
    r = subprocess.run(
        ["node", str(WEB / "node-translate.mjs"), str(onnx), *map(str, files), "-o", str(tmp_path / "t.png")],
        capture_output=True,
        text=True,
        cwd=WEB,
        timeout=300,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stdout and "4 original(s) (top)" in r.stdout
    grid = np.asarray(Image.open(tmp_path / "t.png"), dtype=int)
    assert grid.shape == (2 * 30 + 2, 4 * 30 + 2)
    x = np.stack([np.asarray(Image.open(f).convert("L"), np.float32) / 255 for f in files])[:, None]
    want = np.round(OnnxTranslator(onnx).translate(x)[:, 0] * 255)
    for k in range(4):
        cell = lambda row: grid[2 + 30 * row : 30 + 30 * row, 2 + 30 * k : 30 + 30 * k]  # noqa: E731
        assert np.array_equal(cell(0), np.round(x[k, 0] * 255)), k  # the original, as Pillow reads it
        assert np.abs(cell(1) - want[k]).max() <= 1, k
    Image.new("L", (32, 32)).save(tmp_path / "big.png")
    (tmp_path / "not.png").write_text("hello")
    Image.new("RGBA", (28, 28)).save(tmp_path / "clear.png")  # black strokes on transparency would read all black
    key = Image.fromarray(np.eye(28, dtype=np.uint8) * 200).convert("RGB")
    key.save(tmp_path / "key.png", transparency=(200, 200, 200))  # tRNS: one colour is transparent
    for bad, message in (
        ("big.png", "big.png is 32x32; the model takes 28x28 images"),
        ("not.png", "is not a PNG"),
        ("clear.png", "clear.png has transparent pixels (784 of 784 with alpha below 255)"),
        ("key.png", "key.png has transparent pixels (28 of 784 with alpha below 255)"),
    ):
        r = subprocess.run(
            ["node", str(WEB / "node-translate.mjs"), str(onnx), str(tmp_path / bad), "-o", str(tmp_path / "x.png")],
            capture_output=True,
            text=True,
            cwd=WEB,
            timeout=300,
            check=False,
        )
        assert r.returncode == 2 and r.stderr.startswith("error: ") and message in r.stderr, r.stderr
    assert not (tmp_path / "x.png").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name, labels", [(STYLE, None), (PROGAN, None), (BIGGAN, 7)])
def test_node_example_runs_a_style_based_progressive_or_biggan_generator(site, tmp_path, name, labels):
    """A StyleGAN2 z file (its noise inputs are constants in the file), a grown ProGAN's full-resolution file and a
    BigGAN's (z and labels as inputs): the seed's images equal Python's."""
    from PIL import Image

    from ganzoo.runtime import OnnxGenerator

    out, _ = site
    onnx = out / "models" / f"{name}.onnx"
    label_arg = [] if labels is None else [str(labels)]
    r = subprocess.run(
        ["node", str(WEB / "node-example.mjs"), str(onnx), str(tmp_path / "n.png"), *label_arg, "--seed", "3"],
        capture_output=True,
        text=True,
        cwd=WEB,
        timeout=300,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    want = OnnxGenerator(onnx).sample(16, labels=labels, seed=3)  # (16, 1, 28, 28) in [0, 1]
    want = np.round(np.clip(want, 0, 1) * 255).reshape(4, 4, 28, 28).transpose(0, 2, 1, 3).reshape(112, 112)
    assert np.abs(np.asarray(Image.open(tmp_path / "n.png"), dtype=int) - want.astype(int)).max() <= 1


# -- the Node scripts given hostile files: one clear line, exit status 2, nothing written -----------------------------
def _node(script: str, *args: str, cwd) -> subprocess.CompletedProcess:
    if shutil.which("node") is None or not (WEB / "node_modules").is_dir():
        pytest.fail("the Node tests need node and `npm --prefix web ci`")
    return subprocess.run(
        ["node", str(WEB / script), *args], capture_output=True, text=True, cwd=cwd, timeout=120, check=False
    )


def _hostile_files(tmp_path):
    """Tiny graphs (2x2 images) with good and bad metadata, and 2x2 PNGs, in tmp_path."""
    from PIL import Image

    from .test_hostile_inputs import GOOD_META, TRANSLATOR_META, tiny_onnx, tiny_translator

    tiny_translator(tmp_path / "t.onnx", TRANSLATOR_META)
    tiny_translator(tmp_path / "bare.onnx", {})
    tiny_translator(tmp_path / "json.onnx", {**TRANSLATOR_META, "domains": "[mnist"})
    tiny_translator(tmp_path / "same.onnx", {**TRANSLATOR_META, "domains": '["a", "a"]'})
    tiny_translator(tmp_path / "shape.onnx", {**TRANSLATOR_META, "image_shape": "[1, 2]"})
    tiny_translator(tmp_path / "format.onnx", {**TRANSLATOR_META, "output_format": "uint8 NHWC [0, 255]"})
    tiny_translator(tmp_path / "ints.onnx", {**TRANSLATOR_META, "image_shape": '[1, 2, "2"]'})
    tiny_onnx(tmp_path / "g.onnx", GOOD_META)
    tiny_onnx(tmp_path / "u8.onnx", {**GOOD_META, "output_format": "uint8 NHWC [0, 255]"})
    names = '["a", "b", "c"]'
    tiny_onnx(tmp_path / "c.onnx", {**GOOD_META, "num_classes": "3", "class_names": names}, labels=True)
    Image.fromarray(np.array([[0, 255], [128, 64]], np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "cut.png").write_bytes((tmp_path / "a.png").read_bytes()[:-20])  # IDAT cut short
    (tmp_path / "text.onnx").write_text("hello")


TRANSLATE_EXPORT = "`ganzoo export NAME --to DOMAIN -o {}`"
DAMAGED = "{0} has damaged ganzoo metadata: re-export it with `ganzoo export NAME --to DOMAIN -o {0}` "


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["bare.onnx", "a.png"],
            "bare.onnx has no ganzoo translation metadata: export a translator with "
            + TRANSLATE_EXPORT.format("bare.onnx"),
        ),
        (["json.onnx", "a.png"], DAMAGED.format("json.onnx") + "(domains is not valid JSON: '[mnist')"),
        (
            ["same.onnx", "a.png"],
            DAMAGED.format("same.onnx") + """(domains must be two different names, got '["a", "a"]')""",
        ),
        (
            ["shape.onnx", "a.png"],
            DAMAGED.format("shape.onnx") + "(image_shape must be [channels, height, width], got '[1, 2]')",
        ),
        (
            ["ints.onnx", "a.png"],
            DAMAGED.format("ints.onnx") + """(image_shape must be [channels, height, width], got '[1, 2, "2"]')""",
        ),
        (
            ["format.onnx", "a.png"],
            DAMAGED.format("format.onnx") + "(output_format must be float32 NCHW [0, 1], got 'uint8 NHWC [0, 255]')",
        ),
        (
            ["g.onnx", "a.png"],
            "g.onnx is a generator (it samples images from latents), not a translator: run it with "
            "node-example.mjs, or export a translator with `ganzoo export NAME --to DOMAIN`",
        ),
        (
            ["none.onnx", "a.png"],
            "ONNX file none.onnx not found; export one with " + TRANSLATE_EXPORT.format("none.onnx"),
        ),
        (
            ["text.onnx", "a.png"],
            "text.onnx is not a valid ONNX model (Load model from text.onnx failed:Protobuf parsing "
            "failed.); export one with " + TRANSLATE_EXPORT.format("text.onnx"),
        ),
        (
            ["t.onnx", "cut.png"],
            "cut.png is a damaged PNG (its image data does not decompress: unexpected end of file)",
        ),
        (
            ["t.onnx", "a.png", "-o", "a.png"],
            "the output a.png is also an input (a.png) and would be replaced: choose another name",
        ),
        (
            ["t.onnx", "a.png", "-o", "./t.onnx"],
            "the output ./t.onnx is also an input (t.onnx) and would be replaced: choose another name",
        ),
        (["t.onnx", "a.png", "-o", ""], "the output file name is empty: give one with -o FILE.png"),
        (["t.onnx", "a.png", "-o", "no/x.png"], "cannot write no/x.png: the folder no does not exist; create it first"),
        (["t.onnx", ""], "usage: node node-translate.mjs MODEL.onnx IMAGE.png [IMAGE.png ...] [-o OUT.png]"),
    ],
)
def test_node_translate_refuses_hostile_files_and_writes_nothing(tmp_path, args, message):
    _hostile_files(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    r = _node("node-translate.mjs", *args, *([] if "-o" in args else ["-o", "out.png"]), cwd=tmp_path)
    assert (r.returncode, r.stderr, r.stdout) == (2, f"error: {message}\n", "")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no output, no temporary file, inputs kept


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["t.onnx", "out.png"],
            "t.onnx translates images ('mnist' -> 'fashion-mnist') and has no latent to sample: "
            "run it with node-translate.mjs",
        ),
        (
            ["bare.onnx", "out.png"],
            "bare.onnx has no ganzoo metadata; export it with `ganzoo export NAME -o bare.onnx`",
        ),
        (
            ["u8.onnx", "out.png"],
            "u8.onnx gives uint8 images (`ganzoo export --uint8`); the Node example reads float32 "
            "ones: export one with `ganzoo export NAME -o u8.onnx`",
        ),
        (["g.onnx", "out.png", "3"], 'g.onnx is unconditional: it takes no label; drop "3"'),
        (
            ["c.onnx", "out.png", "3"],
            'label "3" is not one of c.onnx\'s classes: give an int 0..2 or a class name (a, b, c)',
        ),
        (["c.onnx", "out.png", "-1"], None),  # parseArgs: an option; checked below for one line
        (
            ["g.onnx", "g.onnx"],
            "the output g.onnx is also an input (g.onnx) and would be replaced: choose another name",
        ),
        (
            ["g.onnx", "out.png", "--seed", "x"],
            "seed must be an int in [0, 2**64) (a BigInt or a decimal string above 2**53), got x",
        ),
    ],
)
def test_node_example_refuses_hostile_files_and_writes_nothing(tmp_path, args, message):
    _hostile_files(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    r = _node("node-example.mjs", *args, cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == "" and r.stderr.count("\n") == 1 and r.stderr.startswith("error: ")
    assert message is None or r.stderr == f"error: {message}\n"
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.slow
def test_node_scripts_write_tiny_graphs_atomically(tmp_path):
    """The good tiny files run: the metadata reader accepts what ganzoo writes, and only the output is added."""
    from PIL import Image

    _hostile_files(tmp_path)
    before = {p.name for p in tmp_path.iterdir()}
    r = _node("node-translate.mjs", "t.onnx", "a.png", "-o", "t.png", cwd=tmp_path)
    assert r.returncode == 0 and "mnist -> fashion-mnist" in r.stdout, r.stderr
    grid = np.asarray(Image.open(tmp_path / "t.png"), dtype=int)
    assert grid[2:4, 2:4].tolist() == [[0, 255], [128, 64]] and grid[6:8, 2:4].tolist() == [[255, 0], [127, 191]]
    r = _node("node-example.mjs", "c.onnx", "g.png", "b", "--seed", "1", cwd=tmp_path)  # a class name as the label
    assert r.returncode == 0, r.stderr
    assert Image.open(tmp_path / "g.png").size == (8, 8)
    assert {p.name for p in tmp_path.iterdir()} == before | {"t.png", "g.png"}


@pytest.mark.slow
def test_build_never_replaces_a_folder_it_did_not_write(tmp_path):
    """GANZOO_WEB_OUT is replaced as a whole: a folder that is not an earlier build (the sources, or any folder that
    merely holds a models/index.json) is refused."""
    keep = tmp_path / "src"
    (keep / "models").mkdir(parents=True)
    (keep / "app.js").write_text("mine")
    (keep / "models" / "index.json").write_text("[]")
    env = {**os.environ, "GANZOO_WEB_OUT": str(keep), "PYTHON": sys.executable, "PYTHONPATH": str(ROOT)}
    r = subprocess.run(["node", str(WEB / "build.mjs")], env=env, capture_output=True, text=True, timeout=120)
    assert (r.returncode, r.stderr) == (
        2,
        f"error: GANZOO_WEB_OUT={keep} exists and is not a site this build wrote (no .ganzoo-web-build): it would be "
        "replaced; name a new folder\n",
    )
    assert [p.name for p in tmp_path.iterdir()] == ["src"] and (keep / "app.js").read_text() == "mine"

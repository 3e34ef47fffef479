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

from .conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WEB = ROOT / "web"
CI_ENTRIES = "dcgan-mnist,cgan-fashion-mnist"  # every entry: benchmarks/web.py; CI keeps to two


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
        index = page.evaluate("window.ganzoo.index")
        assert [e["name"] for e in index] == CI_ENTRIES.split(",")
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

"""Images per second in the browser (onnxruntime-web, wasm, 1 and several threads) next to
onnxruntime-python and torch eager, at batch 1 and 16. Run it on a quiet machine (no training).

    npm --prefix web ci && python benchmarks/web.py --update-docs

The page is served on 127.0.0.1 with COOP/COEP headers, which wasm threads need; `?threads=N` picks
the thread count. Browser timings are session.run calls timed inside the page (performance.now).
Writes benchmarks/results/web.json and, with --update-docs, the web-bench section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
DOC = ROOT / "docs" / "performance.md"  # its <!-- web-bench begin/end --> section holds the table


class IsolatedHandler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):  # cross-origin isolation: SharedArrayBuffer, so wasm threads
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        super().end_headers()

    def log_message(self, *a):
        pass


def median_ms(fn, repeats: int) -> float:
    fn()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return 1e3 * float(np.median(ts))


def browser(url: str, entries: list[dict], threads: int, batches, repeats: int) -> dict:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    out = {}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = b.new_page()
        page.goto(f"{url}?threads={threads}&backend=wasm")
        page.evaluate("window.ganzoo.ready")
        backend = page.evaluate("window.ganzoo.backend")
        for e in entries:
            for n in batches:
                z = np.random.default_rng(0).standard_normal(n * e["latent_dim"]).astype(np.float32).tolist()
                ms = page.evaluate(
                    """async ([name, z, reps]) => {
                    await window.ganzoo.generate(name, z);            // warm-up
                    const t = [];
                    for (let i = 0; i < reps; i++) t.push((await window.ganzoo.generate(name, z)).ms);
                    t.sort((a, b) => a - b);
                    return t[Math.floor(t.length / 2)];
                }""",
                    [e["name"], z, repeats],
                )
                out[f"{e['name']}/b{n}"] = round(ms, 3)
        b.close()
    return {"backend": backend, "ms": out}


def main(argv: list[str] | None = None) -> None:
    import torch

    import ganzoo
    from ganzoo.runtime import OnnxGenerator

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--entries", default="dcgan-mnist,cgan-fashion-mnist,gan-mnist")
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument(
        "--update-docs",
        "--update-readme",
        dest="update_docs",
        action="store_true",
        help="rewrite the <!-- web-bench --> section of docs/performance.md (--update-readme: its old name)",
    )
    a = p.parse_args(argv)
    batches = (1, 16)
    dist = RESULTS / "web-dist"
    env = {**os.environ, "PYTHON": sys.executable, "GANZOO_WEB_ENTRIES": a.entries, "GANZOO_WEB_OUT": str(dist)}
    subprocess.run(
        ["npm", "--prefix", str(ROOT / "web"), "run", "build"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    # generators only: a translation model's files (kind "translation") are timed by benchmarks/bench.py
    index = [e for e in json.loads((dist / "models" / "index.json").read_text()) if e["kind"] == "generator"]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(IsolatedHandler, directory=str(dist)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/"
    cores = os.cpu_count() or 1
    res = {"date": time.strftime("%Y-%m-%d"), "torch": torch.__version__, "cores": cores, "rows": {}}
    try:
        web = {t: browser(url, index, t, batches, a.repeats) for t in sorted({1, cores})}
    finally:
        srv.shutdown()
    for e in index:
        rt1 = OnnxGenerator(dist / e["file"], intra_op_threads=1)
        rtn = OnnxGenerator(dist / e["file"], intra_op_threads=cores)
        m = ganzoo.load(e["name"])
        for n in batches:
            z = np.random.default_rng(0).standard_normal((n, e["latent_dim"])).astype(np.float32)
            y = (np.arange(n) % e["num_classes"]) if e["num_classes"] else None
            zt, yt = torch.from_numpy(z), (None if y is None else torch.from_numpy(y))
            row = {}
            for t in sorted({1, cores}):
                row[f"browser wasm {t}t"] = web[t]["ms"][f"{e['name']}/b{n}"]
                torch.set_num_threads(t)
                row[f"torch eager {t}t"] = round(median_ms(lambda: m.generate(zt, yt), a.repeats), 3)
            row["ort-python 1t"] = round(median_ms(lambda: rt1.generate(z, y), a.repeats), 3)
            row[f"ort-python {cores}t"] = round(median_ms(lambda: rtn.generate(z, y), a.repeats), 3)
            res["rows"][f"{e['name']} b{n}"] = row
    res["browser_backend"] = {t: web[t]["backend"] for t in web}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "web.json").write_text(json.dumps(res, indent=2) + "\n")
    cols = list(next(iter(res["rows"].values())))
    lines = [
        f"Measured {res['date']}, {cores} cores, torch {res['torch']}, browser: headless Chromium "
        f"({', '.join(res['browser_backend'].values())}). `python benchmarks/web.py --update-docs`. "
        "Images per second (median of the timed runs):",
        "",
        "| entry, batch | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for k, row in res["rows"].items():
        n = int(k.rsplit("b", 1)[1])
        lines.append(f"| {k} | " + " | ".join(f"{1e3 * n / v:.0f}" for v in row.values()) + " |")
    text = "\n".join(lines)
    print(text)
    shutil.rmtree(dist, ignore_errors=True)
    if a.update_docs:
        from training.markers import replace_section

        replace_section(DOC, "web-bench", text)


if __name__ == "__main__":
    main()

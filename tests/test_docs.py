"""Every shell and Python block of the docs (README.md, training/README.md, docs/*.md, training/records/*.md)
runs, so an example that breaks fails CI; every relative link and image between them resolves.

A block may be preceded by directive comments:
    <!-- docs-test: skip REASON -->         not run (needs the network, a GPU or hours); the reason is required
    <!-- docs-test: sub OLD => NEW -->      run with OLD replaced by NEW (a smaller n or fewer steps)
`pip install` lines are not run: the test environment is the installed one. The blocks of one file
run in order in one temporary folder, so a later block may use an earlier block's output.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from .conftest import DATA_ROOT, ROOT

MAIN_DOCS = ["README.md", "training/README.md"]
DOCS = MAIN_DOCS + sorted(
    str(p.relative_to(ROOT)) for d in ("docs", "training/records") for p in (ROOT / d).glob("*.md")
)
# the sections a generator rewrites, by the file that holds them (see each generator's docstring)
GENERATED = {
    "README.md": ["zoo"],
    "training/README.md": ["results", "ablation"],
    "docs/performance.md": ["bench", "web-bench"],
    "docs/control.md": ["control"],
    "docs/vae-vs-gan.md": ["compare"],
    "docs/stylegan2.md": ["stylegan2-mnist", "stylegan2-fashion-mnist"],
    "docs/progan-biggan.md": ["progan-mnist", "progan-fashion-mnist", "biggan-mnist", "biggan-fashion-mnist"],
}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
DIRECTIVE = re.compile(r"<!-- docs-test: (skip|sub) (.*?) -->")


@dataclass
class Block:
    doc: str
    line: int
    lang: str
    code: str
    skip: str | None = None
    subs: list[tuple[str, str]] = field(default_factory=list)

    def runnable(self) -> str:
        code = self.code
        for old, new in self.subs:
            assert old in code, f"{self.doc}:{self.line}: sub target {old!r} not in the block"
            code = code.replace(old, new)
        if self.lang == "bash":
            code = "\n".join(line for line in code.splitlines() if not line.startswith("pip install"))
        return code.replace("../shared/data", str(DATA_ROOT))


def blocks(doc: str) -> list[Block]:
    text = (ROOT / doc).read_text()
    out = []
    for m in FENCE.finditer(text):
        lang = m.group(1)
        if lang not in ("bash", "python"):
            continue
        b = Block(doc, text[: m.start()].count("\n") + 1, lang, m.group(2))
        before = text[: m.start()].rstrip("\n").splitlines()
        while before and DIRECTIVE.search(before[-1]):  # directive lines right above the fence
            kind, arg = DIRECTIVE.search(before.pop()).groups()
            if kind == "skip":
                b.skip = arg
            else:
                old, _, new = arg.partition(" => ")
                b.subs.append((old, new))
        out.append(b)
    return out


@pytest.mark.parametrize("doc", DOCS)
def test_every_block_is_run_or_skipped_with_a_reason(doc):
    found = blocks(doc)
    assert found or doc not in MAIN_DOCS, f"{doc} has no code blocks"
    for b in found:
        assert b.skip is None or len(b.skip) > 10, f"{doc}:{b.line}: a skipped block needs a reason"
        if b.skip is None:
            b.runnable()  # sub targets exist


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS)
def test_doc_blocks_run(doc, tmp_path, real_data_root):  # the examples train and evaluate on the real data
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GANZOO_DATA": str(real_data_root), "HF_HUB_OFFLINE": "1"}
    # the commands run from a checkout: training/ and web/ must be reachable as in the repository
    (tmp_path / "training").symlink_to(ROOT / "training")
    (tmp_path / "web").symlink_to(ROOT / "web")
    for b in blocks(doc):
        if b.skip:
            continue
        cmd = (
            ["bash", "-euo", "pipefail", "-c", b.runnable()]
            if b.lang == "bash"
            else [sys.executable, "-c", b.runnable()]
        )
        r = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, (
            f"{doc}:{b.line} ({b.lang}) failed:\n{b.runnable()}\n--- stderr ---\n{r.stderr[-3000:]}"
        )


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)|<img src=\"([^\"]+)\"")


def anchors(path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation other than '-' dropped, spaces as '-'."""
    text = FENCE.sub("", path.read_text())
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in re.findall(r"^#+ (.*)$", text, re.M)}


@pytest.mark.parametrize("doc", DOCS)
def test_relative_links_resolve(doc):
    path = ROOT / doc
    for m in LINK.finditer(FENCE.sub("", path.read_text())):
        target = m.group(1) or m.group(2)
        if re.match(r"[a-z]+:", target):  # http(s), mailto: not checked offline
            continue
        file, _, anchor = target.partition("#")
        dest = (path.parent / file).resolve() if file else path
        assert dest.exists(), f"{doc}: link {target!r} points at a missing file"
        if anchor and dest.suffix == ".md":
            assert anchor in anchors(dest), f"{doc}: link {target!r}: no heading with that anchor"


def test_generated_sections_are_where_their_generators_write():
    """Moving a generated section without its generator (or the reverse) fails here, not at the next benchmark."""
    for doc, sections in GENERATED.items():
        text = (ROOT / doc).read_text()
        for name in sections:
            assert f"<!-- {name} begin -->" in text and f"<!-- {name} end -->" in text, f"{doc}: no {name} markers"
    sys.path.insert(0, str(ROOT / "benchmarks"))  # control.py imports bench.py as a sibling
    try:
        for script, section in (
            ("bench", "bench"),
            ("web", "web-bench"),
            ("control", "control"),
            ("compare", "compare"),
            ("stylegan2", "stylegan2-mnist"),
            ("progan_biggan", "biggan-mnist"),
        ):
            spec = importlib.util.spec_from_file_location(f"_doc_{script}", ROOT / "benchmarks" / f"{script}.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            doc = str(module.DOC.relative_to(ROOT))
            assert section in GENERATED.get(doc, []), f"benchmarks/{script}.py writes its {section} section into {doc}"
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))

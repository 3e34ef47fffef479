"""The one portable latent generator (ganzoo.runtime.sample_latent): torch, the runtime and JavaScript
(web/src/latent.js, run by node) give the same latents for a seed, and they are standard normal.
The same images through torch and an ONNX file: tests/test_reliability.py; the browser: tests/test_web.py."""

from __future__ import annotations

import json
import math
import shutil
import subprocess

import numpy as np
import pytest
import torch

import ganzoo
from ganzoo.runtime import philox4x32, sample_latent

from .conftest import ROOT, make_tiny_folder

SEEDS = [0, 1, 12345, 2**32, 2**63 + 5, 2**64 - 1]
SIZES = [(1, 1), (1, 3), (3, 5), (16, 100), (7, 13)]  # n * latent_dim not a multiple of 4 too
TRUNCATIONS = [None, 0.5, 0.05]  # 0.05 keeps ~4 % per round: most entries are redrawn many rounds


def test_philox_known_answers():
    # Random123's kat_vectors for philox4x32_10: counter (4 words), key (2 words) -> 4 words
    for ctr, key, want in [
        ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
        ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
        (
            (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
            (0xA4093822, 0x299F31D0),
            (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
        ),
    ]:
        assert tuple(int(w) for w in philox4x32(*ctr, *key)) == want


def test_spec_by_hand():
    # entry i of a seed is lane i % 4 of Philox block i // 4, Box-Muller on word pairs, as the docstring says
    seed = 2**63 + 5
    z = sample_latent(3, 3, seed)  # 9 entries: blocks 0, 1 and lane 0 of block 2
    for i in range(9):
        x = [int(w) for w in philox4x32(i // 4, 0, 0, 0, seed & 0xFFFFFFFF, seed >> 32)]
        a, b = x[0:2] if i % 4 < 2 else x[2:4]
        r = math.sqrt(-2.0 * math.log((a + 0.5) / 2**32))
        theta = (2.0 * math.pi) * ((b + 0.5) / 2**32)
        want = np.float32(r * (math.cos(theta) if i % 2 == 0 else math.sin(theta)))
        assert abs(z.flat[i] - want) <= 1e-6 * max(1.0, abs(want)), i  # math's libm vs numpy's: an ulp at most


def test_entries_follow_the_stream_whatever_the_shape():
    z = sample_latent(16, 10, seed=3)
    assert z.dtype == np.float32 and z.shape == (16, 10)
    assert np.array_equal(sample_latent(4, 10, seed=3), z[:4])  # the first rows do not depend on n
    assert np.array_equal(sample_latent(8, 20, seed=3).ravel(), z.ravel())  # entry i is entry i
    t = sample_latent(16, 10, seed=3, truncation=0.3)
    assert np.abs(t).max() <= np.float32(0.3) and np.array_equal(sample_latent(5, 10, seed=3, truncation=0.3), t[:5])
    kept = np.abs(z) <= 0.3
    assert np.array_equal(t[kept], z[kept]) and not np.array_equal(t, np.clip(z, -0.3, 0.3))  # redrawn, not clamped


def test_torch_and_runtime_give_the_same_latents(tmp_path):
    m = ganzoo.load(make_tiny_folder(tmp_path / "m", "gan"))
    for seed in SEEDS:
        for t in TRUNCATIONS:
            z = m.sample_latent(5, seed=seed, truncation=t)
            assert isinstance(z, torch.Tensor) and z.dtype == torch.float32
            assert np.array_equal(z.numpy(), sample_latent(5, m.latent_dim, seed, t)), (seed, t)


def test_unseeded_draws_differ_and_torch_manual_seed_repeats_them(tmp_path):
    assert not np.array_equal(sample_latent(2, 8), sample_latent(2, 8))
    m = ganzoo.load(make_tiny_folder(tmp_path / "m", "gan"))
    torch.manual_seed(5)
    a = m.sample_latent(3)
    torch.manual_seed(5)
    assert torch.equal(a, m.sample_latent(3)) and not torch.equal(a, m.sample_latent(3))


@pytest.mark.parametrize(
    "bad, msg",
    [
        ({"seed": -1}, r"seed must be an int in \[0, 2\*\*64\)"),
        ({"seed": 2**64}, r"seed must be an int in \[0, 2\*\*64\)"),
        ({"truncation": 0}, r"truncation must be a positive number \(e.g. 0.7\), got 0"),
        ({"truncation": float("nan")}, r"truncation must be a positive number"),
    ],
)
def test_bad_arguments(bad, msg):
    with pytest.raises(ganzoo.GanzooError, match=msg):
        sample_latent(2, 4, **{"seed": 0, **bad})


def normal_cdf(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def test_standard_normal():
    z = sample_latent(1000, 100, seed=7).astype(np.float64).ravel()  # 1e5 draws
    n = z.size
    assert abs(z.mean()) < 0.015 and abs(z.std() - 1) < 0.01  # 4.7 and 4.5 standard errors
    # Kolmogorov-Smirnov against N(0, 1): 1.95 / sqrt(n) is the 0.1 % critical value; a uniform, a wrong
    # scale (even 2 %) or a shifted generator is far above it
    for part in [z, *(z[lane::4] for lane in range(4))]:  # each lane (cos and sin of both pairs) on its own too
        x = np.sort(part)
        cdf = normal_cdf(x)
        k = np.arange(1, x.size + 1)
        d = max((k / x.size - cdf).max(), (cdf - (k - 1) / x.size).max())
        assert d < 1.95 / math.sqrt(x.size), d
    for c, p in ((1, 0.3173), (2, 0.0455), (3, 0.0027)):  # the tails hold their share (within 5 standard errors)
        assert abs((np.abs(z) > c).mean() - p) < 5 * math.sqrt(p * (1 - p) / n), c
    for lag in range(1, 9):  # entries of one block, of a Box-Muller pair, of neighbouring blocks: uncorrelated
        assert abs(np.corrcoef(z[:-lag], z[lag:])[0, 1]) < 0.02, lag  # 6 standard errors


def test_seeds_give_different_latents():
    firsts = {sample_latent(1, 4, s).tobytes() for s in [*range(1000), *(2**32 * k for k in range(1, 100)), 2**64 - 1]}
    assert len(firsts) == 1100
    z = sample_latent(50_000, 4, seed=0)
    assert len({row.tobytes() for row in z}) == 50_000  # no repeats within a stream either


NODE = shutil.which("node")
NODE_SCRIPT = """
import { sampleLatent } from %s;
const out = [];
for (const [n, d, seed, t] of JSON.parse(process.argv[2]))
  out.push(Array.from(sampleLatent(n, d, seed, t ?? undefined)));
const errors = [];
for (const [d, seed, t] of [[4, -1], [4, "18446744073709551616"], [4, 2 ** 60], [4, "1.5"], [4, 0, 0]]) {
  try { sampleLatent(2, d, seed, t); errors.push("no error"); } catch (e) { errors.push(e.message); }
}
console.log(JSON.stringify({ out, errors }));
"""


@pytest.mark.skipif(NODE is None, reason="node is not on PATH (apt-get install nodejs): the JS check needs it")
def test_node_gives_the_same_latents(tmp_path):
    cases = [(n, d, str(s), t) for s in SEEDS for (n, d) in SIZES for t in TRUNCATIONS]
    cases.append((700, 100, "2", 1.0))  # 70,000 entries: past numpy's first chunk of 65,536
    script = tmp_path / "check.mjs"
    script.write_text(NODE_SCRIPT % json.dumps((ROOT / "web" / "src" / "latent.js").as_uri()))
    r = subprocess.run([NODE, str(script), json.dumps(cases)], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    exact = total = 0
    for (n, d, s, t), js in zip(cases, got["out"]):
        want = sample_latent(n, d, int(s), t).ravel()
        js = np.asarray(js, dtype=np.float32)
        assert js.shape == want.shape and np.abs(js - want).max() <= 1e-6, (n, d, s, t)
        exact += int((js == want).sum())
        total += want.size
    # float64 log/cos/sin may differ in the last ulp between libms, so rarely a float32 rounds the other way
    assert exact >= total - 2, f"{total - exact} of {total} entries differ in the last bit"
    # 2**60 as a JS Number prints (and would be taken) as 1152921504606847000: refused, not rounded
    assert got["errors"][:4] == [
        f"seed must be an int in [0, 2**64) (a BigInt or a decimal string above 2**53), got {s}"
        for s in (-1, 18446744073709551616, 1152921504606847000, 1.5)
    ]
    assert got["errors"][4] == "truncation must be a positive number (e.g. 0.7), got 0"

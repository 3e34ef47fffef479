"""Nothing unbounded: every user-given size is checked against the peak memory it costs (latents, images, the
generator's working memory, the grid and its copies) before anything is allocated, against the smaller of
MemAvailable and the cgroup limit; large n is made in chunks in torch and in the ONNX runtime."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ganzoo
from ganzoo import runtime
from ganzoo.cli import main as cli


GB = 10**9


@pytest.fixture(scope="module")
def pair(tiny_onnx):
    from ganzoo.runtime import OnnxGenerator

    folder, path = tiny_onnx("dcgan")
    return ganzoo.load(folder), OnnxGenerator(path)


def run_cli(capsys, *argv) -> tuple[int, str]:
    code = cli([str(a) for a in argv])
    return code, capsys.readouterr().err


def free_memory(monkeypatch, nbytes: int) -> None:
    monkeypatch.setattr(runtime, "available_memory", lambda: nbytes)


# -- the memory available: MemAvailable and the cgroup limit ---------------------------------------------------------
def fake_system(tmp_path, monkeypatch, self_cgroup: str, files: dict[str, str], mem_available_kb: int = 8 * 10**6):
    (tmp_path / "meminfo").write_text(f"MemTotal: 16000000 kB\nMemAvailable: {mem_available_kb} kB\n")
    (tmp_path / "self_cgroup").write_text(self_cgroup)
    for rel, text in files.items():
        (tmp_path / "cg" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "cg" / rel).write_text(text)
    monkeypatch.setattr(runtime, "MEMINFO", str(tmp_path / "meminfo"))
    monkeypatch.setattr(runtime, "SELF_CGROUP", str(tmp_path / "self_cgroup"))
    monkeypatch.setattr(runtime, "CGROUP_ROOT", str(tmp_path / "cg"))


def test_cgroup_v2_limit_and_its_ancestors(tmp_path, monkeypatch):
    fake_system(
        tmp_path,
        monkeypatch,
        "0::/app.slice/job\n",
        {
            "app.slice/job/memory.max": "1000000000\n",
            "app.slice/job/memory.current": "600000000\n",
            # reclaimable cache counts as free
            "app.slice/job/memory.stat": "anon 500000000\ninactive_file 100000000\n",
            "app.slice/memory.max": "max\n",
            "app.slice/memory.current": "900000000\n",
        },
    )
    assert runtime.cgroup_free() == 500_000_000 and runtime.available_memory() == 500_000_000
    (tmp_path / "cg/app.slice/memory.max").write_text("1000000000\n")  # the parent's limit binds tighter
    assert runtime.available_memory() == 100_000_000


def test_cgroup_v1_limit_and_a_containers_root_view(tmp_path, monkeypatch):
    fake_system(
        tmp_path,
        monkeypatch,
        "5:cpu:/\n4:memory:/docker/abc\n0::/\n",
        {
            "memory/memory.limit_in_bytes": "2000000000\n",
            "memory/memory.usage_in_bytes": "1500000000\n",
            "memory/memory.stat": "cache 1\ntotal_inactive_file 250000000\n",
        },
    )  # /docker/abc is not mounted inside the container: its own cgroup is the root
    assert runtime.available_memory() == 750_000_000
    fake_system(
        tmp_path,
        monkeypatch,
        "4:memory:/\n",
        {"memory/memory.limit_in_bytes": "9223372036854771712\n", "memory/memory.usage_in_bytes": "1\n"},
        mem_available_kb=10**6,
    )
    assert runtime.available_memory() == 1024 * 10**6  # no limit: MemAvailable (in KiB)


def test_no_cgroup_and_no_meminfo(tmp_path, monkeypatch):
    fake_system(tmp_path, monkeypatch, "", {}, mem_available_kb=123)
    assert runtime.cgroup_free() is None and runtime.available_memory() == 123 * 1024
    monkeypatch.setattr(runtime, "MEMINFO", str(tmp_path / "nope"))
    assert runtime.available_memory() is None


def test_sampling_is_refused_under_a_containers_limit(tmp_path, monkeypatch, pair, capsys):
    m, rt = pair
    fake_system(tmp_path, monkeypatch, "0::/\n", {"memory.max": "300000000\n", "memory.current": "100000000\n"})
    code, err = run_cli(capsys, "sample", m.folder, "-n", "100000", "-o", tmp_path / "x.png")
    assert (
        code == 2
        and "100000 samples and their grid need about 0.6 GB of memory at the peak, but only 0.2 GB "
        "is available (the smaller of MemAvailable and the cgroup limit)"
        in err
    ), err
    assert not (tmp_path / "x.png").exists()
    for sample in (m.sample, rt.sample):
        with pytest.raises(ganzoo.GanzooError, match=r"100000 images of 1x28x28 need about 0\.[45] GB .* only 0\.2 GB"):
            sample(100_000)


# -- the estimate counts the peak, not only the result ----------------------------------------------------------------
def test_the_grid_and_the_generators_working_memory_count(pair, monkeypatch):
    m, _ = pair
    n = 100_000  # 313.6 MB of float images
    free_memory(monkeypatch, 400 * 10**6)
    m.check_memory(n, "images")  # the images alone fit...
    with pytest.raises(ganzoo.GanzooError, match=r"grid need about 0\.6 GB"):
        m.check_memory(n, "images and their grid", grid=True)  # ...not with the grid (uint8, PIL's copy)
    work = m.work_per_image()  # the largest input + output of the inference generator's layers, for one image
    assert 4 * (16 * 7 * 7 + 32 * 8 * 8) <= work < 10**5  # tiny DCGAN's widest conv: 16x7x7 in, 32x8x8 out
    est = runtime.peak_bytes(n, 8, (1, 28, 28), chunk=4096, work_per_image=work)
    assert est == 2 * n * 8 * 4 + n * 784 * 4 + 4096 * work


def test_grid_rows_never_exceed_the_images(pair, tmp_path, capsys):
    from ganzoo.images import make_grid

    m, _ = pair
    x = m.sample(4, seed=0)
    assert make_grid(x, nrow=10**9).shape == (32, 4 * 30 + 2, 1)  # not a 30 GB row of empty cells
    assert run_cli(capsys, "sample", m.folder, "-n", "4", "--nrow", "1000000000", "-o", tmp_path / "g.png")[0] == 0
    from PIL import Image

    assert Image.open(tmp_path / "g.png").size == (4 * 30 + 2, 32)


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["steer", "{m}", "--toward", "3", "--steps", "10000000000"],
            "1 morph(s) of 10000000000 steps and their grid need",
        ),
        (["steer", "{m}", "--toward", "3", "--seed", "1", "--seed", "2", "--steps", "1000000000"], "2 morph(s) of"),
        (["sample", "{m}", "-n", "10000000000"], "10000000000 samples and their grid need about 50000.1 GB"),
        (["sample", "{onnx}", "-n", "10000000000"], "10000000000 samples and their grid need about"),
        (["eval", "{m}", "--n", "10000000000"], "10000000000 samples to measure need about"),
    ],
)
def test_huge_sizes_on_the_command_line_are_refused_before_allocating(argv, message, pair, tiny_onnx, tmp_path, capsys):
    m, _ = pair
    argv = [a.format(m=m.folder, onnx=tiny_onnx("dcgan")[1]) for a in argv]
    code, err = run_cli(capsys, *argv, *(["-o", tmp_path / "x.png"] if argv[0] != "eval" else []))
    assert code == 2 and err.count("\n") == 1 and message in err, err


def test_huge_step_counts_in_the_python_api(pair):
    m, _ = pair
    z0, z1 = m.sample_latent(2, seed=0)
    with pytest.raises(ganzoo.GanzooError, match=r"10000000000 interpolation steps need about 1280\.0 GB"):
        m.interpolate(z0, z1, 10**10)
    with pytest.raises(ganzoo.GanzooError, match=r"10000000000 path steps need about 1280\.0 GB"):
        m.steer(z0, 3, steps=10**10)
    with pytest.raises(ganzoo.GanzooError, match="steps must be an int >= 2"):
        m.interpolate(z0, z1, True)
    assert m.interpolate(z0, z1, 5).shape == (5, 8)


# -- the ONNX runtime makes large n in chunks -----------------------------------------------------------------------
def test_onnx_runtime_generates_in_chunks(pair, monkeypatch):
    _, rt = pair
    whole = rt.sample(10, seed=3)
    real_session = rt.session
    calls = []

    class Counting:
        def __getattr__(self, name):
            return getattr(real_session, name)

        def run(self, outputs, feeds):
            calls.append(len(feeds["z"]))
            return real_session.run(outputs, feeds)

    monkeypatch.setattr(rt, "session", Counting())
    monkeypatch.setattr(runtime, "ONNX_CHUNK", 3)
    chunked = rt.sample(10, seed=3)
    assert calls == [3, 3, 3, 1] and chunked.shape == whole.shape and np.allclose(chunked, whole, atol=1e-6)
    calls.clear()
    with pytest.raises(ganzoo.GanzooError, match=r"10000000000 images of 1x28x28 need about"):
        rt.sample(10**10)
    with pytest.raises(ganzoo.GanzooError, match=r"10000000000 latents of size 8 need"):
        rt.sample_latent(10**10)
    assert calls == []


def test_torch_and_runtime_chunks_agree_with_one_batch(pair, monkeypatch):
    from ganzoo import model as model_mod

    m, rt = pair
    z = m.sample_latent(7, seed=1)
    one = rt.generate(z.numpy())
    monkeypatch.setattr(runtime, "ONNX_CHUNK", 2)
    monkeypatch.setattr(model_mod, "CHUNK", 2)
    assert np.allclose(rt.generate(z.numpy()), one, atol=1e-5)
    assert torch.allclose(m.generate(z), torch.from_numpy(one), atol=1e-5)

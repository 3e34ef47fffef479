"""The benchmark report's header names every command behind its numbers, each with its own repeats."""

import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("bench", Path(__file__).parents[1] / "benchmarks" / "bench.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


HEADER = {
    "date": "2026-11-28",
    "cpu": "AMD EPYC",
    "cores": 2,
    "torch": "2.14.1",
    "onnxruntime": "1.32.0",
    "repeats": 5,
    "command": "python benchmarks/bench.py --repeats 5",
}


def test_header_lists_each_rerun_with_its_own_repeats():
    res = {
        **HEADER,
        "reruns": [["2026-11-29, medians of 3 timings", "python benchmarks/bench.py --only cold --merge"]],
    }
    assert bench.markdown(res).splitlines()[0] == (
        "Measured 2026-11-28 on AMD EPYC (2 cores), torch 2.14.1, onnxruntime 1.32.0. Regenerate with "
        "`python benchmarks/bench.py --repeats 5` (medians of 5 timings), then "
        "`python benchmarks/bench.py --only cold --merge` (2026-11-29, medians of 3 timings)."
    )


def test_best_path_is_never_slower_than_eager_at_any_batch():
    rows = {
        "1": {"eager": 1.0, "fold": 0.5, "chain": 0.8, "generate": 1.1},
        "256": {"eager": 10.0, "fold": 10.5, "chain": 9.0, "generate": 9.5},
    }
    entry = {"declared": "chain", "threads": {"1": rows}}
    assert bench.best_path(entry) == "chain"  # fold is faster on average, but slower than eager at batch 256
    rows["256"]["chain"] = 10.1
    assert bench.best_path(entry) == "eager"


def test_every_declared_rewrite_is_a_measured_candidate(tiny):
    import ganzoo
    from ganzoo.fast import declared

    _, folder = tiny
    assert bench.path_name(declared(ganzoo.load(folder).generator, "inference_rewrite")) in ("eager", *bench.PATHS)


@pytest.mark.slow  # two ONNX exports: seconds
def test_translation_part_times_both_directions_of_a_folder(tmp_path):
    """The translation part runs on a model folder (structure only: no timing is asserted)."""
    import torch

    from ganzoo.folder import save_folder
    from ganzoo.models import build, make_config

    from .conftest import TINY

    cfg = make_config("cyclegan", TINY["cyclegan"])
    folder = save_folder(tmp_path / "m", "cyclegan", cfg, *build("cyclegan", cfg), dataset="mnist")
    assert bench.is_translation(str(folder)) and bench.is_translation("cyclegan-mnist-fashion-mnist")
    assert not bench.is_translation("dcgan-mnist")
    before = torch.get_num_threads()
    try:
        res = bench.bench_translation([str(folder)], repeats=1, tmp=tmp_path, batch=4, threads=1)
    finally:
        torch.set_num_threads(before)
    (entry,) = res["entries"].values()
    assert list(entry["directions"]) == ["mnist -> fashion-mnist", "fashion-mnist -> mnist"]
    assert all(set(r) == {"eager", "translate", "onnxruntime"} for r in entry["directions"].values())
    text = bench.markdown({**HEADER, "translation": res})
    assert "**Translation** (image-to-image models, batch 4, 1 threads)" in text
    assert text.count(f"| {entry['parameters_per_direction']:,} | ") == 2  # a row per direction


@pytest.mark.slow  # an ONNX export of the recipe's network: seconds
@pytest.mark.parametrize("name", ["stylegan2-mnist", "progan-mnist", "biggan-mnist"])
def test_sampling_covers_an_entry_without_weights_yet(name, tmp_path, monkeypatch):
    """An entry before its release: the recipe's network with random weights (the same speed), through torch eager,
    model.generate and its ONNX file (a BigGAN's with labels); only the code path is checked here, never a timing."""

    model = bench.entry_model(name)  # bundled once released; until then the recipe's network
    assert model.version is not None or model.source == f"{name} (untrained)"
    assert model.architecture == name.split("-")[0] and model.conditional == name.startswith("biggan")
    if name.startswith("progan"):  # the untrained network is the grown one: what a finished run samples
        assert model.resolutions == (7, 14, 28) and model.generator.growth() == (2, 1.0)
    monkeypatch.setattr(bench, "BATCHES", (2,))
    monkeypatch.setattr(bench, "matmul_peak", lambda repeats: 1e9)
    monkeypatch.setattr(bench, "ort_matmul_rate", lambda repeats, t: 1e9)
    monkeypatch.setattr(bench, "timeit", lambda fn, repeats, min_time=0.05: (fn(), 1.0)[1])
    res = bench.bench_sampling([name], 1, tmp_path, threads=(1,))
    row = res["threads"][1]["entries"][name]["batches"][2]
    assert set(row) == {"eager", "default", "onnxruntime"}

"""The benchmark report's header names every command behind its numbers, each with its own repeats."""

import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location("bench", Path(__file__).parents[1] / "benchmarks" / "bench.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_header_lists_each_rerun_with_its_own_repeats():
    res = {
        "date": "2026-11-28",
        "cpu": "AMD EPYC",
        "cores": 2,
        "torch": "2.14.1",
        "onnxruntime": "1.32.0",
        "repeats": 5,
        "command": "python benchmarks/bench.py --repeats 5",
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

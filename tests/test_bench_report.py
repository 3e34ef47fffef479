"""The benchmark report's header names every command behind its numbers, each with its own repeats."""
import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location("bench", Path(__file__).parents[1] / "benchmarks" / "bench.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_header_lists_each_rerun_with_its_own_repeats():
    res = {"date": "2026-11-28", "cpu": "AMD EPYC", "cores": 2, "torch": "2.14.1", "onnxruntime": "1.32.0",
           "repeats": 5, "command": "python benchmarks/bench.py --repeats 5",
           "reruns": [["2026-11-29, medians of 3 timings", "python benchmarks/bench.py --only cold --merge"]]}
    assert bench.markdown(res).splitlines()[0] == (
        "Measured 2026-11-28 on AMD EPYC (2 cores), torch 2.14.1, onnxruntime 1.32.0. Regenerate with "
        "`python benchmarks/bench.py --repeats 5` (medians of 5 timings), then "
        "`python benchmarks/bench.py --only cold --merge` (2026-11-29, medians of 3 timings).")

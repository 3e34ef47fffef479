"""ganzoo benchmarks: sampling throughput, export forms and precisions, cold start, training throughput.

    python benchmarks/bench.py --update-docs         # everything; ~15 minutes on 2 cores
    python benchmarks/bench.py --only sampling --entries dcgan-mnist --repeats 3

Parts (--only, repeatable):
- sampling: torch eager, ganzoo's default `model.generate` path and the default ONNX file in onnxruntime,
  with 1 and 2 threads, batch 1-256, each as ms and as a share of the measured fp32 matmul peak;
- forms: the transposed-convolution forms of ganzoo.fast (native, subpixel, phase) in torch and onnxruntime;
- paths: per entry, torch eager against every inference rewrite of ganzoo.fast, the one its generator class
  declares (`inference_rewrite()`) and `model.generate` as a whole, with 1 and 2 threads, batch 1-256: the
  measurement behind each architecture's declaration;
- profile: onnxruntime's own profiler, per operator type, for each form (where its time goes);
- precision: fp32 vs fp16 vs int8 files: size, speed at batch 64, classifier FD of 10,000 samples;
- compile, cold (fresh-process start), training (s/step of the recipes, 1 thread);
- translation: image-to-image models (CycleGAN), each direction at batch 64 with 2 threads: torch eager,
  `model.translate` and the direction's ONNX file in onnxruntime (an entry without weights yet: its recipe's
  network with random weights, as fast as the trained one). --entries may name model folders too.

Writes OUT/results.json (every timing) and OUT/results.md (the tables of docs/performance.md); OUT defaults
to benchmarks/results. Each number is the median of --repeats timings. Run it on an idle machine:
the other core busy makes every number worse and the ratios unreliable.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ganzoo  # noqa: E402
from ganzoo.runtime import OnnxGenerator  # noqa: E402

DOC = ROOT / "docs" / "performance.md"  # its <!-- bench begin/end --> section holds the tables
BATCHES = (1, 16, 64, 256)
PARTS = ("sampling", "forms", "paths", "profile", "precision", "compile", "cold", "training", "translation")


def default_data_root() -> str:
    """Where the benchmarks read MNIST / Fashion-MNIST: ganzoo's one rule, $GANZOO_DATA, else ./data."""
    from ganzoo.datasets import data_root

    return str(data_root())


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def timeit(fn, repeats: int, min_time: float = 0.05) -> float:
    """Median seconds per call over `repeats` timings, each long enough (>= min_time) to be measured."""
    fn()
    fn()  # warm-up: allocator, oneDNN primitive caches
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-6)
    inner = max(1, int(min_time / one))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times)


def timeit_together(fns: dict, repeats: int, min_time: float = 0.05) -> dict:
    """Median seconds per call of each function, timed in turns (round r times every function once), so that a
    burst of load from elsewhere on a shared machine hits all of them alike instead of one."""
    inner = {}
    for k, fn in fns.items():
        fn()
        fn()  # warm-up
        t0 = time.perf_counter()
        fn()
        inner[k] = max(1, int(min_time / max(time.perf_counter() - t0, 1e-6)))
    times: dict = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(inner[k]):
                fn()
            times[k].append((time.perf_counter() - t0) / inner[k])
    return {k: statistics.median(v) for k, v in times.items()}


def matmul_peak(repeats: int) -> float:
    """This CPU's fp32 matrix-multiply rate (FLOP/s) with torch's current thread count."""
    n = 1024
    a, b = torch.randn(n, n), torch.randn(n, n)
    return 2 * n**3 / timeit(lambda: a @ b, repeats, min_time=0.2)


def ort_matmul_rate(repeats: int, threads: int) -> float:
    """onnxruntime's fp32 MatMul rate (FLOP/s) on the same 1024 x 1024 product: a cross-check of the peak, since
    onnxruntime's kernels (MLAS) are not torch's (MKL)."""
    import numpy as np
    import onnxruntime as ort
    from onnx import TensorProto, helper

    n = 1024
    io = [helper.make_tensor_value_info(k, TensorProto.FLOAT, [n, n]) for k in "abc"]
    graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], "matmul", io[:2], io[2:])
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]).SerializeToString(),
        opts,
        providers=["CPUExecutionProvider"],
    )
    feed = {k: np.random.default_rng(0).standard_normal((n, n), dtype=np.float32) for k in "ab"}
    return 2 * n**3 / timeit(lambda: sess.run(None, feed), repeats, min_time=0.2)


def flops_per_image(model) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    z = torch.randn(8, model.latent_dim)
    y = torch.arange(8) % model.num_classes if model.conditional else None
    with FlopCounterMode(display=False) as fc:
        model.generator(z, y)
    return fc.get_total_flops() / 8


# -- sampling ----------------------------------------------------------------------------------
def is_conv(model) -> bool:
    return any(isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)) for m in model.generator.modules())


def inputs(model, b: int):
    z = torch.randn(b, model.latent_dim, generator=torch.Generator().manual_seed(b))
    y = torch.arange(b) % model.num_classes if model.conditional else None
    return z, y, z.numpy(), None if y is None else y.numpy()


def row(fl: float, b: int, sec: float, peak: float) -> dict:
    return {
        "ms_per_batch": round(sec * 1e3, 3),
        "images_per_s": round(b / sec, 1),
        "peak_fraction": round(fl * b / sec / peak, 4),
    }


def bench_sampling(entries: list[str], repeats: int, tmp: Path, threads=(1, 2)) -> dict:
    """Per thread count: torch eager (the raw generator, as sample() ran before), ganzoo's default path
    (model.generate) and the default ONNX export in onnxruntime, at every batch size."""
    out = {"threads": {}}
    models = {name: entry_model(name) for name in entries}
    files = {name: m.export_onnx(tmp / f"{name}.onnx", check=False) for name, m in models.items()}
    flops = {name: flops_per_image(m) for name, m in models.items()}
    for t in threads:
        torch.set_num_threads(t)
        peak = matmul_peak(repeats)
        res = {
            "matmul_peak_gflops": round(peak / 1e9, 1),
            "ort_matmul_gflops": round(ort_matmul_rate(repeats, t) / 1e9, 1),
            "entries": {},
        }
        for name, model in models.items():
            rt = OnnxGenerator(files[name], intra_op_threads=t)
            g = model.generator
            rows = {}
            for b in BATCHES:
                z, y, zn, yn = inputs(model, b)

                def eager():
                    with torch.inference_mode():
                        return ((g(z, y) + 1) / 2).clamp(0, 1)

                tm = {
                    "eager": timeit(eager, repeats),
                    "default": timeit(lambda: model.generate(z, y), repeats),
                    "onnxruntime": timeit(lambda: rt.generate(zn, yn), repeats),
                }
                rows[b] = {k: row(flops[name], b, v, peak) for k, v in tm.items()}
            res["entries"][name] = {
                "gflops_per_image": round(flops[name] / 1e9, 5),
                "conv": is_conv(model),
                "batches": rows,
            }
            print(
                f"sampling {t}t {name}: "
                + ", ".join(
                    f"b{b} eager {r['eager']['ms_per_batch']:.2f} default {r['default']['ms_per_batch']:.2f} "
                    f"ort {r['onnxruntime']['ms_per_batch']:.2f} ms"
                    for b, r in rows.items()
                ),
                flush=True,
            )
        out["threads"][t] = res
    torch.set_num_threads(max(threads))
    return out


def bench_forms(entries: list[str], repeats: int, tmp: Path, threads=(1, 2)) -> dict:
    """The transposed-convolution forms (ganzoo.fast) in torch and in onnxruntime: which one to default to."""
    from ganzoo.fast import optimize
    from ganzoo.registry import CONVT_FORMS

    out = {}
    for name in entries:
        model = ganzoo.load(name)
        if not is_conv(model):
            continue
        res = out[name] = {}
        for form in CONVT_FORMS:
            path = model.export_onnx(tmp / f"{name}-{form}.onnx", convt=form, check=False)
            g = optimize(model.generator, convt=form, channels_last=True)
            for t in threads:
                torch.set_num_threads(t)
                rt = OnnxGenerator(path, intra_op_threads=t)
                for b in BATCHES:
                    z, y, zn, yn = inputs(model, b)

                    def torch_path():
                        with torch.inference_mode():
                            return g(z, y)

                    res.setdefault(form, {}).setdefault(str(t), {})[b] = {
                        "torch_ms": round(timeit(torch_path, repeats) * 1e3, 3),
                        "onnxruntime_ms": round(timeit(lambda: rt.generate(zn, yn), repeats) * 1e3, 3),
                    }
            print(f"forms {name} {form}: {res[form]}", flush=True)
    torch.set_num_threads(max(threads))
    return out


# The candidate rewrites of `paths`: name -> (convt, channels_last, linear_chain); "eager" runs the generator as
# is. "chain" is for generators with a chain of Linear layers (MLPs), the others for conv generators.
PATHS = {
    "fold": ("native", False, False),
    "chain": ("native", False, True),
    "native cl": ("native", True, False),
    "subpixel cl": ("subpixel", True, False),
    "phase": ("phase", False, False),
    "phase cl": ("phase", True, False),
}


def path_name(rewrite) -> str:
    """The `paths` candidate an InferenceRewrite (or None) is."""
    if rewrite is None:
        return "eager"
    return next(k for k, v in PATHS.items() if v == (rewrite.convt, rewrite.channels_last, rewrite.linear_chain))


def entry_model(name: str):
    """A zoo entry's bundled model, or `untrained(name)` for one without weights yet (same network, same speed)."""
    return ganzoo.load(name) if name in ganzoo.list_models(with_weights=True) else untrained(name)


def untrained(name: str):
    """A zoo entry without weights yet, as a GANModel (a TranslationModel for CycleGAN) with random weights at its
    recipe's config: its speed is the trained entry's."""
    from ganzoo.model import GANModel, TranslationModel
    from ganzoo.models import build
    from ganzoo.registry import DATASETS
    from training.recipes import get_recipe

    recipe = get_recipe(name)
    cfg = recipe.model_config()
    torch.manual_seed(0)
    g, _ = build(recipe.arch, cfg)
    if hasattr(g, "at_step"):  # a progressively grown generator: grown as at the end of the recipe's run
        g.at_step(recipe.steps)
    return (TranslationModel if getattr(g, "translation", False) else GANModel)(
        g,
        {
            "architecture": recipe.arch,
            "latent_dim": cfg.latent_dim,
            "num_classes": cfg.num_classes,
            # a conditional entry's (BigGAN's) labels: the data set's classes, as its exported file carries them
            "class_names": list(DATASETS[recipe.dataset].class_names) if cfg.num_classes else [],
            "image_shape": [cfg.channels, cfg.image_size, cfg.image_size],
        },
        source=f"{name} (untrained)",
    )


def bench_paths(entries: list[str], repeats: int, threads=(1, 2)) -> dict:
    """Per entry (one without weights yet: `untrained`), ms per batch of: torch eager (the generator as is, then
    (x + 1) / 2 clamped, as `generate` runs a generator that declares no rewrite); each candidate rewrite
    (`optimize(..., unit_range=True)`: BatchNorm and the output range folded; an MLP also as one LinearChain, a
    conv generator also in each transposed-convolution form, with and without channels_last); `model.generate`
    (the declared path plus its input checks). All timed in turns."""
    from ganzoo.fast import ToUnitRange, declared, optimize

    out = {}
    for name in entries:
        model = entry_model(name)
        g = model.generator
        paths = {"eager": ToUnitRange(g)}
        for label, (convt, cl, chain) in PATHS.items():
            if (label in ("fold", "chain")) if not is_conv(model) else not chain:  # MLP: no convolution to rewrite
                paths[label] = optimize(g, convt=convt, channels_last=cl, unit_range=True, linear_chain=chain)
        res = out[name] = {"declared": path_name(declared(g, "inference_rewrite")), "threads": {}}
        for t in threads:
            torch.set_num_threads(t)
            rows = res["threads"][str(t)] = {}
            for b in BATCHES:
                z, y, _, _ = inputs(model, b)
                fns = {k: torch.inference_mode()(lambda f=f: f(z, y)) for k, f in paths.items()}
                fns["generate"] = lambda: model.generate(z, y)
                rows[str(b)] = {k: round(v * 1e3, 4) for k, v in timeit_together(fns, repeats).items()}
            print(f"paths {name} {t}t: {rows}", flush=True)
    torch.set_num_threads(max(threads))
    return out


def is_translation(name: str) -> bool:
    """A zoo entry of an image-to-image architecture, or a model folder holding one."""
    from ganzoo.registry import ARCHITECTURES, ZOO

    if name in ZOO:
        return ARCHITECTURES[ZOO[name].arch].translation
    return Path(name).is_dir() and hasattr(ganzoo.load(name), "translate")


def bench_translation(entries: list[str], repeats: int, tmp: Path, batch: int = 64, threads: int = 2) -> dict:
    """Per translation model and direction, ms per batch of `batch` images with `threads` threads: torch eager
    (the translator under inference_mode, images mapped to [-1, 1] and back), `model.translate` (plus its input
    checks) and the direction's `ganzoo export --to` file in onnxruntime; timed in turns."""
    from ganzoo.runtime import OnnxTranslator

    out = {"batch": batch, "threads": threads, "entries": {}}
    torch.set_num_threads(threads)
    for name in entries:
        has = name in ganzoo.list_models(with_weights=True) or Path(name).is_dir()
        model = ganzoo.load(name) if has else untrained(name)
        x = torch.rand(batch, *model.image_shape, generator=torch.Generator().manual_seed(0))
        rows = {}
        for to in reversed(model.domains):  # A -> B first
            g = model.generator.translator(to)
            rt = OnnxTranslator(
                model.export_onnx(tmp / f"translator-{len(out['entries'])}-{to}.onnx", to=to, check=False),
                intra_op_threads=threads,
            )
            xn = x.numpy()

            def eager(g=g):
                with torch.inference_mode():
                    return ((g(x * 2 - 1) + 1) / 2).clamp(0, 1)

            fns = {
                "eager": eager,
                "translate": lambda to=to: model.translate(x, to=to),
                "onnxruntime": lambda rt=rt: rt.translate(xn),
            }
            ms = {k: round(v * 1e3, 3) for k, v in timeit_together(fns, repeats).items()}
            rows[f"{model.other(to)} -> {to}"] = ms
            print(f"translation {name} -> {to} b{batch} {threads}t: {ms}", flush=True)
        out["entries"][model.source or name] = {
            "parameters_per_direction": sum(
                p.numel() for p in model.generator.translator(model.domains[1]).parameters()
            ),
            "directions": rows,
        }
    return out


def best_path(entry: dict) -> str:
    """The candidate with the lowest geometric mean time relative to eager over every batch and thread count,
    among those no slower than eager anywhere (eager itself when none is)."""
    cells = [r for rows in entry["threads"].values() for r in rows.values()]
    names = [k for k in cells[0] if k != "generate"]
    ratio = {k: [r[k] / r["eager"] for r in cells] for k in names}
    ok = [k for k in names if max(ratio[k]) <= 1]
    return min(ok, key=lambda k: statistics.geometric_mean(ratio[k]))


def bench_profile(entry: str, tmp: Path, batch: int = 64, runs: int = 30) -> dict:
    """Where onnxruntime's time goes: its profiler's per-operator-type share of kernel time, per export form
    and thread count."""
    import onnxruntime as ort

    from ganzoo.registry import CONVT_FORMS

    model = ganzoo.load(entry)
    _, _, zn, yn = inputs(model, batch)
    feeds = {"z": zn, **({"labels": yn} if yn is not None else {})}
    out = {"entry": entry, "batch": batch}
    for form in CONVT_FORMS:
        path = model.export_onnx(tmp / f"prof-{form}.onnx", convt=form, check=False)
        for t in (1, 2):
            opts = ort.SessionOptions()
            opts.intra_op_num_threads, opts.inter_op_num_threads = t, 1
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            opts.enable_profiling = True
            opts.profile_file_prefix = str(tmp / f"prof-{form}-{t}")
            sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
            for _ in range(5):
                sess.run(None, feeds)  # warm-up, then the profiled runs
            for _ in range(runs):
                sess.run(None, feeds)
            events = json.loads(Path(sess.end_profiling()).read_text())
            by_op: dict[str, float] = {}
            for e in events:
                if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
                    op = e["args"].get("op_name", "?")
                    by_op[op] = by_op.get(op, 0.0) + e["dur"]
            total = sum(by_op.values())
            out[f"{form}/{t}t"] = {
                "kernel_ms_per_run": round(total / 1e3 / (runs + 5), 3),
                "share": {k: round(v / total, 3) for k, v in sorted(by_op.items(), key=lambda kv: -kv[1])},
            }
            print(f"profile {entry} {form} {t}t: {out[f'{form}/{t}t']}", flush=True)
    return out


def bench_precision(entries: list[str], repeats: int, tmp: Path, data_root: str | None, n_fd: int = 10000) -> dict:
    """fp32 vs fp16 vs int8 files: size, onnxruntime speed at batch 64 (1 and 2 threads) and classifier FD
    of n_fd samples (the eval sampling rule, seed 0) against the test split."""
    from ganzoo.metrics import compare, eval_latents, fd_key
    from ganzoo.registry import DEFAULT_CONVT

    out = {}
    for name in entries:
        model = ganzoo.load(name)
        variants = {
            "fp32": dict(convt=DEFAULT_CONVT),
            "fp16": dict(fp16=True, convt=DEFAULT_CONVT),
            "int8 native": dict(quantize="int8", convt="native"),
            "int8 phase": dict(quantize="int8", convt="phase"),
        }
        res = out[name] = {}
        _, _, zn, yn = inputs(model, 64)
        for label, kw in variants.items():
            path = model.export_onnx(tmp / f"{name}-{label.replace(' ', '-')}.onnx", check=False, **kw)
            r = res[label] = {"mb": round(path.stat().st_size / 1e6, 3)}
            for t in (1, 2):
                rt = OnnxGenerator(path, intra_op_threads=t)
                r[f"b64_{t}t_ms"] = round(timeit(lambda: rt.generate(zn, yn), repeats) * 1e3, 3)
            rt = OnnxGenerator(path)
            imgs = [
                torch.from_numpy(rt.generate(z.numpy(), None if y is None else y.numpy()))
                for z, y in eval_latents(n_fd, model.latent_dim, model.num_classes, seed=0)
            ]
            ds = model.config["dataset"]
            r["fd"] = round(compare(torch.cat(imgs), ds, root=data_root, full=False)[fd_key(ds)], 3)
            print(f"precision {name} {label}: {r}", flush=True)
    return out


def bench_compile(name: str, repeats: int) -> dict:
    """torch.compile on one entry: does it help here, and what does compiling cost?"""
    model = ganzoo.load(name)
    out = {"entry": name}
    try:
        t0 = time.perf_counter()
        cg = torch.compile(model.generator, dynamic=False)
        z = torch.randn(16, model.latent_dim)
        with torch.inference_mode():
            cg(z)
        out["compile_s"] = round(time.perf_counter() - t0, 1)
        for b in (1, 16, 256):
            z = torch.randn(b, model.latent_dim)
            with torch.inference_mode():
                out[f"b{b}_ms"] = round(timeit(lambda: cg(z), repeats) * 1e3, 3)
                out[f"b{b}_eager_ms"] = round(timeit(lambda: model.generator(z), repeats) * 1e3, 3)
    except Exception as e:  # noqa: BLE001 - inductor needs a C++ toolchain; report instead of failing
        out["error"] = f"{type(e).__name__}: {e}"[:300]
    print("compile", out, flush=True)
    return out


# -- cold start ------------------------------------------------------------------------------
def bench_cold(repeats: int, tmp: Path, entry: str = "dcgan-mnist") -> dict:
    onnx_path = tmp / "cold.onnx"
    ganzoo.load(entry).export_onnx(onnx_path, check=False)
    py = sys.executable
    block_torch = "import sys; sys.modules['torch'] = None; "  # importing torch now raises
    cmds = {
        f"ganzoo sample {entry} -n 16 -o x.png": [
            py,
            "-m",
            "ganzoo",
            "sample",
            entry,
            "-n",
            "16",
            "-o",
            str(tmp / "x.png"),
        ],
        f"import ganzoo; ganzoo.load('{entry}').sample(16)": [
            py,
            "-c",
            f"import ganzoo; ganzoo.load('{entry}').sample(16)",
        ],
        "torch-free: OnnxGenerator(f).sample(16)": [
            py,
            "-c",
            block_torch + f"from ganzoo.runtime import OnnxGenerator; OnnxGenerator({str(onnx_path)!r}).sample(16)",
        ],
        "python -c pass (interpreter floor)": [py, "-c", "pass"],
    }
    out = {}
    for label, cmd in cmds.items():
        subprocess.run(cmd, check=True, cwd=tmp)  # warm the OS file cache once
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, cwd=tmp, capture_output=True)
            times.append(time.perf_counter() - t0)
        out[label] = round(statistics.median(times), 3)
        print(f"cold {label}: {out[label]} s", flush=True)
    return out


# -- training --------------------------------------------------------------------------------
def plain_dcgan_loop(recipe, x: torch.Tensor, steps: int) -> float:
    """The same DCGAN networks trained the way the PyTorch examples do it: one G forward per step,
    BCE, Adam, no logging, no EMA. Returns seconds for `steps` steps."""
    import torch.nn.functional as F

    from ganzoo.models import build, make_config

    torch.manual_seed(0)
    cfg = make_config("dcgan", {"channels": 1, "image_size": 28, **recipe.model})
    G, D = build("dcgan", cfg)
    oG = torch.optim.Adam(G.parameters(), recipe.lr_g, betas=recipe.betas)
    oD = torch.optim.Adam(D.parameters(), recipe.lr_d, betas=recipe.betas)
    b = recipe.batch_size
    t0 = time.perf_counter()
    for _ in range(steps):
        real = x[torch.randint(0, len(x), (b,))].float().div_(127.5).sub_(1)
        fake = G(torch.randn(b, cfg.latent_dim))
        oD.zero_grad()
        loss_d = F.softplus(-D(real)).mean() + F.softplus(D(fake.detach())).mean()
        loss_d.backward()
        oD.step()
        oG.zero_grad()
        loss_g = F.softplus(-D(fake)).mean()
        loss_g.backward()
        oG.step()
    return time.perf_counter() - t0


def bench_training(recipes: list[str], steps: int, repeats: int, data_root: str | None, tmp: Path) -> dict:
    import dataclasses

    from training.data import load_images
    from training.recipes import get_recipe
    from training.train import Trainer

    out = {"threads": 1, "steps": steps, "recipes": {}}
    torch.set_num_threads(1)  # the zoo trains one process per core
    for name in recipes:
        r = dataclasses.replace(get_recipe(name), steps=steps, eval_every=0, sample_every=0, ckpt_every=0)
        times = []
        for i in range(repeats):
            tr = Trainer(r, tmp / f"train-{name}-{i}", data_root=data_root, quiet=True, threads=1)
            t0 = time.perf_counter()
            tr.run()
            times.append(time.perf_counter() - t0)
        t = statistics.median(times)
        images = steps * r.batch_size * r.n_critic  # real images seen by the discriminator
        out["recipes"][name] = {"s_per_step": round(t / steps, 4), "images_per_s": round(images / t, 1)}
        print(f"train {name}: {out['recipes'][name]}", flush=True)
        if r.arch == "dcgan":
            x, _ = load_images(r.dataset, data_root)
            plain = statistics.median(plain_dcgan_loop(r, x, steps) for _ in range(repeats))
            out["recipes"][name]["plain_loop_images_per_s"] = round(steps * r.batch_size / plain, 1)
            out["recipes"][name]["ours_over_plain_time"] = round(t / plain, 3)
            print(f"plain loop {name}: {plain / steps:.4f} s/step, ours/plain {t / plain:.3f}", flush=True)
    torch.set_num_threads(os.cpu_count() or 1)
    return out


# -- report ----------------------------------------------------------------------------------
def markdown(res: dict) -> str:
    lines = [
        f"Measured {res['date']} on {res['cpu']} ({res['cores']} cores), torch {res['torch']}, "
        f"onnxruntime {res['onnxruntime']}. Regenerate with `{res['command']}` (medians of {res['repeats']} "
        "timings)" + "".join(f", then `{c}` ({d})" for d, c in res.get("reruns", [])) + "."
    ]
    s = res.get("sampling")
    if s:
        paths = ("eager", "default", "onnxruntime")
        for t, st in s["threads"].items():
            ort_mm = f"; onnxruntime's MatMul: {st['ort_matmul_gflops']}" if "ort_matmul_gflops" in st else ""
            lines += [
                "",
                f"**Sampling, {t} thread(s)** (fp32 matmul peak measured at {st['matmul_peak_gflops']} "
                f"GFLOP/s with torch, 1024 x 1024{ort_mm}). ms per batch, share of that peak in brackets. "
                "eager: the raw generator under "
                "inference_mode; default: `model.generate` (the rewrite its generator class declares: "
                "BatchNorm and the output range folded, conv generators in the phase form on channels_last "
                "weights, MLPs as one LinearChain; see the paths table); onnxruntime: the default "
                "`ganzoo export` file.",
                "",
                "| entry | GFLOP/img | batch | torch eager | ganzoo default | onnxruntime | ort / eager speed |",
                "|---|---|---|---|---|---|---|",
            ]
            for name, e in st["entries"].items():
                for b, r in e["batches"].items():
                    cells = [f"{r[k]['ms_per_batch']:.2f} [{r[k]['peak_fraction']:.1%}]" for k in paths]
                    speed = r["eager"]["ms_per_batch"] / r["onnxruntime"]["ms_per_batch"]
                    lines.append(
                        f"| {name} | {e['gflops_per_image']:.4f} | {b} | " + " | ".join(cells) + f" | {speed:.2f}x |"
                    )
        ts = sorted(s["threads"], key=int)
        if len(ts) == 2:
            lo, hi = (s["threads"][t] for t in ts)
            lines += [
                "",
                f"**Thread scaling**: speed-up from {ts[0]} to {ts[1]} threads.",
                "",
                "| entry | batch | torch eager | ganzoo default | onnxruntime |",
                "|---|---|---|---|---|",
            ]
            for name, e in hi["entries"].items():
                for b, r in e["batches"].items():
                    r1 = lo["entries"][name]["batches"][b]
                    lines.append(
                        f"| {name} | {b} | "
                        + " | ".join(f"{r1[k]['ms_per_batch'] / r[k]['ms_per_batch']:.2f}x" for k in paths)
                        + " |"
                    )
    f = res.get("forms")
    if f:
        lines += [
            "",
            "**Transposed-convolution forms** (`ganzoo.fast`, `ganzoo export --convt`): ms per batch, "
            "torch (channels_last, inference_mode) / onnxruntime.",
            "",
            "| entry | form | threads | " + " | ".join(f"batch {b}" for b in BATCHES) + " |",
            "|---|---|---|" + "---|" * len(BATCHES),
        ]
        for name, forms in f.items():
            for form, by_t in forms.items():
                for t, rows in by_t.items():
                    lines.append(
                        f"| {name} | {form} | {t} | "
                        + " | ".join(f"{r['torch_ms']:.2f} / {r['onnxruntime_ms']:.2f}" for r in rows.values())
                        + " |"
                    )
    pa = res.get("paths")
    if pa:
        names = ["eager", *PATHS]
        lines += [
            "",
            "**Inference paths** (`benchmarks/bench.py --only paths`): ms per batch in torch of the "
            "generator as is (eager, output mapped to [0, 1]) and of each rewrite of `ganzoo.fast` (fold: "
            "BatchNorm and the output range folded; chain: also the Linear layers as one LinearChain; cl: "
            "channels_last weights; native / subpixel / phase: the transposed-convolution form), then "
            "`model.generate` (the declared path plus its input checks), all timed in turns. **bold**: the "
            "path the generator class declares; best: the fastest path relative to eager (geometric mean) "
            "among those no slower than eager at any batch.",
            "",
            "| entry | declared (best) | threads | batch | " + " | ".join(names) + " | model.generate |",
            "|---|---|---|---|" + "---|" * (len(names) + 1),
        ]
        for name, e in pa.items():
            for t, rows in e["threads"].items():
                for b, r in rows.items():
                    cells = [
                        ("**{:.3f}**" if k == e["declared"] else "{:.3f}").format(r[k]) if k in r else "-"
                        for k in names
                    ]
                    lines.append(
                        f"| {name} | {e['declared']} ({best_path(e)}) | {t} | {b} | "
                        + " | ".join(cells)
                        + f" | {r['generate']:.3f} |"
                    )
    pr = res.get("profile")
    if pr:
        lines += [
            "",
            f"**Where onnxruntime's time goes** ({pr['entry']}, batch {pr['batch']}, its profiler): "
            "kernel time per run and each operator type's share.",
            "",
            "| form, threads | kernel ms/run | operator shares |",
            "|---|---|---|",
        ]
        for k, v in pr.items():
            if isinstance(v, dict):
                shares = ", ".join(f"{op} {x:.0%}" for op, x in list(v["share"].items())[:4])
                lines.append(f"| {k} | {v['kernel_ms_per_run']:.2f} | {shares} |")
    q = res.get("precision")
    if q:
        lines += [
            "",
            "**fp32, fp16 and int8 files** (onnxruntime CPU, batch 64; FD: classifier FD of 10,000 "
            "samples from the file against the test split).",
            "",
            "| entry | file | MB | ms 1 thread | ms 2 threads | speed vs fp32 (1t / 2t) | FD | FD change |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, variants in q.items():
            base = variants["fp32"]
            for label, r in variants.items():
                lines.append(
                    f"| {name} | {label} | {r['mb']:.2f} | {r['b64_1t_ms']:.2f} | {r['b64_2t_ms']:.2f} | "
                    f"{base['b64_1t_ms'] / r['b64_1t_ms']:.2f}x / {base['b64_2t_ms'] / r['b64_2t_ms']:.2f}x"
                    f" | {r['fd']:.2f} | {(r['fd'] - base['fd']) / base['fd']:+.1%} |"
                )
    c = res.get("compile")
    if c:
        lines += [
            "",
            f"**torch.compile** on {c['entry']}: "
            + (
                c.get("error")
                or f"compile {c['compile_s']} s; "
                + ", ".join(f"batch {b}: {c[f'b{b}_ms']} ms vs eager {c[f'b{b}_eager_ms']} ms" for b in (1, 16, 256))
            ),
        ]
    cold = res.get("cold")
    if cold:
        lines += ["", "**Cold start** (fresh process, wall seconds)", "", "| command | s |", "|---|---|"]
        lines += [f"| `{k}` | {v:.3f} |" for k, v in cold.items()]
    tr = res.get("translation")
    if tr:
        lines += [
            "",
            f"**Translation** (image-to-image models, batch {tr['batch']}, {tr['threads']} threads). ms per batch; "
            "eager: the translator under inference_mode; translate: `model.translate`; onnxruntime: the "
            "direction's `ganzoo export --to` file in `OnnxTranslator`.",
            "",
            "| entry | parameters | direction | torch eager | translate | onnxruntime | ort / eager speed |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, e in tr["entries"].items():
            for d, r in e["directions"].items():
                lines.append(
                    f"| {name} | {e['parameters_per_direction']:,} | {d} | {r['eager']:.2f} | {r['translate']:.2f} "
                    f"| {r['onnxruntime']:.2f} | {r['eager'] / r['onnxruntime']:.2f}x |"
                )
    t = res.get("training")
    if t:
        lines += [
            "",
            f"**Training** (1 thread, as the zoo is trained; {t['steps']} generator steps, "
            "no evaluation). Images/s counts real images the discriminator sees.",
            "",
            "| recipe | s/step | images/s | plain loop images/s | our time / plain |",
            "|---|---|---|---|---|",
        ]
        for name, r in t["recipes"].items():
            lines.append(
                f"| {name} | {r['s_per_step']} | {r['images_per_s']} | "
                f"{r.get('plain_loop_images_per_s', '')} | {r.get('ours_over_plain_time', '')} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", choices=PARTS, action="append")
    p.add_argument("--entries", nargs="*", help="zoo entries (default: every entry with weights)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--train-steps", type=int, default=60)
    p.add_argument(
        "--data-root",
        default=default_data_root(),
        help="MNIST for the training part (default $GANZOO_DATA, else ./data)",
    )
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    p.add_argument(
        "--merge",
        action="store_true",
        help="re-measure only the --only parts (each replaced whole) and keep the others of OUT/results.json",
    )
    p.add_argument(
        "--update-docs",
        "--update-readme",
        dest="update_docs",
        action="store_true",
        help="also replace the <!-- bench begin/end --> section of docs/performance.md with the tables "
        "(--update-readme: its old name, in the recorded commands)",
    )
    args = p.parse_args()
    parts = args.only or list(PARTS)
    from ganzoo.registry import ZOO

    # translation models (no latent) have their own part; every other part times generators
    named = args.entries or ganzoo.list_models(with_weights=True)
    entries = [e for e in named if not is_translation(e)]
    translators = [e for e in named if is_translation(e)] if args.entries else [n for n in ZOO if is_translation(n)]
    import onnxruntime

    res = {
        "date": datetime.date.today().isoformat(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "repeats": args.repeats,
        "command": "python benchmarks/bench.py " + " ".join(sys.argv[1:]),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.merge:  # the earlier run's header stays; this re-run is listed after its command, with its repeats
        if not args.only or not (out / "results.json").is_file():
            p.error(f"--merge needs --only and an earlier {out / 'results.json'} to merge into")
        rerun = [f"{res['date']}, medians of {args.repeats} timings", res["command"]]
        res = json.loads((out / "results.json").read_text())
        res["reruns"] = [r for r in res.get("reruns", []) if r[1] != rerun[1]] + [rerun]

    def save() -> None:  # after every part, so a failure late in the run keeps what was measured
        (out / "results.json").write_text(json.dumps(res, indent=1) + "\n")
        (out / "results.md").write_text(markdown(res))

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if "sampling" in parts:
            res["sampling"] = bench_sampling(entries, args.repeats, tmp)
            save()
        conv = [e for e in ("dcgan-mnist", "cgan-fashion-mnist") if e in entries]
        if "forms" in parts:
            res["forms"] = bench_forms(conv, args.repeats, tmp)
            save()
        if "paths" in parts:
            res["paths"] = bench_paths(entries, args.repeats)
            save()
        if "profile" in parts:
            res["profile"] = bench_profile(conv[0] if conv else entries[0], tmp)
            save()
        if "precision" in parts:
            res["precision"] = bench_precision(
                [e for e in ("dcgan-mnist", "dcgan-fashion-mnist") if e in entries], args.repeats, tmp, args.data_root
            )
            save()
        if "compile" in parts:
            res["compile"] = bench_compile("dcgan-mnist" if "dcgan-mnist" in entries else entries[0], args.repeats)
            save()
        if "cold" in parts:
            res["cold"] = bench_cold(args.repeats, tmp, "dcgan-mnist" if "dcgan-mnist" in entries else entries[0])
            save()
        if "translation" in parts and translators:
            res["translation"] = bench_translation(translators, args.repeats, tmp)
            save()
        if "training" in parts:
            from training.recipes import RECIPES

            recipes = [n for n in RECIPES if n.endswith("-mnist") and not n.endswith("fashion-mnist")]
            res["training"] = bench_training(recipes, args.train_steps, min(args.repeats, 3), args.data_root, tmp)
            save()
    print(markdown(res))
    if args.update_docs:
        from training.markers import replace_section

        replace_section(DOC, "bench", markdown(res))


if __name__ == "__main__":
    main()

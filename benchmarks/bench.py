"""ganzoo benchmarks: sampling throughput, cold start and training throughput on this machine.

    python benchmarks/bench.py                       # everything; ~10 minutes on 2 cores
    python benchmarks/bench.py --only sampling --entries dcgan-mnist --repeats 3

Writes OUT/results.json (every timing) and OUT/results.md (the README's tables); OUT defaults
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

BATCHES = (1, 16, 64, 256)


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


def matmul_peak(repeats: int) -> float:
    """This CPU's fp32 matrix-multiply rate (FLOP/s) with torch's current thread count."""
    n = 1024
    a, b = torch.randn(n, n), torch.randn(n, n)
    return 2 * n ** 3 / timeit(lambda: a @ b, repeats, min_time=0.2)


def flops_per_image(model) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    z = torch.randn(8, model.latent_dim)
    y = torch.arange(8) % model.num_classes if model.conditional else None
    with FlopCounterMode(display=False) as fc:
        model.generator(z, y)
    return fc.get_total_flops() / 8


# -- sampling --------------------------------------------------------------------------------
def bench_sampling(entries: list[str], repeats: int, tmp: Path) -> dict:
    peak = matmul_peak(repeats)
    out = {"matmul_peak_gflops": round(peak / 1e9, 1), "threads": torch.get_num_threads(), "entries": {}}
    for name in entries:
        model = ganzoo.load(name)
        fl = flops_per_image(model)
        onnx_path = tmp / f"{name}.onnx"
        model.export_onnx(onnx_path, check=False)
        rt = OnnxGenerator(onnx_path)
        # the cheap tricks: channels_last for conv nets, raw generator call under inference_mode, 1 thread at batch 1
        fast = ganzoo.load(name)
        conv = any(isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)) for m in fast.generator.modules())
        if conv:
            fast.generator.to(memory_format=torch.channels_last)
        g = fast.generator
        rows = {}
        for b in BATCHES:
            z = torch.randn(b, model.latent_dim)
            y = torch.arange(b) % model.num_classes if model.conditional else None
            zn, yn = z.numpy(), None if y is None else y.numpy()

            def tricks():
                with torch.inference_mode():
                    return g(z, y).add_(1).mul_(0.5).clamp_(0, 1)

            t = {"eager": timeit(lambda: model.generate(z, y), repeats)}
            # thread setting: one image is too little work to split across cores
            threads = torch.get_num_threads()
            torch.set_num_threads(1 if b == 1 else threads)
            t["tricks"] = timeit(tricks, repeats)
            torch.set_num_threads(threads)
            t["onnxruntime"] = timeit(lambda: rt.generate(zn, yn), repeats)
            rows[b] = {k: {"ms_per_batch": round(v * 1e3, 3), "images_per_s": round(b / v, 1),
                           "peak_fraction": round(fl * b / v / peak, 4)} for k, v in t.items()}
        out["entries"][name] = {"gflops_per_image": round(fl / 1e9, 5), "batches": rows}
        print(f"sampling {name}: " + ", ".join(
            f"b{b} eager {r['eager']['ms_per_batch']:.2f} tricks {r['tricks']['ms_per_batch']:.2f} "
            f"ort {r['onnxruntime']['ms_per_batch']:.2f} ms" for b, r in rows.items()), flush=True)
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
        f"ganzoo sample {entry} -n 16 -o x.png": [py, "-m", "ganzoo", "sample", entry, "-n", "16", "-o",
                                                  str(tmp / "x.png")],
        f"import ganzoo; ganzoo.load('{entry}').sample(16)": [
            py, "-c", f"import ganzoo; ganzoo.load('{entry}').sample(16)"],
        "torch-free: OnnxGenerator(f).sample(16)": [
            py, "-c", block_torch + f"from ganzoo.runtime import OnnxGenerator; "
                                    f"OnnxGenerator({str(onnx_path)!r}).sample(16)"],
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
    lines = [f"Measured {res['date']} on {res['cpu']} ({res['cores']} cores), torch {res['torch']}, "
             f"onnxruntime {res['onnxruntime']}. Regenerate with `{res['command']}`. Medians of "
             f"{res['repeats']} timings."]
    s = res.get("sampling")
    if s:
        lines += ["", f"**Sampling** ({s['threads']} threads; fp32 matmul peak measured at "
                  f"{s['matmul_peak_gflops']} GFLOP/s). ms per batch (images/s), share of that peak in brackets.",
                  "", "| entry | GFLOP/img | batch | torch eager | torch + tricks | onnxruntime | ort / eager |",
                  "|---|---|---|---|---|---|---|"]
        for name, e in s["entries"].items():
            for b, r in e["batches"].items():
                cells = [f"{r[k]['ms_per_batch']:.2f} ({r[k]['images_per_s']:.0f}/s) [{r[k]['peak_fraction']:.1%}]"
                         for k in ("eager", "tricks", "onnxruntime")]
                speed = r["eager"]["ms_per_batch"] / r["onnxruntime"]["ms_per_batch"]
                lines.append(f"| {name} | {e['gflops_per_image']:.4f} | {b} | " + " | ".join(cells)
                             + f" | {speed:.2f}x |")
    c = res.get("compile")
    if c:
        lines += ["", f"**torch.compile** on {c['entry']}: " + (
            c.get("error") or f"compile {c['compile_s']} s; " + ", ".join(
                f"batch {b}: {c[f'b{b}_ms']} ms vs eager {c[f'b{b}_eager_ms']} ms" for b in (1, 16, 256)))]
    cold = res.get("cold")
    if cold:
        lines += ["", "**Cold start** (fresh process, wall seconds)", "", "| command | s |", "|---|---|"]
        lines += [f"| `{k}` | {v:.3f} |" for k, v in cold.items()]
    t = res.get("training")
    if t:
        lines += ["", f"**Training** (1 thread, as the zoo is trained; {t['steps']} generator steps, "
                  "no evaluation). Images/s counts real images the discriminator sees.", "",
                  "| recipe | s/step | images/s | plain loop images/s | our time / plain |", "|---|---|---|---|---|"]
        for name, r in t["recipes"].items():
            lines.append(f"| {name} | {r['s_per_step']} | {r['images_per_s']} | "
                         f"{r.get('plain_loop_images_per_s', '')} | {r.get('ours_over_plain_time', '')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", choices=["sampling", "compile", "cold", "training"], action="append")
    p.add_argument("--entries", nargs="*", help="zoo entries (default: every entry with weights)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--train-steps", type=int, default=60)
    p.add_argument("--data-root", default=os.environ.get("GANZOO_DATA") or str(ROOT.parent / "shared" / "data"),
                   help="MNIST for the training part (default $GANZOO_DATA, else ../shared/data)")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    p.add_argument("--update-readme", action="store_true",
                   help="also replace the README's <!-- bench begin/end --> section with the tables")
    args = p.parse_args()
    parts = args.only or ["sampling", "compile", "cold", "training"]
    entries = args.entries or ganzoo.list_models(with_weights=True)
    import onnxruntime

    res = {"date": datetime.date.today().isoformat(), "cpu": cpu_model(), "cores": os.cpu_count(),
           "torch": torch.__version__, "onnxruntime": onnxruntime.__version__, "repeats": args.repeats,
           "command": "python benchmarks/bench.py " + " ".join(sys.argv[1:])}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def save() -> None:  # after every part, so a failure late in the run keeps what was measured
        (out / "results.json").write_text(json.dumps(res, indent=1) + "\n")
        (out / "results.md").write_text(markdown(res))

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if "sampling" in parts:
            res["sampling"] = bench_sampling(entries, args.repeats, tmp)
            save()
        if "compile" in parts:
            res["compile"] = bench_compile("dcgan-mnist" if "dcgan-mnist" in entries else entries[0], args.repeats)
            save()
        if "cold" in parts:
            res["cold"] = bench_cold(args.repeats, tmp, "dcgan-mnist" if "dcgan-mnist" in entries else entries[0])
            save()
        if "training" in parts:
            from training.recipes import RECIPES

            recipes = [n for n in RECIPES if n.endswith("-mnist") and not n.endswith("fashion-mnist")]
            res["training"] = bench_training(recipes, args.train_steps, min(args.repeats, 3), args.data_root, tmp)
            save()
    print(markdown(res))
    if args.update_readme:
        from training.markers import replace_section

        replace_section(ROOT / "README.md", "bench", markdown(res))


if __name__ == "__main__":
    main()

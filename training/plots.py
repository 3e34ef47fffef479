"""Training curves as one PNG, drawn with PIL alone (no plotting library needed).

    python -m training.plots runs/dcgan-mnist      # writes runs/dcgan-mnist/curves.png

Three panels from the run's log.csv and eval.csv: D and G losses, mean D(x) and D(G(z)) (for
a Wasserstein critic: mean critic values) over generator steps, and the selection FD over
CPU minutes, the axis recipes are compared on.
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ganzoo.fileio import atomic_write

W, H = 420, 300  # one panel
PAD_L, PAD_R, PAD_T, PAD_B = 58, 12, 28, 36
COLORS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40)]
Series = tuple[str, list[float], list[float]]


def read_csv(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def column(rows: list[dict], x: str, y: str, scale: float = 1.0) -> tuple[list[float], list[float]]:
    """(xs, ys) of the rows where both cells hold numbers."""
    xs, ys = [], []
    for r in rows:
        try:
            a, b = float(r[x]) * scale, float(r[y])
        except (KeyError, TypeError, ValueError):
            continue
        if math.isfinite(a) and math.isfinite(b):
            xs.append(a)
            ys.append(b)
    return xs, ys


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]


def _fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.2e}"


def panel(title: str, xlabel: str, series: list[Series], *, log_y: bool = False) -> Image.Image:
    """One line chart: axes with five ticks each, a legend, and `series` as (label, xs, ys)."""
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=12)
    d.text((PAD_L, 6), title, fill="black", font=font)
    d.text((PAD_L + (W - PAD_L - PAD_R) // 2 - 3 * len(xlabel), H - 16), xlabel, fill="black", font=font)
    pts = [(x, y) for _, xs, ys in series for x, y in zip(xs, ys) if not log_y or y > 0]
    x0, y0, x1, y1 = PAD_L, PAD_T, W - PAD_R, H - PAD_B
    d.rectangle([x0, y0, x1, y1], outline="black")
    if not pts:
        d.text((x0 + 10, y0 + 10), "no data yet", fill="gray", font=font)
        return img
    fy = (lambda v: math.log10(v)) if log_y else (lambda v: v)
    xlo, xhi = min(p[0] for p in pts), max(p[0] for p in pts)
    ylo, yhi = min(fy(p[1]) for p in pts), max(fy(p[1]) for p in pts)
    xhi, yhi = (xhi if xhi > xlo else xlo + 1), (yhi if yhi > ylo else ylo + 1)

    def to_px(x: float, y: float) -> tuple[float, float]:
        return (x0 + (x - xlo) / (xhi - xlo) * (x1 - x0), y1 - (fy(y) - ylo) / (yhi - ylo) * (y1 - y0))

    for t in _ticks(xlo, xhi):
        px = x0 + (t - xlo) / (xhi - xlo) * (x1 - x0)
        d.line([px, y1, px, y1 + 4], fill="black")
        d.text((px - 12, y1 + 6), _fmt(t), fill="black", font=font)
    for t in _ticks(ylo, yhi):
        py = y1 - (t - ylo) / (yhi - ylo) * (y1 - y0)
        d.line([x0 - 4, py, x0, py], fill="black")
        d.line([x0, py, x1, py], fill=(235, 235, 235))
        d.text((2, py - 7), _fmt(10**t if log_y else t), fill="black", font=font)
    for i, (label, xs, ys) in enumerate(series):
        color = COLORS[i % len(COLORS)]
        line = [to_px(x, y) for x, y in zip(xs, ys) if not log_y or y > 0]
        if len(line) > 1:
            d.line(line, fill=color, width=2)
        elif line:
            d.ellipse([line[0][0] - 2, line[0][1] - 2, line[0][0] + 2, line[0][1] + 2], fill=color)
        ly = y0 + 13 + 14 * i
        d.line([x1 - 118, ly, x1 - 104, ly], fill=color, width=2)
        d.text((x1 - 100, ly - 7), label, fill=color, font=font)
    return img


def plot_run(run: str | Path, out: str | Path | None = None) -> Path:
    """Write the run's curves PNG (default RUN/curves.png); returns its path."""
    run = Path(run)
    log, ev = read_csv(run / "log.csv"), read_csv(run / "eval.csv")
    wasserstein = any(r.get("wasserstein") for r in log)
    what = "critic" if wasserstein else "D"
    if log and "recon" in log[0]:  # the VAE: its ELBO terms instead of the two players
        first = [
            panel("negative ELBO (nats per image)", "step", [("-ELBO", *column(log, "step", "loss_g"))]),
            panel(
                "its terms (nats per image)",
                "step",
                [("reconstruction", *column(log, "step", "recon")), ("KL", *column(log, "step", "kl"))],
            ),
        ]
    else:
        first = [
            panel(
                "losses",
                "generator step",
                [("D loss", *column(log, "step", "loss_d")), ("G loss", *column(log, "step", "loss_g"))],
            ),
            panel(
                f"mean {what}(x) and {what}(G(z))",
                "generator step",
                [(f"{what}(x)", *column(log, "step", "d_real")), (f"{what}(G(z))", *column(log, "step", "d_fake"))],
            ),
        ]
    panels = [
        *first,
        panel(
            "selection FD (log scale)", "CPU minutes", [("FD", *column(ev, "cpu_seconds", "fd", 1 / 60))], log_y=True
        ),
    ]
    img = Image.new("RGB", (W * len(panels), H), "white")
    for i, p in enumerate(panels):
        img.paste(p, (i * W, 0))
    out = Path(out) if out else run / "curves.png"
    atomic_write(out, lambda f: img.save(f, format="PNG"))
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m training.plots", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("runs", nargs="+", help="run folders (with log.csv, eval.csv)")
    for run in p.parse_args(argv).runs:
        print(plot_run(run))


if __name__ == "__main__":
    main()

"""What a run writes to disk: atomic files, the CSV logs, TensorBoard events.

Every file a kill could leave half-written is written to NAME.tmp first and renamed, so a
crash leaves the old or the new version, never a mix; `remove_leftovers` clears the .tmp files.
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import torch


def atomic_torch_save(obj, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)  # a crash leaves either the old or the new checkpoint, never half of one


def atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def remove_leftovers(out: Path) -> None:
    """Remove what a killed run left half-written (*.tmp files and folders, *.old folders)."""
    for p in [*out.glob("*.tmp"), *out.glob("*.old")]:
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)


def replace_dir(src: Path, dst: Path) -> None:
    old = dst.with_name(dst.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if dst.exists():
        os.replace(dst, old)
    os.replace(src, dst)
    shutil.rmtree(old, ignore_errors=True)


class CSVLog:
    """Append-only CSV. On resume the rows logged after the checkpoint are dropped by an atomic rewrite
    (a kill during the rewrite leaves the old file), and a line torn by a kill is skipped."""

    def __init__(self, path: Path, fields: list[str], resume_step: int | None):
        self.path, self.fields = path, fields
        rows = []
        if resume_step is not None and path.exists():
            with open(path, newline="") as f:
                for r in csv.DictReader(f):
                    try:
                        if int(r["step"]) <= resume_step:
                            rows.append(r)
                    except (TypeError, ValueError):
                        continue
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fields, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
        os.replace(tmp, path)

    def write(self, row: dict) -> None:
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, self.fields, extrasaction="ignore").writerow(row)


class TensorBoardLog:
    """Scalars and sample grids for TensorBoard (`tensorboard --logdir runs`), when it is installed.

    On resume, events logged after the checkpoint's step are purged, like the CSV rows.
    """

    def __init__(self, folder: Path, resume_step: int | None):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # optional: pip install tensorboard (in ganzoo-models[train])
            self.writer = None
            return
        self.writer = SummaryWriter(str(folder), purge_step=resume_step)

    def scalars(self, step: int, values: dict, prefix: str = "") -> None:
        if self.writer is None:
            return
        for k, v in values.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "step":
                self.writer.add_scalar(prefix + k, v, step)

    def image(self, tag: str, grid_hwc, step: int) -> None:
        if self.writer is not None:
            self.writer.add_image(tag, grid_hwc, step, dataformats="HWC")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()

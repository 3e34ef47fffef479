"""What a run writes to disk: checkpoints with checksums, the CSV logs, TensorBoard events.

Every file a kill could leave half-written goes through ganzoo.fileio (a unique temporary name,
then a rename), so a crash leaves the old or the new version, never a mix.

Checkpoints: OUT/ckpt.pt (the latest) and OUT/ckpt.prev.pt (the one before), each with a SHA-256
file in `sha256sum` format (OUT/ckpt.pt.sha256, OUT/ckpt.prev.pt.sha256). A checkpoint is intact
when its hash is one recorded there; the order of the renames in `save_checkpoint` keeps that true
at every instant, so a kill while saving never makes a good checkpoint look damaged.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from pathlib import Path

import torch

from ganzoo.errors import TrainingError
from ganzoo.fileio import atomic_write_text, write_temp

CKPT, PREV = "ckpt.pt", "ckpt.prev.pt"


def _sums(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def recorded_hashes(out: Path) -> set[str] | None:
    """The SHA-256 values in the run's checksum files; None when there are none (a run saved before checksums)."""
    found = None
    for name in (CKPT, PREV):
        try:
            text = _sums(out / name).read_text(errors="replace")
        except OSError:
            continue
        found = (found or set()) | {line.split()[0] for line in text.splitlines() if line.split()}
    return found


def save_checkpoint(state: dict, out: Path, current_hash: str | None) -> str:
    """Write `state` as OUT/ckpt.pt, the former one kept as ckpt.prev.pt; returns the new file's SHA-256.

    `current_hash` is the hash of the ckpt.pt being replaced (None when there is none). Everything that
    needs disk space is written first under temporary names, so a full disk changes nothing; then four
    renames, ordered so that every checkpoint present at any instant matches a recorded hash.
    """
    path, prev = out / CKPT, out / PREV
    tmp = write_temp(path, lambda f: torch.save(state, f))
    temps = [tmp]
    try:
        digest = sha256_of(tmp)
        new_sums = write_temp(_sums(path), lambda f: f.write(f"{digest}  {CKPT}\n".encode()))
        temps.append(new_sums)
        if path.exists():
            current_hash = current_hash or sha256_of(path)
            old_sums = write_temp(_sums(prev), lambda f: f.write(f"{current_hash}  {PREV}\n".encode()))
            temps.append(old_sums)
            os.replace(path, prev)  # prev = the former ckpt, whose hash is still in ckpt.pt.sha256
            os.replace(old_sums, _sums(prev))
        os.replace(new_sums, _sums(path))  # the former ckpt (now prev) is matched by ckpt.prev.pt.sha256
        os.replace(tmp, path)
    finally:
        for t in temps:
            t.unlink(missing_ok=True)
    return digest


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_verified(path: Path, known: set[str] | None) -> tuple[dict, str]:
    """(checkpoint dict, its SHA-256): the bytes are checked against the recorded hashes, then loaded
    with weights_only=True (no pickle code runs). A damaged file is a TrainingError naming it."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if known is not None and digest not in known:
        raise TrainingError(
            f"checkpoint {path} is damaged: its SHA-256 ({digest[:16]}...) is not the one recorded "
            f"when it was saved (in {_sums(path).name})"
        )
    try:
        ck = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unpickling failure means a bad file
        raise TrainingError(f"checkpoint {path} is damaged or not a ganzoo checkpoint ({e})") from None
    if not isinstance(ck, dict) or not {"recipe", "step", "G", "D"} <= set(ck):
        raise TrainingError(f"checkpoint {path} is not a ganzoo training checkpoint")
    return ck, digest


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
        text = io.StringIO(newline="")
        w = csv.DictWriter(text, fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
        atomic_write_text(path, text.getvalue())

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

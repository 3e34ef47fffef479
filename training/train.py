"""Train a zoo entry from its recipe.

    python -m training.train dcgan-mnist [--data-root ../shared/data] [--out runs/dcgan-mnist]
                             [--steps=200 --model.g_width=64 ...] [--resume]
    torchrun --nproc_per_node=2 -m training.train dcgan-mnist ...   # data-parallel

Writes OUT/log.csv (losses, D(x), D(G(z)), Wasserstein estimate, gradient norms), OUT/eval.csv,
OUT/samples/step_*.png (a fixed latent batch), OUT/ckpt.pt (atomic, every ckpt_every steps and on
Ctrl-C; the one before kept as OUT/ckpt.prev.pt, each with a .sha256 file checked at --resume) and
at the end OUT/model: a ganzoo model folder holding the best checkpoint by the evaluation metric.
One run at a time may use OUT: it is locked (OUT/.ganzoo.lock) while a run is in it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import signal
import sys
import threading
import time
import warnings
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from ganzoo.cli import integer
from ganzoo.errors import GanzooError, TrainingError, escaped
from ganzoo.fileio import (
    DISK_FULL,
    FileWriteError,
    FolderLock,
    atomic_folder,
    atomic_write_text,
    remove_leftovers,
    write_error,
)
from ganzoo.folder import save_folder
from ganzoo.images import make_grid, save_grid
from ganzoo.model import to_unit_range
from ganzoo.models import build, build_meta
from ganzoo.registry import DATASETS

from .data import Batches, load_images
from .distributed import destroy, dist_info, setup_distributed, unwrap, wrap_ddp
from .ema import EMA
from .objectives import make_objective
from .optim import make_optimizers
from .plots import plot_run
from .runlog import CKPT, PREV, CSVLog, TensorBoardLog, load_verified, recorded_hashes, save_checkpoint
from .recipes import (
    RECIPES,
    VERSIONS,
    Recipe,
    apply_overrides,
    drop_options,
    get_recipe,
    recipe_from_dict,
    resume_overrides,
)


EVAL_FIELDS = ("step", "fd", "min_class_share", "label_accuracy", "diversity", "cpu_seconds", "wall_seconds")


class TrainingDiverged(TrainingError):
    """A loss became NaN or inf; the message points at the last checkpoint."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C / SIGTERM: the run stopped at a step boundary and saved its checkpoint (if it could)."""


def read_checkpoint(out: Path) -> tuple[dict, str]:
    """(checkpoint, its SHA-256) of the run in `out`, checked against the hash recorded when it was saved
    and loaded with weights_only=True. A damaged file is an error naming it and the usable earlier one."""
    path = out / CKPT
    if not path.is_file():
        prev = _intact(out / PREV)
        if prev is not None:
            raise TrainingError(
                f"{path} is missing (the run was killed while saving?), but {out / PREV} (step "
                f"{prev}) is intact: continue from it with `mv {out / PREV} {path}`, then "
                "--resume again."
            )
        raise TrainingError(
            f"--resume given but there is no checkpoint at {path}; run without --resume to start "
            "a new run there, or point --out at the run folder."
        )
    known = recorded_hashes(out)
    if known is None:
        print(
            f"note: {path} has no checksum file (it was saved by an older ganzoo); it cannot be checked for damage.",
            file=sys.stderr,
        )
    try:
        return load_verified(path, known)
    except TrainingError as e:
        prev = _intact(out / PREV)
        if prev is None:
            raise TrainingError(
                f"{e}. No intact earlier checkpoint is left ({out / PREV} is missing or damaged too): "
                "start over with --overwrite (the run folder is moved aside, not deleted)."
            ) from None
        raise TrainingError(
            f"{e}. The previous checkpoint {out / PREV} (step {prev}) is intact: to continue from "
            f"it, move the damaged file aside and put it in its place (`mv {path} {path}.damaged && "
            f"mv {out / PREV} {path}`), then --resume again; or start over with --overwrite."
        ) from None


def _intact(path: Path) -> int | None:
    """The step of a checkpoint that passes its checksum (and loads), else None."""
    known = recorded_hashes(path.parent)
    if not path.is_file() or known is None:
        return None
    try:
        return int(load_verified(path, known)[0]["step"])
    except (TrainingError, OSError):
        return None


# -- helpers ---------------------------------------------------------------------------------
def grad_norm(module: nn.Module) -> float:
    norms = [p.grad.detach().norm() for p in module.parameters() if p.grad is not None]
    return float(torch.stack(norms).norm()) if norms else 0.0


# -- the run ---------------------------------------------------------------------------------
class Trainer:
    def __init__(
        self,
        recipe: Recipe,
        out: Path,
        *,
        data_root=None,
        download=False,
        device: str | None = None,
        threads: int | None = None,
        quiet: bool = False,
        max_cpu_minutes: float = 0.0,
    ):
        self.r, self.out = recipe, Path(out)
        self.max_cpu_minutes = max_cpu_minutes
        self.rank, self.world, self.device = setup_distributed(device)
        self.main = self.rank == 0
        self.quiet = quiet or not self.main
        self.threads_given = bool(threads)
        if threads:
            torch.set_num_threads(threads)
        if recipe.batch_size % self.world:
            raise TrainingError(
                f"batch_size {recipe.batch_size} must be divisible by the number of "
                f"processes ({self.world}); the global batch is kept equal to the recipe's."
            )
        x, y = load_images(
            recipe.dataset,
            data_root,
            train=True,
            download=download and self.main,
            image_size=recipe.model_config().image_size,
        )
        if recipe.subset:
            x, y = x[: recipe.subset], y[: recipe.subset]
        if len(x) // self.world < recipe.batch_size // self.world:
            raise TrainingError(
                f"batch_size {recipe.batch_size} is larger than the training data ({len(x)} images of "
                f"{recipe.dataset}{f' over {self.world} processes' if self.world > 1 else ''}): "
                f"choose --batch_size={len(x) // self.world * self.world} or smaller."
            )
        torch.manual_seed(recipe.seed)
        self.cfg = recipe.model_config()
        G, D = build(recipe.arch, self.cfg)
        self.G, self.D = G.to(self.device), (D.to(self.device) if D is not None else None)  # None: a VAE
        self.ema = EMA(self.G, recipe.ema) if recipe.ema > 0 else None
        if self.world > 1:
            self.G, self.D = wrap_ddp(self.G, self.D, self.device)
        self.obj = make_objective(
            recipe.objective,
            clip=recipe.clip,
            gp_weight=recipe.gp_weight,
            gp_every=recipe.gp_every,
            joint=recipe.d_joint_batch,
            r1_gamma=recipe.r1_gamma,
            pool_size=getattr(self.cfg, "pool_size", 0),
        )
        self.opt_g, self.opt_d = make_optimizers(recipe, self.G, self.D)
        self.data_root = data_root
        self.batches = Batches(x, y, recipe.batch_size // self.world, recipe.seed, self.rank, self.world)
        # A translation architecture's config names a second data set (domain_b): its objective draws unpaired
        # batches of it from batches_b, shuffled with another seed (both sets have 60k images: the same seed
        # would pair image i of A with image i of B in every epoch).
        self.batches_b: Batches | None = None
        domain_b = getattr(self.cfg, "domain_b", None)
        if domain_b is not None:
            xb, yb = load_images(domain_b, data_root, train=True, download=download and self.main)
            if recipe.subset:
                xb, yb = xb[: recipe.subset], yb[: recipe.subset]
            self.batches_b = Batches(xb, yb, recipe.batch_size // self.world, recipe.seed + 1, self.rank, self.world)
        # Noise, labels and GP epsilons come from our own generator, so its state can be checkpointed.
        self.noise = torch.Generator().manual_seed(recipe.seed * 7919 + 1 + self.rank)
        fixed = torch.Generator().manual_seed(recipe.seed + 12345)
        self.fixed_z = torch.randn(64, self.cfg.latent_dim, generator=fixed).to(self.device)
        self.fixed_y = (torch.arange(64) % self.cfg.num_classes).to(self.device) if self.cfg.num_classes else None
        self.step, self.saved_step, self.best, self.best_step = 0, 0, float("inf"), -1
        self.ckpt_hash: str | None = None  # SHA-256 of OUT/ckpt.pt as last written or resumed from
        # training time so far, carried in checkpoints so a killed and resumed run still adds up
        self.elapsed = {"wall": 0.0, "cpu": 0.0}
        self._t0, self._c0 = time.time(), time.process_time()
        self.warnings: list[str] = []
        self.tb: TensorBoardLog | None = None  # set by run() on the main rank
        # each process that trained this run: command, wall and CPU seconds (carried in checkpoints)
        self.sessions: list[dict] = []
        self.command, self._session_t0, self._session_c0 = "", time.time(), time.process_time()
        self.out.mkdir(parents=True, exist_ok=True)
        if self.main:
            remove_leftovers(self.out)
        (self.out / "samples").mkdir(exist_ok=True)
        self.can_eval = DATASETS[recipe.dataset].zoo and recipe.eval_every > 0  # ganzoo has its classifier

    # -- checkpoints --------------------------------------------------------------------------
    @property
    def ckpt_path(self) -> Path:
        return self.out / "ckpt.pt"

    def state(self) -> dict:
        return {
            "step": self.step,
            "batches": self.batches.consumed,
            "batches_b": self.batches_b.consumed if self.batches_b is not None else 0,
            "best": self.best,
            "best_step": self.best_step,
            "G": unwrap(self.G).state_dict(),
            "D": unwrap(self.D).state_dict() if self.D is not None else {},
            "G_ema": self.ema.module.state_dict() if self.ema is not None else {},
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict() if self.opt_d is not None else {},
            "torch_rng": torch.get_rng_state(),
            "noise_rng": self.noise.get_state(),
            "recipe": json.loads(json.dumps(dataclasses.asdict(self.r))),
            "world_size": self.world,
            "threads": torch.get_num_threads(),
            "objective": self.obj.state_dict(),
            "elapsed": self.elapsed_now(),
            "warnings": list(self.warnings),
            "sessions": self.all_sessions(),
        }

    def all_sessions(self) -> list[dict]:
        return [
            *self.sessions,
            {
                "command": self.command,
                "wall_seconds": round(time.time() - self._session_t0, 1),
                "cpu_seconds": round(time.process_time() - self._session_c0, 1),
                "hardware": hardware(self.device),
            },
        ]

    def over_budget(self) -> bool:
        """True once --max-cpu-minutes (proxy runs compared at equal CPU time) is spent."""
        return bool(self.max_cpu_minutes) and self.elapsed_now()["cpu"] >= 60 * self.max_cpu_minutes

    def elapsed_now(self) -> dict:
        return {
            "wall": self.elapsed["wall"] + time.time() - self._t0,
            "cpu": self.elapsed["cpu"] + time.process_time() - self._c0,
        }

    def save_checkpoint(self) -> None:
        if self.main:
            try:
                self.ckpt_hash = save_checkpoint(self.state(), self.out, self.ckpt_hash)
            except FileWriteError as e:
                raise FileWriteError(f"could not save the checkpoint of step {self.step}: {e}") from None
        self.saved_step = self.step

    def kept(self) -> str:
        """What is left to resume from, for an error that stops the run."""
        if not self.ckpt_path.exists():
            return "No checkpoint was saved yet."
        return (
            f"The last checkpoint, {self.ckpt_path} (step {self.saved_step}), is kept: continue from it with --resume."
        )

    def load_checkpoint(self, ck: dict, digest: str | None = None) -> None:
        """Continue from a checkpoint read by `read_checkpoint` (its recipe equals this run's)."""
        self.ckpt_hash = digest
        unwrap(self.G).load_state_dict(ck["G"])
        if self.D is not None:
            unwrap(self.D).load_state_dict(ck["D"])
        if self.ema is not None and ck["G_ema"]:
            self.ema.module.load_state_dict(ck["G_ema"])
        self.opt_g.load_state_dict(ck["opt_g"])
        if self.opt_d is not None:
            self.opt_d.load_state_dict(ck["opt_d"])
        torch.set_rng_state(ck["torch_rng"])
        self.noise.set_state(ck["noise_rng"])
        self.obj.load_state_dict(ck.get("objective", {}))  # e.g. CycleGAN's image pools (rank 0's, on every rank)
        # The noise stream is per rank: a resume under another world size re-seeds it from the step.
        if ck.get("world_size", 1) != self.world or self.rank:
            self.noise.manual_seed(self.r.seed * 7919 + 1 + self.rank + 104729 * ck["step"])
        self.step, self.best, self.best_step = ck["step"], ck["best"], ck["best_step"]
        self.saved_step = self.step
        self.sessions = list(ck.get("sessions", []))
        self.elapsed = dict(ck.get("elapsed", {"wall": 0.0, "cpu": 0.0}))
        self.warnings = list(ck.get("warnings", []))  # a resumed run's result keeps the earlier warnings
        # batches consumed per rank scale with world size: keep the global position
        self.batches.consumed = ck["batches"] * ck.get("world_size", 1) // self.world
        if self.batches_b is not None:
            self.batches_b.consumed = ck.get("batches_b", 0) * ck.get("world_size", 1) // self.world
        # CPU float sums depend on the thread count: continue with the checkpoint's, so a resumed run equals an
        # uninterrupted one (unless --threads says otherwise, which is then noted)
        saved = ck.get("threads")
        if saved and saved != torch.get_num_threads():
            if self.threads_given:
                self.warn(
                    f"resumed with {torch.get_num_threads()} threads; the checkpoint ran with {saved}: the "
                    "continuation will not bit-match an uninterrupted run"
                )
            else:
                torch.set_num_threads(saved)

    # -- one step -----------------------------------------------------------------------------
    def z(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.cfg.latent_dim, generator=self.noise).to(self.device)

    def train_step(self, log: bool = True) -> dict:
        """One update of the recipe's objective: the objective's own `step` where it has one (the VAE), else the
        adversarial alternation. Gradient norms only when logged."""
        self.follow_step()
        own = getattr(self.obj, "step", None)
        stats = own(self, log) if own is not None else self.adversarial_step(log)
        if self.ema is not None:  # after every generator update, whichever objective made it
            self.ema.update(unwrap(self.G), self.step)
        for k in [k for k in stats if k.startswith("loss")]:
            if not torch.isfinite(torch.tensor(stats[k])):
                raise TrainingDiverged(
                    f"{k} became {stats[k]} at step {self.step + 1}: training diverged. Lower the learning "
                    f"rates (--lr_d, --lr_g), or resume from the last checkpoint ({self.ckpt_path}) with a change."
                )
        return stats

    def follow_step(self) -> None:
        """Tell every network that follows the training step (declares `at_step`: ProGAN's growth) which update
        comes next. A pure function of the step, so a resumed run is where the uninterrupted one was."""
        for m in (unwrap(self.G), unwrap(self.D), self.ema.module if self.ema is not None else None):
            at_step = getattr(m, "at_step", None)
            if at_step is not None:
                at_step(self.step)

    def adversarial_step(self, log: bool = True) -> dict:
        """One generator update after n_critic discriminator updates."""
        G, D = self.G, self.D
        stats: dict = {}
        # Set from the recipe every step (not a stateful scheduler), so resume needs no extra state.
        f = self.r.lr_factor(self.step)
        for opt, lr in ((self.opt_g, self.r.lr_g), (self.opt_d, self.r.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr * f
        for i in range(self.r.n_critic):
            real, y = self.batches.next(self.device)
            y = y if self.cfg.num_classes else None
            with torch.no_grad():
                fake = unwrap(G)(self.z(real.shape[0]), y)
            loss_d, s = self.obj.d_loss(D, real, fake, y, self.noise, d_iter=self.step * self.r.n_critic + i)
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            if log:
                stats["grad_norm_d"] = grad_norm(D)
            self.opt_d.step()
            self.obj.after_d_step(D)
            stats.update(s, loss_d=loss_d.item())
        last_real = (real, y)  # what a joint-batch objective scores the fakes beside
        n = self.r.batch_size // self.world
        y = (
            torch.randint(0, self.cfg.num_classes, (n,), generator=self.noise).to(self.device)
            if self.cfg.num_classes
            else None
        )
        # G's update goes through the bare D: D is not being updated, so there is nothing to sync, and its weights
        # need no gradients (the next D update would discard them): about 8 % of a StyleGAN2 step.
        bare_d = unwrap(D)
        trained = [p for p in bare_d.parameters() if p.requires_grad]
        for p in trained:
            p.requires_grad_(False)
        try:
            loss_g = self.obj.g_loss(bare_d, G(self.z(n), y), y, real=last_real)
            # A generator may define its own regulariser (StyleGAN2's optional path-length term): (weighted penalty,
            # stats) on the updates it applies to, else None. One backward for both keeps DDP's single reduction.
            reg = getattr(unwrap(G), "regularizer", None)
            extra = reg(n, self.step) if reg is not None else None
            if extra is not None:
                stats.update(extra[1])
                loss_g_total = loss_g + extra[0]
            else:
                loss_g_total = loss_g
            self.opt_g.zero_grad(set_to_none=True)
            loss_g_total.backward()
        finally:
            for p in trained:
                p.requires_grad_(True)
        if log:
            stats["grad_norm_g"] = grad_norm(G)
        self.opt_g.step()
        stats["loss_g"] = loss_g.item()
        return stats

    # -- evaluation & outputs -----------------------------------------------------------------
    def eval_generator(self) -> nn.Module:
        return self.ema.module if self.ema is not None else unwrap(self.G)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, y) -> torch.Tensor:
        G = self.eval_generator()
        was = G.training
        G.eval()
        x = torch.cat([G(z[i : i + 500], None if y is None else y[i : i + 500]) for i in range(0, len(z), 500)])
        G.train(was)
        return to_unit_range(x).cpu()

    def sample_grid(self) -> tuple[torch.Tensor, int]:
        """(images in [0, 1], per row) of the run's fixed sample grid: the objective's own where it has one
        (CycleGAN: fixed real images above their translations), else the fixed latents' images."""
        own = getattr(self.obj, "sample_grid", None)
        return own(self) if own is not None else (self.generate(self.fixed_z, self.fixed_y), 8)

    def save_samples(self) -> Path:
        path = self.out / "samples" / f"step_{self.step:06d}.png"
        images, nrow = self.sample_grid()
        if not bool(torch.isfinite(images).all()):  # save_grid refuses them; say what it means for the run
            raise TrainingError(
                f"the sample grid at step {self.step} holds NaN or infinite values: the generator diverged. The last "
                "checkpoint is kept; continue from ckpt.prev.pt with a lower learning rate, or start again"
            )
        save_grid(images, path, nrow=nrow)
        if self.tb is not None:
            self.tb.image("samples", make_grid(images, nrow=nrow), self.step)
        return path

    def evaluate(self) -> dict:
        """Checkpoint selection metric: classifier FD against 10k *train* images (the test split is
        kept for the reported numbers). An objective with its own `evaluate` (CycleGAN) measures instead."""
        from ganzoo.metrics import compare, eval_latents, fd_key

        own = getattr(self.obj, "evaluate", None)
        if own is not None:
            spent = self.elapsed_now()
            return {
                "step": self.step,
                **own(self),
                "cpu_seconds": round(spent["cpu"], 1),
                "wall_seconds": round(spent["wall"], 1),
            }

        batches = list(eval_latents(self.r.eval_n, self.cfg.latent_dim, self.cfg.num_classes, seed=999))
        imgs = torch.cat(
            [self.generate(z.to(self.device), None if y is None else y.to(self.device)) for z, y in batches]
        )
        y = torch.cat([y for _, y in batches]) if self.cfg.num_classes else None
        m = compare(imgs, self.r.dataset, root=self.data_root, labels=y, full=False, split="train", n_real=10000)
        fd = m[fd_key(self.r.dataset)]
        if m["min_class_share"] < 0.02:
            self.warn(
                f"step {self.step}: possible mode collapse: only {m['classes_over_5pct']} classes over 5% "
                f"of samples (shares {m['class_share']})"
            )
        pix = imgs.flatten(1)
        diversity = float(torch.pdist(pix[:200]).mean())
        if diversity < 1.0:
            self.warn(
                f"step {self.step}: samples are nearly identical (mean pairwise L2 {diversity:.2f}): mode collapse"
            )
        spent = self.elapsed_now()
        return {
            "step": self.step,
            "fd": fd,
            "min_class_share": m["min_class_share"],
            "label_accuracy": m.get("label_accuracy", ""),
            "diversity": diversity,
            "cpu_seconds": round(spent["cpu"], 1),
            "wall_seconds": round(spent["wall"], 1),
        }

    def warn(self, msg: str) -> None:
        self.warnings.append(msg)
        if self.main:
            tqdm.write(f"WARNING: {msg}")
            warnings.warn(msg, RuntimeWarning, stacklevel=2)

    def write_model(self, dst: Path, extra: dict, curves: Path | None = None) -> None:
        def build(tmp: Path) -> None:
            save_folder(
                tmp,
                self.r.arch,
                self.cfg,
                self.eval_generator(),
                unwrap(self.D),
                dataset=self.r.dataset,
                class_names=list(DATASETS[self.r.dataset].class_names),
                training=extra,
                generator_dtype=torch.float16 if self.r.storage == "float16" else None,
            )
            images, nrow = self.sample_grid()
            save_grid(images, tmp / "samples.png", nrow=nrow)
            if curves is not None:
                shutil.copy2(curves, tmp / "curves.png")

        atomic_folder(dst, build, replace=True)  # dst is this run's own best/ or model/

    # -- loop ---------------------------------------------------------------------------------
    def run(self) -> dict:
        """Train to the recipe's steps (or a signal, or --max-cpu-minutes); returns the result."""
        try:
            return self._run()
        except OSError as e:  # a full disk anywhere (logs, samples, checkpoints): say so, keep what is saved
            if isinstance(e, FileWriteError) or e.errno in DISK_FULL:
                raise TrainingError(f"{write_error(e, e.filename or self.out)} {self.kept()}") from None
            raise

    def _run(self) -> dict:
        r = self.r
        log_fields = list(self.obj.log_fields)
        resume_step = self.step if self.step else None
        log = CSVLog(self.out / "log.csv", log_fields, resume_step) if self.main else None
        elog = (
            CSVLog(
                self.out / "eval.csv",
                list(getattr(self.obj, "eval_fields", EVAL_FIELDS)),
                resume_step,
            )
            if self.main and self.can_eval
            else None
        )
        tb = TensorBoardLog(self.out / "tensorboard", resume_step) if self.main else None
        self.tb = tb
        t0, t_log, imgs = time.time(), time.time(), 0
        bar = tqdm(total=r.steps, initial=self.step, desc=r.name, disable=self.quiet, dynamic_ncols=True)
        with StopOnSignal(self) as stop:
            try:
                while self.step < r.steps and not self.over_budget() and not stop.requested():
                    logging = self.main and ((self.step + 1) % r.log_every == 0 or self.step + 1 == r.steps)
                    stats = self.train_step(log=logging)
                    self.step += 1
                    imgs += r.batch_size * r.n_critic
                    bar.update(1)
                    if logging:
                        now = time.time()
                        stats["images_per_s"] = round(imgs / max(now - t_log, 1e-9), 1)
                        t_log, imgs = now, 0
                        log.write({"step": self.step, **stats})
                        tb.scalars(self.step, stats, "train/")
                        bar.set_postfix({k[5:] or k: f"{v:.3f}" for k, v in stats.items() if k.startswith("loss")})
                        note = self.obj.diagnose(stats, self.step)
                        if note:
                            self.warn(note)
                    if self.main and r.sample_every and self.step % r.sample_every == 0:
                        self.save_samples()
                    if (
                        self.main
                        and self.can_eval
                        and (self.step % r.eval_every == 0 or self.step == r.steps or self.over_budget())
                    ):
                        e = self.evaluate()
                        elog.write(e)
                        tb.scalars(self.step, e, "eval/")
                        plot_run(self.out)
                        bar.set_postfix(fd=f"{e['fd']:.2f}", best=f"{min(self.best, e['fd']):.2f}")
                        if e["fd"] < self.best:
                            self.best, self.best_step = e["fd"], self.step
                            self.write_model(self.out / "best", {"step": self.step, "selection_fd_train": e["fd"]})
                    if r.ckpt_every and self.step % r.ckpt_every == 0:
                        self.save_checkpoint()
            except KeyboardInterrupt:  # a second Ctrl-C: mid-step, so the state is not saved
                bar.close()
                if self.main:
                    print(
                        f"\nstopped at once in step {self.step + 1}; the last checkpoint ({self.ckpt_path}, step "
                        f"{self.saved_step}) is kept. Continue with --resume.",
                        file=sys.stderr,
                    )
                raise Interrupted(self.saved_step) from None
            bar.close()
            if tb is not None:
                tb.close()
            if self.saved_step != self.step or not self.ckpt_path.exists():  # not twice: keep ckpt.prev.pt older
                self.save_checkpoint()  # at a step boundary: a resumed run equals an uninterrupted one
            if stop.signal:
                if self.main:
                    print(
                        f"\n{stop.signal}: stopped after step {self.step}; checkpoint saved to {self.ckpt_path}. "
                        "Continue with --resume.",
                        file=sys.stderr,
                    )
                raise Interrupted(self.step)
        result = {
            "name": r.name,
            "steps": self.step,
            "world_size": self.world,
            "best_step": self.best_step,
            "best_selection_fd": self.best if self.best_step >= 0 else None,
            "warnings": self.warnings,
        }
        if self.main:
            final, curves = self.out / "model", plot_run(self.out)
            if self.can_eval and (self.out / "best").exists():

                def build(tmp: Path) -> None:
                    shutil.copytree(self.out / "best", tmp, dirs_exist_ok=True)
                    shutil.copy2(curves, tmp / "curves.png")

                atomic_folder(final, build, replace=True)
            else:
                self.write_model(final, {"step": self.step}, curves)
            result["train_seconds_this_process"] = round(time.time() - t0, 1)
            total = self.elapsed_now()  # every session's training loop, from the checkpoints
            result["train_wall_seconds"], result["train_cpu_seconds"] = round(total["wall"], 1), round(total["cpu"], 1)
            atomic_write_text(self.out / "result.json", json.dumps(result, indent=2) + "\n")
        return result


class StopOnSignal:
    """Ctrl-C (SIGINT) or SIGTERM asks the loop to stop at the next step boundary; a second one stops at once.

    Under torchrun every rank must stop at the same step, so `requested` agrees across ranks.
    """

    def __init__(self, trainer: "Trainer"):
        self.trainer, self.signal, self._old = trainer, None, {}

    def _handle(self, signum, frame):
        if self.signal:
            raise KeyboardInterrupt
        self.signal = signal.Signals(signum).name
        if self.trainer.main:
            tqdm.write(
                f"{self.signal}: finishing step {self.trainer.step + 1}, then saving a checkpoint "
                "(press Ctrl-C again to stop at once)"
            )

    def requested(self) -> bool:
        if self.trainer.world == 1:
            return self.signal is not None
        import torch.distributed as dist

        flag = torch.tensor([float(self.signal is not None)], device=self.trainer.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        if flag.item() and not self.signal:
            self.signal = "SIGINT (another rank)"
        return bool(flag.item())

    def __enter__(self) -> "StopOnSignal":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def hardware(device: torch.device | str | None = None) -> str:
    """The processor, threads and torch; with the GPU first when the run trained on one (its CPU time then
    measures the launching process, not the training's cost on a CPU)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = ""
    if device is not None and torch.device(device).type == "cuda":
        gpu = f"{torch.cuda.get_device_name(torch.device(device))} (cuda) with "
    return f"{gpu}{cpu}, {torch.get_num_threads()} thread(s), torch {torch.__version__}"


RUN_FILES = ("ckpt.pt", "log.csv", "run.json", "result.json", "model")  # a run was here
# everything else a run writes in OUT: a new run never overwrites a file of these names it did not write
RUN_OUTPUTS = (
    "ckpt.prev.pt",
    "ckpt.pt.sha256",
    "ckpt.prev.pt.sha256",
    "eval.csv",
    "curves.png",
    "best",
    "samples",
    "tensorboard",
)


def reproduce_command(recipe: Recipe, opts: list[str], overrides: list[str]) -> str:
    """The one command that trains this run from scratch: the CLI options it was run with (`opts`, without the
    recipe name, --resume/--overwrite and --version), `--version=` of the literal it starts from (its own; a
    changed recipe has none, "", and starts from the newest literal whose model keys it all has, since an override
    cannot remove a key a newer literal added) and every recipe value that differs from that literal."""
    literals = VERSIONS[recipe.name]
    base = literals.get(recipe.version) or next(
        (r for r in reversed(literals.values()) if set(r.model) <= set(recipe.model)), RECIPES[recipe.name]
    )
    skip = {"--resume", "--overwrite", *overrides}
    kept = [a for a in drop_options(opts, {"--version"}) if a not in skip]
    diff = [
        f"--{f.name}={_fmt(getattr(recipe, f.name))}"
        for f in dataclasses.fields(Recipe)
        if f.name not in ("name", "model", "version") and getattr(recipe, f.name) != getattr(base, f.name)
    ]
    diff += [f"--model.{k}={_fmt(v)}" for k, v in recipe.model.items() if base.model.get(k, object()) != v]
    return " ".join(["python -m training.train", recipe.name, *kept, f"--version={base.version}", *diff])


def without_positional(argv: list[str], name: str) -> list[str]:
    """argv without the recipe name, wherever it stood (not a value of an option that takes one)."""
    takes_value = {"--out", "--data-root", "--device", "--threads", "--max-cpu-minutes", "--version"}
    for i, a in enumerate(argv):
        if a == name and (i == 0 or argv[i - 1] not in takes_value):
            return argv[:i] + argv[i + 1 :]
    return list(argv)


def _fmt(v) -> str:
    return ",".join(map(str, v)) if isinstance(v, (tuple, list)) else str(v)


def set_aside(out: Path) -> Path:
    """Move an existing run folder out of the way (nothing is deleted); returns where it went."""
    dst = out.with_name(f"{out.name}.replaced-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while dst.exists():
        dst, n = out.with_name(f"{out.name}.replaced-{time.strftime('%Y%m%d-%H%M%S')}-{n}"), n + 1
    os.replace(out, dst)
    return dst


def main(argv: list[str] | None = None, prog: str = "python -m training.train") -> dict:
    """Train (or resume) a recipe; returns the result dict. Bad input raises GanzooError (see `cli`)."""
    from ganzoo.cli import Parser  # argparse whose mistakes are a GanzooError: one `error:` line

    argv = sys.argv[1:] if argv is None else argv
    p = Parser(
        prog=prog,
        description=__doc__.replace("python -m training.train", prog),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("recipe", help=f"one of: {', '.join(RECIPES)}")
    p.add_argument(
        "--version",
        dest="recipe_version",
        metavar="VERSION",
        help="train a published version of the recipe, e.g. v2 (default: the newest)",
    )
    p.add_argument("--out", help="run folder (default runs/RECIPE)")
    p.add_argument("--data-root", help="data root (default $GANZOO_DATA or ./data)")
    p.add_argument("--download", action="store_true", help="download the data set if missing (needs internet)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--resume", action="store_true", help="continue OUT/ckpt.pt with the recipe saved in it")
    g.add_argument(
        "--overwrite",
        action="store_true",
        help="start over in OUT: an existing run there is moved to OUT.replaced-<time>, not deleted",
    )
    p.add_argument("--device", help="cpu, cuda, cuda:1 (default: cuda if available)")
    p.add_argument("--threads", type=integer("--threads"), help="torch CPU threads")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--max-cpu-minutes",
        type=float,
        default=0.0,
        help="stop once the run has used this much CPU time (for proxy runs at equal CPU budget)",
    )
    args, overrides = p.parse_known_args(argv)
    cpus = os.cpu_count() or 1
    if args.threads is not None and not 1 <= args.threads <= cpus:
        raise TrainingError(f"--threads must be between 1 and {cpus} (the CPUs of this machine), got {args.threads}")
    if not 0 <= args.max_cpu_minutes < float("inf"):
        raise TrainingError(f"--max-cpu-minutes must be a finite number >= 0 (0: no limit), got {args.max_cpu_minutes}")
    out = Path(args.out or f"runs/{args.recipe}")
    main_rank = dist_info()[0] == 0
    lock = None
    if not args.resume:  # every value checked before the folder is touched
        recipe = apply_overrides(get_recipe(args.recipe, args.recipe_version), overrides)
        check_model_fits(recipe, args.device)
    if main_rank:  # one run at a time in OUT: a second is refused (the OS drops the lock when a run dies)
        if args.resume and not out.is_dir():
            raise TrainingError(
                f"--resume given but there is no checkpoint at {out / CKPT}; run without --resume "
                "to start a new run there, or point --out at the run folder."
            )
        out.mkdir(parents=True, exist_ok=True)
        lock = FolderLock(out, "another training run").acquire()
    try:
        ck = digest = None
        if args.resume:
            ck, digest = read_checkpoint(out)
            saved = recipe_from_dict(ck["recipe"])
            if saved.name != args.recipe:
                raise TrainingError(
                    f"{out / CKPT} is a checkpoint of recipe {saved.name!r} ({saved.arch} on "
                    f"{saved.dataset}), not {args.recipe!r}: resume it as `{prog} "
                    f"{saved.name} --out {out} --resume`, or choose another --out for {args.recipe}."
                )
            recipe = resume_overrides(saved, overrides, ck["step"])
        else:
            existing = [f for f in (*RUN_FILES, *RUN_OUTPUTS) if os.path.lexists(out / f)]
            if existing and not args.overwrite:
                if set(existing) & set(RUN_FILES):
                    run_files = [f for f in existing if f in RUN_FILES]
                    raise TrainingError(
                        f"{out} already holds a run ({', '.join(run_files)}). Continue it with "
                        "--resume, start over with --overwrite (the old run is moved aside, not "
                        "deleted), or choose another --out."
                    )
                raise TrainingError(
                    f"{out} holds files a run writes ({', '.join(existing)}), which it would "
                    "overwrite: choose another --out (a new or empty folder), or pass --overwrite "
                    f"to move {out} aside first (nothing is deleted)."
                )
            if existing and main_rank:
                print(f"moved the previous run to {set_aside(out)}", file=sys.stderr)
                lock.release()  # it went with the folder: lock the new one
                out.mkdir(parents=True, exist_ok=True)
                lock = FolderLock(out, "another training run").acquire()
        trainer = Trainer(
            recipe,
            out,
            data_root=args.data_root,
            download=args.download,
            device=args.device,
            threads=args.threads,
            quiet=args.quiet,
            max_cpu_minutes=args.max_cpu_minutes,
        )
        trainer.command = f"{prog} " + " ".join(argv)
        if ck is not None:
            trainer.load_checkpoint(ck, digest)
        try:
            result = trainer.run()
        finally:
            if trainer.world > 1:
                destroy()
        if trainer.main:
            sessions = trainer.all_sessions()
            run = {
                "command": reproduce_command(recipe, without_positional(argv, args.recipe), overrides),
                "wall_seconds": round(sum(x["wall_seconds"] for x in sessions), 1),
                "cpu_seconds": round(sum(x["cpu_seconds"] or x["wall_seconds"] for x in sessions), 1),
                "sessions": sessions,
                # every session's own: a run resumed on other hardware names both (checkpoints before 2026-12-04
                # did not record it per session)
                "hardware": " + ".join(dict.fromkeys(x.get("hardware", "not recorded") for x in sessions)),
                "recipe": json.loads(json.dumps(dataclasses.asdict(recipe))),
                **result,
            }
            atomic_write_text(out / "run.json", json.dumps(run, indent=2) + "\n")
    finally:
        if lock is not None:
            lock.release()
    return result


def check_model_fits(recipe: Recipe, device: str | None = None) -> None:
    """Refuse, before any work, networks whose training state cannot fit in memory (e.g. --model.latent_dim=1e12)."""
    from ganzoo.runtime import available_memory

    try:
        G, D = build_meta(recipe.arch, recipe.model_config())  # shapes only, nothing allocated
        params = sum(p.numel() for m in (G, D) if m is not None for p in m.parameters())  # D: None for a VAE
    except (RuntimeError, TypeError, ValueError, OverflowError, MemoryError):
        raise TrainingError(
            f"the networks of {recipe.name} with these model settings are too large to build (a "
            "size overflows); choose smaller --model.* sizes"
        ) from None
    # weights, gradients and two Adam moments of both networks, plus the generator's EMA copy: float32
    need = params * 4 * 5
    free = available_memory()
    if device and device.startswith("cuda") and torch.cuda.is_available():
        free = torch.cuda.mem_get_info(torch.device(device))[0]
    if free is not None and need > free:
        raise TrainingError(
            f"the networks of {recipe.name} with these model settings have {params:,} parameters: "
            f"training them needs at least {need / 1e9:,.1f} GB, but only {free / 1e9:,.1f} GB "
            "is available. Choose smaller --model.* sizes."
        )


def cli(argv: list[str] | None = None, prog: str = "python -m training.train") -> int:
    """`python -m training.train` (and `ganzoo train`): a user's mistake is one `error:` line and exit
    code 2; Ctrl-C or SIGTERM is 130, after the checkpoint is saved."""
    try:
        main(argv, prog)
    except GanzooError as e:
        print(f"error: {escaped(e)}", file=sys.stderr)  # one line, whatever untrusted text the message quotes
        return 2
    except Interrupted:
        return 130
    except KeyboardInterrupt:  # before the training loop started: there is nothing to save yet
        print("\ninterrupted before training started; nothing was saved.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(cli())

"""The loaded model: a generator plus what is needed to sample from it well."""

from __future__ import annotations

import math
import numbers
import os
from pathlib import Path
from typing import Sequence, Union

import torch
from torch import nn

from .errors import GanzooError, LabelError
from .registry import INVERT_STEPS, STEER_STEPS
from .runtime import (
    FLOAT32_MAX,
    ONNX_WORK_PER_VALUE,
    check_n,
    check_seed,
    check_truncation,
    empty_error,
    ensure_fits,
    label_indices,
    nonfinite_error,
    peak_bytes,
)
from .runtime import sample_latent as portable_latent

Labels = Union[int, str, Sequence[Union[int, str]], torch.Tensor, None]
CHUNK = 4096  # images generated per forward call: bounds working memory for any n
# Where latents live. "z": every generator's input. A style-based generator (StyleGAN2) also takes "w" (one
# w per sample, after its mapping network) and "w+" (one w per layer, shape (N, num_ws, w_dim)).
SPACES = ("z", "w", "w+")


def resolve_device(device: str | torch.device) -> torch.device:
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        dev = None
    if dev is None or dev.type not in ("cpu", "cuda", "mps"):  # "meta" and the like hold no numbers
        raise GanzooError(f"unknown device {device!r}: use 'cpu', 'cuda', 'cuda:N' or 'mps'.")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise GanzooError(
            f"device={str(device)!r} was requested but CUDA is not available on this machine; "
            "use device='cpu' (or install a CUDA build of torch on a machine with a GPU)."
        )
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise GanzooError(
            f"device={str(device)!r}: this machine has {torch.cuda.device_count()} CUDA device(s), "
            f"cuda:0 to cuda:{torch.cuda.device_count() - 1}."
        )
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise GanzooError("device='mps' was requested but MPS is not available; use device='cpu'.")
    return dev


class GANModel:
    """A trained generator. Images come out as float tensors N x C x H x W in [0, 1]."""

    def __init__(
        self,
        generator: nn.Module,
        config: dict,
        *,
        source: str = "",
        folder: Path | None = None,
        discriminator: nn.Module | None = None,
        version: str | None = None,
    ):
        self.generator = generator.eval()
        self.discriminator = discriminator.eval() if discriminator is not None else None
        self.config = config
        self.source = source
        self.version = version  # the zoo / Hub version loaded ("v3"), None for a folder without a manifest
        self.folder = folder
        # (weights key, module, device, a copy of the weights it was built from)
        self._fast: tuple[list, nn.Module, torch.device, list[torch.Tensor]] | None = None
        self._work: tuple[nn.Module, int] | None = None  # (inference generator, its working bytes per image)

    # -- properties ---------------------------------------------------------------------------
    @property
    def architecture(self) -> str:
        return self.config["architecture"]

    @property
    def latent_dim(self) -> int:
        return int(self.config["latent_dim"])

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.config["image_shape"])  # type: ignore[return-value]

    @property
    def num_classes(self) -> int:
        return int(self.config.get("num_classes", 0))

    @property
    def class_names(self) -> list[str]:
        return list(self.config.get("class_names", []))

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    @property
    def has_w_space(self) -> bool:
        """Whether the generator is style-based (StyleGAN2): then `truncation` means psi in W, and `mix`,
        `generate(space="w" | "w+")` and `invert(space="w" | "w+")` work. The generator says so itself."""
        return bool(getattr(self.generator, "w_space", False))

    @property
    def resolutions(self) -> tuple[int, ...]:
        """The resolutions `sample(resolution=...)` draws from: a progressively grown generator's stages (ProGAN:
        7, 14, 28), else only the image size."""
        return tuple(getattr(self.generator, "resolutions", (self.image_shape[1],)))

    def check_resolution(self, resolution) -> int:
        """`resolution` if the generator has that stage, else an error saying which it has."""
        res = self.resolutions
        if len(res) == 1:
            raise GanzooError(
                f"resolution= needs a progressively grown generator (progan-*); {self.source or self.architecture} "
                f"({self.architecture}) draws {res[0]}x{res[0]} images only: leave resolution out"
            )
        if isinstance(resolution, bool) or not isinstance(resolution, numbers.Integral) or resolution not in res:
            raise GanzooError(
                f"resolution must be one of {', '.join(map(str, res))} (the generator's growth stages), "
                f"got {resolution!r}"
            )
        return int(resolution)

    @property
    def device(self) -> torch.device:
        return next(self.generator.parameters()).device

    def to(self, device: str | torch.device) -> "GANModel":
        dev = resolve_device(device)
        self.generator.to(dev)
        if self.discriminator is not None:
            self.discriminator.to(dev)
        return self

    def __repr__(self) -> str:
        cls = f", classes={self.num_classes}" if self.conditional else ""
        ver = f" {self.version}" if self.version else ""
        name = (self.source or self.architecture) + ver
        return f"GANModel({name!r}, latent={self.latent_dim}, image={self.image_shape}{cls})"

    # -- latents ------------------------------------------------------------------------------
    def sample_latent(self, n: int, seed: int | None = None, truncation: float | None = None) -> torch.Tensor:
        """n standard-normal latents (n, latent_dim) on the model's device.

        Drawn on the CPU by ganzoo's portable generator (`ganzoo.runtime.sample_latent`): a seed gives the
        same latents on every device, in the torch-free runtime and in the JavaScript examples.
        `truncation` t redraws entries with |z| > t (the truncation trick). seed=None draws a seed from
        torch's global generator, so torch.manual_seed makes unseeded calls repeatable.
        """
        n, seed, truncation = check_n(n), check_seed(seed), check_truncation(truncation)
        if seed is None:
            lo, hi = torch.randint(0, 2**32, (2,)).tolist()
            seed = lo | hi << 32
        z = torch.from_numpy(portable_latent(n, self.latent_dim, seed, truncation))
        return z.to(self.device)

    def interpolate(self, z0: torch.Tensor, z1: torch.Tensor, steps: int, method: str = "slerp") -> torch.Tensor:
        """(steps, latent_dim) latents from z0 to z1, both ends included.

        slerp follows the great circle, which keeps the norm typical of Gaussian latents
        (lerp's midpoints have a smaller norm and often look washed out).
        """
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 2:
            raise GanzooError(f"steps must be an int >= 2, got {steps!r}")
        steps = int(steps)
        ensure_fits(4 * steps * self.latent_dim * 4, f"{steps} interpolation steps")  # t-weighted z0 and z1, sum
        for name, v in (("z0", z0), ("z1", z1)):
            if not isinstance(v, torch.Tensor):
                raise GanzooError(
                    f"{name} must be a tensor holding one latent ({self.latent_dim} values), got {type(v).__name__}"
                )
        z0, z1 = z0.reshape(-1).float(), z1.reshape(-1).float()
        if z0.numel() != self.latent_dim or z1.numel() != self.latent_dim:
            raise GanzooError(
                f"z0 and z1 must each hold {self.latent_dim} values (one latent), got {z0.numel()} and {z1.numel()}"
            )
        self.check_latents(torch.stack([z0, z1]))  # finite (a float64 1e300 is inf after the cast above)
        t = torch.linspace(0, 1, steps, device=z0.device)[:, None]
        if method == "lerp":
            return (1 - t) * z0 + t * z1
        if method != "slerp":
            raise GanzooError(f"method must be 'slerp' or 'lerp', got {method!r}")
        if z0.norm() == 0 or z1.norm() == 0:  # a zero latent has no direction on the circle: the straight line
            return (1 - t) * z0 + t * z1
        cos = torch.dot(z0 / z0.norm(), z1 / z1.norm()).clamp(-1, 1)
        omega = torch.arccos(cos)
        so = torch.sin(omega)
        if omega.abs() < 1e-6 or so.abs() < 1e-6:  # the same or opposite directions: no single great circle
            return (1 - t) * z0 + t * z1
        return torch.sin((1 - t) * omega) / so * z0 + torch.sin(t * omega) / so * z1

    # -- labels ---------------------------------------------------------------------------------
    def labels_tensor(self, labels: Labels, n: int) -> torch.Tensor | None:
        """Validate labels (ints or class names; one value or one per sample) into int64 (n,)."""
        y = label_indices(labels, n, self.class_names if self.conditional else [], self.source or self.architecture)
        return None if y is None else torch.from_numpy(y).to(self.device)

    def class_weights(self, weights: torch.Tensor, n: int) -> torch.Tensor:
        """Validate class weights (n, num_classes): each row a mix of classes (entries >= 0 summing to 1), such as
        the label path of `steer(..., move_label=True)`; a one-hot row is that class's label."""
        if not self.conditional:
            raise LabelError(
                f"{self.source or self.architecture} is unconditional: it takes no labels or class weights."
            )
        k = self.num_classes
        if tuple(weights.shape) != (n, k):
            raise LabelError(
                f"class weights must have shape ({n}, {k}): one row of {k} class weights per latent, "
                f"got {tuple(weights.shape)}"
            )
        w = weights.detach().to(self.device, torch.float32)
        if not bool(torch.isfinite(w).all()) or bool((w < 0).any()):
            raise LabelError("class weights must be finite and >= 0 (each row a mix of classes summing to 1)")
        worst = float((w.sum(1) - 1).abs().max()) if n else 0.0
        # thirds in float16 sum to 1 only to about its precision: allow a few of its steps
        if worst > max(1e-4, 4 * torch.finfo(weights.dtype).eps):
            raise LabelError(
                f"each row of class weights must sum to 1 (a mix of classes), a row is off by {worst:.3g}; "
                "divide each row by its sum"
            )
        return w

    # -- images -------------------------------------------------------------------------------
    def inference_generator(self) -> nn.Module:
        """The generator as `generate` runs it, images in [0, 1] out: `ganzoo.fast.fast_generator`, the inference
        rewrite its class declares, measured faster than eager (the same images to float tolerance). Rebuilt
        whenever the generator's weights change (in-place edits, load_state_dict, .to) or it is replaced; a
        generator in training mode runs as is."""
        return self._inference()[0]

    def _inference(self) -> tuple[nn.Module, torch.device]:
        """(inference_generator(), the device of its weights): both from one walk over the weights and one
        comparison with the weights the cached rewrite was built from, which every `generate` call pays."""
        from .fast import ToUnitRange, fast_generator

        g = self.generator
        if g.training:
            return ToUnitRange(g), self.device
        tensors = _weights(g)
        key = [id(g), *((id(t), t._version, t.device, t.data_ptr()) for t in tensors)]
        # Reused only while the weights equal the copy it was built from: edits through `.data` (weight
        # clipping, `p.data = ...`) bypass `_version`, so no counter or pointer can tell. Comparing reads the
        # weights once per call (at batch 1 about an MLP generator's forward); a stale result is worse.
        if (
            self._fast is not None
            and self._fast[0] == key
            and all(torch.equal(t, c) for t, c in zip(tensors, self._fast[3]))
        ):
            return self._fast[1], self._fast[2]
        copy = [t.detach().clone() for t in tensors]
        self._fast = (key, fast_generator(g), tensors[0].device if tensors else torch.device("cpu"), copy)
        return self._fast[1], self._fast[2]

    def work_per_image(self, generator: nn.Module | None = None) -> int:
        """Bytes of working memory one image takes inside the inference generator (`generator`, when the caller
        has it: `inference_generator()` otherwise): the largest input plus output of any of its modules, measured
        once per inference generator with hooks on a one-image forward pass."""
        g = generator if generator is not None else self.inference_generator()
        if self._work is None or self._work[0] is not g:
            if self.generator.training:  # a one-image batch in training mode would update BatchNorm's statistics
                return ONNX_WORK_PER_VALUE * math.prod(self.image_shape)  # the runtime's bound instead
            sizes = [0]

            def hook(module, inputs, output):
                tensors = [*inputs, output] if isinstance(output, torch.Tensor) else list(inputs)
                sizes.append(sum(t.numel() * t.element_size() for t in tensors if isinstance(t, torch.Tensor)))

            # every module, not only the leaves: a layer may compute in its own forward (StyleGAN2's modulated
            # convolutions), where only the module's own input and output show its size
            handles = [m.register_forward_hook(hook) for m in g.modules()]
            try:
                with torch.inference_mode():
                    g(
                        torch.zeros(1, self.latent_dim, device=self.device),
                        torch.zeros(1, dtype=torch.long, device=self.device) if self.conditional else None,
                    )
            finally:
                for h in handles:
                    h.remove()
            self._work = (g, max(sizes))
        return self._work[1]

    def check_memory(
        self,
        n: int,
        what: str,
        *,
        grid: bool = False,
        nrow: int | None = None,
        extra: int = 0,
        generator: nn.Module | None = None,
    ) -> None:
        """Refuse, before anything is allocated, making n images (and with `grid` a grid PNG of them, plus `extra`
        bytes) when the estimated peak (`ganzoo.runtime.peak_bytes`) exceeds the memory available. `generator`:
        the inference generator, when the caller has it (saves a second walk over the weights)."""
        ensure_fits(
            peak_bytes(
                n,
                self.latent_dim,
                self.image_shape,
                chunk=CHUNK,
                work_per_image=self.work_per_image(generator),
                grid=grid,
                nrow=nrow,
            )
            + extra,
            what,
        )

    def check_space(self, space: str) -> str:
        """`space` if this model has it ("z" always; "w" and "w+" for a style-based generator), else an error."""
        if not isinstance(space, str) or space not in SPACES:
            raise GanzooError(f"space must be one of {', '.join(map(repr, SPACES))}, got {space!r}")
        if space != "z" and not self.has_w_space:
            raise GanzooError(
                f"space={space!r} needs a style-based generator (stylegan2-*); "
                f"{self.source or self.architecture} ({self.architecture}) has only z: leave space out (z is "
                "the default)"
            )
        return space

    def check_psi(self, psi) -> float:
        """Truncation psi of a style-based generator: a number in [0, 1]."""
        if not self.has_w_space:
            raise GanzooError(
                f"truncation psi in W is for style-based generators (stylegan2-*); for "
                f"{self.source or self.architecture} truncate z with sample_latent(n, truncation=t) "
                "or sample(n, truncation=t)"
            )
        if isinstance(psi, bool) or not isinstance(psi, numbers.Real) or not 0 <= psi <= 1:
            raise GanzooError(
                f"truncation for a style-based generator is psi in [0, 1] (each w moves toward "
                f"w_avg: 1 = none, 0 = the average image for every z), got {psi!r}"
            )
        return float(psi)

    def latent_shape(self, space: str = "z") -> tuple[int, ...]:
        """The shape of one latent in `space`: (latent_dim,), (w_dim,) or (num_ws, w_dim)."""
        if self.check_space(space) == "z":
            return (self.latent_dim,)
        g = self.generator
        return (g.w_dim,) if space == "w" else (g.num_ws, g.w_dim)

    def check_latents(self, z, space: str = "z") -> None:
        """Refuse anything but a non-empty float tensor (N, *latent_shape(space)) of finite values, with an error
        that says what is wrong (the one check of generate, steer, mix and the other latent edits)."""
        shape = self.latent_shape(space)  # checks the space: W needs a style-based generator
        name = "z" if space == "z" else "w"
        if not isinstance(z, torch.Tensor) or tuple(z.shape[1:]) != shape or z.ndim != len(shape) + 1:
            got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            hint = ""
            if space != "z" and isinstance(z, torch.Tensor):  # a latent of the other W space: say which it is
                other = "w+" if space == "w" else "w"
                if z.ndim >= 2 and tuple(z.shape[1:]) == self.latent_shape(other):
                    what = "one w per layer" if other == "w+" else "one w per sample"
                    hint = f": that is {what}, pass space={other!r}"
            where = "" if space == "z" else f" for space={space!r}"
            raise GanzooError(
                f"{name} must be a float tensor of shape (N, {', '.join(map(str, shape))}){where}, got {got}{hint}"
            )
        if not z.is_floating_point():
            raise GanzooError(f"{name} must hold floats, got {z.dtype}")
        if not len(z):
            raise empty_error(name, "latents", z.shape)
        # finite and within float32's range: a float64 1e300 would become inf in a cast to float32, NaN images
        in_range = z.abs() <= FLOAT32_MAX  # NaN compares False
        if not in_range.all():  # counted only when there is something to report
            raise nonfinite_error(int((~in_range).sum()), z.numel(), name)

    @torch.inference_mode()
    def generate(
        self,
        z: torch.Tensor,
        labels: Labels = None,
        *,
        space: str = "z",
        truncation: float | None = None,
        resolution: int | None = None,
    ) -> torch.Tensor:
        """Images in [0, 1] (N, C, H, W) for latents z (N, latent_dim), made CHUNK at a time.

        A style-based generator also takes latents in W: `space="w"` (N, w_dim) or `"w+"` (N, num_ws, w_dim)
        (what `invert(..., space=...)` returns), and `truncation` psi in [0, 1] (see `sample`). A progressively
        grown generator draws from one of its stages with `resolution` (see `sample`). A conditional model takes
        `labels`, or class weights (N, num_classes) that mix classes, such as the label path of
        `steer(..., move_label=True)` (torch only: the ONNX files take int labels)."""
        kw = {} if self.check_space(space) == "z" else {"space": space}
        if truncation is not None:
            kw["truncation"] = self.check_psi(truncation)
        if resolution is not None:
            kw["resolution"] = self.check_resolution(resolution)
        self.check_latents(z, space)
        g, device = self._inference()
        c, h, w = self.image_shape
        self.check_memory(z.shape[0], f"{z.shape[0]} images of {c}x{h}x{w}", generator=g)
        if getattr(labels, "ndim", 0) != 2:
            y = self.labels_tensor(labels, z.shape[0])
        elif isinstance(labels, torch.Tensor) and labels.is_floating_point():
            y = self.class_weights(labels, z.shape[0])
        else:
            raise LabelError(
                f"labels of shape {tuple(labels.shape)}: give one label per sample (a flat sequence), or class "
                "weights as a float torch tensor (N, num_classes), each row a mix of classes summing to 1"
            )
        if z.shape[0] <= CHUNK:  # one forward call: its output is the result, no copy into a buffer
            out = g(z.to(device, torch.float32), y, **kw).contiguous()
        else:
            out = torch.empty(z.shape[0], c, h, w, device=device)
            for i in range(0, z.shape[0], CHUNK):  # bounded working memory for any n
                zi = z[i : i + CHUNK].to(device, torch.float32)
                out[i : i + CHUNK] = g(zi, None if y is None else y[i : i + CHUNK], **kw)
        if not torch.isfinite(out).all():  # weights edited or damaged after load (absurd ones overflow to NaN)
            raise GanzooError(
                f"the generator produced {int((~torch.isfinite(out)).sum())} NaN or infinite value(s) "
                f"in {out.numel()}: its weights are damaged or diverged. Reload the model, or use an "
                "earlier checkpoint."
            )
        return out

    def sample(
        self,
        n: int,
        *,
        labels: Labels = None,
        seed: int | None = None,
        truncation: float | None = None,
        resolution: int | None = None,
    ) -> torch.Tensor:
        """n images (n, C, H, W) in [0, 1]. The same seed gives the same images on every call.

        `truncation` trades variety for fidelity, in the way of the generator's family. Most generators
        truncate z: entries with |z| > t are redrawn (t > 0; see `sample_latent`). A style-based generator
        (StyleGAN2, `has_w_space`) truncates in W instead: psi in [0, 1] moves each sample's w toward the
        average w_avg, w_avg + psi (w - w_avg), so psi = 1 changes nothing and psi = 0 draws w_avg's image
        for every z. Its z stays untruncated (`sample_latent(n, truncation=t)` still truncates z).

        `resolution` (progressively grown generators, ProGAN: 7, 14 or 28; see `resolutions`) draws the same
        latents through the generator's stage of that resolution, without its later layers; the images come
        back at the full size, nearest-upsampled (each 7x7 pixel a 4x4 block), so grids of every stage line up.
        `images[..., ::k, ::k]` with k = 28 // resolution gives the stage's own r x r images exactly."""
        n = check_n(n)
        if resolution is not None:
            self.check_resolution(resolution)
        c, h, w = self.image_shape
        self.check_memory(n, f"{n} images of {c}x{h}x{w}")
        y = self.labels_tensor(labels, n)  # validate before drawing
        if truncation is not None and self.has_w_space:
            psi = self.check_psi(truncation)
            return self.generate(self.sample_latent(n, seed=seed), y, truncation=psi, resolution=resolution)
        return self.generate(self.sample_latent(n, seed=seed, truncation=truncation), y, resolution=resolution)

    def mix(self, z_rows, z_cols, *, crossover: int, truncation: float | None = None) -> torch.Tensor:
        """Style mixing (style-based generators): images (R, C, channels, H, W) where image (i, j) takes the
        first `crossover` style inputs (coarse: layout, shape) from row latent i and the rest (fine: stroke,
        texture) from column latent j, as in the StyleGAN papers' figure. Latents are z tensors (R, latent_dim)
        / (C, latent_dim) or lists of int seeds; `crossover` is 1 .. num_ws - 1."""
        from .control import style_mix

        return style_mix(self, z_rows, z_cols, crossover=crossover, truncation=truncation)

    def to_pil(self, images: torch.Tensor):
        from .images import to_pil

        return to_pil(images)

    def save_grid(self, images: torch.Tensor, path: str | os.PathLike, nrow: int | None = None) -> Path:
        from .images import save_grid

        return save_grid(images, path, nrow=nrow)

    # -- controllable generation (ganzoo.control) ------------------------------------------------
    def steer(
        self,
        z: torch.Tensor,
        toward: int | str,
        *,
        steps: int = STEER_STEPS,
        labels: Labels = None,
        space: str = "z",
        move_label: bool = False,
        **kwargs,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """(steps, latent_dim) latents from z (exactly) to one that the data set's steering classifiers (ganzoo's
        classifier and its ensemble) all assign to class `toward` with p >= 0.99 in every small shift, rotation
        and scaling, moving as little as needed; `generate(path)` draws the morph. A conditional model holds
        `labels` while z is steered; with `move_label=True` the label moves to `toward` instead (and z only as
        far as still needed), and the result is the pair (latent path, label path (steps, num_classes)):
        `generate(*path)` draws the morph from exactly (z, labels). A style-based generator also steers a w
        (`space="w"`, (w_dim,)) or one w per layer (`space="w+"`, (num_ws, w_dim)), such as `invert(...,
        space=...)` projected: the path is then
        (steps, w_dim) or (steps, num_ws, w_dim), drawn by `generate(path, space=space)`. Keyword arguments go to
        ganzoo.control.steer_latents. An end that does not meet that criterion is still the path's end, with a
        ganzoo.SteeringWarning that says what to try."""
        from .control import steer

        kw = dict(steps=steps, labels=labels, space=space, move_label=move_label, _stacklevel=3)  # warn at the caller
        return steer(self, z, toward, **kw, **kwargs)

    def class_directions(self, n: int = 2000, *, seed: int = 0, space: str = "z") -> torch.Tensor:
        """(num_classes, latent_dim) mean latent per class of n classified samples: z + d[7] - d[1]
        turns a 1 toward a 7. A style-based generator's in W (`space="w"`: (num_classes, w_dim), mean ws) or W+
        (`space="w+"`: that mean w for every layer), to edit projected latents: `generate(w + d[7] - d[1],
        space="w")`."""
        from .control import class_directions

        return class_directions(self, n, seed=seed, space=space)

    def directions(self, k: int = 5, *, method: str = "sefa") -> torch.Tensor:
        """(k, latent_dim) orthonormal latent directions that need no classifier, strongest first (SeFa:
        eigenvectors of the first layer's weights); `generate(z + 3 * d[0])` moves along the first. A style-based
        generator's are (k, w_dim), in W: `generate(w + 3 * d[0], space="w")`."""
        from .control import directions

        return directions(self, k, method=method)

    def invert(
        self,
        images,
        *,
        labels: Labels = None,
        steps: int = INVERT_STEPS,
        seed: int = 0,
        space: str = "z",
        return_error: bool = False,
        **kwargs,
    ):
        """Latents (N, latent_dim) whose images match `images` (a tensor in [0, 1] or PIL images);
        with return_error=True also the per-image reconstruction MSE. A VAE entry answers with its encoder
        (`encode`: the posterior mean, no optimisation); every other family optimises z (ganzoo.control.invert).
        A style-based generator also inverts into W (`space="w"`: (N, w_dim)) or W+ (`space="w+"`: (N, num_ws,
        w_dim)), starting from w_avg; draw them with `generate(latents, space=space)`."""
        if self.has_encoder and self.check_space(space) == "z":
            from .control import to_image_tensor

            x = to_image_tensor(self, images)
            z = self.encode(x)
            with torch.no_grad():
                mse = (self.generate(z) - x).square().flatten(1).mean(1)
            return (z, mse) if return_error else z
        from .control import invert

        z, mse = invert(self, images, labels=labels, steps=steps, seed=seed, space=space, **kwargs)
        return (z, mse) if return_error else z

    @property
    def has_encoder(self) -> bool:
        """True for families with an amortised encoder (the VAE)."""
        return hasattr(self.generator, "encode")

    @torch.no_grad()
    def encode(self, images) -> torch.Tensor:
        """The VAE's amortised latents (N, latent_dim): the mean of q(z | x) for images (a tensor in [0, 1] or PIL
        images). Other families have no encoder: use `invert`."""
        if not self.has_encoder:
            raise GanzooError(
                f"{self.source or self.architecture} is a {self.architecture} model, which has no "
                "encoder; find latents for images with model.invert(images) instead."
            )
        from .control import to_image_tensor

        mu, _ = self.generator.encode(to_image_tensor(self, images) * 2 - 1)
        return mu

    # -- folders and the Hub (as huggingface_hub's PyTorchModelHubMixin) -------------------------
    def save_pretrained(self, folder: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write this model as a ganzoo folder: config.json, model.safetensors, the discriminator when it
        was loaded, and a samples.png grid. Written into a new uniquely named folder beside FOLDER and
        renamed, so a crash leaves no half folder; an existing non-empty folder is refused unless
        `overwrite=True`, which replaces it (removed only once the new one is in place)."""
        from .fileio import atomic_folder
        from .folder import FROM_ARCHITECTURE, save_folder
        from .models import make_config

        path = Path(folder)
        if path.is_symlink() or path.exists() and not path.is_dir():
            raise GanzooError(f"{path} exists and is not a folder; choose another folder")
        if path.is_dir() and any(path.iterdir()) and not overwrite:
            raise GanzooError(f"{path} already exists and is not empty; choose another folder or pass overwrite=True")
        if not path.parent.is_dir():
            raise GanzooError(f"folder {path.parent} does not exist; create it first or choose another path")
        meta = {k: v for k, v in self.config.items() if k not in FROM_ARCHITECTURE}  # make_config_dict writes those

        def build(tmp: Path) -> None:
            save_folder(
                tmp,
                self.architecture,
                make_config(self.architecture, self.config["config"]),
                self.generator,
                self.discriminator,
                **meta,
            )
            self._write_preview(tmp / "samples.png")

        return atomic_folder(path, build, replace=True)

    def _write_preview(self, path: Path) -> None:
        """The folder's samples.png: 64 samples of seed 0."""
        self.save_grid(self.sample(64, seed=0), path, nrow=8)

    def push_to_hub(
        self,
        repo_id: str,
        *,
        private: bool = False,
        revision: str | None = None,
        create_pr: bool = False,
        card: str | None = None,
        eval_json: str | None = None,
        dry_run: bool = False,
    ) -> dict:
        """save_pretrained into a temporary folder, then `ganzoo publish` it (validated before any upload;
        the token comes from HF_TOKEN or `hf auth login`). Returns publish's report."""
        import tempfile

        from .publish import publish

        with tempfile.TemporaryDirectory(prefix="ganzoo-push-") as tmp:
            folder = self.save_pretrained(Path(tmp) / "model")
            return publish(
                str(folder),
                repo_id,
                private=private,
                revision=revision,
                create_pr=create_pr,
                dry_run=dry_run,
                card=card,
                eval_json=eval_json,
            )

    def export_onnx(self, path: str | os.PathLike, **kwargs) -> Path:
        """Export the generator to ONNX (see `ganzoo.export.export_onnx`)."""
        from .export import export_onnx

        return export_onnx(self, path, **kwargs)


# What a translation model (no latent) answers to the latent-space methods of GANModel.
_NO_LATENT = (
    "sample",
    "sample_latent",
    "generate",
    "interpolate",
    "invert",
    "steer",
    "class_directions",
    "directions",
    "mix",
    "encode",
    "inference_generator",
)


class TranslationModel(GANModel):
    """An image-to-image translator between two data sets (CycleGAN): `translate(images, to=DOMAIN)`.

    It has no latent, so there is nothing to sample: `sample`, `generate` and the other latent-space methods of
    GANModel raise a GanzooError that names `translate`, rather than make images from something the model was
    never trained on. `domains` are the two data set names (A, B); the generator module holds both directions.
    """

    @property
    def domains(self) -> tuple[str, str]:
        return tuple(self.generator.cfg.domains)  # type: ignore[return-value]

    def __repr__(self) -> str:
        ver = f" {self.version}" if self.version else ""
        name = (self.source or self.architecture) + ver
        return f"TranslationModel({name!r}, domains={' <> '.join(self.domains)}, image={self.image_shape})"

    def _no_latent(self, what: str, works: str = "works in a latent space"):
        a, b = self.domains
        return GanzooError(
            f"{what} {works}, and {self.source or self.architecture} has none: it translates "
            f"images between {a} and {b}. Use model.translate(images, to={b!r}) (or `ganzoo translate NAME "
            f"IMAGE.png --to {b}`)"
        )

    def check_space(self, space: str) -> str:
        """Always an error: a translator has no latent space (z, w or w+) to steer, invert or export from."""
        raise self._no_latent(f"space={space!r}", "names a latent space")

    def check_domain(self, domain, what: str = "to") -> str:
        """`domain` as one of `domains` (case-insensitive), or an error naming both."""
        from .registry import did_you_mean

        if isinstance(domain, str) and domain.lower() in self.domains:
            return domain.lower()
        a, b = self.domains
        raise GanzooError(
            f"{what}={domain!r} is not a domain of {self.source or self.architecture}, which translates between "
            f"{a!r} and {b!r}.{did_you_mean(str(domain).lower(), self.domains)}"
        )

    def check_direction(self, to, source=None, *, names: tuple[str, str] = ("to", "source")) -> str:
        """The target domain `to`, checked, and `source` (if given) checked to be the other one; `names`: how the
        caller spells the two (the CLI's --to / --from)."""
        target = self.check_domain(to, names[0])
        if source is not None and self.check_domain(source, names[1]) == target:
            raise GanzooError(
                f"{names[1]} and {names[0]} are both {target!r}: translation maps one domain to the other "
                f"({' <> '.join(self.domains)}); for {target} images pass {names[0]}={self.other(target)!r}"
            )
        return target

    def other(self, domain: str) -> str:
        """The domain that is not `domain`."""
        a, b = self.domains
        return b if self.check_domain(domain) == a else a

    def check_memory(self, n: int, what: str, *, grid: bool = False, nrow: int | None = None, extra: int = 0, **_):
        """Refuse translating n images (and a grid of them and their originals) beyond the memory available."""
        c, h, w = self.image_shape
        image = c * h * w * 4
        per = ONNX_WORK_PER_VALUE * c * h * w  # the runtime's bound on a generator's working memory per image
        total = 2 * n * image + min(n, CHUNK) * per + extra + (4 * n * image if grid else 0)
        ensure_fits(total, what)

    @torch.inference_mode()
    def translate(self, images, *, to: str, source: str | None = None) -> torch.Tensor:
        """Images of domain `to` for images of the other domain: a tensor in [0, 1] (N, C, H, W) or (C, H, W), a
        PIL image or a list of them (each the model's size). Returns floats in [0, 1], (N, C, H, W), or (C, H, W)
        for a (C, H, W) tensor. `source` (optional) states the images' domain; it must be the other one."""
        from .control import to_image_tensor

        target = self.check_direction(to, source)
        single = isinstance(images, torch.Tensor) and images.ndim == 3
        x = to_image_tensor(self, images)
        c, h, w = self.image_shape
        self.check_memory(len(x), f"translating {len(x)} images of {c}x{h}x{w}")
        g = self.generator.translator(target)
        out = torch.empty_like(x)
        for i in range(0, len(x), CHUNK):  # bounded working memory for any n
            out[i : i + CHUNK] = to_unit_range(g(x[i : i + CHUNK] * 2 - 1))
        return out[0] if single else out

    def _write_preview(self, path: Path) -> None:
        """A translator has no samples to draw without input images: the folder keeps the samples.png it was
        loaded with (its training's translation grid), if any."""
        import shutil

        if self.folder is not None and (Path(self.folder) / "samples.png").is_file():
            shutil.copyfile(Path(self.folder) / "samples.png", path)

    def export_onnx(self, path: str | os.PathLike, *, to: str | None = None, **kwargs) -> Path:
        """Export the translator into domain `to` to ONNX (see `ganzoo.export.export_translator`)."""
        from .export import export_translator

        if to is None:
            a, b = self.domains
            raise GanzooError(f"a translation model exports one direction per file: pass to={b!r} or to={a!r}")
        return export_translator(self, path, to=to, **kwargs)


def _refuse(name: str):
    def method(self, *args, **kwargs):
        raise self._no_latent(f"{name}()")

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"Not for a translation model (no latent): raises a GanzooError naming translate. ({name})"
    return method


for _name in _NO_LATENT:
    setattr(TranslationModel, _name, _refuse(_name))


def _weights(module: nn.Module) -> list[torch.Tensor]:
    """Every parameter and buffer of `module` and its submodules. One plain walk, a third of the time of
    parameters() + buffers() (their generators build every module's name): sampling one image pays it on
    every call."""
    tensors, stack = [], [module]
    while stack:
        m = stack.pop()
        stack.extend(c for c in m._modules.values() if c is not None)
        tensors.extend(m._parameters.values())
        tensors.extend(m._buffers.values())
    return [t for t in tensors if t is not None]


def to_unit_range(x: torch.Tensor) -> torch.Tensor:
    """Generator output in [-1, 1] to images in [0, 1]."""
    return ((x + 1) / 2).clamp(0, 1)

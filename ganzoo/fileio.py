"""Writing files without losing or clobbering anything: atomic writes, folder swaps, a run-folder lock.

Policy (the bad-input section of the docs says the same):
- Every file or folder ganzoo writes is first written under a new, unique temporary name created
  exclusively beside its target (`.NAME.<random>.ganzoo-tmp`, by tempfile.mkstemp / mkdtemp, so an
  existing file or symlink of any name is never written through), synced, then renamed over the
  target with os.replace. A crash leaves the old or the new version, never half of one.
- ganzoo deletes only what it created: its own temporary names, and files it wrote itself
  (a run's checkpoints, a model folder `save_pretrained(..., overwrite=True)` is asked to replace).
- A full disk (or any other OS error) while writing is one clear error naming the file; the target
  is left as it was and the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .errors import FileWriteError, FolderInUseError, GanzooError, escaped

TEMP_SUFFIX = ".ganzoo-tmp"  # a file or folder being written
OLD_SUFFIX = ".ganzoo-old"  # a folder being replaced, removed right after the swap
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def write_error(e: OSError, path: str | os.PathLike) -> FileWriteError:
    """The one message for an OS error while writing `path`."""
    path = Path(path)
    if isinstance(e, FileWriteError):
        return e
    if e.errno in DISK_FULL:
        return FileWriteError(
            f"the disk is full: no space left to write {path} (in {path.parent.resolve()}). "
            f"{path.name} was left as it was; free space on that disk or write elsewhere."
        )
    return FileWriteError(f"cannot write {path}: {e.strerror or e}. {path.name} was left as it was.")


def _mode(target: Path) -> int:
    """Permissions for a new file: the replaced file's, else what open() would give under the umask."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    umask = os.umask(0)  # the only way to read it; set straight back
    os.umask(umask)
    return umask


def _sync_dir(folder: Path) -> None:
    """Make a rename durable (best effort: not every platform can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def refuse_special(path: Path) -> None:
    """Refuse a target that exists and is not a regular file (a folder, a pipe, a device): the rename would
    replace it with our file."""
    try:
        special = path.exists() and not path.is_file()
        kind = "an existing folder" if path.is_dir() else "not a regular file (a pipe, a device or a socket)"
    except OSError as e:  # a folder on the way that cannot be searched
        raise write_error(e, path) from None
    if special:
        raise FileWriteError(f"cannot write {escaped(str(path))}: it is {kind}; choose another file name")


def write_temp(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> Path:
    """Write a new uniquely named temporary file beside `path` with `write(f)`, synced; returns its path.

    The caller renames it into place (os.replace) or unlinks it. On failure nothing is left behind.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode(path))
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise write_error(e, path) from None
        raise
    return tmp


def atomic_write(
    path: str | os.PathLike, write: Callable[[BinaryIO], object], check: Callable[[Path], object] | None = None
) -> Path:
    """Write `path` atomically: `write(f)` fills a unique temporary file, which then replaces `path`. With `check`,
    `check(temporary file)` runs first and a file it refuses (by raising) never replaces `path`."""
    path = Path(path)
    refuse_special(path)
    tmp = write_temp(path, write)
    try:
        if check is not None:
            check(tmp)
        os.replace(tmp, path)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError) and not isinstance(e, GanzooError):
            raise write_error(e, path) from None
        raise
    _sync_dir(path.parent)
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    return atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def atomic_folder(path: str | os.PathLike, build: Callable[[Path], object], *, replace: bool = False) -> Path:
    """Create folder `path` atomically: `build(tmp)` fills a new unique temporary folder beside it,
    which is then renamed to `path`. An existing `path` is refused unless `replace`, in which case it
    is moved aside under a unique name and removed only once the new folder is in place."""
    shown = Path(path)
    path = Path(os.path.abspath(path))  # "." and ".." have no name to put a temporary name beside
    cwd, real = Path(os.path.realpath(os.getcwd())), Path(os.path.realpath(path))
    if real == cwd or real in cwd.parents:
        raise GanzooError(
            f"cannot write a folder at {escaped(str(shown))}: it is the current folder or one above it, which "
            "cannot be replaced; give a new folder's name (e.g. ./my-model)"
        )
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX))
    aside = None
    try:
        build(tmp)
        os.chmod(tmp, 0o777 & ~_umask())
        if path.exists() or path.is_symlink():
            if not replace:
                raise GanzooError(f"{shown} already exists; it was left as it was")
            aside = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=OLD_SUFFIX))
            os.replace(path, aside)  # onto the empty folder just made: a unique name nobody else uses
            os.replace(tmp, path)
            _sync_dir(path.parent)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(tmp, path)
            _sync_dir(path.parent)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if aside is not None:  # a failed swap: the old folder goes back where it was, the empty stand-in away
            with contextlib.suppress(OSError):
                if path.exists():
                    aside.rmdir()
                else:
                    os.replace(aside, path)
        if isinstance(e, OSError):
            raise write_error(e, shown) from None
        raise
    return shown


def is_leftover(p: Path) -> bool:
    """A temporary file or folder of `atomic_write` / `atomic_folder` (a name only they create)."""
    return p.name.startswith(".") and p.name.endswith((TEMP_SUFFIX, OLD_SUFFIX))


def remove_leftovers(folder: str | os.PathLike) -> list[Path]:
    """Tidy what a killed writer left in `folder`: its own temporary names only, nothing else.

    A folder set aside for replacement whose new version never arrived is put back instead.
    Call it only while no other writer uses the folder (a training run holds `FolderLock`).
    """
    done = []
    for p in sorted(Path(folder).iterdir()):
        if not is_leftover(p):
            continue
        if p.name.endswith(OLD_SUFFIX):
            original = p.with_name(p.name[1 : -len(OLD_SUFFIX)].rsplit(".", 1)[0])
            if p.is_dir() and not p.is_symlink() and not original.exists() and any(p.iterdir()):
                os.replace(p, original)  # killed between the two renames of a swap: restore the old folder
                done.append(original)
                continue
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() and not p.is_symlink() else p.unlink(missing_ok=True)
        done.append(p)
    return done


class FolderLock:
    """An exclusive lock on a folder for one process (a training run), as `flock` on FOLDER/LOCK_NAME.

    The operating system releases it when the process ends in any way (exit, crash, kill -9), so a
    crashed run never leaves it stuck. The lock file itself stays (deleting a lock file races with the
    next locker); it holds the owner's pid and host for the error message. POSIX only: elsewhere (and on
    file systems without flock) it does nothing.
    """

    LOCK_NAME = ".ganzoo.lock"

    def __init__(self, folder: str | os.PathLike, what: str = "a ganzoo process"):
        self.folder, self.what, self.fd = Path(folder), what, None

    @property
    def path(self) -> Path:
        return self.folder / self.LOCK_NAME

    def acquire(self) -> FolderLock:
        try:
            import fcntl
        except ImportError:  # Windows: no flock
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            owner = escaped(os.read(fd, 200).decode("utf-8", "replace").strip())  # another process wrote it
            os.close(fd)
            if e.errno in (errno.EWOULDBLOCK, errno.EACCES, errno.EAGAIN):
                raise FolderInUseError(
                    f"{self.folder} is in use by {self.what}{f' ({owner})' if owner else ''}: wait for it to "
                    "finish or choose another folder. (The lock is released when that process ends, even "
                    "if it is killed.)"
                ) from None
            return self  # a file system without locks (some network mounts): go on unlocked
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {os.uname().nodename}\n".encode())
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

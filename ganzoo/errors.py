"""ganzoo's exceptions: every one says what was wrong and what to do."""


class GanzooError(ValueError):
    """Base class for ganzoo errors about bad input."""


class UnknownModelError(GanzooError, KeyError):
    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class ModelFolderError(GanzooError):
    """A folder that is not a valid ganzoo model (missing, corrupt or mismatched files)."""


class LabelError(GanzooError):
    pass


class TrainingError(GanzooError):
    """A training run that cannot start or go on as asked (bad recipe, run folder, checkpoint)."""


class DataNotFoundError(GanzooError, FileNotFoundError):
    """A data set that is not under the data root; the message says where to put it."""


class MissingDependencyError(GanzooError, ImportError):
    """An optional dependency a feature needs is not installed; the message names the extra."""


# The PyPI distribution name; the import name and the command stay `ganzoo`. (`ganzoo` on PyPI is an
# unrelated 2018 package, so every install hint must name this one.)
DIST_NAME = "ganzoo-models"


# what to do about a damaged or incomplete install (bundled weights, manifests)
REINSTALL = (
    f"reinstall {DIST_NAME} (pip install --force-reinstall {DIST_NAME}), or restore the file with git in a clone"
)


def pip_install(*extras: str) -> str:
    """The install command every message gives: `pip install 'ganzoo-models[torch,hub]'`."""
    return f"pip install '{DIST_NAME}[{','.join(extras)}]'" if extras else f"pip install {DIST_NAME}"


def escaped(text: object) -> str:
    """`text` with every non-printable character written as its escape (\\x1b, \\n, \\u202e): how an error
    message shows an untrusted string (a class name from a config, a file name, a JSON value), so terminal
    escape sequences, invisible characters and forged `error:` lines never reach the terminal raw.
    Printable text comes out unchanged."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(text))


class DataFileError(GanzooError):
    """A data set file that is damaged or not what its name says; the message names it and how to replace it."""


class FileWriteError(GanzooError, OSError):
    """A file could not be written (disk full, no permission, read-only); the target was left as it was."""


class FolderInUseError(GanzooError):
    """A folder locked by another process (a training run in its run folder)."""


class SteeringWarning(UserWarning):
    """`steer` ended on a latent that its steering classifiers do not all read as the target: the path is
    still returned (the closest it found), but other classifiers and people may not see the class there."""

"""The exception types layerwise raises on purpose.

Every error that comes from bad input subclasses :class:`LayerwiseError`, and the
ones about values also subclass :class:`ValueError`, so ``except ValueError`` works
as users expect.
"""


class LayerwiseError(Exception):
    """Base class of every error layerwise raises deliberately."""


class DataError(LayerwiseError, ValueError):
    """Bad input data: wrong shape, dtype, NaN/inf, label out of range, corrupt file."""


class ConfigError(LayerwiseError, ValueError):
    """An invalid hyperparameter, name or configuration value."""


class BackendError(LayerwiseError, RuntimeError):
    """The requested array backend (e.g. CuPy on a GPU) is not available."""


class ModelFileError(LayerwiseError, ValueError):
    """A model or checkpoint file that cannot be loaded safely."""


class TrainingError(LayerwiseError, RuntimeError):
    """Training cannot go on (for example the loss became NaN)."""


class MissingDependencyError(LayerwiseError, ImportError):
    """An optional part needs a package that is not installed (the message says which extra)."""


class FileWriteError(LayerwiseError, OSError):
    """A file could not be written (disk full, permissions); the previous version is kept."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()

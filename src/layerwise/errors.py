"""The exception types layerwise raises on purpose.

Every error that comes from bad input subclasses :class:`LayerwiseError`, and the
ones about values also subclass :class:`ValueError`, so ``except ValueError`` works
as users expect.
"""


class LayerwiseError(Exception):
    """Base class of every error layerwise raises deliberately.

    ``except layerwise.LayerwiseError`` catches them all; each also subclasses the built-in
    exception it is a case of (ValueError, RuntimeError, ImportError or OSError).

    Parameters
    ----------
    message : str
        What went wrong, naming the value at fault and, where there are any, the valid choices.
    """


class DataError(LayerwiseError, ValueError):
    """Bad input data: wrong shape, dtype, NaN/inf, label out of range, corrupt file.

    Parameters
    ----------
    message : str
        What went wrong, naming the value at fault and, where there are any, the valid choices.
    """


class ConfigError(LayerwiseError, ValueError):
    """An invalid hyperparameter, name or configuration value.

    Parameters
    ----------
    message : str
        What went wrong, naming the value at fault and, where there are any, the valid choices.
    """


class BackendError(LayerwiseError, RuntimeError):
    """The requested engine or device (JAX, a GPU for ``device="cuda"``) is not available.

    Parameters
    ----------
    message : str
        What went wrong, naming the value at fault and, where there are any, the valid choices.
    """


class ModelFileError(LayerwiseError, ValueError):
    """A model or checkpoint file that cannot be loaded safely.

    Parameters
    ----------
    message : str
        What went wrong, naming the value at fault and, where there are any, the valid choices.
    """


class TrainingError(LayerwiseError, RuntimeError):
    """Training cannot go on (for example the loss became NaN).

    Parameters
    ----------
    message : str
        What went wrong, naming the value at fault and, where there are any, the valid choices.
    """


class MissingDependencyError(LayerwiseError, ImportError):
    """An optional part needs a package that is not installed (the message says which extra)."""


class FileWriteError(LayerwiseError, OSError):
    """A file could not be written (disk full, permissions); the previous version is kept.

    Parameters
    ----------
    errno : int
        The operating system's error number (``errno.ENOSPC``, ...), as for OSError.
    message : str
        What could not be written and why; ``str(error)`` is this message.
    """

    def __str__(self) -> str:
        return self.strerror or super().__str__()

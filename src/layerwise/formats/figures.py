"""Figures as files: matplotlib's non-interactive Agg backend, PNGs written atomically."""
from __future__ import annotations

import io
from contextlib import contextmanager
from pathlib import Path

from .atomic import atomic_write_bytes


def pyplot():
    """matplotlib.pyplot on the Agg backend; a clear error when matplotlib is not installed."""
    try:
        import matplotlib
    except ImportError as exc:
        from ..errors import MissingDependencyError
        raise MissingDependencyError("plots need matplotlib: pip install 'layerwise[plot]'") from exc
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


@contextmanager
def quiet_drawing():
    """A context that keeps matplotlib's drawing warnings (empty log axes, layout, fonts) off the
    console: they are about a picture, not about the run."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def save_figure(fig, path) -> Path:
    """Write ``fig`` as a PNG to ``path`` (atomically) and close it. Matplotlib's own warnings
    (layout, fonts) are about drawing, not about the run: they stay off the console."""
    import warnings
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())
    import matplotlib.pyplot as plt
    plt.close(fig)
    return Path(path)

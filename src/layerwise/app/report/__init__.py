"""Pictures and the one-page HTML report of a training run (needs matplotlib: the plot extra)."""
from .html import write_report
from .plots import make_plots

__all__ = ["make_plots", "write_report"]

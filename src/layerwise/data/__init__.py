"""Data sets and file formats: ``datasets.load(...)``, IDX files, user arrays and CSV."""
from . import datasets, idx
from .datasets import Dataset, load, load_file
from .idx import read_idx, write_idx

__all__ = ["datasets", "idx", "Dataset", "load", "load_file", "read_idx", "write_idx"]

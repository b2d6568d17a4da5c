"""Old import path ``layerwise.io``: atomic writes, the safetensors container and model files,
now in ``layerwise.formats.atomic``, ``.container`` and ``.model_file``."""
from .formats.atomic import atomic_write_bytes, atomic_write_csv, atomic_write_text  # noqa: F401
from .formats.container import (  # noqa: F401
    FORMAT,
    FORMAT_VERSION,
    MAX_HEADER,
    check_meta,
    check_tensors,
    pack,
    read_bytes,
    unpack,
)
from .formats.model_file import (  # noqa: F401
    expected_tensors,
    load_model,
    model_from_parts,
    model_metadata,
    model_tensors,
    save_model,
)

__all__ = ["atomic_write_bytes", "atomic_write_csv", "atomic_write_text", "FORMAT", "FORMAT_VERSION", "MAX_HEADER",
           "check_meta", "check_tensors", "pack", "read_bytes", "unpack", "expected_tensors", "load_model",
           "model_from_parts", "model_metadata", "model_tensors", "save_model"]

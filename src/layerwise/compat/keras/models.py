"""keras.models: Sequential, load_model (layerwise model files) and Model (refused: the functional
API and subclassing)."""
from ._impl import Model, Sequential, load_model  # noqa: F401

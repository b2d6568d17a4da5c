"""keras.models: Sequential and load_model (layerwise model files)."""
from ._impl import Sequential, load_model  # noqa: F401


def Model(*args, **kwargs):
    from ._impl import refuse
    refuse("models.Model(inputs, outputs) (the functional API; use keras.Sequential)")

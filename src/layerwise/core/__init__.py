"""The numerical core: array backend, activations, initializers, layers, losses, regularizers,
metrics and the model state (every array of a model by name)."""

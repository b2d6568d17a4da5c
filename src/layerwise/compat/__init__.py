"""Compatibility surfaces: the APIs of other teaching material, running on the layerwise engine."""

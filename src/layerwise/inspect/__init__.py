"""Tools that look inside a model: diagnostics and gradient checks."""

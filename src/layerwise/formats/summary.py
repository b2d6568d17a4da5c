"""A model as a table of layers, output shapes and parameter counts (Keras's ``summary``)."""
from __future__ import annotations

import io

import numpy as np


def summary_text(model) -> str:
    """The summary of a (built) model as text: one row per layer, then the totals and the depth."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Model: {model.name}")
    table.add_column("Layer (type)")
    table.add_column("Output shape")
    table.add_column("Params", justify="right")
    for layer in model.layers:
        act = getattr(layer, "activation", None)
        kind = type(layer).__name__ + (f", {act.name}" if act is not None and act.name != "linear" else "")
        shape = "(None, " + ", ".join(map(str, layer.output_shape)) + ")" if layer.built else "?"
        table.add_row(f"{layer.name} ({kind})", shape, f"{layer.count_params():,}")
    total = model.count_params()
    trainable = sum(layer.count_params() for layer in model.layers if layer.trainable)
    non_train = sum(int(np.prod(a.shape)) for layer in model.layers for a in layer.state.values())
    console = Console(record=True, width=88, file=io.StringIO())
    console.print(table)
    console.print(f"Total params: {total:,}  (trainable {trainable:,}, frozen {total - trainable:,}; "
                  f"non-trainable statistics {non_train:,})")
    console.print(f"Depth: {model.depth} layers ({max(model.depth - 1, 0)} hidden + 1 output)")
    return console.export_text()

"""The Callback base class: the hooks ``fit`` calls (kept apart so that every callback module,
the trackers included, builds on it without importing the others)."""
from __future__ import annotations

from typing import Any

from .. import registry


class Callback:
    needs_every_batch: bool | None = None  # None: True exactly when the class defines on_batch_end

    def __init__(self):
        self.model = None

    def wants_batches(self) -> bool:
        """Whether the callback must see every batch. The XLA engine runs an epoch as one program and
        calls ``on_batch_end`` once, after its last batch; a callback that needs each batch's logs
        (per-batch diagnostics, a user's per-batch logger) makes the fit run on NumPy. TerminateOnNaN and
        RollbackOnNaN read only the logs of the step that stopped the epoch, which the engine hands over.

        Returns
        -------
        bool
            ``needs_every_batch`` when the class sets it, else whether the class defines its own
            ``on_batch_end``.
        """
        if self.needs_every_batch is not None:
            return self.needs_every_batch
        return type(self).on_batch_end is not Callback.on_batch_end

    def set_model(self, model) -> None:
        self.model = model

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...

    def state_dict(self) -> dict[str, Any]:
        """Counters and best values, so a resumed run continues exactly.

        Returns
        -------
        dict
            What ``load_state_dict`` takes back (saved in ``fit``'s checkpoint); empty for a
            callback that keeps nothing.
        """
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass

registry.declare_base("callback", Callback)

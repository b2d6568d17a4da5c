"""Ctrl-C during fit: stop at the end of the current batch, never with half-updated weights."""
from __future__ import annotations

import signal
import threading


class StopOnInterrupt:
    """While active, the first Ctrl-C (SIGINT) only sets ``requested``; the loop then saves a
    checkpoint (if it has one) and raises KeyboardInterrupt. A second Ctrl-C interrupts at once.
    Outside the main thread (where signals cannot be caught) it does nothing."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False

"""Exponential moving average of the weights (the notes' 滑动平均, TF's ExponentialMovingAverage).

After every update:  shadow ← d·shadow + (1 − d)·param,  d = min(decay, (1 + t)/(10 + t)),
where t is the number of updates made before this one (0 on the first), so early
averages follow the weights closely and later ones smooth over ≈ 1/(1 − decay) steps.
Shadows start equal to the weights. Evaluate and predict swap them in, then back.
"""
from __future__ import annotations

from contextlib import contextmanager

from ..core.state import relayout
from ..errors import ConfigError


def averaged(shadow, param, d):
    """d·shadow + (1 − d)·param: one update of the average (every engine runs this)."""
    return shadow * d + (1.0 - d) * param


class ExponentialMovingAverage:
    """A moving average of the weights, kept beside them: shadow ← d·shadow + (1 − d)·param
    after every update, d = min(decay, (1 + t)/(10 + t)) with t the updates made before it, so
    early averages follow the weights closely. Give it to ``compile(ema=...)``; evaluate, predict
    and save then use the averages.

    Parameters
    ----------
    decay : float, default 0.999
        The largest d, in (0, 1): the average spans about 1/(1 − decay) updates.
    """

    def __init__(self, decay: float = 0.999):
        decay = float(decay)
        if not 0.0 < decay < 1.0:
            raise ConfigError(f"moving-average decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.shadows: list = []
        self.num_updates = 0
        self.layout: tuple | None = None  # ((name, shape), ...) of the flat buffer the model bound

    def bind(self, layout: tuple, flat) -> None:
        """Lay the averages out for a model's flat parameter buffer ``flat`` holding ``layout`` =
        ((name, shape), ...): the average of every name already held is kept, new names start
        equal to their weights (a layer unfrozen between fits)."""
        layout = tuple((str(n), tuple(s)) for n, s in layout)
        if layout == self.layout:
            return
        if self.layout is not None and len(self.shadows) == 1:
            self.shadows = [relayout(self.shadows[0], self.layout, layout, flat.copy())]
        else:
            self.shadows = []
        self.layout = layout

    def effective_decay(self, t: int) -> float:
        return min(self.decay, (1.0 + t) / (10.0 + t))

    def start(self, params: list) -> None:
        if len(self.shadows) != len(params):
            self.shadows = [p.copy() for p in params]

    def advance(self) -> float:
        """The decay d of this update, counting the update (the fused optimizer kernel applies it)."""
        d = self.effective_decay(self.num_updates)
        self.num_updates += 1
        return d

    def update(self, params: list) -> None:
        """shadow ← d·shadow + (1 − d)·param for each parameter (call after each optimizer step).

        Parameters
        ----------
        params : list of array
            The weights, in the same order and shapes every call (the model passes its flat
            buffer). The first call copies them as the shadows' start.
        """
        self.start(params)
        d = self.advance()
        for s, p in zip(self.shadows, params):
            s[...] = averaged(s, p, d)

    @contextmanager
    def swapped_in(self, params: list):
        """Within the block the parameters hold the averages; the trained values come back after.

        Parameters
        ----------
        params : list of array
            The weights the averages were kept for, overwritten in place inside the block. When
            no averages are held for them (not as many arrays), nothing is swapped.

        Returns
        -------
        context manager
            For ``with ema.swapped_in(params): ...``; it yields None.
        """
        if len(self.shadows) != len(params):
            yield
            return
        saved = [p.copy() for p in params]
        for p, s in zip(params, self.shadows):
            p[...] = s
        try:
            yield
        finally:
            for p, v in zip(params, saved):
                p[...] = v

    def get_config(self):
        return {"decay": self.decay}

    def state_dict(self):
        return {"num_updates": self.num_updates, "shadows": [s.copy() for s in self.shadows]}

    def load_state_dict(self, state):
        self.num_updates = int(state["num_updates"])
        self.shadows = [s.copy() for s in state["shadows"]]


def get(identifier) -> ExponentialMovingAverage | None:
    if identifier is None or identifier is False:
        return None
    if isinstance(identifier, ExponentialMovingAverage):
        return identifier
    if identifier is True:
        return ExponentialMovingAverage()
    if isinstance(identifier, (int, float)):
        return ExponentialMovingAverage(identifier)
    if isinstance(identifier, dict):
        return ExponentialMovingAverage(**identifier)
    raise ConfigError(f"ema must be a decay in (0, 1) or an ExponentialMovingAverage, got {identifier!r}")

"""Argument checks, declared as data and checked by one function, so the same mistake gets the
same words everywhere: in a constructor, in a TOML config and on the command line.

The shape is scikit-learn's ``_param_validation``: a constraint says what it accepts and how to
name it; :func:`check` tries the constraints in order and raises one ConfigError naming the
argument, what was expected and what was given::

    check("learning_rate", -1, Interval(float, 0, None, closed="neither"))
    ConfigError: learning_rate: expected a number > 0, got -1
    check("fit.epochs", 0, POSITIVE_INT)
    ConfigError: fit.epochs: expected a positive integer, got 0
"""
from __future__ import annotations

import math
import numbers
from typing import Any

from .errors import ConfigError


class Interval:
    """Numbers of ``kind`` (``int`` or ``float``) between ``left`` and ``right`` (None: unbounded).

    ``closed``: "both", "left", "right" or "neither" says which ends belong. An int interval takes
    Python and NumPy integers (not bools); a float interval takes any finite real number and
    returns it as a float.
    """

    def __init__(self, kind: type, left: float | None = None, right: float | None = None, closed: str = "both"):
        if kind not in (int, float) or closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"Interval({kind!r}, closed={closed!r}): kind is int or float, closed one of "
                             "both, left, right, neither")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def accepts(self, v: Any) -> bool:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral if self.kind is int else numbers.Real):
            return False
        if not math.isfinite(v):
            return False
        left_in = self.closed in ("both", "left")
        right_in = self.closed in ("both", "right")
        if self.left is not None and (v < self.left if left_in else v <= self.left):
            return False
        return self.right is None or (v <= self.right if right_in else v < self.right)

    def convert(self, v: Any):
        return self.kind(v)

    def __str__(self) -> str:
        noun = "an integer" if self.kind is int else "a number"
        lo, hi = self.left, self.right
        if self.kind is int and lo == 1 and hi is None and self.closed in ("both", "left"):
            return "a positive integer"
        if lo is not None and hi is not None:
            if self.kind is int and self.closed == "both":
                return f"an integer in {lo}..{hi}"
            return (f"{noun} in {'[' if self.closed in ('both', 'left') else '('}{lo:g}, "
                    f"{hi:g}{']' if self.closed in ('both', 'right') else ')'}")
        if lo is not None:
            return f"{noun} {'>=' if self.closed in ('both', 'left') else '>'} {lo:g}"
        if hi is not None:
            return f"{noun} {'<=' if self.closed in ('both', 'right') else '<'} {hi:g}"
        return f"a finite {noun[2:].strip()}" if self.kind is float else noun


class Options:
    """One of a fixed set of values (strings compared without case)."""

    def __init__(self, *choices: Any):
        self.choices = choices

    def accepts(self, v: Any) -> bool:
        if isinstance(v, str):
            return v.lower() in {c.lower() for c in self.choices if isinstance(c, str)}
        return any(v is c or (type(v) is type(c) and v == c) for c in self.choices)

    def convert(self, v: Any):
        return v.lower() if isinstance(v, str) else v

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices)


class Instance:
    """Any instance of ``types``, named ``description`` ("a string", "a list of layer sizes")."""

    def __init__(self, types: type | tuple[type, ...], description: str):
        self.types, self.description = types, description

    def accepts(self, v: Any) -> bool:
        return isinstance(v, self.types) and not (isinstance(v, bool) and bool not in _as_tuple(self.types))

    def convert(self, v: Any):
        return v

    def __str__(self) -> str:
        return self.description


def _as_tuple(types) -> tuple:
    return types if isinstance(types, tuple) else (types,)


class _NoneConstraint:
    def accepts(self, v: Any) -> bool:
        return v is None

    def convert(self, v: Any):
        return None

    def __str__(self) -> str:
        return "None"


NONE = _NoneConstraint()   # "may be None" (an optional argument)
POSITIVE_INT = Interval(int, 1)
NONNEGATIVE_INT = Interval(int, 0)
POSITIVE = Interval(float, 0, None, closed="neither")
NONNEGATIVE = Interval(float, 0)
UNIT_INTERVAL_OPEN_RIGHT = Interval(float, 0, 1, closed="left")   # [0, 1): rates, momenta, decays
BOOLEAN = Instance(bool, "true or false")


def message(name: str, value: Any, *constraints) -> str:
    """The one wording of a failed check: ``name: expected <what>, got <value>``."""
    return f"{name}: expected {' or '.join(str(c) for c in constraints)}, got {value!r}"


def check(name: str, value: Any, *constraints) -> Any:
    """``value`` converted by the first constraint that accepts it, or a ConfigError naming ``name``."""
    for constraint in constraints:
        if constraint.accepts(value):
            return constraint.convert(value)
    raise ConfigError(message(name, value, *constraints))

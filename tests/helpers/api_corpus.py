"""The harness of the Python-API misuse corpus (tests/test_api_corpus*.py).

A case is a call that a user could make by mistake, and what it must end in:

* ``Raises(Exc, "words")``: an exception of that type whose message contains every one of the
  words (case-insensitive). ``Exc`` is a layerwise error, or ``ValueError``/``TypeError`` that
  names the argument. The exception must be raised by layerwise (or by scikit-learn's own
  parameter validation for the estimators), never from inside NumPy, SciPy or Python's builtins:
  the innermost frame of the traceback is checked.
* ``Warns(Category, "words")``: the call succeeds and emits that warning.
* ``Works(check)``: the call succeeds and ``check(result)`` holds (a correct result).
"""
from __future__ import annotations

import traceback
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import pytest

# where a deliberate error may come from: layerwise itself, and scikit-learn's parameter checks
# (which name the parameter as layerwise's own do)
OWN_FRAMES = ("layerwise", "sklearn/utils/_param_validation.py", "sklearn/utils/validation.py",
              "sklearn/base.py")


@dataclass
class Raises:
    exc: type[BaseException] | tuple
    words: str = ""


@dataclass
class Warns:
    category: type[Warning]
    words: str = ""


@dataclass
class Works:
    check: Callable[[Any], bool] = lambda result: True


@dataclass
class Case:
    id: str
    call: Callable[[], Any]
    expect: Raises | Warns | Works


def _contains_all(message: str, words: str) -> bool:
    message = message.lower()
    return all(word.lower() in message for word in words.split())


def run_case(case: Case) -> None:
    """Run one case and assert it ends as the case says."""
    expect = case.expect
    if isinstance(expect, Raises):
        with pytest.raises(BaseException) as info:
            case.call()
        err = info.value
        assert isinstance(err, expect.exc), (
            f"{case.id}: expected {expect.exc}, got {type(err).__name__}: {err}\n"
            + "".join(traceback.format_exception(err)))
        assert _contains_all(str(err), expect.words), f"{case.id}: message {str(err)!r} lacks {expect.words!r}"
        innermost = traceback.extract_tb(err.__traceback__)[-1].filename.replace("\\", "/")
        assert any(part in innermost for part in OWN_FRAMES), (
            f"{case.id}: raised from {innermost}, not by layerwise: {type(err).__name__}: {err}")
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = case.call()
    if isinstance(expect, Warns):
        matching = [w for w in caught if issubclass(w.category, expect.category)
                    and _contains_all(str(w.message), expect.words)]
        assert matching, f"{case.id}: no {expect.category.__name__} with {expect.words!r}; got " + \
            repr([f"{w.category.__name__}: {w.message}" for w in caught])
        return
    assert expect.check(result), f"{case.id}: the result {result!r} is not right"


def parametrize(cases: list[Case]):
    """``@parametrize(CASES)`` over ``case``, with readable ids."""
    return pytest.mark.parametrize("case", cases, ids=[c.id for c in cases])

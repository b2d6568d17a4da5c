import math

import pytest

from layerwise import (Constant, CosineDecay, ExponentialDecay, LinearWarmup, PiecewiseConstant, StepDecay,
                       schedules)
from layerwise.errors import ConfigError


def test_exponential_decay_smooth_and_staircase():
    # the notes: lr = BASE · DECAY^(global_step / STEP)
    s = ExponentialDecay(0.1, decay_steps=100, decay_rate=0.96)
    for step in (0, 1, 50, 100, 250):
        assert math.isclose(s(step), 0.1 * 0.96 ** (step / 100))
    st = ExponentialDecay(0.1, decay_steps=100, decay_rate=0.96, staircase=True)
    assert [st(k) for k in (0, 99, 100, 199, 200)] == pytest.approx([0.1, 0.1, 0.096, 0.096, 0.1 * 0.96 ** 2])


def test_step_and_piecewise():
    s = StepDecay(1.0, step_size=10, gamma=0.5)
    assert [s(k) for k in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    p = PiecewiseConstant([100, 200], [1.0, 0.5, 0.1])
    assert [p(k) for k in (0, 100, 101, 200, 201, 10_000)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]


def test_cosine():
    c = CosineDecay(1.0, decay_steps=100, alpha=0.1)
    assert c(0) == pytest.approx(1.0)
    assert c(50) == pytest.approx(0.9 * 0.5 + 0.1)
    assert c(100) == pytest.approx(0.1) and c(500) == pytest.approx(0.1)
    assert c(25) == pytest.approx(0.9 * 0.5 * (1 + math.cos(math.pi / 4)) + 0.1)


def test_warmup_wraps_any_schedule():
    w = LinearWarmup(ExponentialDecay(0.1, 10, 0.5), warmup_steps=4)
    assert [w(k) for k in range(4)] == pytest.approx([0.0, 0.025, 0.05, 0.075])
    assert w(4) == pytest.approx(0.1) and w(14) == pytest.approx(0.05)
    assert LinearWarmup(0.2, 2, initial=0.1)(1) == pytest.approx(0.15)


def test_lookup_and_errors():
    assert isinstance(schedules.get(0.1), Constant)
    assert isinstance(schedules.get({"name": "exponential", "initial_learning_rate": 0.1, "decay_steps": 5,
                                     "decay_rate": 0.9}), ExponentialDecay)
    with pytest.raises(ConfigError, match="unknown schedule 'linear'; valid:"):
        schedules.get({"name": "linear"})
    with pytest.raises(ConfigError, match="decay_steps: expected a positive integer, got 0"):
        ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ConfigError, match="len\\(values\\) == len\\(boundaries\\) \\+ 1"):
        PiecewiseConstant([1, 2], [1.0])
    with pytest.raises(ConfigError, match="learning rate must be a positive number or a schedule"):
        schedules.get("fast")

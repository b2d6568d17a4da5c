"""The fused CPU kernels (optim/fused.py) against the NumPy rules they replace: 100 steps of every
rule and chain, in float32 and float64. They are bit-identical: the same IEEE operations in the same
order (Numba does not contract to FMA without fastmath), scalars cast to the buffer's dtype as
NumPy casts them."""
from __future__ import annotations

import numpy as np
import pytest

import layerwise as lw
from layerwise.optim import fused, optimizers
from layerwise.optim.ema import ExponentialMovingAverage

pytestmark = pytest.mark.skipif(not fused.available(), reason="Numba is not installed")

N = 5000  # enough for every vector lane and the scalar tail

RULES = {
    "sgd": lambda **k: lw.SGD(0.05, **k),
    "momentum": lambda **k: lw.SGD(0.05, momentum=0.9, **k),
    "nesterov": lambda **k: lw.SGD(0.05, momentum=0.9, nesterov=True, **k),
    "adagrad": lambda **k: lw.AdaGrad(0.05, **k),
    "rmsprop": lambda **k: lw.RMSProp(0.01, **k),
    "adam": lambda **k: lw.Adam(0.01, **k),
    "adamw": lambda **k: lw.AdamW(0.01, **{"weight_decay": 0.05, **k}),
    "adamax": lambda **k: lw.Adamax(0.01, **k),
    "nadam": lambda **k: lw.Nadam(0.01, **k),
}
CHAINS = {
    "plain": {},
    "clipvalue": {"clipvalue": 0.5},
    "global_clipnorm": {"global_clipnorm": 5.0},
    "clipnorm": {"clipnorm": 1.0},
    "clipvalue+global": {"clipvalue": 0.5, "global_clipnorm": 5.0},
    "weight_decay": {"weight_decay": 0.01},
}


def run(make, fused_on: bool, dtype, steps=100, ema=False, zero_block=True):
    """``steps`` updates of one flat buffer by the same gradient sequence; returns weights, state,
    shadow. The first 500 gradients are always zero (a blank border: the state decays to tiny)."""
    rng = np.random.default_rng(0)
    opt = make(fused=fused_on)
    p = rng.normal(size=N).astype(dtype)
    tensors = [slice(0, 1000), slice(1000, N)]
    average = ExponentialMovingAverage(0.9) if ema else None
    for _ in range(steps):
        g = (rng.normal(size=N) * 2).astype(dtype)
        if zero_block:
            g[:500] = 0
        opt.update([p], [g], [g[s] for s in tensors], ema=average)
    state = {k: v[0].copy() for k, v in opt.slots.items()}
    return p, state, (average.shadows[0] if ema else None), opt


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("chain", list(CHAINS))
@pytest.mark.parametrize("rule", list(RULES))
def test_fused_equals_numpy_over_100_steps(rule, chain, dtype):
    make = lambda **k: RULES[rule](**CHAINS[chain], **k)
    p_ref, s_ref, _, _ = run(make, False, dtype)
    p_fus, s_fus, _, opt = run(make, True, dtype)
    np.testing.assert_array_equal(p_fus, p_ref)
    for key in s_ref:
        np.testing.assert_array_equal(s_fus[key], s_ref[key])
    assert opt.iterations == 100


@pytest.mark.parametrize("rule", list(RULES))
def test_fused_moving_average_in_the_same_pass(rule):
    p_ref, _, sh_ref, _ = run(RULES[rule], False, np.float32, steps=40, ema=True)
    p_fus, _, sh_fus, _ = run(RULES[rule], True, np.float32, steps=40, ema=True)
    np.testing.assert_array_equal(p_fus, p_ref)
    np.testing.assert_allclose(sh_fus, sh_ref, rtol=1e-6, atol=1e-7)  # float32 rounding


def test_fused_state_of_always_zero_gradients_is_flushed_not_subnormal():
    p, state, _, _ = run(RULES["adam"], True, np.float32, steps=400)
    tiny = np.finfo(np.float32).tiny
    for arr in state.values():
        a = np.abs(arr[:500])
        assert not np.any((a > 0) & (a < tiny)), "subnormal state entries"


def test_fused_is_chosen_automatically_for_large_buffers_only():
    big, small = [np.zeros(fused.MIN_SIZE, np.float32)], [np.zeros(100, np.float32)]
    opt = lw.Adam()
    assert opt._runs_fused(big, [b.copy() for b in big])
    assert not opt._runs_fused(small, [s.copy() for s in small])
    assert lw.Adam(fused=True)._runs_fused(small, [s.copy() for s in small])
    assert not lw.Adam(fused=False)._runs_fused(big, [b.copy() for b in big])
    # every rule has a kernel now, compiled from its one definition: Nadam too, and a user's rule
    assert lw.Nadam()._runs_fused(big, [b.copy() for b in big])

    class Mine(lw.Adam):
        @staticmethod
        def rule(w, g, m, v, b1, ob1, b2, ob2, eps, step, c2, decay):
            return w - g * step, m, v

    assert Mine()._runs_fused(big, [b.copy() for b in big])


def test_fused_setting_round_trips_through_config():
    opt = optimizers.get(lw.Adam(fused=False).get_config())
    assert opt.fused is False
    assert "fused" not in lw.Adam().get_config()


def test_fit_with_fused_and_numpy_updates_agrees():
    rng = np.random.default_rng(1)
    x = rng.random((512, 200), dtype=np.float32)
    y = rng.integers(0, 10, 512)
    weights = []
    for on in (True, False):
        model = lw.Sequential([lw.Dense(128, "relu"), lw.Dense(10, "softmax")], input_shape=(200,), seed=3)
        model.compile(lw.Adam(1e-3, fused=on), "categorical_crossentropy", ema=0.99)
        model.fit(x, y, batch_size=64, epochs=2, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


class LateBiasCorrection(lw.Adam):
    """A user's Adam whose first-moment bias correction starts at step 10: only ``bias_corrections``
    changes, and the fused kernel must run it (the kernel is the rule; the scalars are the user's)."""

    def bias_corrections(self, t):
        return (1.0 if t < 10 else 1.0 - self.beta_1 ** t), 1.0 - self.beta_2 ** t


class SignSGD(lw.SGD):
    """A user's own rule (signSGD): w ← w − η·sign(g), written once as an element-wise body."""

    @staticmethod
    def rule(w, g, lr):
        return (w - np.sign(g) * lr,)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_user_subclasses_run_their_own_arithmetic_on_both_paths(dtype):
    for make in (lambda **k: LateBiasCorrection(0.01, **k), lambda **k: SignSGD(0.01, **k)):
        p_ref, s_ref, _, _ = run(make, False, dtype, steps=30)
        p_fus, s_fus, _, _ = run(make, True, dtype, steps=30)
        np.testing.assert_array_equal(p_fus, p_ref)
        for key in s_ref:
            np.testing.assert_array_equal(s_fus[key], s_ref[key])
    adam, _, _, _ = run(lambda **k: lw.Adam(0.01, **k), True, dtype, steps=30)
    late, _, _, _ = run(lambda **k: LateBiasCorrection(0.01, **k), True, dtype, steps=30)
    sign, _, _, _ = run(lambda **k: SignSGD(0.01, **k), True, dtype, steps=30)
    assert np.abs(late - adam).max() > 1e-3  # trained differently from Adam


def test_user_adam_with_changed_bias_correction_trains_differently():
    rng = np.random.default_rng(1)
    x = rng.random((256, 300), dtype=np.float32)
    y = rng.integers(0, 10, 256)
    weights = {}
    for make in (lw.Adam, LateBiasCorrection):
        model = lw.Sequential([lw.Dense(128, "relu"), lw.Dense(10, "softmax")], input_shape=(300,), seed=3)
        model.compile(make(1e-3), "categorical_crossentropy")
        model.fit(x, y, batch_size=64, epochs=1, verbose=0)
        weights[make] = model.get_weights()[0]
    assert np.abs(weights[lw.Adam] - weights[LateBiasCorrection]).max() > 1e-4


def _python_only(value):
    return value


def test_a_rule_numba_cannot_compile_runs_as_numpy_with_a_warning():
    class Opaque(lw.SGD):
        @staticmethod
        def rule(w, g, lr):
            return (w - _python_only(g) * lr,)  # calls a plain Python function: Numba cannot

    p_ref, _, _, _ = run(lambda **k: Opaque(0.01, **k), False, np.float32, steps=3)
    with pytest.warns(RuntimeWarning, match="cannot be compiled by Numba"):
        p_fus, _, _, _ = run(lambda **k: Opaque(0.01, **k), True, np.float32, steps=3)
    np.testing.assert_array_equal(p_fus, p_ref)


def test_the_old_extension_points_are_refused_by_name():
    with pytest.raises(TypeError, match="apply.*override rule"):
        class Mine(lw.Adam):
            def apply(self, p, g, slots, tmp, sc):
                p -= g


def test_a_damaged_cached_kernel_file_is_replaced_not_run(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERWISE_CACHE_DIR", str(tmp_path))

    class Halving(lw.SGD):
        @staticmethod
        def rule(w, g, lr):
            return (w - g * lr * 0.5,)

    p_ref, _, _, _ = run(lambda **k: Halving(0.01, **k), False, np.float32, steps=3)
    run(lambda **k: Halving(0.01, **k), True, np.float32, steps=1)  # writes the kernel's file
    (path,) = (tmp_path / "kernels").glob("*.py")
    path.write_text(path.read_text().replace("return (w - g * lr * 0.5,)", "return (w + g * lr,)"))
    fused._KERNELS.clear()
    p_fus, _, _, _ = run(lambda **k: Halving(0.01, **k), True, np.float32, steps=3)
    np.testing.assert_array_equal(p_fus, p_ref)


def test_a_rule_that_is_not_a_staticmethod_is_refused_by_name():
    with pytest.raises(TypeError, match=r"Half.rule must be a @staticmethod"):
        class Half(lw.SGD):
            def rule(self, w, g, lr):
                return (w - g * lr * 0.5,)

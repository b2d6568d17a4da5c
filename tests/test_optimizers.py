"""Each update rule against its formula, step by step (hand-computed or written out in
plain Python), with and without weight decay and clipping."""
import math

import numpy as np
import pytest

from layerwise import SGD, AdaGrad, Adam, AdamW, ExponentialDecay, RMSProp, optimizers
from layerwise.errors import ConfigError

GRADS = [np.array([1.0, -2.0]), np.array([2.0, 0.5]), np.array([3.0, -1.0])]


def run(opt, w0=(1.0, -1.0), grads=GRADS):
    w = np.array(w0, dtype=np.float64)
    trace = []
    for g in grads:
        opt.update([w], [g.copy()])
        trace.append(w.copy())
    return trace


def test_sgd_plain_hand_computed():
    trace = run(SGD(0.1))
    np.testing.assert_allclose(trace[0], [0.9, -0.8])
    np.testing.assert_allclose(trace[1], [0.7, -0.85])
    np.testing.assert_allclose(trace[2], [0.4, -0.75])


def test_sgd_momentum_hand_computed():
    # v ← 0.9v − 0.1g ; w ← w + v   (first coordinate: g = 1, 2, 3)
    trace = run(SGD(0.1, momentum=0.9))
    assert [round(t[0], 12) for t in trace] == [0.9, 0.61, 0.049]


def test_sgd_nesterov_hand_computed():
    # v1 = -0.1, w1 = 1 + 0.9(-0.1) - 0.1 = 0.81; v2 = -0.29, w2 = 0.81 - 0.261 - 0.2 = 0.349
    # v3 = -0.561, w3 = 0.349 - 0.5049 - 0.3 = -0.4559
    trace = run(SGD(0.1, momentum=0.9, nesterov=True))
    np.testing.assert_allclose([t[0] for t in trace], [0.81, 0.349, -0.4559])


def test_weight_decay_is_the_notes_update():
    # w ← (1 − ηλ)w − η·g
    w, eta, lam = 1.0, 0.1, 0.5
    expected = []
    for g in (1.0, 2.0, 3.0):
        w = (1 - eta * lam) * w - eta * g
        expected.append(w)
    trace = run(SGD(eta, weight_decay=lam))
    np.testing.assert_allclose([t[0] for t in trace], expected)


def test_adagrad_formula():
    eps = 1e-6
    w, s, out = 1.0, 0.0, []
    for g in (1.0, 2.0, 3.0):
        s += g * g
        w -= 0.1 * g / (math.sqrt(s) + eps)
        out.append(w)
    np.testing.assert_allclose([t[0] for t in run(AdaGrad(0.1, epsilon=eps))], out, rtol=1e-12)
    # first step: s = g², so the step is η·g/(|g| + ε) ≈ η
    assert abs(run(AdaGrad(0.1))[0][0] - 0.9) < 1e-6


def test_rmsprop_formula():
    rho, eps = 0.9, 1e-6
    w, s, out = 1.0, 0.0, []
    for g in (1.0, 2.0, 3.0):
        s = rho * s + (1 - rho) * g * g
        w -= 0.01 * g / (math.sqrt(s) + eps)
        out.append(w)
    np.testing.assert_allclose([t[0] for t in run(RMSProp(0.01))], out, rtol=1e-12)


def adam_reference(grads, lr=0.01, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, decoupled=False, w=1.0):
    m = v = 0.0
    out = []
    for t, g in enumerate(grads, start=1):
        if wd and not decoupled:
            g = g + wd * w
        if wd and decoupled:
            w = w * (1 - lr * wd)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat, vhat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        w = w - lr * mhat / (math.sqrt(vhat) + eps)
        out.append(w)
    return out


def test_adam_formula_and_first_step():
    np.testing.assert_allclose([t[0] for t in run(Adam(0.01))], adam_reference([1.0, 2.0, 3.0]), rtol=1e-10)
    # bias correction: the first step is lr·g/(|g| + ε)
    assert abs(run(Adam(0.01))[0][0] - (1 - 0.01)) < 1e-8


def test_adam_coupled_and_adamw_decoupled_weight_decay():
    coupled = [t[0] for t in run(Adam(0.01, weight_decay=0.1))]
    np.testing.assert_allclose(coupled, adam_reference([1.0, 2.0, 3.0], wd=0.1), rtol=1e-10)
    decoupled = [t[0] for t in run(AdamW(0.01, weight_decay=0.1))]
    np.testing.assert_allclose(decoupled, adam_reference([1.0, 2.0, 3.0], wd=0.1, decoupled=True), rtol=1e-10)
    assert not np.allclose(coupled, decoupled)


def test_clipvalue_then_rule():
    trace = run(SGD(0.1, clipvalue=1.5))
    # clipped grads: (1, -1.5), (1.5, 0.5), (1.5, -1)
    np.testing.assert_allclose(trace[0], [0.9, -0.85])
    np.testing.assert_allclose(trace[1], [0.75, -0.9])
    np.testing.assert_allclose(trace[2], [0.6, -0.8])


def test_clipnorm_per_tensor_and_global():
    a, b = np.array([3.0, 4.0]), np.array([0.0, 1.0])  # norms 5 and 1, global √26
    wa, wb = np.zeros(2), np.zeros(2)
    SGD(1.0, clipnorm=2.0).update([wa, wb], [a.copy(), b.copy()])
    np.testing.assert_allclose(wa, -a * 2 / 5)
    np.testing.assert_allclose(wb, -b)  # under the limit: unchanged
    wa, wb = np.zeros(2), np.zeros(2)
    SGD(1.0, global_clipnorm=1.0).update([wa, wb], [a.copy(), b.copy()])
    scale = 1 / math.sqrt(26)
    np.testing.assert_allclose(wa, -a * scale)
    np.testing.assert_allclose(wb, -b * scale)


def test_clipping_and_decay_compose_over_three_steps():
    # chain: clipnorm (per tensor) → + λw → momentum rule
    eta, mu, lam, c = 0.1, 0.5, 0.2, 1.0
    w, v, out = np.array([1.0, -1.0]), np.zeros(2), []
    for g in GRADS:
        n = np.linalg.norm(g)
        g = g * min(1.0, c / n)
        g = g + lam * w
        v = mu * v - eta * g
        w = w + v
        out.append(w.copy())
    trace = run(SGD(eta, momentum=mu, weight_decay=lam, clipnorm=c))
    for got, want in zip(trace, out):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_schedule_drives_the_rate():
    opt = SGD(ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5))
    trace = run(opt)
    # η = 0.1, 0.05, 0.025 on steps 0, 1, 2
    np.testing.assert_allclose([t[0] for t in trace], [0.9, 0.8, 0.725])
    assert opt.iterations == 3 and math.isclose(opt.lr, 0.0125)


@pytest.mark.parametrize("make", [lambda: SGD(0.1, momentum=0.9), lambda: AdaGrad(0.1), lambda: RMSProp(0.01),
                                  lambda: Adam(0.01), lambda: AdamW(0.01)])
def test_state_dict_round_trip_resumes_exactly(make):
    full = run(make())
    opt = make()
    w = np.array([1.0, -1.0])
    opt.update([w], [GRADS[0].copy()])
    state = opt.state_dict()
    resumed = make()
    resumed.load_state_dict(state)
    opt.update([np.zeros(2)], [np.ones(2)])  # the source moving on must not touch the loaded copy
    for g in GRADS[1:]:
        resumed.update([w], [g.copy()])
    np.testing.assert_array_equal(w, full[-1])
    assert resumed.iterations == 3


@pytest.mark.parametrize("factory, message", [
    (lambda: SGD(-0.1), "learning_rate: expected a number > 0, got -0.1"),
    (lambda: SGD(0.0), "learning_rate: expected a number > 0, got 0.0"),
    (lambda: SGD(0.1, momentum=1.0), r"momentum: expected a number in \[0, 1\), got 1.0"),
    (lambda: SGD(0.1, momentum=-0.5), "momentum"),
    (lambda: SGD(0.1, nesterov=True), "nesterov=True needs momentum"),
    (lambda: Adam(beta_1=1.2), "beta_1"),
    (lambda: RMSProp(rho=1.0), "rho"),
    (lambda: AdaGrad(epsilon=0), "epsilon"),
    (lambda: SGD(0.1, clipnorm=0), "clipnorm"),
    (lambda: SGD(0.1, weight_decay=-1), "weight_decay"),
    (lambda: optimizers.get("lion"), "unknown optimizer 'lion'; valid: adagrad, adam, adamax, adamw"),  # (adamax exists now)
    (lambda: optimizers.get("adam", beta=0.3), "bad arguments for optimizer 'adam'"),
])
def test_bad_hyperparameters_fail_at_construction(factory, message):
    with pytest.raises(ConfigError, match=message):
        factory()


def test_names_and_objects_both_work():
    assert isinstance(optimizers.get("adam"), Adam)
    assert optimizers.get("momentum").momentum == 0.9
    assert optimizers.get({"name": "rmsprop", "learning_rate": 0.01}).lr == 0.01
    opt = Adam(1e-3)
    assert optimizers.get(opt) is opt


# -- against recorded PyTorch trajectories (tests/fixtures/make_optimizer_reference.py) -----------
import json  # noqa: E402
from pathlib import Path  # noqa: E402

REF = json.loads((Path(__file__).parent / "fixtures" / "optimizer_reference.json").read_text())
OURS = {
    "sgd": lambda: SGD(0.1),
    "sgd_momentum_wd": lambda: SGD(0.1, momentum=0.9, weight_decay=0.01),
    "sgd_nesterov": lambda: SGD(0.05, momentum=0.8, nesterov=True),
    "adagrad_wd": lambda: AdaGrad(0.1, epsilon=1e-6, weight_decay=0.02),
    "rmsprop": lambda: RMSProp(0.01, rho=0.9, epsilon=1e-6),
    "adam": lambda: Adam(0.01),
    "adam_wd": lambda: Adam(0.01, weight_decay=0.05),
    "adamw": lambda: AdamW(0.01, weight_decay=0.05),
    "adamax": lambda: optimizers.Adamax(0.02),
    "adamax_wd": lambda: optimizers.Adamax(0.02, weight_decay=0.05),
    "nadam": lambda: optimizers.Nadam(0.01),
    "nadam_wd": lambda: optimizers.Nadam(0.01, weight_decay=0.05, momentum_decay=0.01),
}


@pytest.mark.parametrize("case", sorted(OURS))
def test_matches_pytorch_trajectory(case):
    opt = OURS[case]()
    w = np.array(REF["w0"])
    for g, want in zip(REF["grads"], REF["cases"][case]["trajectory"]):
        opt.update([w], [np.array(g)])
        np.testing.assert_allclose(w, np.array(want), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", sorted(OURS))
def test_clipping_and_decay_feed_each_rule(case):
    """For every rule: clipvalue → clipnorm → +λw, then the rule, over three steps equals the
    rule run on gradients transformed by hand."""
    import copy
    kwargs = dict(clipvalue=0.8, clipnorm=1.0)
    plain = OURS[case]()
    chained = OURS[case]()
    chained.clipvalue, chained.clipnorm = kwargs["clipvalue"], kwargs["clipnorm"]
    lam = chained.weight_decay if chained.couples_weight_decay else 0.0
    if chained.couples_weight_decay:
        plain.weight_decay = 0.0  # the hand-transformed gradient already carries λw
    w_plain, w_chain = np.array(REF["w0"]), np.array(REF["w0"])
    for g in REF["grads"][:3]:
        g = np.array(g)
        h = np.clip(g, -0.8, 0.8)
        h = h * min(1.0, 1.0 / np.linalg.norm(h))
        h = h + lam * w_plain
        plain.update([w_plain], [h])
        chained.update([w_chain], [copy.copy(g)])
        np.testing.assert_allclose(w_chain, w_plain, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("make", [lambda: SGD(0.1, momentum=0.9), lambda: RMSProp(0.01), lambda: Adam(0.01)])
def test_state_never_goes_subnormal_under_zero_gradients(make):
    opt = make()
    w = np.ones(4, dtype=np.float32)
    opt.update([w], [np.ones(4, dtype=np.float32)])
    for _ in range(2000):  # zero gradients: the state decays geometrically
        opt.update([w], [np.zeros(4, dtype=np.float32)])
    tiny = np.finfo(np.float32).tiny
    for arrays in opt.slots.values():
        for a in arrays:
            assert not ((a != 0) & (np.abs(a) < tiny)).any()


@pytest.mark.parametrize("case", sorted(OURS))
def test_blocked_update_of_large_arrays_is_bit_identical(case, monkeypatch):
    from layerwise import optimizers as O
    rng = np.random.default_rng(3)
    w0 = rng.normal(size=9 * O.BLOCK + 123).astype(np.float32)
    grads = [rng.normal(size=w0.size).astype(np.float32) for _ in range(3)]
    results = []
    for block in (O.BLOCK, 10**9):  # blocked, then whole-array
        monkeypatch.setattr(O, "BLOCK", block)
        opt, w = OURS[case](), w0.copy()
        for g in grads:
            opt.update([w], [g.copy()])
        results.append(w)
    np.testing.assert_array_equal(results[0], results[1])

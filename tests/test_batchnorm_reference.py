"""BatchNorm against PyTorch's BatchNorm1d, independently of gradcheck.

The reference is recorded by tests/fixtures/make_batchnorm_reference.py (float64) and read from
tests/fixtures/batchnorm_reference.json: CI needs no PyTorch. Conventions compared:
- momentum: layerwise (Keras) m, moving ← m·moving + (1 − m)·batch; PyTorch p = 1 − m.
- moving variance: layerwise documents the biased batch variance σ² (the one it normalises by,
  Keras's choice); PyTorch's running_var takes the unbiased n/(n − 1)·σ². The expected
  layerwise value is derived from PyTorch's recorded running_var by undoing that factor.
The last tests run deliberately broken BatchNorms (a halved backward term, mean and variance
swapped, PyTorch's unbiased variance) through the same comparison and assert it catches each.
"""
import json
from pathlib import Path

import numpy as np
import pytest

from layerwise import BatchNorm

REF = json.loads((Path(__file__).parent / "fixtures" / "batchnorm_reference.json").read_text())
CASES = sorted(REF["cases"])
RTOL, ATOL = 1e-10, 1e-12


def arrays(case):
    return {k: np.asarray(v, dtype=np.float64) if isinstance(v, list) else v for k, v in case.items()}


def layer_for(case, cls=BatchNorm):
    c = arrays(case)
    layer = cls(momentum=c["keras_momentum"], epsilon=c["epsilon"])
    layer.build(c["x"].shape[1:], np.random.default_rng(0), np.float64, np)
    layer.params["gamma"][...] = c["gamma"]
    layer.params["beta"][...] = c["beta"]
    layer.state["moving_mean"][...] = c["running_mean0"]
    layer.state["moving_variance"][...] = c["running_var0"]
    return layer


def expected_moving_variance(case):
    """layerwise's moving variance from PyTorch's running_var: the same update with σ² = (n−1)/n·s²."""
    c = arrays(case)
    n = c["x"].size // c["x"].shape[-1]   # rows per feature
    p, m = c["torch_momentum"], c["keras_momentum"]
    unbiased = (np.asarray(c["train"]["running_var"]) - (1 - p) * c["running_var0"]) / p
    return m * c["running_var0"] + (1 - m) * unbiased * (n - 1) / n


def run(case, cls=BatchNorm):
    """layerwise's results for the fixture's inputs, keyed as the fixture's."""
    c = arrays(case)
    layer = layer_for(case, cls)
    out = {"train": {}, "inference": {}}
    out["train"]["y"] = layer.forward(c["x"].copy(), training=True)
    out["train"]["dx"] = layer.backward(c["dy"].copy())
    out["train"]["dgamma"] = layer.grads["gamma"].copy()
    out["train"]["dbeta"] = layer.grads["beta"].copy()
    out["train"]["running_mean"] = layer.state["moving_mean"].copy()
    out["train"]["moving_variance"] = layer.state["moving_variance"].copy()
    layer.state["moving_mean"][...] = c["eval_running_mean"]
    layer.state["moving_variance"][...] = c["eval_running_var"]
    out["inference"]["y"] = layer.forward(c["x"].copy(), training=False)
    out["inference"]["dx"] = layer.backward(c["dy"].copy())
    out["inference"]["dgamma"] = layer.grads["gamma"].copy()
    out["inference"]["dbeta"] = layer.grads["beta"].copy()
    return out


def mismatches(case, cls=BatchNorm) -> dict[str, float]:
    """Every compared quantity whose largest relative difference from PyTorch exceeds RTOL (ATOL floor)."""
    got, bad = run(case, cls), {}
    for mode in ("train", "inference"):
        for key in ("y", "dx", "dgamma", "dbeta") + (("running_mean",) if mode == "train" else ()):
            want = np.asarray(case[mode][key])
            diff = np.abs(got[mode][key] - want) / (ATOL + RTOL * np.abs(want))
            if not diff.max() <= 1.0:
                bad[f"{mode} {key}"] = float(np.max(np.abs(got[mode][key] - want)))
    want = expected_moving_variance(case)
    if not np.allclose(got["train"]["moving_variance"], want, rtol=RTOL, atol=ATOL):
        bad["train moving_variance"] = float(np.max(np.abs(got["train"]["moving_variance"] - want)))
    return bad


@pytest.mark.parametrize("name", CASES)
def test_batchnorm_matches_pytorch_training_and_inference(name):
    case = REF["cases"][name]
    assert mismatches(case) == {}


@pytest.mark.parametrize("name", CASES)
def test_fixture_conventions(name):
    """The fixture itself: PyTorch's momentum is 1 − Keras's, its running_var is unbiased, and the
    biased and unbiased updates differ by more than the tolerance (so the comparison can tell them apart)."""
    c = arrays(REF["cases"][name])
    assert c["torch_momentum"] == pytest.approx(1 - c["keras_momentum"])
    x2 = c["x"].reshape(-1, c["x"].shape[-1])
    p = c["torch_momentum"]
    np.testing.assert_allclose(c["train"]["running_mean"], (1 - p) * c["running_mean0"] + p * x2.mean(0), rtol=1e-12)
    np.testing.assert_allclose(c["train"]["running_var"], (1 - p) * c["running_var0"] + p * x2.var(0, ddof=1),
                               rtol=1e-12)
    assert not np.allclose(expected_moving_variance(REF["cases"][name]), c["train"]["running_var"],
                           rtol=1e-6)


# -- deliberately broken BatchNorms: the comparison must catch each ------------------------------------

class HalvedMeanTerm(BatchNorm):
    """dx with the Σdx̂ term halved."""

    def backward(self, dy, need_input_grad=True):
        dx = super().backward(dy, need_input_grad)
        _, inv_std, training = self._cache
        dxhat = dy.reshape(-1, dy.shape[-1]) * self.params["gamma"]
        return dx + 0.5 * dxhat.sum(axis=0) * inv_std / len(dxhat) if training else dx  # (c,) broadcasts


class HalvedProjectionTerm(BatchNorm):
    """dx with the x̂·Σ(dx̂·x̂) term halved."""

    def backward(self, dy, need_input_grad=True):
        dx = super().backward(dy, need_input_grad)
        xhat, inv_std, training = self._cache
        dxhat = dy.reshape(-1, dy.shape[-1]) * self.params["gamma"]
        if not training:
            return dx
        return dx + (0.5 * xhat * (dxhat * xhat).sum(axis=0) * inv_std / len(dxhat)).reshape(dx.shape)


class HalvedGammaGrad(BatchNorm):
    def backward(self, dy, need_input_grad=True):
        dx = super().backward(dy, need_input_grad)
        self.grads["gamma"] *= 0.5
        return dx


class SwappedMovingStatistics(BatchNorm):
    """moving_mean updated with the batch variance and moving_variance with the batch mean."""

    def forward(self, x, training=False):
        before = {k: v.copy() for k, v in self.state.items()}
        y = super().forward(x, training)
        if training and self.trainable:
            m = self.momentum
            mean_step = self.state["moving_mean"] - m * before["moving_mean"]
            var_step = self.state["moving_variance"] - m * before["moving_variance"]
            self.state["moving_mean"][...] = m * before["moving_mean"] + var_step
            self.state["moving_variance"][...] = m * before["moving_variance"] + mean_step
        return y


class SwappedNormalisation(BatchNorm):
    """Normalises by the mean where the variance belongs, at inference."""

    def forward(self, x, training=False):
        if training:
            return super().forward(x, training)
        saved = self.state["moving_mean"].copy(), self.state["moving_variance"].copy()
        self.state["moving_mean"][...], self.state["moving_variance"][...] = np.abs(saved[1]), np.abs(saved[0])
        try:
            return super().forward(x, training)
        finally:
            self.state["moving_mean"][...], self.state["moving_variance"][...] = saved


class UnbiasedMovingVariance(BatchNorm):
    """PyTorch's convention, which layerwise does not document: the comparison must notice."""

    def forward(self, x, training=False):
        before = self.state["moving_variance"].copy()
        y = super().forward(x, training)
        if training and self.trainable:
            n = x.size // x.shape[-1]
            step = self.state["moving_variance"] - self.momentum * before
            self.state["moving_variance"][...] = self.momentum * before + step * n / (n - 1)
        return y


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("mutant, caught", [
    (HalvedMeanTerm, {"train dx"}),
    (HalvedProjectionTerm, {"train dx"}),
    (HalvedGammaGrad, {"train dgamma", "inference dgamma"}),
    (SwappedMovingStatistics, {"train running_mean", "train moving_variance"}),
    (SwappedNormalisation, {"inference y", "inference dx", "inference dgamma"}),
    (UnbiasedMovingVariance, {"train moving_variance"}),
])
def test_the_comparison_catches_broken_batchnorms(name, mutant, caught):
    assert set(mismatches(REF["cases"][name], mutant)) == caught

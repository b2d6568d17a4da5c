r"""
Optimizers on a 2-D loss surface
================================

An optimizer turns a gradient :math:`g = \partial L/\partial w` into a step. The notes go from
plain gradient descent to Adam:

.. math::

    \begin{aligned}
    \text{SGD:}\quad & w \leftarrow w - \eta g\\
    \text{momentum:}\quad & v \leftarrow \mu v - \eta g,\quad w \leftarrow w + v\\
    \text{AdaGrad:}\quad & s \leftarrow s + g^2,\quad w \leftarrow w - \eta\, g / (\sqrt{s} + \varepsilon)\\
    \text{RMSProp:}\quad & s \leftarrow \rho s + (1-\rho) g^2,\quad
    w \leftarrow w - \eta\, g / (\sqrt{s} + \varepsilon)\\
    \text{Adam:}\quad & m \leftarrow \beta_1 m + (1-\beta_1) g,\quad v \leftarrow \beta_2 v + (1-\beta_2) g^2,\\
    & w \leftarrow w - \frac{\eta}{1-\beta_1^t}\,\frac{m}{\sqrt{v/(1-\beta_2^t)} + \varepsilon}
    \end{aligned}

Each rule is written once in :mod:`layerwise.optimizers` as an element-wise function; the
same text is compiled into the fused CPU kernel. Two of them, from the source:

.. literalinclude:: /../src/layerwise/optim/optimizers.py
   :pyobject: momentum_rule

.. literalinclude:: /../src/layerwise/optim/optimizers.py
   :pyobject: adam_rule

Below, the real optimizer objects step a single 2-vector :math:`w` downhill:
``opt.update([w], [g])`` changes ``w`` in place, exactly as it changes a network's weights.
"""

# %%
# A long, narrow valley
# ---------------------
# :math:`L(w) = \tfrac12 (0.1\, u^2 + 2\, v^2)` in coordinates rotated by 30°: steep across the
# valley, shallow along it. That is what the loss of a network looks like near a minimum when
# its inputs have very different scales.
import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw

angle = np.deg2rad(30)
R = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
H = R @ np.diag([0.1, 2.0]) @ R.T  # the Hessian


def loss(w):
    return 0.5 * w @ H @ w


def gradient(w):
    return H @ w


def trajectory(optimizer, start=(-4.0, 2.5), steps=60):
    w = np.array(start)
    path = [w.copy()]
    for _ in range(steps):
        optimizer.update([w], [gradient(w)])
        path.append(w.copy())
    return np.array(path)


optimizers = {
    "SGD, η = 0.45": lw.SGD(0.45),
    "momentum, η = 0.1, μ = 0.8": lw.SGD(0.1, momentum=0.8),
    "Nesterov, η = 0.1, μ = 0.8": lw.SGD(0.1, momentum=0.8, nesterov=True),
    "AdaGrad, η = 1": lw.AdaGrad(1.0),
    "RMSProp, η = 0.1": lw.RMSProp(0.1),
    "Adam, η = 0.3": lw.Adam(0.3),
}
paths = {name: trajectory(opt) for name, opt in optimizers.items()}

u, v = np.meshgrid(np.linspace(-5, 5, 200), np.linspace(-3.5, 3.5, 140))
surface = 0.5 * (H[0, 0] * u ** 2 + 2 * H[0, 1] * u * v + H[1, 1] * v ** 2)
fig, axes = plt.subplots(2, 3, figsize=(11, 6.4), sharex=True, sharey=True)
for ax, (name, path) in zip(axes.flat, paths.items()):
    ax.contourf(u, v, surface, levels=np.geomspace(0.005, 40, 15), cmap="Blues_r", alpha=0.6)
    ax.contour(u, v, surface, levels=np.geomspace(0.005, 40, 15), colors="white", linewidths=0.5)
    ax.plot(*path.T, ".-", ms=3, lw=1, color="tab:red")
    ax.plot(0, 0, "k*", ms=10)
    ax.set_title(name, fontsize=10)
    ax.set_aspect("equal")
fig.suptitle("60 steps of each optimizer from (−4, 2.5); the minimum is the star")
fig.tight_layout()

# %%
# How fast the loss falls
# -----------------------
# Plain SGD is limited by the steep direction: a larger η would make it oscillate across the
# valley and diverge (here it must stay below 2/2 = 1), so it crawls along the shallow one.
# Momentum accumulates speed along the valley, at the price of overshooting. The adaptive
# methods divide each coordinate's step by the size of its recent gradients; this valley is
# turned 30° away from the axes, so that evens out its two directions only in part (on a valley
# along the axes it would do more), and with a constant η they end up jittering around the
# minimum, which is what a decaying learning rate (next chapter) is for.
fig, ax = plt.subplots(figsize=(7, 3.8))
for name, path in paths.items():
    ax.semilogy([loss(w) for w in path], label=name)
ax.set(xlabel="step", ylabel="L(w)", title="Loss along each trajectory")
ax.grid(alpha=0.3, which="both")
ax.legend(fontsize=10)
fig.tight_layout()

# %%
# The learning rate's threshold
# -----------------------------
# For plain gradient descent on a quadratic, a step diverges once η exceeds 2/λ_max, where
# λ_max is the largest curvature (here 2, so the threshold is 1). Just below it the iterate
# zig-zags across the valley; above it, it leaves.
fig, ax = plt.subplots(figsize=(7, 3.5))
for eta in (0.3, 0.9, 1.02):
    ax.semilogy([loss(w) for w in trajectory(lw.SGD(eta), steps=40)], label=f"SGD η = {eta}")
ax.axhline(loss(np.array([-4.0, 2.5])), color="gray", ls=":", lw=1)
ax.set(xlabel="step", ylabel="L(w)", title="Below, near and above the threshold η = 2/λ_max = 1")
ax.grid(alpha=0.3, which="both")
ax.legend()
fig.tight_layout()

# %%
# Each optimizer keeps its state per parameter (Adam: the moments m and v); checkpoints save
# it with ``state_dict()``, so a resumed run continues with the same moments.
adam = optimizers["Adam, η = 0.3"]
print(adam, "after", adam.iterations, "steps")
for key, arrays in adam.slots.items():
    print(f"  {key} = {np.round(arrays[0], 5)}")

# %%
# Why Adam corrects its bias
# --------------------------
# Adam keeps two running averages per weight: :math:`m_t` of the gradient and :math:`v_t` of its
# square, each an exponential moving average started at zero,
#
# .. math::
#
#     m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t = (1-\beta_1)\sum_{s=1}^{t} \beta_1^{\,t-s} g_s .
#
# If the gradients hover around a mean :math:`\bar g`, the weights of that sum add up to
# :math:`(1-\beta_1)(1 + \beta_1 + \dots + \beta_1^{t-1}) = 1 - \beta_1^t`, not 1: the average
# is pulled towards its starting value, zero, so :math:`\mathbb E[m_t] \approx (1-\beta_1^t)\,\bar g`.
# After one step :math:`m_1` is a tenth of the gradient (:math:`\beta_1 = 0.9`) and
# :math:`v_1` a thousandth of its square (:math:`\beta_2 = 0.999`). Dividing by the missing
# weight removes the bias:
#
# .. math::
#
#     \hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
#     w \leftarrow w - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}.
#
# The two biases do not cancel. :math:`v` forgets a hundred times more slowly than :math:`m`,
# so its bias is larger and lasts longer, and without the correction the step
# :math:`m_t/\sqrt{v_t}` is :math:`(1-\beta_1^t)/\sqrt{1-\beta_2^t}` times the corrected one:
# 3.2 at the first step, 6.5 at the tenth, still 1.3 after a thousand. The correction makes the
# rate you chose the rate you get, from the first step on. Below, a real :class:`~layerwise.Adam`
# steps one weight on noisy gradients :math:`g_t \sim N(1, 0.5^2)`, and its ``slots`` hold
# :math:`m_t` and :math:`v_t` after each step:
adam = lw.Adam(1e-3)
w = np.array([0.0])
g_stream = np.random.default_rng(0).normal(1.0, 0.5, 3000)
m_raw, v_raw = [], []
for g in g_stream:
    adam.update([w], [np.array([g])])
    m_raw.append(adam.slots["m"][0][0])
    v_raw.append(adam.slots["v"][0][0])
t = np.arange(1, len(g_stream) + 1)
b1, b2 = adam.beta_1, adam.beta_2
m_raw, v_raw = np.array(m_raw), np.array(v_raw)
m_hat, v_hat = m_raw / (1 - b1 ** t), v_raw / (1 - b2 ** t)

fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
axes[0].plot(t, m_raw, label="m_t (raw)")
axes[0].plot(t, m_hat, label="m̂_t (corrected)")
axes[0].axhline(1.0, color="gray", ls=":", label="mean gradient 1")
axes[0].set(xscale="log", xlabel="step t", title="First moment, β₁ = 0.9")
axes[1].plot(t, np.sqrt(v_raw), label="√v_t (raw)")
axes[1].plot(t, np.sqrt(v_hat), label="√v̂_t (corrected)")
axes[1].axhline(np.sqrt(1 + 0.5 ** 2), color="gray", ls=":", label="true RMS √1.25")
axes[1].set(xscale="log", xlabel="step t", title="Second moment, β₂ = 0.999")
ratio = (1 - b1 ** t) / np.sqrt(1 - b2 ** t)
axes[2].plot(t, ratio, color="tab:red")
axes[2].axhline(1.0, color="gray", ls=":")
axes[2].set(xscale="log", xlabel="step t", ylabel="uncorrected step / corrected step",
            title="How much larger, without the correction")
for ax in axes[:2]:
    ax.legend(fontsize=10)
for ax in axes:
    ax.grid(alpha=0.3, which="both")
fig.tight_layout()
print("uncorrected/corrected step at t = 1, 10, 100, 1000:", np.round(ratio[[0, 9, 99, 999]], 2))

# %%
# What it does to training. ``bias_corrections(t)`` is the method that returns
# :math:`(1-\beta_1^t, 1-\beta_2^t)`; a subclass returning ``(1, 1)`` is Adam without the
# correction. The digits network's first 35 mini-batches at two learning rates, averaged over
# 3 seeds:


class UncorrectedAdam(lw.Adam):
    def bias_corrections(self, t):
        return 1.0, 1.0


ds = lw.datasets.load("digits", validation_size=0.2)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=True)
for ax, rate in zip(axes, (0.003, 0.03)):
    for label, cls in (("Adam (corrected)", lw.Adam), ("without the correction", UncorrectedAdam)):
        curves = []
        for seed in range(3):
            model = lw.Sequential([lw.Dense(100, "relu", kernel_initializer="he_normal"),
                                   lw.Dense(10, "softmax")], seed=seed)
            model.compile(cls(rate), "categorical_crossentropy")
            curves.append([model.train_on_batch(ds.x_train[i:i + 32], ds.y_train[i:i + 32])
                           for i in range(0, 32 * 35, 32)])
        curves = np.array(curves)
        ax.plot(np.arange(1, 36), curves.mean(axis=0), label=label)
        print(f"η = {rate}: {label:24s} mean loss over the first 10 steps {curves[:, :10].mean():.3f}, "
              f"highest loss {curves.max():.2f}")
    ax.set(xlabel="step", title=f"η = {rate}")
    ax.grid(alpha=0.3)
axes[0].set_ylabel("training loss on the batch (mean of 3 seeds)")
axes[0].legend()
fig.tight_layout()

# %%
# At the small rate the uncorrected optimizer is *faster* at first: its steps are several times
# larger than asked, which at :math:`\eta = 0.003` happens to help. At the larger rate the same
# multiplier overshoots and the loss jumps up before it comes down. Either way the rate in effect
# is not the rate chosen, and it changes over the first thousand steps by itself. With the
# correction, :math:`\eta` means the same thing at step 1 as at step 10,000, so a schedule or a
# learning-rate search (the next chapter and the hyperparameter chapter) controls what it
# appears to control.
#
# Exercises
# ---------
# 1. Show that for a constant gradient :math:`g`, the corrected :math:`\hat m_t` equals :math:`g`
#    at every step, and that the corrected Adam's first step moves every weight by
#    :math:`\eta` (up to ε), whatever the size of its gradient.
# 2. On the valley above, which optimizer gets within :math:`L < 10^{-3}` first? Change each
#    learning rate by a factor of 2 either way: which ranking survives?
# 3. For SGD on this valley, find the largest stable :math:`\eta` by experiment and compare it
#    with :math:`2/\lambda_\text{max}`.
# 4. With :math:`\beta_2 = 0.99` instead of 0.999, how large is the uncorrected step at
#    :math:`t = 10`? Draw the ratio curve for both.

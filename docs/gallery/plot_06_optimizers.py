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
ax.legend(fontsize=8)
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

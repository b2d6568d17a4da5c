r"""
Exploding gradients and gradient clipping
=========================================

Backpropagation multiplies. On its way down, the error of layer :math:`l` is the error of layer
:math:`l+1` times :math:`(W^{l+1})^{\mathsf T}` and times :math:`f'(z^l)` (BP2), so the gradient
that reaches the first layer of a deep network is a product of many factors:

.. math::

    \delta^1 = \delta^L \, (W^L)^{\mathsf T} D^{L-1} (W^{L-1})^{\mathsf T} D^{L-2} \cdots
    (W^2)^{\mathsf T} D^1, \qquad D^l = \operatorname{diag} f'(z^l).

If the typical factor is a little below one, the product *vanishes*: the first layers stop
learning (the :ref:`initialisation chapter <sphx_glr_auto_examples_plot_11_initialization.py>`).
If it is a little above one, it *explodes*: one unlucky batch produces a gradient thousands of
times too large, the step throws the weights far away, and the loss jumps, or becomes ``nan``.
Good initialisation and batch normalisation make both rarer; *gradient clipping* (the notes'
梯度裁剪) is the seat belt for the steps that still go wrong: before the optimizer uses the
gradient, shrink it if it is too large.

Three ways to clip, all arguments of every layerwise optimizer, applied in this order:

.. math::

    \begin{aligned}
    \texttt{clipvalue}=c:&\quad g_i \leftarrow \min(\max(g_i, -c), c) \text{ for every element}\\
    \texttt{clipnorm}=c:&\quad g \leftarrow g \cdot \min\!\big(1, c/\lVert g\rVert\big) \text{ for each weight array}\\
    \texttt{global\_clipnorm}=c:&\quad g_k \leftarrow g_k \cdot \min\!\big(1, c/\lVert (g_1, \dots, g_K)\rVert\big)
        \text{ for all arrays together}
    \end{aligned}

Clipping by value is the notes' ``tf.clip_by_value(grad, -1, 1)``; it can turn the gradient,
because large components are cut and small ones are not. Clipping by norm only shortens it, and
the global norm keeps even the proportions between layers, so it is the usual choice. A clipped
step is no longer the steepest descent of this batch, but it points downhill and its length is
bounded.
"""

# %%
# What each clip does to one gradient
# -----------------------------------
# The optimizer's own gradient chain, used on one 2-vector: plain SGD with :math:`\eta = 1`
# moves :math:`w` from 0 to exactly minus the (clipped) gradient, so the step it takes *is* the
# clipped vector.
import warnings

import matplotlib.pyplot as plt
import numpy as np

import layerwise as lw


def step(g, **clip):
    w = np.zeros(2)
    lw.SGD(1.0, **clip).update([w], [np.array(g, dtype=float)])
    return -w


g = np.array([3.0, 0.6])
clipped = {"no clipping": step(g), "clipvalue = 1": step(g, clipvalue=1.0), "clipnorm = 1": step(g, clipnorm=1.0)}
fig, ax = plt.subplots(figsize=(5.5, 3.4))
for (label, v), color in zip(clipped.items(), ("gray", "tab:orange", "tab:blue")):
    ax.annotate("", xy=v, xytext=(0, 0), arrowprops=dict(arrowstyle="->", lw=2, color=color))
    ax.plot([], [], color=color, lw=2, label=f"{label}: ({v[0]:.2f}, {v[1]:.2f})")
ax.add_patch(plt.Rectangle((-1, -1), 2, 2, fill=False, ls=":", color="tab:orange"))
ax.add_patch(plt.Circle((0, 0), 1, fill=False, ls=":", color="tab:blue"))
ax.set(xlim=(-1.3, 3.3), ylim=(-1.2, 1.4), aspect="equal", xlabel="g₁", ylabel="g₂",
       title="The gradient (3, 0.6), clipped")
ax.legend(fontsize=8, loc="lower right")
ax.grid(alpha=0.3)
fig.tight_layout()
for label, v in clipped.items():
    angle = np.degrees(np.arctan2(v[1], v[0]))
    print(f"{label:13s} length {np.linalg.norm(v):.3f}, direction {angle:5.1f}°")

# %%
# An exploding network
# --------------------
# A six-layer ReLU network on the digits, initialised with N(0, 1) weights (the book's
# first initialisation; the He chapter shows why that is far too large for ReLUs), trained with
# SGD and momentum. :class:`~layerwise.Diagnostics` records the gradient norm of every layer
# every step, and :class:`~layerwise.TerminateOnNaN` stops a run whose loss is no longer a
# number. Without clipping, the first layer's gradient is enormous from the first step, and
# within a few updates the weights overflow: the loss becomes ``nan`` and training is over. With
# ``global_clipnorm=1`` the same network, seeds and rate train. Three seeds each.
ds = lw.datasets.load("digits", validation_size=0.2)


def exploding_network(seed, **clip):
    model = lw.Sequential([lw.Dense(64, "relu", kernel_initializer="large") for _ in range(6)]
                          + [lw.Dense(10, "softmax")], seed=seed)
    model.compile(lw.SGD(0.01, momentum=0.9, **clip), "categorical_crossentropy", metrics=["accuracy"])
    return model


results = {}
for label, clip in (("no clipping", {}), ("global_clipnorm = 1", {"global_clipnorm": 1.0})):
    runs = []
    for seed in range(3):
        model = exploding_network(seed, **clip)
        diagnostics = lw.Diagnostics(every=1, verbose=False)
        with np.errstate(all="ignore"), warnings.catch_warnings():   # the unclipped runs overflow:
            warnings.simplefilter("ignore", RuntimeWarning)            # TerminateOnNaN stops them
            h = model.fit(ds.x_train, ds.y_train, batch_size=32, epochs=10, verbose=0,
                          callbacks=[diagnostics, lw.TerminateOnNaN()],
                          validation_data=(ds.x_val, ds.y_val)).history
        grad_norms = [r["dense_1/grad_norm"] for r in diagnostics.records]
        runs.append((h, grad_norms))
    results[label] = runs
    ends = [f"NaN, stopped in epoch {len(h['loss'])}" if not np.isfinite(h["val_loss"][-1])
            else f"{h['val_accuracy'][-1]:.3f} after {len(h['loss'])} epochs" for h, _ in runs]
    print(f"{label:20s} validation accuracy, seeds 0-2: " + "; ".join(ends))

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
for (label, runs), color in zip(results.items(), ("tab:red", "tab:blue")):
    for k, (h, grad_norms) in enumerate(runs):
        ax1.semilogy(np.arange(1, len(grad_norms) + 1), grad_norms, color=color, alpha=0.6,
                     lw=0.8, label=label if k == 0 else None)
        ax2.plot(np.arange(1, len(h["loss"]) + 1), h["loss"], "o-", ms=3, color=color, alpha=0.7,
                 label=label if k == 0 else None)
h0 = results["no clipping"][0][0]
if not np.isfinite(h0["val_loss"][-1]):
    ax2.annotate("no clipping: the loss is NaN\nwithin the first epoch", (len(h0["loss"]), h0["loss"][-1]),
                 xytext=(3.5, h0["loss"][-1] * 0.8), fontsize=8, color="tab:red",
                 arrowprops=dict(arrowstyle="->", color="tab:red"))
ax1.axhline(1.0, color="black", ls=":", lw=1)
ax1.set(xlabel="step", ylabel="‖∂L/∂W₁‖ (before clipping)", title="First layer's gradient, every step")
ax2.set(xlabel="epoch", ylabel="training loss", yscale="log", title="Training loss (3 seeds each)")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
fig.tight_layout()

# %%
# Clipping does not cure the cause: the network is still badly initialised and its gradients
# stay large (left), so it trains more slowly than a well-initialised one would. What it
# prevents is the catastrophe of a single huge step. That makes it cheap insurance for networks
# whose gradients can spike: deep stacks, recurrent networks (where the notes say it is used
# most), and losses with steep cliffs. A threshold somewhat above the typical gradient norm
# (:class:`~layerwise.Diagnostics` shows it) clips only the spikes.
#
# Exercises
# ---------
# 1. Repeat the experiment with ``clipvalue=1`` and ``clipnorm=1``. Which trains best here, and
#    why might clipping by value hurt a network whose gradients are large in every component?
# 2. Initialise with ``he_normal`` instead and train without clipping. What is the first layer's
#    gradient norm now? Does clipping at 1 still change anything?
# 3. With ``global_clipnorm=c`` and plain SGD, what is the longest step any update can take?
# 4. Clip at 1e-3. What does training look like, and how is it related to lowering :math:`\eta`?

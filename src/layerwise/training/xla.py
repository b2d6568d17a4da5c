"""The XLA engine: the same layers, loss, chain, rule and average, traced by JAX into one program.

What runs is layerwise's own code: each layer's ``forward`` and written-out ``backward`` (BP1–BP4),
the loss's fused δ, the regularizers' ``added``, the chain's element-wise part, the optimizer's rule
body (its ``np`` bound to ``jax.numpy``) and the moving average. JAX traces them once per fit into a
step; an epoch's full batches are one ``lax.scan`` over their row indices, with the training data
on the device and the parameters, optimizer state and averages donated from step to step. XLA fuses
the element-wise work, runs the products on every core, and on a GPU when JAX has one.

Between epochs the model's own NumPy arrays hold the state (parameters, optimizer slots, averages,
step counts), exactly as after a NumPy epoch, so callbacks, validation, checkpoints and resume work
unchanged at epoch boundaries. The per-step scalars (the schedule's rate, the rule's bias
corrections, the average's decay) are computed on the host by the same Python code as on NumPy and
fed to the scan as arrays: a schedule never recompiles the step.

Results equal the NumPy engine's to rounding, not bit for bit (XLA sums in its own order); one engine
on one machine gives the same bits run to run and after a resume. On a GPU the matrix products are
asked for at full float32 precision (``precision="highest"``), not TF32.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import types
from contextlib import contextmanager
from typing import Any

import numpy as np

from .. import checks, settings
from ..core import activations as activations_mod
from ..core import losses as losses_mod
from ..core import regularizers as regularizers_mod
from ..core import state as model_state
from ..core.layers import Activation, BatchNorm, Dense, Dropout, Flatten
from ..optim import chain
from ..optim.ema import averaged
from .step import weighting

TRACED_LAYERS = (Dense, Activation, Dropout, BatchNorm, Flatten)  # the built-in layers written with xp
MIN_PARAMS = 20_000   # smaller models: the NumPy engine's per-step cost is already small
MIN_BATCH = 64        # smaller batches: XLA's per-operation cost inside the loop outweighs the work (measured:
                      # the book task, batch 10, 0.85 s an epoch on XLA against 0.61 on NumPy; task 1, batch
                      # 128: 0.57 against 0.55 quiet, 0.86 against 1.57 beside a busy process)
ENGINES = checks.Options("auto", "numpy", "xla")


_FORKED_AFTER_JAX = False  # set in a child forked after its parent imported JAX (XLA's threads do not survive)


def _after_fork_in_child() -> None:
    global _FORKED_AFTER_JAX
    _FORKED_AFTER_JAX = _FORKED_AFTER_JAX or "jax" in sys.modules


os.register_at_fork(after_in_child=_after_fork_in_child)


def available() -> bool:
    """JAX is importable (the ``xla`` extra)."""
    return importlib.util.find_spec("jax") is not None


def why_not(model, plan, callbacks, batches, checkpoint_every) -> str | None:
    """Why this fit cannot run on the XLA engine (one line), or None when it can."""
    from .batches import ArrayBatches
    if not available():
        return 'JAX is not installed (pip install "layerwise[xla]")'
    if _FORKED_AFTER_JAX:
        return "this process was forked after JAX started in its parent (XLA's threads do not survive a fork)"
    if model.backend_name != "numpy":
        return f"the model's arrays live on the {model.backend_name!r} backend"
    for layer in model.layers:
        if type(layer) not in TRACED_LAYERS:
            return f"layer {layer.name!r} ({type(layer).__name__}) has no traced form yet"
        for key in ("kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint",
                    "beta_regularizer", "gamma_regularizer"):
            obj = getattr(layer, key, None)
            if obj is not None and not regularizers_mod.traceable(obj):
                return f"layer {layer.name!r}'s {key} {type(obj).__name__} is written in place for NumPy"
        if hasattr(layer, "activation") and not activations_mod.traceable(layer.activation):
            return (f"layer {layer.name!r}'s activation {type(layer.activation).__name__} defines value/backward "
                    "for NumPy, not f/df with xp")
    loss = model.loss
    if type(loss).__module__ != losses_mod.__name__ or isinstance(loss, losses_mod.CustomLoss):
        return f"the loss {type(loss).__name__} is not one of layerwise's traced losses"
    if plan.nonfinite is not None:
        return "a per-step NaN check (TerminateOnNaN, RollbackOnNaN) needs every step's loss on the host"
    if checkpoint_every:
        return "checkpoint_every cuts epochs into steps; the XLA engine checkpoints at epoch ends"
    if type(batches) is not ArrayBatches:
        return "the training data is a file or a sparse matrix (gathered batch by batch on the host)"
    for cb in callbacks:
        if cb.wants_batches():
            return f"the callback {type(cb).__name__} reads every batch"
    return None


def _on_jax(fn: types.FunctionType, jnp) -> types.FunctionType:
    """``fn`` with its global ``np`` bound to jax.numpy: an update rule written with NumPy's ufuncs,
    as the rule is written once (the same text Numba compiles for the NumPy engine's fused kernel)."""
    return types.FunctionType(fn.__code__, {**fn.__globals__, "np": jnp}, fn.__name__, fn.__defaults__,
                              fn.__closure__)


@contextmanager
def _bound(model, params, states, seeds, jnp):
    """The model's layers hold the traced parameters ``params`` (one per ``model.trainable_refs``),
    their traced state (BatchNorm's moving statistics) and their dropout seeds while the step is
    traced; everything the trace leaves on the layers (tracers in caches, grads and state) is put back."""
    saved = [(layer, dict(layer.__dict__), dict(layer.params), dict(layer.grads), dict(layer.state))
             for layer in model.layers]
    try:
        for (layer, key), value in zip(_state_refs(model), states):
            layer.state = {**layer.state, key: value}
        for layer, seed in zip(_dropouts(model), seeds):
            layer.seed = seed
        for (layer, key), value in zip(model.trainable_refs, params):
            layer.params = {**layer.params, key: value}
        for layer in model.layers:
            layer.params = {k: v if not isinstance(v, np.ndarray) else jnp.asarray(v) for k, v in layer.params.items()}
            layer.grads = dict(layer.grads)
        yield
    finally:
        for layer, attrs, params, grads, state in saved:
            layer.__dict__.clear()
            layer.__dict__.update(attrs)
            layer.params, layer.grads, layer.state = params, grads, state


def _state_refs(model) -> list:
    """(layer, key) of every non-trainable state array (BatchNorm's moving mean and variance)."""
    return [(layer, key) for layer in model.layers for key in layer.state]


def _dropouts(model) -> list:
    """The dropout layers that draw a mask in training, in forward order (one seed each per step)."""
    return [layer for layer in model.layers if isinstance(layer, Dropout) and layer.rate > 0]


def _persistent_cache(jax) -> None:
    """Compiled programs are kept on disk (JAX's persistent cache, in layerwise's cache folder unless
    the user set one), so the same fit in a new process skips most of its compile time."""
    if not jax.config.jax_compilation_cache_dir:
        from ..optim.fused import cache_dir
        jax.config.update("jax_compilation_cache_dir", str(cache_dir().parent / "xla"))
        # every program, not only those over JAX's default 1 s: a fit's epoch compiles in 0.2–0.7 s,
        # and a second fit of the same model (a new Engine, traced anew) then loads it instead
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


class Engine:
    """One fit's compiled step and epoch. ``run(batches, state, sums)`` trains the rest of an epoch."""

    def __init__(self, model, plan, batches):
        import jax
        import jax.numpy as jnp
        self.jax, self.jnp = jax, jnp
        _persistent_cache(jax)
        self.model, self.plan = model, plan
        self.n_tensors = len(model.trainable_refs)
        self.x64 = np.dtype(model.dtype) == np.float64
        opt = model.optimizer
        self.rule = _on_jax(opt.rule, jnp)
        with self._precision():
            weights = None if batches.weights is None else np.asarray(batches.weights, dtype=model.dtype)
            # x goes to the device in its own dtype and each epoch's batches are cast as they are
            # gathered (as on NumPy): float32 pixels for a float64 network are never copied whole on
            # the host (measured for the book's 60,000 images: 2.1 s to cast on the host, 0.1 s to
            # move them as they are)
            self.data = (jax.device_put(np.asarray(batches.x)), jnp.asarray(batches.y),
                         None if weights is None else jnp.asarray(weights))
            self.epoch_fn = jax.jit(self._epoch, donate_argnums=(0,), static_argnames=("keep",))
            self.step_fn = jax.jit(self._one, donate_argnums=(0,))

    @contextmanager
    def _precision(self):
        with self.jax.enable_x64(self.x64), self.jax.default_matmul_precision("highest"):
            yield

    # -- the traced step ------------------------------------------------------------------------
    def _loss_and_delta(self, out, yb, wb):
        model, plan = self.model, self.plan
        loss_fn = model.loss
        delta = loss_fn.grad_z(out, yb) if plan.fused else loss_fn.grad(out, yb)
        if wb is None:
            loss = loss_fn.value_array(out, yb)
        else:  # Σwᵢℓᵢ/Σwᵢ, and δ's rows scaled by n·wᵢ/Σwᵢ
            loss, scale = weighting(model, out, yb, wb, sum_dtype=out.dtype, floor=np.finfo(out.dtype).tiny)
            delta = delta * scale.reshape((-1,) + (1,) * (delta.ndim - 1))
        if plan.regularized:
            for layer in model.layers:
                for term in layer.regularization_terms():
                    loss = loss + term
        return loss, delta

    def _step(self, carry, batch, scalars, decay, seeds):
        """One step on ``batch`` = (x, y, sample weights or None): forward, loss, the layers'
        backward, chain, rule, constraints and average. ``carry`` = (params, slots, shadows, layer
        states): one array per trainable tensor (slots: one tuple per tensor), not one flat vector,
        so no step slices or concatenates the parameters (measured: an epoch of task 1 in 0.49 s
        per tensor against 0.54 s through a flat vector). The rule, chain and average are
        element-wise, so the values equal the NumPy engine's flat-buffer passes."""
        model, jnp = self.model, self.jnp
        params, slots, shadows, states = carry
        xb, yb, wb = batch
        rule_scalars = [scalars[i] for i in range(scalars.shape[0])]
        with _bound(model, params, states, [seeds[i] for i in range(seeds.shape[0])], jnp):
            out = model.forward(xb, training=True)
            loss, delta = self._loss_and_delta(out, yb, wb)
            model.backward(delta, fused=self.plan.fused)
            states = tuple(layer.state[key] for layer, key in _state_refs(model))
            grads = [layer.grads[key] for layer, key in model.trainable_refs]
            grads, clip, scale, wd = chain.reduced(model.optimizer, grads)
            stepped = [self.rule(p, chain.on_arrays(g, p, clip, scale, wd), *s, *rule_scalars)
                       for p, g, s in zip(params, grads, slots)]
            params = tuple(new[0] for new in stepped)
            slots = tuple(tuple(new[1:]) for new in stepped)
            if self.plan.constrained:
                for (layer, key), p in zip(model.trainable_refs, params):
                    layer.params[key] = p
                for layer in model.layers:
                    layer.apply_constraints()
                params = tuple(layer.params[key] for layer, key in model.trainable_refs)
        if shadows is not None:
            shadows = tuple(averaged(s, p, decay) for s, p in zip(shadows, params))
        return (params, slots, shadows, states), (loss, out)

    def _gather(self, data, rows):
        """The batches' rows of (x, y, weights), gathered in one pass, x cast to the model's dtype. The
        data are arguments of the program, never constants (a data set baked into it would be hashed
        and compiled with it)."""
        x, y, w = data
        return x[rows].astype(self.model.dtype), y[rows], None if w is None else w[rows]

    def _epoch(self, carry, data, rows, scalars, decays, seeds, keep):
        """The epoch's full batches (rows: (steps, m)) as one scan. The batches are gathered before it,
        in one copy: gathered inside the loop, task 1 took 12.9 s an epoch beside one busy process
        instead of 1.1–1.3 s (0.56 s either way on a quiet machine). ``keep``: return each step's
        loss and outputs (False when nobody reads them, as in the book's SGD without monitors: XLA then
        drops the loss and the penalty from the step)."""
        def body(c, xs):
            c, ys = self._step(c, *xs)
            return c, ys if keep else None
        return self.jax.lax.scan(body, carry, (self._gather(data, rows), scalars, decays, seeds))

    def _one(self, carry, data, rows, scalars, decay, seeds):
        return self._step(carry, self._gather(data, rows), scalars, decay, seeds)

    # -- an epoch ---------------------------------------------------------------------------------
    def _host_inputs(self, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each step's rule scalars, average decay and dropout seeds, advancing the optimizer's and
        the average's counts and the model's generator exactly as the NumPy engine does."""
        model, opt, dt = self.model, self.model.optimizer, np.dtype(self.model.dtype)
        dropouts = _dropouts(model)
        rule_scalars, decays, seeds = [], [], []
        for _ in range(steps):
            seeds.append([layer.draw_seed() for layer in dropouts])  # drawn in the forward pass on NumPy
            lr = opt.lr
            opt.iterations += 1
            rule_scalars.append([dt.type(c) for c in opt.scalars(lr)])
            decays.append(model.ema.advance() if model.ema is not None else 0.0)
        return (np.asarray(rule_scalars, dtype=dt).reshape(steps, -1), np.asarray(decays, dtype=dt),
                np.asarray(seeds, dtype=np.uint32).reshape(steps, len(dropouts)))

    def run(self, batches, state, sums) -> None:
        """Train steps ``state.step`` .. the end of the epoch (the order set by ``begin_epoch``),
        adding each step's loss and outputs to ``sums`` as the NumPy loop does."""
        model, jnp = self.model, self.jnp
        opt = model.optimizer
        opt.ensure_slots(model.flat_params)
        if model.ema is not None:
            model.ema.start(model.flat_params)
        order = np.asarray(batches.order)
        bs, first = batches.batch_size, state.step
        full = batches.n // bs
        with self._precision():
            carry = (self._tensors(model.flat_params[0]),
                     tuple(zip(*(self._tensors(opt.slots[k][0]) for k in opt.slot_names))) or ((),) * self.n_tensors,
                     None if model.ema is None else self._tensors(model.ema.shadows[0]),
                     tuple(jnp.asarray(layer.state[key]) for layer, key in _state_refs(model)))
            outputs = []  # (first step, losses (k,), outputs (k, m, ...)) per program run
            if first < full:
                rows = order[first * bs:full * bs].reshape(full - first, bs)
                scalars, decays, seeds = self._host_inputs(full - first)
                carry, ys = self.epoch_fn(carry, self.data, jnp.asarray(rows), jnp.asarray(scalars),
                                          jnp.asarray(decays), jnp.asarray(seeds), keep=sums is not None)
                outputs.append((first, *ys) if sums is not None else None)
            if batches.steps > max(first, full):  # the partial last batch: one step of its own shape
                scalars, decays, seeds = self._host_inputs(1)
                rows = jnp.asarray(order[full * bs:])
                carry, (loss, out) = self.step_fn(carry, self.data, rows, jnp.asarray(scalars[0]),
                                                  jnp.asarray(decays[0]), jnp.asarray(seeds[0]))
                outputs.append((full, loss[None], out[None]))
            self._write_back(carry)
            if sums is not None:  # None: nobody reads the training loss (the book's SGD monitors apart)
                self._add_to_sums(batches, outputs, sums)
        state.step = batches.steps

    def _tensors(self, flat: np.ndarray) -> tuple:
        """A flat host buffer (laid out as ``model.trainable_refs``) as one device array per tensor."""
        return tuple(self.jnp.asarray(view) for _, view in model_state.split(flat, model_state.layout(self.model)))

    @staticmethod
    def _into(flat: np.ndarray, tensors) -> None:
        """Per-tensor device arrays copied back into the flat host buffer they came from."""
        offset = 0
        for t in tensors:
            t = np.asarray(t)
            flat[offset:offset + t.size] = t.reshape(-1)
            offset += t.size

    def _write_back(self, carry) -> None:
        model, opt = self.model, self.model.optimizer
        params, slots, shadows, states = carry
        self._into(model.flat_params[0], params)
        for (layer, key), value in zip(_state_refs(model), states):
            layer.state[key][...] = np.asarray(value)
        for i, key in enumerate(opt.slot_names):
            self._into(opt.slots[key][0], (s[i] for s in slots))
        if shadows is not None:
            self._into(model.ema.shadows[0], shadows)

    def _add_to_sums(self, batches, outputs, sums) -> None:
        """Each step's loss and outputs into the epoch sums, in step order, on the host (one copy
        back per program run; the metrics accumulate exactly as after NumPy steps)."""
        for first, losses, outs in outputs:
            losses, outs = np.asarray(losses, dtype=np.float64), np.asarray(outs)
            for i, (loss, out) in enumerate(zip(losses, outs)):
                rows = batches.rows(first + i)
                y = batches.y[rows]
                labels = None if batches.labels is None else batches.labels[rows]
                weights = None if batches.weights is None else batches.weights[rows]
                sums.add(float(loss), len(rows), out, y, labels, weights)


def engine_for(model, plan, callbacks, batches, checkpoint_every, engine: str | None) -> tuple[Any, str | None]:
    """(the XLA engine or None, a one-line note when ``engine`` asked for XLA but the fit runs on
    NumPy). ``engine``: "numpy", "xla", "auto" (XLA when JAX is present, the model has at least
    MIN_PARAMS parameters and batches hold at least MIN_BATCH rows), or None: the LAYERWISE_ENGINE
    setting (default "auto")."""
    if engine is None:
        engine = settings.get("LAYERWISE_ENGINE")
    if engine == "numpy":
        return None, None
    reason = why_not(model, plan, callbacks, batches, checkpoint_every)
    if engine == "auto" and (reason is not None or model.count_params() < MIN_PARAMS
                             or batches.batch_size < MIN_BATCH):
        return None, None
    if reason is not None:
        return None, f"engine='xla': this fit runs on NumPy because {reason}"
    return Engine(model, plan, batches), None

"""The XLA engine: the same layers, loss, chain, rule and average, traced by JAX into one program.

What runs is layerwise's own code: each layer's ``forward`` and written-out ``backward`` (BP1–BP4),
the loss's fused δ, the regularizers' ``added``, the chain's element-wise part, the optimizer's rule
body (its ``np`` bound to ``jax.numpy``) and the moving average. JAX traces them once per fit into a
step; an epoch's full batches are one ``lax.scan`` over their row indices, with the training data
on the device and the parameters, optimizer state and averages carried one array per tensor and
donated from step to step. XLA fuses the element-wise work, runs the products on every core, and
runs on a GPU when asked (``fit(device="cuda")``) or when it is JAX's default device.

Between epochs the model's own NumPy arrays hold the state (parameters, optimizer slots, averages,
step counts), exactly as after a NumPy epoch, so callbacks, validation, checkpoints and resume work
unchanged at epoch boundaries. The per-step scalars (the schedule's rate, the rule's bias
corrections, the average's decay) and the random draws (Dropout's seeds, Augment's numbers) are
made on the host by the same Python code as on NumPy, in the same order, and fed to the scan as
arrays: a schedule never recompiles the step, and both engines drop and warp alike.

Results equal the NumPy engine's to rounding, not bit for bit (XLA sums in its own order); one engine
on one machine gives the same bits run to run and after a resume. On a GPU the matrix products are
asked for at full float32 precision (``precision="highest"``), not TF32.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import sys
import traceback
import types
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import checks, settings
from ..core import activations as activations_mod
from ..core import regularizers as regularizers_mod
from ..core import state as model_state
from ..core.augment import Augment
from ..core.layers import Dropout
from ..errors import BackendError, ConfigError
from ..optim import chain
from ..optim.ema import averaged
from .step import StepResult, locate_nonfinite, weighting

MIN_PARAMS = 20_000   # smaller models: the NumPy engine's per-step cost is already small. Batch size sets no
                      # limit: an epoch of the book's network (23,860 parameters) on 20,000 images took 0.27 s on
                      # XLA against 1.96 s on NumPy at batch 1, 0.21 against 0.41 at batch 4 (float64, 2 cores)
STREAM_BYTES = 32 << 20  # x in a file or a sparse matrix: the most bytes of its rows one run moves to the device
ENGINES = checks.Options("auto", "numpy", "xla")
DEVICES = checks.Options("auto", "cpu", "gpu", "cuda")  # gpu and cuda: JAX's CUDA GPU


_FORKED_AFTER_JAX = False  # set in a child forked after its parent imported JAX (XLA's threads do not survive)


def _after_fork_in_child() -> None:
    global _FORKED_AFTER_JAX
    _FORKED_AFTER_JAX = _FORKED_AFTER_JAX or "jax" in sys.modules


os.register_at_fork(after_in_child=_after_fork_in_child)


def available() -> bool:
    """JAX is importable (the ``xla`` extra)."""
    return importlib.util.find_spec("jax") is not None


def why_not(model, plan, callbacks, batches) -> str | None:
    """Why this fit cannot run on the XLA engine (one line), or None when it can."""
    if not available():
        return 'JAX is not installed (pip install "layerwise[xla]")'
    if _FORKED_AFTER_JAX:
        return "this process was forked after JAX started in its parent (XLA's threads do not survive a fork)"
    for layer in model.layers:
        for key in ("kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint",
                    "beta_regularizer", "gamma_regularizer"):
            obj = getattr(layer, key, None)
            if obj is not None and not regularizers_mod.traceable(obj):
                return f"layer {layer.name!r}'s {key} {type(obj).__name__} is written in place for NumPy"
        if hasattr(layer, "activation") and not activations_mod.traceable(layer.activation):
            return (f"layer {layer.name!r}'s activation {type(layer.activation).__name__} defines value/backward "
                    "for NumPy, not f/df with xp")
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
def _bound(model, params, states, draws, jnp):
    """The model's layers hold the traced parameters ``params`` (one per ``model.trainable_refs``),
    their traced state (BatchNorm's moving statistics) and their random draws while the step is
    traced; everything the trace leaves on the layers (tracers in caches, grads and state) is put back."""
    saved = [(layer, dict(layer.__dict__), dict(layer.params), dict(layer.grads), dict(layer.state))
             for layer in model.layers]
    model_rng = model.rng
    try:
        model.rng = _NO_DRAWS
        for layer in model.layers:
            if "rng" in layer.__dict__:
                layer.rng = _NO_DRAWS
        for (layer, key), value in zip(_state_refs(model), states):
            layer.state = {**layer.state, key: value}
        for layer, draw in zip(_random_layers(model), draws):
            if isinstance(layer, Dropout):
                layer.seed = draw
            else:
                layer.u = draw
        for (layer, key), value in zip(model.trainable_refs, params):
            layer.params = {**layer.params, key: value}
        for layer in model.layers:
            layer.params = {k: v if not isinstance(v, np.ndarray) else jnp.asarray(v) for k, v in layer.params.items()}
            layer.grads = dict(layer.grads)
        yield
    finally:
        model.rng = model_rng
        for layer, attrs, params, grads, state in saved:
            layer.__dict__.clear()
            layer.__dict__.update(attrs)
            layer.params, layer.grads, layer.state = params, grads, state


class DrawInStep(RuntimeError):
    """A layer drew from the model's generator while its step was traced."""


class _NoDraws:
    """Stands for the model's generator while a step is traced: a layer's Python runs once, when
    traced, so a draw there would be one constant for every step (a silently wrong fit). Drawing
    raises instead, and the fit runs on NumPy with that reason. Per-step randomness comes in as
    data, as Dropout's seeds do."""

    def __getattr__(self, name):
        raise DrawInStep("it draws from the model's generator inside the step, where a draw would be "
                         "one constant for every step")


_NO_DRAWS = _NoDraws()


def _where(exc: BaseException) -> str:
    """The innermost frame of an exception outside JAX: file:line in function."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__
              and f"{os.sep}jax{os.sep}" not in f.filename and f"{os.sep}jaxlib{os.sep}" not in f.filename]
    if not frames:
        return "?"
    f = frames[-1]
    return f"{os.path.basename(f.filename)}:{f.lineno} in {f.name}"


def _state_refs(model) -> list:
    """(layer, key) of every non-trainable state array (BatchNorm's moving mean and variance)."""
    return [(layer, key) for layer in model.layers for key in layer.state]


def _random_layers(model) -> list:
    """The layers that draw in training, in forward order: Dropout (one 32-bit seed per pass) and
    Augment (seven uniform numbers per image)."""
    return [layer for layer in model.layers
            if (isinstance(layer, Dropout) and layer.rate > 0) or isinstance(layer, Augment)]


def _persistent_cache(jax) -> None:
    """Compiled programs are kept on disk (JAX's persistent cache, in layerwise's cache folder unless
    the user set one), so the same fit in a new process skips most of its compile time."""
    if not jax.config.jax_compilation_cache_dir:
        from ..optim.fused import cache_dir
        jax.config.update("jax_compilation_cache_dir", str(cache_dir().parent / "xla"))
        # every program, not only those over JAX's default 1 s: a fit's epoch compiles in 0.2–0.7 s,
        # and a second fit of the same model (a new Engine, traced anew) then loads it instead
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


@dataclass
class _Progress:
    """How far :meth:`Engine.run` has got: the carry after its last run, the step that run ends at,
    the outputs not yet summed, and the counts to put back while a run's draws are taken but it
    has not run."""
    carry: Any
    step: int
    outputs: list = field(default_factory=list)
    undo: tuple | None = None


class Engine:
    """One fit's compiled step and epoch. ``run(batches, state, sums)`` trains the rest of an epoch."""

    def __init__(self, model, plan, batches, device=None):
        import jax
        import jax.numpy as jnp

        from .batches import ArrayBatches
        self.jax, self.jnp, self.device = jax, jnp, device  # device: a jax.Device, or None (JAX's default)
        _persistent_cache(jax)
        self.model, self.plan = model, plan
        self.guarded = plan.nonfinite is not None  # a per-step NaN policy (TerminateOnNaN, RollbackOnNaN)
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
            # x in a file or a sparse matrix stays where it is: each run's rows are gathered on the
            # host (file reads, or the rows densified) and moved to the device, STREAM_BYTES at most
            self.streamed = type(batches) is not ArrayBatches
            self.x_shape, self.x_dtype = tuple(batches.x.shape), np.dtype(batches.x.dtype)
            self.data = (None if self.streamed else jax.device_put(np.asarray(batches.x), device),
                         jnp.asarray(batches.y), None if weights is None else jnp.asarray(weights))
            self.epoch_fn = jax.jit(self._epoch, donate_argnums=(0,), static_argnames=("keep",))
            self.forward_fn = jax.jit(self._forward)
            self.summed_fn = jax.jit(self._forward, static_argnames=("per_row",))

    @property
    def platform(self) -> str:
        """Where the engine runs, as JAX names it: "cpu", or "gpu" for a CUDA device."""
        return next(iter(self.data[1].devices())).platform

    @contextmanager
    def _precision(self):
        with self.jax.enable_x64(self.x64), self.jax.default_matmul_precision("highest"), \
                self.jax.default_device(self.device):
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

    def _step(self, carry, batch, scalars, decay, draws, active=True):
        """One step on ``batch`` = (x, y, sample weights or None): forward, loss, the layers'
        backward, chain, rule, constraints and average. ``carry`` = (params, slots, shadows, layer
        states): one array per trainable tensor (slots: one tuple per tensor), not one flat vector,
        so no step slices or concatenates the parameters (measured: an epoch of task 1 in 0.49 s
        per tensor against 0.54 s through a flat vector). The rule, chain and average are
        element-wise, so the values equal the NumPy engine's flat-buffer passes. Under a per-step
        NaN policy (``guarded``) a step whose loss is not finite, or any step when ``active`` is
        False, leaves the carry as it was."""
        model, jnp = self.model, self.jnp
        params, slots, shadows, states = carry
        xb, yb, wb = batch
        xb = xb.astype(model.dtype)
        rule_scalars = [scalars[i] for i in range(scalars.shape[0])]
        with _bound(model, params, states, draws, jnp):
            out = model.forward(xb, training=True)
            loss, delta = self._loss_and_delta(out, yb, wb)
            model.backward(delta, fused=self.plan.fused)
            states = tuple(layer.state[key] for layer, key in _state_refs(model))
            grads = [layer.grads[key] for layer, key in model.trainable_refs]

            def update(old):
                """The rule, chain, constraints and average: (params, slots, shadows) after the step."""
                params, slots, shadows = old
                reduced, clip, scale, wd = chain.reduced(model.optimizer, grads)
                stepped = [self.rule(p, chain.on_arrays(g, p, clip, scale, wd), *s, *rule_scalars)
                           for p, g, s in zip(params, reduced, slots)]
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
                return params, slots, shadows

            if not self.guarded:
                params, slots, shadows = update((params, slots, shadows))
            else:  # as on NumPy: a NaN/inf loss's step keeps the weights (its forward pass still moved
                # the layers' statistics), and nothing runs after it
                ok = jnp.isfinite(loss) & active
                params, slots, shadows = self.jax.lax.cond(ok, update, lambda old: old, (params, slots, shadows))
                states = self.jax.tree_util.tree_map(lambda n, o: jnp.where(active, n, o), states, carry[3])
        return (params, slots, shadows, states), (loss, out)

    def _gather(self, data, rows, xs=None):
        """The batches' rows of (x, y, weights), gathered in one pass, x in its own dtype (the step
        casts it: for the book's float32 pixels in a float64 network, casting each batch in the step
        instead of the epoch's copy took an epoch from 0.42–0.45 to 0.37–0.40 s, half the bytes
        copied). The data are arguments of the program, never constants (a data set baked into it
        would be hashed and compiled with it)."""
        x, y, w = data
        return x[rows] if xs is None else xs, y[rows], None if w is None else w[rows]

    def _epoch(self, carry, data, rows, scalars, decays, draws, keep, xs=None):
        """A run of batches (rows: (steps, m)) as one scan: the epoch's full batches, a stretch of them,
        or the partial last batch alone (a scan of one step). The batches are gathered before it,
        in one copy: gathered inside the loop, task 1 took 12.9 s an epoch beside one busy process
        instead of 1.1–1.3 s (0.56 s either way on a quiet machine). ``keep``: return each step's
        loss and outputs (False when nobody reads them, as in the book's SGD without monitors: XLA then
        drops the loss and the penalty from the step). ``xs``: x's rows already gathered (steps, m, ...),
        for streamed data."""
        jnp = self.jnp
        if not self.guarded:
            def body(c, xs):
                c, ys = self._step(c, *xs)
                return c, ys if keep else None
            return self.jax.lax.scan(body, carry, (self._gather(data, rows, xs), scalars, decays, draws))

        def guarded(c, xs):  # the carry's second part: the first step whose loss was not finite, or -1
            (c, bad), (i, *step) = c, xs
            c, (loss, out) = self._step(c, *step, active=bad < 0)
            return (c, jnp.where((bad < 0) & ~jnp.isfinite(loss), i, bad)), ((loss, out) if keep else None)
        steps = jnp.arange(rows.shape[0], dtype=jnp.int32)
        return self.jax.lax.scan(guarded, (carry, jnp.int32(-1)),
                                 (steps, self._gather(data, rows, xs), scalars, decays, draws))

    def _forward(self, params, states, x, per_row=None, targets=(), chunk=2048):
        """Outputs for all rows of ``x``, ``chunk`` rows at a time (each cast to the model's dtype on
        its own, as NumPy's inference batches are: a float64 copy of 60,000 images would cost more
        in fresh memory than the products). With ``per_row``: instead of the outputs, each chunk's
        column sums of ``per_row(outputs, *targets' rows)`` (a tuple of (rows,) arrays), so only
        a few numbers come back to the host."""
        jax, jnp, model = self.jax, self.jnp, self.model

        def rows(lo, size):
            xb = jax.lax.dynamic_slice_in_dim(x, lo, size)
            with _bound(model, params, states, (), jnp):
                out = model.forward(xb.astype(model.dtype), training=False)
            if per_row is None:
                return out
            values = per_row(out, *(jax.lax.dynamic_slice_in_dim(t, lo, size) for t in targets))
            return jnp.stack([jnp.sum(v, dtype=out.dtype) for v in values])

        n = x.shape[0]
        full = n // chunk
        outs = []
        if full:
            mapped = jax.lax.map(lambda i: rows(i * chunk, chunk), jnp.arange(full))
            outs.append(mapped.reshape((full * chunk,) + mapped.shape[2:]) if per_row is None else mapped)
        if n > full * chunk:
            last = rows(full * chunk, n - full * chunk)
            outs.append(last if per_row is None else last[None])
        return jnp.concatenate(outs) if len(outs) > 1 else outs[0]

    def put(self, x):
        """Rows ``x`` moved to the engine's device once (in their own dtype: float64 stays float64
        in a float64 network), for :meth:`outputs` and :meth:`summed`."""
        with self._precision():
            return self.jax.device_put(np.asarray(x), self.device)

    def outputs(self, x) -> np.ndarray:
        """The model's outputs (inference) for rows ``x`` on the device (:meth:`put`, or
        ``self.data[0]``, the training rows), by the compiled forward pass of the current parameters."""
        with self._precision():
            params, _, _, states = self._carry(slots=False)
            return np.asarray(self.forward_fn(params, states, x))

    def summed(self, x, per_row, *targets) -> np.ndarray:
        """Σ over the rows of ``x`` (on the device) of ``per_row(outputs, *targets)``, a function of
        the outputs and the targets' rows written with array methods (or ``array_module_of``) that
        returns a tuple of (rows,) arrays: one float64 sum each. The outputs stay on the device:
        the book's monitors (a cost and a count of correct rows) without a pass on the host.
        Summed per chunk in the model's dtype, then over chunks in float64."""
        with self._precision():
            params, _, _, states = self._carry(slots=False)
            sums = self.summed_fn(params, states, x, per_row, tuple(targets))
            return np.asarray(sums, dtype=np.float64).sum(axis=0)

    # -- an epoch ---------------------------------------------------------------------------------
    def _host_inputs(self, steps: int, m: int) -> tuple[np.ndarray, np.ndarray, tuple]:
        """Each step's rule scalars, average decay and random draws (per random layer: Dropout's
        seeds (steps,), Augment's uniform numbers (steps, m, 7)) for batches of m rows, advancing the
        optimizer's and the average's counts and the model's generator exactly as the NumPy engine
        does (its forward pass draws layer by layer, in this order)."""
        model, opt, dt = self.model, self.model.optimizer, np.dtype(self.model.dtype)
        randoms = _random_layers(model)
        rule_scalars: list = []
        decays: list = []
        draws: list[list] = [[] for _ in randoms]
        for _ in range(steps):
            for out, draw in zip(draws, self._forward_draws(randoms, m)):
                out.append(draw)
            lr = opt.lr
            opt.iterations += 1
            rule_scalars.append([dt.type(c) for c in opt.scalars(lr)])
            decays.append(model.ema.advance() if model.ema is not None else 0.0)
        return (np.asarray(rule_scalars, dtype=dt).reshape(steps, -1), np.asarray(decays, dtype=dt),
                tuple(np.asarray(d, dtype=np.uint32 if isinstance(layer, Dropout) else dt)
                      for layer, d in zip(randoms, draws)))

    @staticmethod
    def _forward_draws(randoms, m: int) -> list:
        """One training pass's draws, layer by layer: Dropout's seed, Augment's (m, 7) numbers."""
        return [layer.draw_seed() if isinstance(layer, Dropout) else layer.rng.random((m, 7)) for layer in randoms]

    def _counters(self) -> tuple:
        """What ``_host_inputs`` advances: the optimizer's and the average's counts and the state of
        every generator the random layers draw from."""
        model = self.model
        generators = {id(g): g for g in [model.rng, *(layer.rng for layer in _random_layers(model))]}
        return (model.optimizer.iterations, None if model.ema is None else model.ema.num_updates,
                [(g, g.bit_generator.state) for g in generators.values()])

    def _rewind(self, counters: tuple, done: int, m: int) -> list:
        """The counts and generators as NumPy leaves them when step ``done`` (counted from where
        ``counters`` were taken) halts on a NaN/inf loss: ``done`` steps applied, then the halted
        step's forward pass drew its randomness (returned) and its update was not applied."""
        self._restore(counters)
        if done:
            self._host_inputs(done, m)
        return self._forward_draws(_random_layers(self.model), m)

    def _restore(self, counters: tuple) -> None:
        """The counts and generators put back as :meth:`_counters` took them."""
        model = self.model
        model.optimizer.iterations, num_updates, generators = counters
        if num_updates is not None:
            model.ema.num_updates = num_updates
        for g, saved in generators:
            g.bit_generator.state = saved

    def _locate(self, xb, draws, loss: float) -> str:
        """Where the halted step's NaN/inf first shows, as NumPy names it: that step's training pass
        run again on the host, with its own draws and the weights before it (the layers' statistics
        put back after)."""
        model = self.model
        randoms = _random_layers(model)
        states = [(layer, {k: np.copy(v) for k, v in layer.state.items()}) for layer in model.layers]
        try:
            for layer, draw in zip(randoms, draws):
                if isinstance(layer, Dropout):
                    layer.seed = draw
                else:
                    layer.u = draw
            with np.errstate(all="ignore"):
                model.forward(xb, training=True)
            return locate_nonfinite(model, loss)
        finally:
            for layer in randoms:
                if isinstance(layer, Dropout):
                    layer.seed = None
                else:
                    layer.u = None
            for layer, saved in states:
                for key, value in saved.items():
                    layer.state[key][...] = value

    def run(self, batches, state, sums, stop: int | None = None, should_stop=None) -> StepResult | None:
        """Train steps ``state.step`` .. ``stop`` (default: the end of the epoch, in the order set by
        ``begin_epoch``), adding each step's loss and outputs to ``sums`` as the NumPy loop does.
        ``should_stop()``, asked between program runs (Ctrl-C pressed): end at that run's first step.
        Under a per-step NaN policy, stop at the first step whose loss is not finite, its update not
        applied, and return its result (``state.step`` is then the step after it); else return None
        (``state.step`` is then where it stopped). Whatever ends it, an error included, the model
        holds the weights, counts and sums of the steps it trained."""
        model = self._slots_ready()
        stop = batches.steps if stop is None else min(stop, batches.steps)
        with self._precision():
            progress = _Progress(self._carry(), state.step)
            try:
                halted = self._train(batches, progress, stop, sums, should_stop)
            except BaseException:
                if progress.undo is not None:  # a run's draws were taken and it never ran
                    self._restore(progress.undo)
                raise
            finally:
                self._write_back(progress.carry)
                if sums is not None:  # None: nobody reads the training loss (the book's SGD monitors apart)
                    self._add_to_sums(batches, progress.outputs, sums)
                state.step = progress.step
        if halted is None:
            return None
        step, loss, counters, done = halted
        step_draws = self._rewind(counters, done, len(batches.rows(step)))
        state.step = step + 1
        report = model.nonfinite_report or self._locate(batches.get(step)[0], step_draws, loss)
        return StepResult({"size": len(batches.rows(step)), "loss": loss}, halted=True, nonfinite=report)

    def _slots_ready(self):
        """The model, its optimizer's slots and its average's shadows made (on the first step, as on NumPy)."""
        model = self.model
        model.optimizer.ensure_slots(model.flat_params)
        if model.ema is not None:
            model.ema.start(model.flat_params)
        return model

    def _train(self, batches, progress: _Progress, stop: int, sums, should_stop) -> tuple | None:
        """The program runs of :meth:`run`, each recorded in ``progress`` as it completes; the halted
        step as (step, its loss, counters before its run, steps of the run applied before it), or None."""
        jnp, bs, order = self.jnp, batches.batch_size, np.asarray(batches.order)
        first, full = progress.step, batches.n // bs
        runs = [(lo, hi, bs) for lo, hi in self._runs(first, min(stop, full), full,
                                                      self._stretch(batches) if self.streamed else None)]
        if stop > max(first, full):  # the partial last batch: a run of one step of its own shape
            runs.append((full, full + 1, batches.n - full * bs))
        for i, (lo, hi, m) in enumerate(runs):
            if i and should_stop is not None and should_stop():
                return None
            rows = order[lo * bs:lo * bs + (hi - lo) * m].reshape(hi - lo, m)
            # streamed rows are read while the last run trains (then it is waited for: one run in
            # flight), and before the draws, so that a failed read leaves the counts as they were
            xs = self._host_rows(batches, rows) if self.streamed else None
            progress.undo = self._counters()
            scalars, decays, draws = self._host_inputs(hi - lo, m)
            if self.streamed:
                self.jax.block_until_ready(progress.carry)
            result, ys = self.epoch_fn(progress.carry, self.data, jnp.asarray(rows), jnp.asarray(scalars),
                                       jnp.asarray(decays), draws, keep=sums is not None or self.guarded, xs=xs)
            # one statement: the carry passed in is donated, so the new one is recorded at once
            (progress.carry, bad), counters, progress.undo = \
                (result if self.guarded else (result, -1)), progress.undo, None
            bad = int(bad)
            if bad >= 0:
                progress.step = lo + bad
                if sums is not None:
                    progress.outputs.append((lo, ys[0][:bad], ys[1][:bad]))
                return lo + bad, float(np.asarray(ys[0])[bad]), counters, bad
            progress.step = hi
            if sums is not None:
                progress.outputs.append((lo, *ys))
                if self.streamed:  # the last run's outputs (done): summed now, so that what an epoch
                    self._add_to_sums(batches, progress.outputs[:-1], sums)  # keeps does not grow with the data
                    del progress.outputs[:-1]
        return None

    def _stretch(self, batches) -> int:
        """The most steps one run trains on streamed data: a power of two whose rows of x take at
        most STREAM_BYTES (at least one step)."""
        step_bytes = batches.batch_size * int(np.prod(batches.x.shape[1:])) * np.dtype(batches.x.dtype).itemsize
        return 1 << max(0, (STREAM_BYTES // max(step_bytes, 1)).bit_length() - 1)

    def _host_rows(self, batches, rows: np.ndarray):
        """x's ``rows`` (any shape of indices) read on the host, by the batch source's own gather
        (file reads, or a sparse matrix's rows densified), and moved to the device in x's dtype."""
        out = batches.x_rows(rows.reshape(-1))
        return self.jax.device_put(out.reshape(rows.shape + out.shape[1:]), self.device)

    @staticmethod
    def _runs(first: int, end: int, full: int, cap: int | None = None) -> list[tuple[int, int]]:
        """The program runs that train full batches ``first`` .. ``end`` (of ``full`` in the epoch),
        as (lo, hi): the whole epoch as one scan; any other stretch (a resumed epoch, the steps
        between two checkpoints, the rest after a rolled-back step) in scans whose lengths are
        powers of two, largest first, so that a few compiled programs serve every stretch (one
        per length, instead of one per distinct stretch). A fit resumed from a checkpoint runs the
        same scans from there as the fit that wrote it, so it gives the same bits. ``cap`` (a power
        of two): no run longer than that (streamed data, gathered on the host run by run)."""
        if first == 0 and end == full and (cap is None or full <= cap):
            return [(0, full)] if full else []
        runs, lo = [], first
        while lo < end:
            size = min(1 << ((end - lo).bit_length() - 1), cap or end)
            runs.append((lo, lo + size))
            lo += size
        return runs

    def _carry(self, slots: bool = True) -> tuple:
        """The scan's carry from the model's host arrays: (params, slots, shadows, layer states)."""
        model, opt = self.model, self.model.optimizer
        names = opt.slot_names if slots else ()
        return (self._tensors(model.flat_params[0]),
                tuple(zip(*(self._tensors(opt.slots[k][0]) for k in names))) or ((),) * self.n_tensors,
                None if model.ema is None else self._tensors(model.ema.shadows[0]),
                tuple(self.jnp.asarray(layer.state[key]) for layer, key in _state_refs(model)))

    def untraceable(self, batch_size: int) -> str | None:
        """None when the step traces; else why not, in one line (a user's layer written with NumPy
        calls, a draw from the model's generator inside the step). Traced with shapes only."""
        self._slots_ready()
        counters = self._counters()  # one step's inputs, as the next step's, then the counts put back
        scalars, decays, draws = self._host_inputs(1, batch_size)
        self._restore(counters)
        with self._precision():
            try:
                xs = None if not self.streamed else \
                    self.jax.ShapeDtypeStruct((1, batch_size) + tuple(self.x_shape[1:]), self.x_dtype)
                one_step = functools.partial(self._epoch, keep=True)  # keep: a Python flag, not traced
                self.jax.eval_shape(one_step, self._carry(), self.data, np.zeros((1, batch_size), dtype=np.int64),
                                    scalars, decays, draws, xs=xs)
            except DrawInStep as exc:
                return f"{exc} ({_where(exc)})"
            except Exception as exc:  # noqa: BLE001 - any failure to trace means: run on NumPy
                message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                if len(message) > 160:
                    message = message[:157] + "..."
                return f"its step does not trace ({type(exc).__name__} at {_where(exc)}: {message})"
        return None

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


def jax_device(device: str | None):
    """The jax.Device for ``device`` ("cpu", "gpu"/"cuda"), or None for "auto"/None (JAX's default)."""
    if device in (None, "auto"):
        return None
    import jax
    try:
        return jax.devices("cpu" if device == "cpu" else "gpu")[0]
    except RuntimeError:
        have = ", ".join(sorted({d.platform for d in jax.devices()}))
        raise BackendError(f"device={device!r}: JAX sees no CUDA GPU here (its devices: {have}); install JAX's "
                           'CUDA build (pip install -U "jax[cuda12]") on a machine with an NVIDIA GPU') from None


def engine_for(model, plan, callbacks, batches, engine: str | None,
               device: str | None = None) -> tuple[Any, str | None]:
    """(the XLA engine or None, a one-line note when ``engine`` asked for XLA but the fit runs on
    NumPy). ``engine``: "numpy", "xla", "auto" (XLA when JAX is present and the model has at least
    MIN_PARAMS parameters), or None: the LAYERWISE_ENGINE
    setting (default "auto"). ``device`` "gpu"/"cuda" asks for JAX's GPU: the fit runs on the XLA
    engine whatever its size, or stops with the reason (it never trains on the CPU instead)."""
    if engine is None:
        engine = settings.get("LAYERWISE_ENGINE")
    on_gpu = device in ("gpu", "cuda")
    if on_gpu and engine == "numpy":
        raise ConfigError(f"device={device!r} runs on the XLA engine; engine='numpy' runs on the CPU")
    if engine == "numpy":
        return None, None
    reason = why_not(model, plan, callbacks, batches)
    if on_gpu and reason is not None and not available():
        raise BackendError(f"device={device!r} needs {reason}")
    if engine == "auto" and not on_gpu and (reason is not None or model.count_params() < MIN_PARAMS):
        return None, None
    if reason is None:
        fast = Engine(model, plan, batches, jax_device(device))
        reason = fast.untraceable(batches.batch_size)
        if reason is None:
            return fast, None
    if on_gpu:
        raise ConfigError(f"device={device!r} runs on the XLA engine, and this fit cannot: {reason}")
    return None, (None if engine == "auto" else f"engine='xla': this fit runs on NumPy because {reason}")

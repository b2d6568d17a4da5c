"""Every option of a run, declared once: config path, command-line flag, checker, default, help.

From :data:`OPTIONS` come the TOML validation (``config.SPEC``), the defaults (``config.DEFAULTS``),
the ``layerwise train``/``lr-find`` flags with their help text, the flag → config-path overrides,
and the resume rule (only options marked ``resumable`` may change on ``--resume``). Names that the
registry knows (activations, initializers, optimizers, losses, metrics) are checked against it
when checked, so a user's registered name works everywhere the built-ins do.

A checker takes ``(path, value)`` and returns the normalised value or raises a ConfigError naming
the path: ``fit.epochs: expected a positive integer, got -3``. A flag's text is first parsed by
the option's ``parse`` (int, float, a list ...), then checked by the same checker.
"""
from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import checks, registry
from ..errors import ConfigError


# -- value checkers: each returns the (normalised) value or raises with the path -----------------
# The numeric ones are the shared vocabulary of layerwise.checks, so a constructor, a config key and
# a flag word the same mistake the same way.
def fail(path, expected, value):
    raise ConfigError(f"{path}: expected {expected}, got {value!r}")


def constrained(*constraints):
    """A checker ``(path, value)`` from layerwise.checks constraints."""
    def check(path, v):
        return checks.check(path, v, *constraints)
    return check


boolean = constrained(checks.BOOLEAN)


def string(path, v):
    if not isinstance(v, str) or not v:
        fail(path, "a non-empty string", v)
    return v


def registered(kind: str, extra: tuple[str, ...] = ()):
    """A name the registry knows for ``kind`` (or one of ``extra``), checked when checked."""
    def check(path, v):
        choices = [*extra, *registry.names(kind)]
        if not isinstance(v, str) or v.lower() not in {c.lower() for c in choices}:
            fail(path, f"one of {', '.join(choices)}", v)
        return v
    check.kind = kind  # type: ignore[attr-defined]
    return check


def optional_string(path, v):
    """A string, "" meaning off."""
    if not isinstance(v, str):
        fail(path, 'a string ("" for off)', v)
    return v


def label_column(path, v):
    """A column name (string) or index (integer, negative from the end)."""
    if isinstance(v, bool) or not isinstance(v, (int, str)) or (isinstance(v, str) and not v):
        fail(path, "a column name or an integer index", v)
    return v


def run_name(path, v):
    """A run name becomes part of a directory name: no path separators, no leading dot."""
    if not isinstance(v, str) or not v or any(c in v for c in "/\\\0") or v.startswith("."):
        fail(path, "a plain name (no '/', no leading '.')", v)
    return v


def split_size(path, v):
    """A held-out part: a fraction in [0, 1), or a whole number of samples."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0 \
            or (v >= 1 and float(v) != int(v)):
        fail(path, "a fraction in [0, 1) or a whole number of samples", v)
    return int(v) if v >= 1 else float(v)


def list_of(item: Callable, expected: str, min_len: int = 0):
    def check(path, v):
        if not isinstance(v, list) or len(v) < min_len:
            fail(path, expected, v)
        return [item(f"{path}[{i}]", x) for i, x in enumerate(v)]
    return check


def metric_names(path, v):
    """A list of metric names the registry resolves ("accuracy", "f1_macro", "top_3_accuracy", "auto")."""
    from ..core import metrics
    names = list_of(string, "a list of metric names")(path, v)
    for i, name in enumerate(names):
        if name != "auto":
            try:
                metrics.get(name)
            except ConfigError as exc:
                raise ConfigError(f"{path}[{i}]: {exc}") from None
    return names


class table:
    """A checker for a sub-table; ``spec`` maps its keys to their checkers."""

    def __init__(self, spec: dict[str, Any], required: tuple[str, ...] = ()):
        self.spec, self.required = spec, required

    def __call__(self, path, v):
        return validate_table(self.spec, v, path, self.required)


def free_table(path, v):
    """A table passed through to a constructor (its own constructor checks the values)."""
    if not isinstance(v, dict):
        fail(path, "a table", v)
    return dict(v)


def loss_name_or_table(path, v):
    """A loss name ("mse") or a table with a name and arguments ({name = "binary_crossentropy", ...})."""
    name = v if isinstance(v, str) and v else v.get("name") if isinstance(v, dict) else None
    if not isinstance(name, str):
        fail(path, "a name or a table with a name", v)
    registered("loss")(f"{path}.name" if isinstance(v, dict) else path, name)
    return dict(v) if isinstance(v, dict) else v


def validate_table(spec: dict[str, Any], value: Any, path: str, required=()) -> dict[str, Any]:
    if not isinstance(value, dict):
        fail(path or "config", "a table", value)
    out = {}
    for key, v in value.items():
        full = f"{path}.{key}" if path else key
        if key not in spec:
            raise ConfigError(f"{full}: unknown key; valid keys{' in ' + path if path else ''}: "
                              f"{', '.join(sorted(spec))}")
        out[key] = spec[key](full, v)
    for key in required:
        if key not in out:
            raise ConfigError(f"{path}.{key}: required")
    return out


POS_INT = constrained(checks.POSITIVE_INT)
NONNEG_INT = constrained(checks.NONNEGATIVE_INT)
POS_NUM = constrained(checks.POSITIVE)
NONNEG_NUM = constrained(checks.NONNEGATIVE)
FRACTION = constrained(checks.UNIT_INTERVAL_OPEN_RIGHT)
OPEN_FRACTION = constrained(checks.Interval(float, 0, 1, closed="neither"))


# -- parsing a flag's text (the checker then checks the value) -----------------------------------
def _as_int(text: str):
    try:
        return int(text)
    except ValueError:
        return text  # the checker names it


def _as_float(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def _items(text: str) -> list[str]:
    """The comma-separated items of a flag's text; an empty item ("64,,10", "a,") is refused by name."""
    items = [s.strip() for s in text.split(",")]
    if not text.strip() or any(not s for s in items):
        raise ConfigError(f"empty item in {text!r} (one value between each pair of commas)")
    return items


def _int_list(text: str):
    items = _items(text)
    try:
        return [int(s) for s in items]
    except ValueError:
        return text  # the checker names it


def _comma_list(text: str):
    return _items(text)


# -- the options ------------------------------------------------------------------------------------
AUGMENT_DEFAULTS = {"shift": 0.1, "rotation": 10.0, "zoom": 0.1}  # what --augment turns on
SGD_LR = 0.1  # the CLI's rate for plain SGD: the notes' digits and book runs (the class's default is 0.01)


@dataclass(frozen=True)
class Option:
    """One option of a run, declared once: where it sits in a config file, its command-line flag,
    how it is checked, its default and its help. :data:`OPTIONS` lists them all.

    Parameters
    ----------
    path : str
        Where it lives in a TOML config: "fit.epochs".
    check : callable
        ``check(path, value)``: the normalised value, or a ConfigError naming the path.
    default : object, default None
        The value when none is given; None: absent unless given.
    help : str, default ""
        The flag's help text (``{activation}``, ``{optimizer}``, ... are filled in by
        :func:`help_text`).
    flag : str or None, default None
        The command-line flag ("--epochs"); None: configs only.
    parse : callable, default str
        Turns a flag's text into the value to check (``int``, ``float``, a list parser ...).
    switch : bool, default False
        A flag without a value (store_true).
    commands : tuple of str, default ("train",)
        The commands that take the flag ("train", "lr-find").
    resumable : bool, default False
        May be given with ``--resume`` (it extends a run).
    flag_check : callable or None, default None
        A stricter checker for the flag than for the config, if any.
    """

    path: str                          # where it lives in a config: "fit.epochs"
    check: Callable                    # (path, value) -> value, or ConfigError
    default: Any = None                # None: absent unless given
    help: str = ""
    flag: str | None = None            # "--epochs"; None: configs only
    parse: Callable[[str], Any] = str  # a flag's text -> the value to check
    switch: bool = False               # a flag without a value (store_true)
    commands: tuple[str, ...] = ("train",)
    resumable: bool = False            # may be given with --resume (it extends a run)
    flag_check: Callable | None = None  # a stricter checker for the flag than for the config, if any

    @property
    def dest(self) -> str:
        """The argparse destination: the flag (or path) as an identifier, "--batch-size" → "batch_size"."""
        return (self.flag or self.path).lstrip("-").replace("-", "_").replace(".", "_")


def default_learning_rates() -> dict[str, float]:
    """The rate each optimizer name gets when none is given: its own default, the first numeric
    ``learning_rate`` default up its classes' ``__init__`` chain (plain SGD: 0.1; none: 0.001)."""
    rates = {}
    for name in registry.names("optimizer"):
        factory = registry.lookup("optimizer", name)
        inits = [vars(c)["__init__"] for c in factory.__mro__ if "__init__" in vars(c)] \
            if isinstance(factory, type) else [factory]
        found = (inspect.signature(f).parameters.get("learning_rate") for f in inits)
        rate = next((p.default for p in found if p is not None and isinstance(p.default, (int, float))), 1e-3)
        rates[name] = SGD_LR if name == "sgd" else float(rate)
    return rates


def _lr_help() -> str:
    by_rate: dict[float, list[str]] = {}
    for name, rate in default_learning_rates().items():
        by_rate.setdefault(rate, []).append(name)
    parts = [f"{rate:g} for {', '.join(names)}" for rate, names in sorted(by_rate.items(), reverse=True)]
    return "learning rate (default: the optimizer's own: " + "; ".join(parts) + ")"


def _names_help(kind: str, default: str) -> str:
    return f"{', '.join(registry.names(kind))} (default {default})"


ES_SPEC = {"monitor": string, "patience": NONNEG_INT, "min_delta": NONNEG_NUM, "restore_best_weights": boolean}
PLATEAU_SPEC = {"monitor": string, "factor": OPEN_FRACTION, "patience": NONNEG_INT,
                "min_delta": NONNEG_NUM, "min_lr": NONNEG_NUM,
                "stop_below": OPEN_FRACTION}
AUGMENT_SPEC = {   # random per-image warps and lighting in training (see layerwise.Augment)
    "shift": constrained(checks.Interval(float, 0, 0.5)),   # a fraction of the image size
    "rotation": constrained(checks.Interval(float, 0, 180)),  # degrees
    "zoom": constrained(checks.Interval(float, 0, 0.9)),
    "brightness": FRACTION,
    "contrast": FRACTION,
    "flip": boolean,
    "image_shape": list_of(POS_INT, "[height, width]"),
}
TRAIN_AND_FIND = ("train", "lr-find")

OPTIONS: tuple[Option, ...] = (
    Option("name", run_name, "", "run name (default: the data set's name)", "--name"),
    Option("seed", NONNEG_INT, 0, "seeds initialisation, shuffling and dropout (same seed: same run; default 0)",
           "--seed", _as_int, commands=TRAIN_AND_FIND),
    # [data]
    Option("data.dataset", string, "digits",
           "digits (default, embedded), mnist, fashion-mnist, or a .npz/.npy/.csv file", "--dataset",
           commands=TRAIN_AND_FIND),
    Option("data.validation_size", split_size, 0.1, "held-out part of the training set (fraction, or a count if "
           ">= 1; default 0.1)", "--validation-size", _as_float, commands=TRAIN_AND_FIND),
    Option("data.label_column", label_column, None, "your own CSV/.npy: the label column, by header name or index "
           "(default: a column named label/class/target/y, else the last)", "--label-column", _as_int,
           commands=TRAIN_AND_FIND),
    Option("data.scale", POS_NUM, None,
           "divide the features by this (255 for pixel values)", "--scale", _as_float, commands=TRAIN_AND_FIND),
    # [model]
    Option("model.sizes", list_of(POS_INT, "a list of at least two positive integers", 2), [],
           "layer sizes input,hidden...,output, like the book's Network([784, 30, 10]) (default: features,100,classes)",
           "--layers", _int_list, commands=TRAIN_AND_FIND),
    Option("model.activation", registered("activation"), "relu", "hidden activation: " + "{activation}",
           "--activation", commands=TRAIN_AND_FIND),
    Option("model.output_activation", registered("activation"), "softmax", "output activation"),
    Option("model.initializer", registered("initializer", ("auto",)), "auto",
           "weight initializer: {initializer}", "--init",
           commands=TRAIN_AND_FIND),
    Option("model.dropout", FRACTION, 0.0, "dropout rate after each hidden layer (default 0)", "--dropout", _as_float,
           commands=TRAIN_AND_FIND),
    Option("model.batch_norm", boolean, False, "batch norm after each hidden layer", "--batch-norm", switch=True,
           commands=TRAIN_AND_FIND),
    Option("model.l1", NONNEG_NUM, 0.0, "L1 penalty l·Σ|w| on each kernel"),
    Option("model.l2", NONNEG_NUM, 0.0, "L2 penalty l·Σw² on each kernel (default 0)", "--l2", _as_float,
           commands=TRAIN_AND_FIND),
    Option("model.max_norm", NONNEG_NUM, 0.0, "max-norm constraint on each hidden kernel's columns"),
    Option("model.layers", list_of(free_table, "a list of layer tables", 1), None, "layers given one by one"),
    # [compile]
    Option("compile.optimizer", registered("optimizer"), "sgd", "optimizer: {optimizer}", "--optimizer",
           commands=TRAIN_AND_FIND),
    Option("compile.learning_rate", POS_NUM, 0.0, "{learning_rate}", "--lr", _as_float),
    Option("compile.momentum", FRACTION, 0.0, "momentum for --optimizer sgd (default 0)", "--momentum", _as_float,
           commands=TRAIN_AND_FIND),
    Option("compile.nesterov", boolean, False, "Nesterov momentum for sgd"),
    Option("compile.weight_decay", NONNEG_NUM, 0.0, "weight decay λ"),
    Option("compile.clipvalue", NONNEG_NUM, 0.0, "clip each gradient entry to [-c, c]"),
    Option("compile.clipnorm", NONNEG_NUM, 0.0, "clip each gradient tensor's norm to c"),
    Option("compile.global_clipnorm", NONNEG_NUM, 0.0, "clip the norm of all gradients together to c"),
    Option("compile.schedule", free_table, None, "a learning-rate schedule table"),
    Option("compile.loss", loss_name_or_table, "categorical_crossentropy", "the loss"),
    Option("compile.metrics", metric_names, ["accuracy"], "comma-separated metrics, e.g. accuracy,f1_macro,"
           "precision_weighted,top_3_accuracy (default: accuracy)", "--metrics", _comma_list),
    Option("compile.ema", FRACTION, 0.0, "decay of a moving average of the weights (0: off)"),
    # [fit]
    Option("fit.epochs", POS_INT, 20, "epochs (default 20; with --resume: train a run further, to N epochs in all)",
           "--epochs", _as_int, resumable=True),
    Option("fit.batch_size", POS_INT, 32, "mini-batch size (default 32)", "--batch-size", _as_int,
           commands=TRAIN_AND_FIND),
    Option("fit.shuffle", boolean, True, "shuffle the training set every epoch"),
    Option("fit.engine", constrained(checks.Options("auto", "numpy", "xla")), None,
           "auto (the XLA engine for models of 20,000+ parameters when JAX is installed), "
           "numpy (every step eagerly, the reference) or xla (the same layers compiled by JAX into one program "
           "per epoch); "
           "default: $LAYERWISE_ENGINE, else auto",
           "--engine", commands=TRAIN_AND_FIND),
    Option("fit.device", constrained(checks.Options("auto", "cpu", "gpu", "cuda")), None,
           "where the XLA engine runs: auto (JAX's default device: its GPU when it has one), cpu, or gpu/cuda "
           "(JAX's CUDA GPU; the fit runs on the XLA engine or stops with the reason); default: auto",
           "--device", commands=TRAIN_AND_FIND),
    Option("fit.checkpoint_every", NONNEG_INT, 0, "also checkpoint every N steps", "--checkpoint-every", _as_int,
           flag_check=POS_INT),
    Option("fit.early_stopping", table(ES_SPEC), None, "stop when a monitored value stops improving"),
    Option("fit.reduce_lr_on_plateau", table(PLATEAU_SPEC), None, "lower the rate on a plateau"),
    # [run]
    Option("run.runs_dir", string, "runs", "where run directories are made (default ./runs)", "--runs-dir"),
    Option("run.plots", boolean, True, "draw the plots"),
    Option("run.report", boolean, True, "write report.html"),
    Option("run.diagnostics", boolean, False, "record per-layer statistics and warn about unhealthy training",
           "--diagnostics", switch=True),
    Option("run.tensorboard", optional_string, "", "write TensorBoard event files under DIR/<run> (needs the "
           "tensorboard extra)", "--tensorboard"),
    Option("run.mlflow", optional_string, "", "log the run to MLflow: a tracking URI, or a local directory such as "
           "./mlruns (needs the mlflow extra)", "--mlflow"),
    # [augment], [tune]
    Option("augment", table(AUGMENT_SPEC), None, "augment images in training: random shifts (10%%), rotations "
           "(10°) and zooms (10%%); a config's [augment] table sets each", "--augment", switch=True),
    Option("tune", free_table, None, "a hyperparameter search (layerwise tune)"),
)
BY_PATH = {o.path: o for o in OPTIONS}


def _tree(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in values.items():
        *parents, key = path.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[key] = value
    return out


def spec() -> dict[str, Any]:
    """The TOML schema: nested tables of checkers."""
    tree = _tree({o.path: o.check for o in OPTIONS})
    return {k: table(v) if isinstance(v, dict) else v for k, v in tree.items()}


def defaults() -> dict[str, Any]:
    """The value of every option that has one, nested as in a config."""
    return _tree({o.path: o.default for o in OPTIONS if o.default is not None})


def _init_help() -> str:
    """What initializer="auto" picks, read from each activation's ``preferred_initializer``."""
    from ..core import activations
    by_init: dict[str, list[str]] = {}
    for name in registry.names("activation"):
        by_init.setdefault(activations.get(name).preferred_initializer, []).append(name)
    picks = "; ".join(f"{init} for {', '.join(names)}" for init, names in sorted(by_init.items()))
    return f"{_names_help('initializer', 'auto')}; auto picks by activation: {picks}"


def help_text(option: Option) -> str:
    """The option's help with registry choices and derived defaults filled in.

    Parameters
    ----------
    option : Option
        A row of :data:`OPTIONS`.

    Returns
    -------
    str
        Its ``help`` with ``{activation}``, ``{initializer}``, ``{optimizer}`` and
        ``{learning_rate}`` replaced by the registered names and default rates.
    """
    return option.help.format(activation=_names_help("activation", "relu"), initializer=_init_help(),
                              optimizer=_names_help("optimizer", "sgd"), learning_rate=_lr_help())


def add_flags(parser, command: str) -> None:
    """Add the flags of ``command``'s options to an argparse parser (values parsed, then checked)."""
    import argparse

    for option in OPTIONS:
        if option.flag is None or command not in option.commands:
            continue
        if option.switch:
            parser.add_argument(option.flag, dest=option.dest, action="store_true", default=None,
                                help=help_text(option))
            continue

        def convert(text, option=option):
            try:
                return (option.flag_check or option.check)(option.flag, option.parse(text))
            except ConfigError as exc:
                raise argparse.ArgumentTypeError(str(exc).replace(f"{option.flag}: ", "", 1)) from None

        convert.__name__ = option.dest  # argparse names the type in some messages
        parser.add_argument(option.flag, dest=option.dest, type=convert, help=help_text(option),
                            metavar=option.dest.upper())


def given(args, command: str) -> dict[str, Any]:
    """{config path: value} for each of ``command``'s flags given on the command line."""
    out = {}
    for option in OPTIONS:
        if option.flag is not None and command in option.commands:
            value = getattr(args, option.dest, None)
            if value is not None:
                out[option.path] = dict(AUGMENT_DEFAULTS) if option.path == "augment" else value
    return out

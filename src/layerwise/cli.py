"""The ``layerwise`` command.

    layerwise train                                   # digits, 64-100-10 ReLU MLP, SGD
    layerwise train --dataset fashion-mnist --layers 784,100,10 --epochs 5
"""
from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

from . import __version__


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.replace(" ", "").split(",") if s]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--layers wants comma-separated integers, got {text!r}") from None
    if len(sizes) < 2 or any(s <= 0 for s in sizes):
        raise argparse.ArgumentTypeError(f"--layers wants at least input,output sizes > 0, got {text!r}")
    return sizes


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="layerwise", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"layerwise {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train an MLP on a data set and report test accuracy")
    t.add_argument("--dataset", default="digits",
                   help="digits (default, embedded), mnist, fashion-mnist, or a .npz/.npy/.csv file")
    t.add_argument("--layers", type=_sizes, default=None,
                   help="layer sizes input,hidden...,output like the book's Network([784, 30, 10]) "
                        "(default: features,100,classes)")
    t.add_argument("--activation", default="relu", help="hidden activation (sigmoid, tanh, relu, "
                   "leaky_relu, elu); default relu")
    t.add_argument("--init", default=None, help="weight initializer (default: he_normal for ReLU-family "
                   "activations, glorot_uniform otherwise)")
    t.add_argument("--optimizer", default="sgd", help="sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw")
    t.add_argument("--lr", type=_positive_float, default=None,
                   help="learning rate (default 0.1 for SGD, 0.01 for AdaGrad, 0.001 otherwise)")
    t.add_argument("--epochs", type=_positive_int, default=20)
    t.add_argument("--batch-size", type=_positive_int, default=32)
    t.add_argument("--dropout", type=float, default=0.0, help="dropout rate after each hidden layer")
    t.add_argument("--l2", type=float, default=0.0, help="L2 penalty l·Σw² on each kernel")
    t.add_argument("--validation-size", type=float, default=0.1,
                   help="held-out part of the training set (fraction, or a count if >= 1)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--save", default=None, help="also write the trained model to this file")
    t.add_argument("--runs-dir", default="runs", help="where run directories are made (default ./runs)")
    t.add_argument("--name", default=None, help="run name (default: the data set's name)")
    t.add_argument("--checkpoint-every", type=_positive_int, default=None,
                   help="also checkpoint every N steps (always at each epoch's end)")
    t.add_argument("--resume", metavar="RUN_DIR", default=None,
                   help="continue an interrupted run from its last checkpoint, with its saved arguments")
    t.add_argument("--quiet", action="store_true", help="print only the final result")

    e = sub.add_parser("export", help="export a model file to ONNX")
    e.add_argument("model", help="a model file written by layerwise (model.lwm)")
    e.add_argument("output", help="the .onnx file to write")
    return parser


RUN_ARGS = ("dataset", "layers", "activation", "init", "optimizer", "lr", "epochs", "batch_size", "dropout",
            "l2", "validation_size", "seed", "checkpoint_every")


def make_run_dir(runs_dir: str, name: str) -> Path:
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(runs_dir) / f"{stamp}-{name}"
    path, i = base, 1
    while path.exists():
        i += 1
        path = base.with_name(f"{base.name}-{i}")
    path.mkdir(parents=True)
    return path


def build_model(sizes: list[int], activation: str, init: str | None, dropout: float, l2: float, seed: int):
    from . import L2, Dense, Dropout, Sequential
    relu_like = activation.lower() in ("relu", "leaky_relu", "elu")
    init = init or ("he_normal" if relu_like else "glorot_uniform")
    layers = []
    for units in sizes[1:-1]:
        layers.append(Dense(units, activation, kernel_initializer=init, kernel_regularizer=L2(l2) if l2 else None))
        if dropout:
            layers.append(Dropout(dropout))
    layers.append(Dense(sizes[-1], "softmax", kernel_initializer="glorot_uniform",
                        kernel_regularizer=L2(l2) if l2 else None))
    return Sequential(layers, input_shape=(sizes[0],), seed=seed)


def cmd_train(args) -> int:
    from rich.console import Console
    from . import CSVLogger, datasets, optimizers
    from .errors import ConfigError
    from .io import atomic_write_text

    console = Console(highlight=False)
    if args.resume:
        run_dir = Path(args.resume)
        try:
            saved = json.loads((run_dir / "args.json").read_text())
        except FileNotFoundError:
            raise ConfigError(f"{run_dir}: not a run directory (no args.json)") from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{run_dir / 'args.json'}: corrupt ({exc})") from None
        for key in RUN_ARGS:
            if key in saved:
                setattr(args, key, saved[key])
        if not (run_dir / "checkpoint.lwc").exists():
            console.print(f"{run_dir}: no checkpoint yet; starting the run from the beginning")
    else:
        run_dir = make_run_dir(args.runs_dir, args.name or Path(str(args.dataset)).stem)
        atomic_write_text(run_dir / "args.json", json.dumps({k: getattr(args, k) for k in RUN_ARGS}, indent=2))
    t_load = time.perf_counter()
    val = args.validation_size
    val = int(val) if val >= 1 else val
    ds = datasets.load(args.dataset, validation_size=val)
    sizes = args.layers or [ds.n_features, 100, ds.n_classes]
    if sizes[0] != ds.n_features:
        raise ConfigError(f"--layers starts with {sizes[0]} inputs but {ds.name} has {ds.n_features} features")
    if sizes[-1] != ds.n_classes:
        raise ConfigError(f"--layers ends with {sizes[-1]} outputs but {ds.name} has {ds.n_classes} classes")
    model = build_model(sizes, args.activation, args.init, args.dropout, args.l2, args.seed)
    lr = args.lr or {"sgd": 0.1, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.01}.get(args.optimizer.lower(), 1e-3)
    model.compile(optimizers.get(args.optimizer, learning_rate=lr), "categorical_crossentropy",
                  metrics=["accuracy"])
    if not args.quiet:
        console.print(f"{ds!r} loaded in {time.perf_counter() - t_load:.2f}s; network {sizes}, "
                      f"{args.activation}, {args.optimizer} lr={lr}, batch {args.batch_size}", soft_wrap=True)
    t0 = time.perf_counter()
    validation = (ds.x_val, ds.y_val) if ds.x_val is not None else None
    try:
        model.fit(ds.x_train, ds.y_train, batch_size=args.batch_size, epochs=args.epochs,
                  validation_data=validation, verbose=0 if args.quiet else 1,
                  callbacks=[CSVLogger(str(run_dir / "history.csv"))],
                  checkpoint=run_dir / "checkpoint.lwc", checkpoint_every=args.checkpoint_every,
                  resume=bool(args.resume))
    except KeyboardInterrupt:
        console.print(f"interrupted; resume with: layerwise train --resume {run_dir}")
        return 130
    train_time = time.perf_counter() - t0
    result = model.evaluate(ds.x_test, ds.y_test)
    console.print(f"test accuracy {result['accuracy']:.4f}  test loss {result['loss']:.4f}  "
                  f"({len(ds.x_test)} samples; trained {args.epochs} epochs in {train_time:.2f}s)", soft_wrap=True)
    model.save(run_dir / "model.lwm")
    metrics = {"test_accuracy": result["accuracy"], "test_loss": result["loss"], "train_seconds": train_time,
               "parameters": model.count_params(), "seed": args.seed}
    atomic_write_text(run_dir / "metrics.json", json.dumps(metrics, indent=2))
    console.print(f"run directory: {run_dir}", soft_wrap=True)
    if args.save:
        model.save(args.save)
        console.print(f"model saved to {args.save}")
    return 0


def cmd_export(args) -> int:
    from .export import to_onnx
    from .io import load_model
    model = load_model(args.model)
    to_onnx(model, args.output)
    print(f"wrote {args.output} ({len(model.layers)} layers, {model.count_params():,} parameters)")
    return 0


def main(argv: list[str] | None = None) -> int:
    from .errors import LayerwiseError
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return {"train": cmd_train, "export": cmd_export}[args.command](args)
    except LayerwiseError as exc:
        print(f"layerwise: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("layerwise: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The ``layerwise`` command.

    layerwise train                                   # digits, 64-100-10 ReLU MLP, SGD
    layerwise train --dataset fashion-mnist --layers 784,100,10 --epochs 5
    layerwise train --config examples/configs/fashion.toml --epochs 3
    layerwise train --resume runs/<dir>
    layerwise evaluate MODEL [--dataset NAME]
    layerwise predict MODEL INPUT [--format table|csv|json]
    layerwise summary MODEL
    layerwise report RUN_DIR
    layerwise export MODEL model.onnx
"""
from __future__ import annotations

import argparse
import json
import sys

from .. import checks
from .._version import __version__
from . import options


def _flag_type(constraint, parse):
    """An argparse type: the text parsed, then checked with layerwise.checks' words."""
    def convert(text: str):
        try:
            value = parse(text)
        except ValueError:
            value = text
        if not constraint.accepts(value):
            raise argparse.ArgumentTypeError(checks.message("", value, constraint).removeprefix(": "))
        return constraint.convert(value)
    return convert


_positive_int = _flag_type(checks.POSITIVE_INT, int)
_positive_float = _flag_type(checks.POSITIVE, float)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (the usage is one --help away) and exit status 2."""

    def error(self, message):
        self.exit(2, f"layerwise: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="layerwise", description="Classic neural networks, layer by layer.", epilog=EXIT_CODES)
    parser.add_argument("--version", action="version", version=f"layerwise {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_training_commands(sub)
    _add_model_commands(sub)
    return parser


def _add_training_commands(sub) -> None:
    """train, lr-find and tune: the option table's flags plus each command's own."""
    t = sub.add_parser("train", help="train an MLP and write a run directory with model, history, plots, report")
    t.add_argument("--config", help="a TOML config file (flags below override its values)")
    options.add_flags(t, "train")  # every config option's flag, from the one option table
    t.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run from its last checkpoint "
                   "(with --epochs N: train a run further, to N epochs in all)")
    t.add_argument("--restart", action="store_true", help="with --resume: start the run again from epoch 1 "
                   "when it has no checkpoint")
    t.add_argument("--save", help="also write the trained model to this file")
    out = t.add_mutually_exclusive_group()
    out.add_argument("--quiet", action="store_true", help="print only the final result")
    out.add_argument("--log-format", choices=["text", "jsonl"], default="text",
                     help="jsonl: one JSON object per epoch and one for the result, for machines")

    f = sub.add_parser("lr-find", help="sweep the learning rate and suggest one (about half the threshold)")
    f.add_argument("--config", help="a TOML config file (flags below override its values)")
    options.add_flags(f, "lr-find")
    f.add_argument("--start", type=_positive_float, default=1e-5, help="first rate (default 1e-5)")
    f.add_argument("--end", type=_positive_float, default=10.0, help="last rate (default 10)")
    f.add_argument("--steps", type=_positive_int, default=100, help="rates tried, one mini-batch each")
    f.add_argument("--output", default="lr_find.png", help="the plot of loss against rate")

    u = sub.add_parser("tune", help="hyperparameter search over the config's [tune] table (Optuna)")
    u.add_argument("config", help="a TOML config with a [tune] table")
    u.add_argument("--trials", type=_positive_int, help="trials to finish (random/tpe; default tune.trials)")
    u.add_argument("--timeout", type=_positive_float, help="stop starting trials after this many seconds")
    u.add_argument("--workers", type=_positive_int, default=1, help="parallel worker processes on this machine")
    u.add_argument("--storage", help="Optuna storage URL (default: sqlite in the study directory); "
                   "postgresql://user@host/db lets workers on other machines join")
    u.add_argument("--study", help="study name (default: the config's name)")
    u.add_argument("--study-dir", help="where trials and the summary go (default studies/<study>)")
    u.add_argument("--worker-only", action="store_true", help="only run trials (a worker joining a study)")
    u.add_argument("--tensorboard", metavar="DIR", help="TensorBoard event files of every trial under DIR/<trial>")
    u.add_argument("--mlflow", metavar="URI",
                   help="log every trial as an MLflow run (experiment: the study's config name)")



def _add_model_commands(sub) -> None:
    """evaluate, predict, summary, report and export: commands on a saved model or run."""
    e = sub.add_parser("evaluate", help="loss and accuracy of a saved model on a data set")
    e.add_argument("model", help="a model file (model.lwm of a run)")
    e.add_argument("--dataset", help="default: the data set the model was trained on")
    e.add_argument("--split", choices=["test", "train"], default="test",
                   help="which part of the data set (default test)")
    e.add_argument("--json", action="store_true", help="print the metrics as one JSON object (full precision)")

    p = sub.add_parser("predict", help="labels and class probabilities for an array file or images")
    p.add_argument("model", help="a model file (model.lwm of a run)")
    p.add_argument("inputs", nargs="+", help=".npy, .npz (array 'x'), .csv (features) or PNG/JPEG images")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")

    s = sub.add_parser("summary", help="the layers and parameter counts of a saved model")
    s.add_argument("model", help="a model file")

    r = sub.add_parser("report", help="redraw the plots and report.html of a run directory")
    r.add_argument("run_dir", help="a run directory (runs/<time>-<name>)")

    x = sub.add_parser("export", help="export a model file to ONNX")
    x.add_argument("model", help="a model file written by layerwise (model.lwm)")
    x.add_argument("output", help="the .onnx file to write")


def cmd_train(args) -> int:
    from rich.console import Console

    from ..errors import ConfigError
    from . import config as config_mod
    from . import runs
    console = Console(highlight=False, stderr=args.log_format == "jsonl")
    if args.save:
        runs.check_writable(args.save)  # before the training, not after it
    if args.restart and not args.resume:
        raise ConfigError("--restart goes with --resume RUN_DIR")
    if args.resume:
        cfg = runs.load_run_config(args.resume)
        given = [options.BY_PATH[path] for path in options.given(args, "train")]  # options with a flag
        changed = [option.flag for option in given if not option.resumable and option.flag is not None]
        if changed or args.config:
            raise ConfigError(f"--resume continues {args.resume} as it was configured; "
                              f"{', '.join(changed) or '--config'} cannot change it "
                              "(start a new run instead; only --epochs may extend it)")
        plan = runs.resume_plan(args.resume, cfg, args.epochs, args.restart)
        if plan is not None:
            console.print(plan, soft_wrap=True)
            return 0
    elif args.config:
        cfg = config_mod.load(args.config)
    else:
        cfg = config_mod.validate({})
    if not args.resume:
        config_mod.apply_overrides(cfg, options.given(args, "train"))
    jsonl = args.log_format == "jsonl"
    extra = [runs.JsonlLogger(sys.stdout)] if jsonl else []
    log = (lambda msg: None) if (args.quiet or jsonl) else (lambda msg: console.print(msg, soft_wrap=True))
    try:
        result = runs.train(cfg, resume_dir=args.resume, verbose=0 if (args.quiet or jsonl) else 1,
                            extra_callbacks=extra, log=log, restart=args.restart)
    except runs.RunInterrupted as stop:
        console.print(f"interrupted ({stop.detail or 'Ctrl-C'}); resume with: "
                      f"layerwise train --resume {stop.run_dir}", soft_wrap=True)
        return 130
    m = result.metrics
    if jsonl:
        print(json.dumps({"event": "result", "run_dir": str(result.run_dir), **m}))
    else:
        tested = "  ".join(f"test {k[5:]} {v:.4f}" for k, v in m.items()
                           if k.startswith("test_") and isinstance(v, (int, float)))
        engine = f" on {m['engine'].replace('xla', 'XLA').replace('numpy', 'NumPy')}" if m.get("engine") else ""
        epochs = f"{m['epochs']} epoch" + ("" if m["epochs"] == 1 else "s")
        console.print(f"{tested}  ({epochs}, {m['seconds_per_epoch']:.3g}s per epoch{engine})",
                      soft_wrap=True)
        if not args.quiet:
            report = result.run_dir / "report.html"
            console.print(f"run directory: {result.run_dir}" + (f"  (report: {report})" if report.exists() else ""),
                          soft_wrap=True)
    if args.save:
        result.model.save(args.save)
    return 0


def cmd_lr_find(args) -> int:
    from . import config as config_mod
    from . import runs
    cfg = config_mod.load(args.config) if args.config else config_mod.validate({})
    config_mod.apply_overrides(cfg, options.given(args, "lr-find"))
    ds = runs.load_dataset(cfg)
    cfg = config_mod.resolve(cfg, ds.n_features, ds.n_classes)
    model = config_mod.build_model(cfg)
    comp = cfg["compile"]
    model.compile(config_mod.build_optimizer(cfg), comp["loss"], metrics=comp["metrics"])
    model.build((ds.n_features,))
    result = model.find_lr(ds.x_train, ds.y_train, start_lr=args.start, end_lr=args.end, steps=args.steps,
                           batch_size=cfg["fit"]["batch_size"])
    if result.threshold == result.threshold:  # not NaN
        print(f"threshold {result.threshold:.3g} (the loss stops falling there)  suggested rate "
              f"{result.suggestion:.3g}  steepest descent at {result.steepest:.3g}  "
              f"({len(result.lrs)} rates tried, {comp['optimizer']})")
    if result.note:
        print(f"note: {result.note}")
    try:
        print(f"plot: {result.plot(args.output)}")
    except ImportError:
        pass
    return 0


def cmd_tune(args) -> int:
    from .tune import tune
    summary = tune(args.config, study_name=args.study, storage=args.storage, workers=args.workers,
                   trials=args.trials, timeout=args.timeout, study_dir=args.study_dir, worker_only=args.worker_only,
                   tracking={k: v for k, v in (("tensorboard", args.tensorboard), ("mlflow", args.mlflow)) if v})
    if summary:
        print(f"{summary['complete']} trials complete, {summary['pruned']} pruned, {summary['failed']} failed "
              f"in {summary['wall_seconds']:.1f}s")
    return 0


def _dataset_for(model, name):
    from ..data import datasets
    from ..errors import ConfigError
    meta = model.metadata or {}
    own = not name or name == meta.get("dataset")
    name = name or meta.get("dataset")
    if not name:
        raise ConfigError("the model file does not say which data set it was trained on: pass --dataset")
    return datasets.load(name, **(meta.get("data_options") or {} if own else {}))


def cmd_evaluate(args) -> int:
    from ..formats.model_file import load_model
    model = load_model(args.model)
    ds = _dataset_for(model, args.dataset)
    if model.loss is None:
        model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    x, y = (ds.x_test, ds.y_test) if args.split == "test" else (ds.x_train, ds.y_train)
    result = model.evaluate(x, y)
    if args.json:
        print(json.dumps({**result, "samples": len(x), "split": args.split, "dataset": ds.name}))
        return 0
    print("  ".join(f"{k} {v:.4f}" for k, v in result.items()) + f"  ({len(x)} {args.split} samples of {ds.name})")
    return 0


def cmd_predict(args) -> int:
    from ..formats.model_file import load_model
    from .predict import read_inputs
    model = load_model(args.model)
    x, names = read_inputs(args.inputs, model)
    proba = model.predict_proba(x) if model.n_outputs > 1 else model.predict(x)
    classes = (model.metadata or {}).get("class_names") or [str(i) for i in range(proba.shape[1])]
    labels = proba.argmax(axis=1)
    rows = [{"input": n, "label": classes[k], "class": int(k),
             "probabilities": [round(float(p), 6) for p in row]} for n, k, row in zip(names, labels, proba)]
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    elif args.format == "csv":
        import csv
        w = csv.writer(sys.stdout)
        w.writerow(["input", "label", "class", *[f"p_{c}" for c in classes]])
        for r in rows:
            w.writerow([r["input"], r["label"], r["class"], *r["probabilities"]])
    else:
        for r in rows:
            top = sorted(range(len(classes)), key=lambda i: -r["probabilities"][i])[:3]
            alts = ", ".join(f"{classes[i]} {r['probabilities'][i]:.3f}" for i in top)
            print(f"{r['input']}: {r['label']}   ({alts})")
    return 0


def cmd_summary(args) -> int:
    from ..formats.model_file import load_model
    load_model(args.model).summary()
    return 0


def cmd_report(args) -> int:
    from . import runs
    path = runs.build_report(args.run_dir, cfg=runs.load_run_config(args.run_dir))
    print(f"wrote {path}")
    return 0


def cmd_export(args) -> int:
    from ..formats.model_file import load_model
    from ..formats.onnx import to_onnx
    model = load_model(args.model)
    to_onnx(model, args.output)
    print(f"wrote {args.output} ({len(model.layers)} layers, {model.count_params():,} parameters)")
    return 0


COMMANDS = {"train": cmd_train, "lr-find": cmd_lr_find, "tune": cmd_tune, "evaluate": cmd_evaluate,
            "predict": cmd_predict, "summary": cmd_summary, "report": cmd_report, "export": cmd_export}


EXIT_CODES = """exit status: 0 success; 1 an error of the environment (a file that cannot be written,
out of memory, a server that cannot be reached) or of layerwise itself; 2 bad usage or bad input
(flags, configs, data, model files); 130 interrupted (Ctrl-C; a checkpoint is saved); a closed
pipe (`| head`) ends the command quietly, as SIGPIPE does."""


def main(argv: list[str] | None = None) -> int:
    """Run one command; every failure is one line on stderr and an exit status (see EXIT_CODES)."""
    import os

    from ..errors import LayerwiseError
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except LayerwiseError as exc:
        print(f"layerwise: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1 if isinstance(exc, (OSError, MemoryError)) else 2
    except KeyboardInterrupt:
        print("layerwise: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `layerwise predict ... | head -1`: the reader is gone, so are we
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 141
    except MemoryError:
        print("layerwise: error: out of memory (a smaller --batch-size, or data memory-mapped from a .npy file, "
              "needs less)", file=sys.stderr)
        return 1
    except OSError as exc:
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"layerwise: error:{where} {exc.strerror or exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug or a third-party failure: one line, the traceback on request
        from .. import settings
        from ..errors import ConfigError
        try:
            debug = settings.get("LAYERWISE_DEBUG")
        except ConfigError:  # an unreadable value still asks for the traceback
            debug = True
        if debug:
            raise
        first = (str(exc).strip().splitlines() or [""])[0]
        print(f"layerwise: error: {type(exc).__name__}: {first} (set LAYERWISE_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 1


def entry() -> None:
    """The console script: SIGPIPE back to the Unix default (a closed pipe ends us quietly)."""
    import signal
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()

"""Command line: ``python -m skactive demo``, ``label`` and ``session info``.

The demo measures active learning the honest way: on a dataset that needs no
download, it runs the simulated loop (a small random labeled set, then batches
chosen by the strategy, labels revealed by the held-back truth) for random
sampling and the task's strategies (three uncertainty measures; greedy sampling
and EMCM for the diabetes regression; binary-relevance uncertainty, MMC and
label cardinality for the multilabel set), several times, scores every round's
model on a test set (accuracy, R², micro F1), prints a table (the score at
several label counts, area under the learning curve, labels needed to reach 95 %
of random sampling's best score, the reduction ratio against random, time) and
saves the learning-curve plot. When a strategy loses to random sampling, it
says so.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

__all__ = ["main"]


def _protocol(args, defaults):
    """``(n_initial, batch_size, budget)``: the options, or the dataset's own."""
    n_initial, batch_size, budget = defaults
    n_initial = args.n_initial or n_initial
    batch_size = args.batch_size or batch_size
    budget = args.budget or budget
    if budget < n_initial:
        raise ValueError(
            f"--budget ({budget}) must be at least --n-initial ({n_initial})"
        )
    return n_initial, batch_size, budget


def _demo_learner(args):
    """``(learner, task, (X_pool, X_test, y_pool, y_test))`` for the options."""
    from skactive import ActiveLearner, ActiveRegressor
    from skactive.cli._demo import LINEAR, PROTOCOL, TASKS, load_dataset, make_estimator

    n_initial, batch_size, budget = _protocol(args, PROTOCOL[args.dataset])
    task = TASKS[args.dataset]
    args.estimator = args.estimator or LINEAR[task]
    estimator = make_estimator(args.estimator, task)  # a bad pair fails first
    data = load_dataset(args.dataset, args.random_state)
    learner_class = ActiveRegressor if task == "regression" else ActiveLearner
    learner = learner_class(
        estimator, budget=budget, batch_size=batch_size, n_initial=n_initial
    )
    return learner, task, data


def demo(args, out=None):
    """Run the demo for parsed ``args``; print the table, save the plot.

    Returns
    -------
    result : LearningCurveResult
    png : Path or None
        Where the plot was saved (None without matplotlib).
    """
    out = sys.stdout if out is None else out
    import torch

    from skactive.cli._demo import losers, task_strategies
    from skactive.evaluation import active_learning_curve

    torch.set_num_threads(1)  # small batches: extra threads only spin
    learner, task, (X_pool, X_test, y_pool, y_test) = _demo_learner(args)
    n_initial, batch_size, budget = (
        learner.n_initial,
        learner.batch_size,
        learner.budget,
    )
    start = time.perf_counter()
    result = active_learning_curve(
        learner,
        X_pool,
        y_pool,
        X_test,
        y_test,
        query_strategies=task_strategies(task),
        n_repeats=args.repeats,
        n_jobs=args.n_jobs,
        verbose=getattr(args, "verbose", False),
        random_state=args.random_state,
    )
    elapsed = time.perf_counter() - start
    print(
        f"skactive demo: {args.dataset} ({len(y_pool)} pool / {len(y_test)} test), "
        f"{args.estimator}, {n_initial} random labels to start, batches of "
        f"{batch_size} up to {budget}, {args.repeats} repeat(s)\n",
        file=out,
    )
    print(result.table(), file=out)
    print(
        f"\nAULC: mean {result.scoring} over the label range. Reduction ratio: "
        "labels random "
        "sampling needs to reach the target divided by the labels the strategy "
        "needs (above 1 saves labels).",
        file=out,
    )
    for sentence in losers(result):
        print(f"Note: {sentence}", file=out)
    png = _save_plot(result, args, out)
    print(f"({elapsed:.1f} s)", file=out)
    return result, png


def _save_plot(result, args, out):
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        print(
            "(no plot: install the plot extra, pip install 'skactive[plot]')",
            file=out,
        )
        return None
    from skactive.cli._demo import save_curves

    directory = Path(args.out)
    directory.mkdir(parents=True, exist_ok=True)
    png = directory / f"learning_curve_{args.dataset}_{args.estimator}.png"
    title = f"{args.dataset}, {args.estimator}: mean of {args.repeats} run(s) ± 1 std"
    save_curves(result, title, png)
    print(f"Learning curves saved to {png}", file=out)
    return png


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _session_info(args):
    """Print what a session's database holds."""
    from datetime import UTC, datetime

    from skactive.session import session_info

    info = session_info(args.url)
    last = info["last_activity"]
    when = "never" if last is None else datetime.fromtimestamp(last, UTC)
    print(f"session at {args.url} (schema {info['schema_version']})")
    print(
        f"items: {info['n_items']}, labeled: {info['n_labeled']}, skipped: "
        f"{info['n_skipped']}, leased now: {info['n_leased']}, events: "
        f"{info['n_events']}"
    )
    for name, count in sorted(info["annotators"].items()):
        print(f"  {name}: {count} labels")
    if info["overlap"] > 1:
        kappa = "n/a" if info["kappa"] is None else f"{info['kappa']:.3f}"
        print(
            f"agreement: Fleiss' kappa {kappa} over items with {info['overlap']} "
            f"labels; {info['n_disagreements']} items disagree"
        )
    else:
        print("agreement: one label per item (overlap=1)")
    print(f"last activity: {when}")


def _add_session_parser(commands):
    session_parser = commands.add_parser(
        "session", help="inspect a labeling session's database"
    )
    actions = session_parser.add_subparsers(dest="action", required=True)
    info = actions.add_parser(
        "info", help="counts, annotators and the last activity of a session"
    )
    info.add_argument("url", help="the session's SQLAlchemy URL (sqlite:///file.db)")


def _add_demo_parser(commands):
    from skactive.cli._demo import DATASETS, ESTIMATORS

    demo_parser = commands.add_parser(
        "demo",
        help="learning curves of random, entropy, margin and least confidence",
        description=__doc__.split("\n\n")[1],
    )
    demo_parser.add_argument(
        "--dataset",
        choices=DATASETS,
        default="digits",
        help="scikit-learn's digits (bundled), mnist1d (generated offline), "
        "diabetes (bundled, regression) or multilabel (generated, 6 labels)",
    )
    demo_parser.add_argument(
        "--estimator",
        choices=ESTIMATORS,
        default=None,
        help="scaled logistic regression (classification, multilabel: one per "
        "label), ridge (regression), or skactive's PyTorch MLP; default: the "
        "linear model of the dataset's task",
    )
    demo_parser.add_argument(
        "--budget",
        type=_positive_int,
        help="labels to end at (digits 300, mnist1d 1000, diabetes 120, "
        "multilabel 300)",
    )
    demo_parser.add_argument(
        "--batch-size",
        type=_positive_int,
        help="labels per round (10 / 50 / 10 / 20)",
    )
    demo_parser.add_argument(
        "--n-initial",
        type=_positive_int,
        help="random labels to start (20 / 50 / 10 / 20)",
    )
    demo_parser.add_argument(
        "--repeats", type=_positive_int, default=5, help="runs per strategy (seeds)"
    )
    demo_parser.add_argument(
        "--n-jobs", type=int, default=-1, help="parallel runs (-1: all cores)"
    )
    demo_parser.add_argument(
        "--random-state", type=int, default=0, help="seed of the whole comparison"
    )
    demo_parser.add_argument(
        "--verbose", action="store_true", help="show a progress bar (needs tqdm)"
    )
    demo_parser.add_argument(
        "--out", default=".", help="directory for the learning-curve PNG"
    )


def main(argv=None):
    """Entry point of ``python -m skactive``."""
    parser = argparse.ArgumentParser(prog="python -m skactive")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_session_parser(commands)
    _add_demo_parser(commands)
    from skactive.cli._label import add_label_parser

    add_label_parser(commands, _positive_int)
    args = parser.parse_args(argv)
    if args.command == "label":
        from skactive.cli._label import label_command

        try:
            label_command(args, sys.stdout)
        except (ValueError, TypeError, ImportError) as error:
            parser.error(str(error))
        return 0
    if args.command == "session":
        try:
            _session_info(args)
        except (ValueError, ImportError) as error:
            parser.error(str(error))
        return 0
    with warnings.catch_warnings():
        # A class seen once or twice makes lbfgs stop early; that is the point
        # of a small labeled set, not something to alarm the reader with.
        warnings.simplefilter("ignore", category=UserWarning)
        try:
            demo(args)
        except (ValueError, ImportError) as error:
            parser.error(str(error))
    return 0

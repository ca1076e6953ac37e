"""Command line: ``python -m skactive demo``.

The demo runs the whole active learning loop on scikit-learn's bundled digits
(nothing is downloaded): a small random labeled set, then rounds of query, label
(the held-back true labels play the annotator), teach, and score on a test set;
for a logistic regression and skactive's PyTorch MLP, with random sampling
against entropy and margin sampling. It prints test accuracy by number of labels.
"""

import argparse
import sys
import time
import warnings

import numpy as np

__all__ = ["main"]

_STRATEGIES = ("random", "entropy", "margin")
_ESTIMATORS = ("logreg", "mlp")


def _make_estimator(name):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skactive.nets import TorchMLPClassifier

    if name == "logreg":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return make_pipeline(StandardScaler(), TorchMLPClassifier(hidden_sizes=(64,)))


def _make_strategy(name):
    from skactive.strategies import RandomSampling, UncertaintySampling

    if name == "random":
        return RandomSampling()
    return UncertaintySampling(acquisition_fn=name)


def _learning_curve(estimator, strategy, data, args, seed):
    """Test accuracy after the initial fit and after each round of the loop."""
    from skactive import ActiveLearner

    X_train, X_test, y_train, y_test = data
    rng = np.random.RandomState(seed)
    initial = rng.choice(X_train.shape[0], args.n_initial, replace=False)
    unlabeled = np.setdiff1d(np.arange(X_train.shape[0]), initial)
    learner = ActiveLearner(
        estimator,
        strategy,
        batch_size=args.batch_size,
        classes=np.unique(y_train),
        random_state=seed,
    )
    learner.fit(X_train[initial], y_train[initial])
    scores = [learner.score(X_test, y_test)]
    while learner.y_labeled_.shape[0] < args.budget:
        batch = min(args.batch_size, args.budget - learner.y_labeled_.shape[0])
        picked = learner.query(X_train[unlabeled], batch_size=batch)
        chosen = unlabeled[picked]  # positions in the pool -> rows of X_train
        learner.teach(X_train[chosen], y_train[chosen])  # the "annotator" answers
        unlabeled = np.delete(unlabeled, picked)
        scores.append(learner.score(X_test, y_test))
    return scores


def demo(args, out=None):
    """Run the demo described in the module docstring; print its table."""
    out = sys.stdout if out is None else out
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    torch.set_num_threads(1)  # tiny batches: extra threads only spin
    X, y = load_digits(return_X_y=True)
    data = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=args.random_state
    )
    n_labels = list(range(args.n_initial, args.budget, args.batch_size))
    n_labels.append(args.budget)
    columns, curves = [], []
    start = time.perf_counter()
    for estimator_name in args.estimators:
        for strategy_name in _STRATEGIES:
            runs = [
                _learning_curve(
                    _make_estimator(estimator_name),
                    _make_strategy(strategy_name),
                    data,
                    args,
                    seed=args.random_state + repeat,
                )
                for repeat in range(args.repeats)
            ]
            columns.append(f"{estimator_name} {strategy_name}")
            curves.append(np.mean(runs, axis=0))
    elapsed = time.perf_counter() - start
    print(
        f"skactive demo: digits ({data[0].shape[0]} pool / {data[1].shape[0]} test), "
        f"{args.n_initial} random labels to start, batches of {args.batch_size}, "
        f"mean of {args.repeats} run(s)\nTest accuracy by number of labels:\n",
        file=out,
    )
    width = max(len(name) for name in columns)
    print("labels | " + " | ".join(name.rjust(width) for name in columns), file=out)
    print("-------|" + "|".join("-" * (width + 2) for _ in columns), file=out)
    for row, count in enumerate(n_labels):
        cells = " | ".join(f"{curve[row]:{width}.3f}" for curve in curves)
        print(f"{count:6d} | {cells}", file=out)
    means = " | ".join(f"{curve.mean():{width}.3f}" for curve in curves)
    print(f"  mean | {means}", file=out)
    print(f"\n({elapsed:.1f} s)", file=out)
    return dict(zip(columns, curves, strict=True)), n_labels


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def main(argv=None):
    """Entry point of ``python -m skactive``."""
    parser = argparse.ArgumentParser(prog="python -m skactive")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo", help="active learning on digits: random vs entropy vs margin"
    )
    demo_parser.add_argument("--budget", type=_positive_int, default=150)
    demo_parser.add_argument("--batch-size", type=_positive_int, default=10)
    demo_parser.add_argument("--n-initial", type=_positive_int, default=20)
    demo_parser.add_argument("--repeats", type=_positive_int, default=1)
    demo_parser.add_argument("--random-state", type=int, default=0)
    demo_parser.add_argument(
        "--estimators", nargs="+", choices=_ESTIMATORS, default=list(_ESTIMATORS)
    )
    args = parser.parse_args(argv)
    if args.budget < args.n_initial:
        parser.error(
            f"--budget ({args.budget}) must be at least --n-initial ({args.n_initial})"
        )
    with warnings.catch_warnings():
        # A class seen once or twice makes lbfgs stop early; that is the point
        # of a small labeled set, not something to alarm the reader with.
        warnings.simplefilter("ignore", category=UserWarning)
        demo(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Time and memory of one uncertainty query against the floor and the peers.

The floor is the model's own ``predict_proba`` on the whole pool: any uncertainty
query must at least compute it. For pools of 1e4, 1e5 and 1e6 rows x 50 features
and a batch of 100, the script times, in the same run and one thread everywhere:

* floor: ``model.predict_proba(pool)``;
* skactive: ``ActiveLearner.query`` (entropy and margin) and the standalone
  ``UncertaintySampling(model).query``;
* numpy: the obvious two lines, ``argsort`` of the entropy of ``predict_proba``;
* modAL: ``entropy_sampling`` / ``margin_sampling`` on the fitted model;
* scikit-activeml: ``UncertaintySampling(method=...).query(..., fit_clf=False)``.

Time is the median of several calls; peak extra memory is tracemalloc's peak
during one call (numpy's allocations; the pool itself is excluded). Models: a
``LogisticRegression`` (10 classes) and a ``TorchMLPClassifier`` (one hidden
layer of 100). Peers come from ``benchmarks/install_peers.sh``; a missing peer is
reported as "not installed".

Targets (issue 3): ``query`` within 1.10x the floor at 1e6 rows; extra memory
O(chunk), not O(pool x classes).

Run: python benchmarks/bench_query.py [--sizes 10000 100000 1000000]
Writes benchmarks/results/bench_query.md.
"""

import argparse
import platform
import statistics
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import sklearn
import torch
from scipy.special import entr
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from skactive import ActiveLearner, TorchMLPClassifier, UncertaintySampling

RESULTS = Path(__file__).resolve().parent / "results" / "bench_query.md"
BATCH = 100
N_FEATURES = 50
N_CLASSES = 10


def numpy_entropy_topk(model, pool):
    proba = model.predict_proba(pool)
    return np.argsort(-entr(proba).sum(axis=1))[:BATCH]


def peer_methods(model, X_train, y_train):
    """The peers' entropy and margin queries, as (name, measure, callable)."""
    methods = []
    try:
        from modAL.uncertainty import entropy_sampling, margin_sampling

        methods += [
            ("modAL", "entropy", lambda pool: entropy_sampling(model, pool, BATCH)),
            ("modAL", "margin", lambda pool: margin_sampling(model, pool, BATCH)),
        ]
    except ImportError:
        methods.append(("modAL", "not installed", None))
    try:
        from skactiveml.classifier import SklearnClassifier
        from skactiveml.pool import UncertaintySampling as SkalUncertainty

        wrapped = SklearnClassifier(
            sklearn.base.clone(model), classes=np.arange(N_CLASSES), random_state=0
        ).fit(X_train, y_train)

        def skal(method):
            strategy = SkalUncertainty(method=method, random_state=0)

            def run(pool):
                unlabeled = np.full(pool.shape[0], np.nan)
                return strategy.query(
                    pool, unlabeled, clf=wrapped, fit_clf=False, batch_size=BATCH
                )

            return run

        methods += [
            ("scikit-activeml", "entropy", skal("entropy")),
            ("scikit-activeml", "margin", skal("margin_sampling")),
        ]
    except ImportError:
        methods.append(("scikit-activeml", "not installed", None))
    return methods


def measure(function, pool, repeats):
    function(pool)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(pool)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    function(pool)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000]
    )
    parser.add_argument("--models", nargs="+", default=["logreg", "mlp"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    X_train, y_train = make_classification(
        n_samples=2000,
        n_features=N_FEATURES,
        n_informative=30,
        n_classes=N_CLASSES,
        random_state=0,
    )
    models = {
        "logreg": LogisticRegression(max_iter=1000),
        "mlp": TorchMLPClassifier(max_epochs=30, random_state=0),
    }
    rows = []
    with threadpool_limits(1):
        for model_name in args.models:
            learners = {
                measure_name: ActiveLearner(
                    models[model_name],
                    UncertaintySampling(acquisition_fn=measure_name),
                    batch_size=BATCH,
                    random_state=0,
                ).fit(X_train, y_train)
                for measure_name in ("entropy", "margin")
            }
            model = learners["entropy"].estimator_
            methods = [
                ("floor: predict_proba", "-", model.predict_proba),
                ("skactive ActiveLearner.query", "entropy", learners["entropy"].query),
                ("skactive ActiveLearner.query", "margin", learners["margin"].query),
                (
                    "skactive UncertaintySampling.query",
                    "entropy",
                    lambda pool: UncertaintySampling(model).query(pool, BATCH),
                ),
                (
                    "numpy argsort(entropy)",
                    "entropy",
                    lambda pool: numpy_entropy_topk(model, pool),
                ),
                *peer_methods(model, X_train, y_train),
            ]
            for size in args.sizes:
                pool = np.random.default_rng(size).normal(size=(size, N_FEATURES))
                repeats = max(3, min(20, 2_000_000 // size))
                floor = None
                for name, measure_name, function in methods:
                    if function is None:
                        rows.append((model_name, size, name, measure_name, *[None] * 3))
                        continue
                    seconds, peak = measure(function, pool, repeats)
                    floor = seconds if floor is None else floor
                    rows.append(
                        (
                            model_name,
                            size,
                            name,
                            measure_name,
                            seconds,
                            seconds / floor,
                            peak,
                        )
                    )
                    print(
                        f"{model_name:6} {size:>8} {name:35} {measure_name:8} "
                        f"{seconds * 1e3:9.1f} ms {seconds / floor:6.2f}x "
                        f"{peak:8.1f} MiB",
                        flush=True,
                    )
    write_table(rows, args)


def write_table(rows, args):
    lines = [
        "# bench_query: one uncertainty query (batch 100) vs the floor and the peers",
        "",
        f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}, "
        f"torch {torch.__version__}, one thread (torch and BLAS), "
        f"{N_FEATURES} features, {N_CLASSES} classes. Floor = the model's "
        "`predict_proba` on the whole pool. Time: median of repeated calls. "
        "Peak extra memory: tracemalloc peak during one call (numpy allocations; "
        "the pool excluded).",
        "",
        "Command: `python benchmarks/bench_query.py "
        f"--sizes {' '.join(map(str, args.sizes))} --models {' '.join(args.models)}`",
        "",
        "| model | pool rows | method | measure | time (ms) | x floor | "
        "peak extra (MiB) |",
        "|---|---:|---|---|---:|---:|---:|",
    ]
    for model_name, size, name, measure_name, seconds, ratio, peak in rows:
        if seconds is None:
            lines.append(
                f"| {model_name} | {size:,} | {name} | {measure_name} | - | - | - |"
            )
            continue
        lines.append(
            f"| {model_name} | {size:,} | {name} | {measure_name} | "
            f"{seconds * 1e3:.1f} | {ratio:.2f} | {peak:.1f} |"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()

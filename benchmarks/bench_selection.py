"""Does ActiveLearningByLearning pick well with no test set? (issue 31)

For each data set: the AULC of random sampling, of every candidate alone, of
the selector (``ALBL()``, its default candidates and parameters, untuned), and
of the per-set best candidate (known only in hindsight). Paired: every strategy
of a repeat starts from the same initial labels (``active_learning_curve``
gives repeat r one seed for all). 5 repeats, the standard error beside each
mean; "vs random" is the paired difference of AULC and its standard error.

Targets (issue 31): the selector's AULC at least random's on every set (paired,
within one standard error); on average within 1 % of the per-set best; its
worst set within 2 % of that set's best.

This first part covers tabular and generated sets with a logistic regression
(or a ridge, or one-vs-rest for multilabel); mnist1d, digits images with the
CNN, a text set and libact's ALBL are still to come.

Run: python benchmarks/bench_selection.py [--repeats 5] [--sets NAME ...]
Writes benchmarks/results/bench_selection.md.
"""

import argparse
import os
import platform
import time
import warnings
from pathlib import Path

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.datasets import (  # noqa: E402
    load_breast_cancer,
    load_digits,
    load_wine,
    make_blobs,
    make_classification,
    make_friedman1,
    make_moons,
    make_multilabel_classification,
)
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.multiclass import OneVsRestClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import PolynomialFeatures, StandardScaler  # noqa: E402

from skactive import ActiveLearner, ActiveRegressor  # noqa: E402
from skactive.evaluation import active_learning_curve  # noqa: E402
from skactive.strategies import (  # noqa: E402
    ALBL,
    GreedySampling,
    MultilabelUncertainty,
    UncertaintySampling,
)

RESULTS = Path(__file__).parent / "results"


def _classifier():
    return LogisticRegression(max_iter=1000)


def _sets():
    """name -> (X, y, estimator, candidates, task, n_initial, batch, budget)."""
    margin = UncertaintySampling(acquisition_fn="margin")
    entropy = UncertaintySampling(acquisition_fn="entropy")
    classify = {"margin": margin, "entropy": entropy}
    sets = {}
    X, y = load_wine(return_X_y=True)
    sets["wine"] = (X, y, _classifier(), classify, "c", 6, 4, 60)
    X, y = load_breast_cancer(return_X_y=True)
    sets["breast_cancer"] = (X, y, _classifier(), classify, "c", 10, 10, 150)
    X, y = load_digits(return_X_y=True)
    sets["digits"] = (X, y, _classifier(), classify, "c", 20, 20, 400)
    X, y = make_classification(
        3000, 20, n_informative=6, n_classes=2, weights=[0.9], random_state=0
    )
    sets["imbalanced"] = (X, y, _classifier(), classify, "c", 10, 10, 200)
    X, y = make_classification(
        3000, 20, n_informative=8, n_classes=4, flip_y=0.2, random_state=1
    )
    sets["label_noise"] = (X, y, _classifier(), classify, "c", 20, 20, 400)
    X, y = make_blobs(3000, n_features=10, centers=6, cluster_std=4.0, random_state=2)
    sets["blobs"] = (X, y, _classifier(), classify, "c", 12, 12, 200)
    X, y = make_moons(3000, noise=0.3, random_state=3)
    moons = make_pipeline(PolynomialFeatures(3), LogisticRegression(max_iter=2000))
    sets["moons"] = (X, y, moons, classify, "c", 10, 10, 150)
    X, y = make_friedman1(1500, noise=1.0, random_state=4)
    sets["friedman1"] = (X, y, Ridge(), {"iGS": GreedySampling()}, "r", 10, 10, 150)
    X, Y = make_multilabel_classification(
        2000, 20, n_classes=6, n_labels=2, random_state=5
    )
    sets["multilabel"] = (
        X,
        Y,
        OneVsRestClassifier(LogisticRegression(max_iter=500)),
        {"uncertainty (mean)": MultilabelUncertainty()},
        "m",
        20,
        20,
        300,
    )
    return sets


def _run(name, spec, repeats):
    X, y, estimator, candidates, task, n_initial, batch, budget = spec
    X = StandardScaler().fit_transform(X)
    stratify = y if task == "c" else None
    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=0.5, random_state=0, stratify=stratify
    )
    learner_class = ActiveRegressor if task == "r" else ActiveLearner
    learner = learner_class(
        estimator, batch_size=batch, budget=budget, n_initial=n_initial
    )
    strategies = {**candidates, "ALBL": ALBL()}
    scoring = "f1_micro" if task == "m" else None
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = active_learning_curve(
            learner,
            X_pool,
            y_pool,
            X_test,
            y_test,
            query_strategies=strategies,
            n_repeats=repeats,
            scoring=scoring,
            n_jobs=2,
            random_state=0,
        )
    wall = time.perf_counter() - start
    return result, wall


def _row(name, result, wall):
    areas = result.aulc()
    names = [n for n in areas if n != "ALBL"]
    means = {n: areas[n].mean() for n in areas}
    sem = {n: areas[n].std(ddof=1) / np.sqrt(areas[n].size) for n in areas}
    best = max(names, key=lambda n: means[n])
    diff = areas["ALBL"] - areas["random"]
    diff_sem = diff.std(ddof=1) / np.sqrt(diff.size)
    gap = (means["ALBL"] - means[best]) / abs(means[best]) * 100
    query = {n: np.nanmean(result.query_times[n]) * 1e3 for n in result.query_times}
    return {
        "set": name,
        "cells": {n: f"{means[n]:.4f} ± {sem[n]:.4f}" for n in areas},
        "best": best,
        "vs_random": (diff.mean(), diff_sem),
        "gap": gap,
        "query_ms": query,
        "wall": wall,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sets", nargs="*", default=None)
    args = parser.parse_args()
    sets = _sets()
    chosen = args.sets or list(sets)
    rows = []
    for name in chosen:
        result, wall = _run(name, sets[name], args.repeats)
        rows.append(_row(name, result, wall))
        row = rows[-1]
        print(
            name,
            row["cells"],
            "best",
            row["best"],
            f"gap {row['gap']:.2f}%",
            "vs random {:.4f} ± {:.4f}".format(*row["vs_random"]),
            flush=True,
        )

    lines = [
        "# ActiveLearningByLearning against its candidates (issue 31)",
        "",
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"scikit-learn {sklearn.__version__}, {args.repeats} paired repeats, "
        "AULC (mean score over the label range) ± standard error. "
        "ALBL: default candidates and parameters, untuned.",
        "",
        "| set | random | candidates | ALBL | best in hindsight | ALBL vs best "
        "| ALBL - random (paired) | query ms: ALBL / candidates |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = row["cells"]
        others = "; ".join(
            f"{n} {v}" for n, v in cells.items() if n not in ("random", "ALBL")
        )
        query = row["query_ms"]
        candidates_ms = ", ".join(f"{query[n]:.1f}" for n in query if n != "ALBL")
        lines.append(
            f"| {row['set']} | {cells['random']} | {others} | {cells['ALBL']} | "
            f"{row['best']} | {row['gap']:+.2f} % | "
            f"{row['vs_random'][0]:+.4f} ± {row['vs_random'][1]:.4f} | "
            f"{query['ALBL']:.1f} / {candidates_ms} |"
        )
    gaps = np.array([row["gap"] for row in rows])
    at_least_random = sum(row["vs_random"][0] >= -row["vs_random"][1] for row in rows)
    lines += [
        "",
        f"Mean gap to the per-set best: {gaps.mean():+.2f} % (target ≥ -1 %); "
        f"worst set: {gaps.min():+.2f} % (target ≥ -2 %); at least random "
        f"(within one SE) on {at_least_random} of {len(rows)} sets.",
    ]
    RESULTS.mkdir(exist_ok=True)
    suffix = "" if args.sets is None else "_" + "_".join(chosen)
    path = RESULTS / f"bench_selection{suffix}.md"
    path.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

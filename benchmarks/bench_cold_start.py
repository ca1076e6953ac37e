"""Cold start: the accuracy of a model trained on the first labels only.

``TypiClust``, ``KMeansSampling`` and random sampling each choose the first
``n`` samples of a pool (no model, no labels); a scaled logistic regression is
fitted on them and scored on a held-out test set. Paired seeds: seed ``s``
gives every method the same split and its ``random_state``; 5 seeds, the
standard error beside each mean. Three pools, one per code path of the
clustering: mnist1d (2,500 rows: ``KMeans`` on the whole pool), a generated set
of 40,000 rows (``MiniBatchKMeans`` on the whole pool) and one of 300,000 rows
(``MiniBatchKMeans`` on a sample of 100,000, every row then assigned).

Run: python benchmarks/bench_cold_start.py [--tag TAG] [--seeds 5]
Writes benchmarks/results/bench_cold_start[_TAG].md.
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

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = (20, 50, 100)


def pools(seed):
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    from skactive.cli._demo import load_dataset

    X_pool, X_test, y_pool, y_test = load_dataset("mnist1d", random_state=seed)
    yield "mnist1d (2,500 rows)", X_pool, X_test, y_pool, y_test
    for n in (40_000, 300_000):
        X, y = make_classification(
            n_samples=2 * n if n < 100_000 else n + 20_000,
            n_features=20,
            n_informative=12,
            n_classes=10,
            n_clusters_per_class=2,
            class_sep=1.5,
            random_state=0,
        )
        split = train_test_split(
            X.astype(np.float32), y, train_size=n, random_state=seed, stratify=y
        )
        yield f"make_classification ({n:,} rows)", *split[:2], *split[2:]


def score(picks, X_pool, X_test, y_pool, y_test):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if np.unique(y_pool[picks]).shape[0] < 2:
        return 1.0 / np.unique(y_test).shape[0]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return model.fit(X_pool[picks], y_pool[picks]).score(X_test, y_test)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--tag", default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from skactive.strategies import KMeansSampling, TypiClust

    methods = {
        "random": None,
        "KMeansSampling": KMeansSampling(),
        "TypiClust": TypiClust(),
    }
    scores, seconds = {}, {}
    for seed in range(args.seeds):
        for name, X_pool, X_test, y_pool, y_test in pools(seed):
            for method, strategy in methods.items():
                for n in SIZES:
                    start = time.perf_counter()
                    if strategy is None:
                        picks = np.random.default_rng(seed).choice(
                            X_pool.shape[0], n, replace=False
                        )
                    else:
                        picks = strategy.query(X_pool, n, random_state=seed)
                    seconds.setdefault((name, method), []).append(
                        time.perf_counter() - start
                    )
                    scores.setdefault((name, method, n), []).append(
                        score(picks, X_pool, X_test, y_pool, y_test)
                    )
    lines = [
        "# Cold start (benchmarks/bench_cold_start.py)",
        "",
        f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}, "
        f"one thread. Test accuracy of a scaled LogisticRegression fitted on the "
        f"first n labels only; mean ± standard error over {args.seeds} paired "
        "seeds (same split and random_state for every method). Seconds: mean "
        "time of one query.",
        "",
        "| pool | method | "
        + " | ".join(f"n={n}" for n in SIZES)
        + " | seconds per query |",
        "|---|---|" + "---|" * len(SIZES) + "---|",
    ]
    for name in dict.fromkeys(key[0] for key in seconds):
        for method in methods:
            cells = []
            for n in SIZES:
                values = np.asarray(scores[(name, method, n)])
                error = values.std(ddof=1) / np.sqrt(values.size)
                cells.append(f"{values.mean():.3f} ± {error:.3f}")
            mean_seconds = np.mean(seconds[(name, method)])
            lines.append(
                f"| {name} | {method} | "
                + " | ".join(cells)
                + f" | {mean_seconds:.2f} |"
            )
    text = "\n".join(lines) + "\n"
    print(text)
    suffix = f"_{args.tag}" if args.tag else ""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"bench_cold_start{suffix}.md").write_text(text)


if __name__ == "__main__":
    main()

"""Image-shaped pools: digits as (n, 1, 8, 8) with a CNN, BALD vs BADGE vs random.

Protocol (issue 20): scikit-learn's 8 x 8 digits as images (pixels scaled to
[0, 1]), a stratified 50/50 split into pool and test set,
``TorchCNNClassifier(dropout=0.25)`` (two 3 x 3 convolutions, a dense layer of
64 units with dropout), 20 initial labels, batches of 20, to 200 labels, 5
repeats with paired seeds. BALD reads 20 MC dropout masks; BADGE the gradient
embedding of the dense layer. AULC is the mean test accuracy over the label
range; the reduction ratio is the labels random sampling needs to reach 95 % of
its best mean accuracy over the labels a strategy needs.

Run: python benchmarks/bench_images.py [--repeats 5 --n-jobs 2]
Writes benchmarks/results/bench_images.md and a PNG of the curves.
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
import torch  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skactive import ActiveLearner  # noqa: E402
from skactive.cli._demo import losers, save_curves  # noqa: E402
from skactive.evaluation import active_learning_curve  # noqa: E402
from skactive.nets import TorchCNNClassifier  # noqa: E402
from skactive.strategies import BADGE, BALD  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32).reshape(-1, 1, 8, 8)
    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=0
    )
    learner = ActiveLearner(
        TorchCNNClassifier(dropout=0.25, max_epochs=60),
        budget=200,
        batch_size=20,
        n_initial=20,
    )
    start = time.perf_counter()
    result = active_learning_curve(
        learner,
        X_pool,
        y_pool,
        X_test,
        y_test,
        query_strategies={"BALD": BALD(n_samples=20), "BADGE": BADGE()},
        n_repeats=args.repeats,
        n_jobs=args.n_jobs,
        random_state=0,
    )
    elapsed = time.perf_counter() - start
    RESULTS.mkdir(exist_ok=True)
    png = save_curves(
        result,
        f"digits as 1 x 8 x 8 images, CNN, {args.repeats} repeats",
        RESULTS / "bench_images.png",
        size=(7, 4.5),
        dpi=100,
    )
    lines = [
        "# Image-shaped pools (benchmarks/bench_images.py)",
        "",
        f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}, "
        f"torch {torch.__version__}, one torch thread per run.",
        "",
        f"digits as (n, 1, 8, 8): {len(y_pool)} pool / {len(y_test)} test, "
        "TorchCNNClassifier(dropout=0.25, max_epochs=60), 20 initial labels, "
        f"batches of 20, budget 200, {args.repeats} repeats ({elapsed:.0f} s with "
        f"n_jobs={args.n_jobs}).",
        "",
        result.table(),
        "",
        *(f"- {sentence}" for sentence in losers(result)),
        "",
        f"![learning curves]({png.name})",
        "",
    ]
    (RESULTS / "bench_images.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

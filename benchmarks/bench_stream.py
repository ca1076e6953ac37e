"""Stream-based selective sampling against scikit-activeml's stream strategies.

Protocol (issue 20; scikit-activeml's stream tutorial): a stream of 5,000
samples from 30 blobs in 2-D whose class is the XOR of the signs of their
centre's coordinates, arriving in random order; a labeling budget of 10 %; no
initial labels. Every sample is first predicted by the current model
(prequential, test-then-train), then decided; a label asked is learned at once
(the model, ``make_pipeline(PolynomialFeatures(2), StandardScaler(),
LogisticRegression())``, is refitted on every label so far, the same for both
libraries). 5 streams (seeds), one thread.

Both libraries start the same way: until labels of two classes have arrived,
the model is one of no labels (uniform probabilities), so every sample the
budget allows is asked.

Reported per strategy: the share of the stream labeled (the budget actually
spent), the prequential accuracy over the whole stream, and the wall time of
the whole stream.

Run: python benchmarks/bench_stream.py [--repeats 5]
Writes benchmarks/results/bench_stream.md. Peers: bash benchmarks/install_peers.sh.
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
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import PolynomialFeatures, StandardScaler  # noqa: E402

from skactive import StreamLearner  # noqa: E402
from skactive.strategies import (  # noqa: E402
    FixedUncertainty,
    Split,
    StreamRandom,
    VariableUncertainty,
)

RESULTS = Path(__file__).resolve().parent / "results"
BUDGET, N_SAMPLES, N_BLOBS = 0.1, 5000, 30


def xor_blobs(seed):
    rng = np.random.RandomState(seed)
    centers = rng.uniform(-4, 4, (N_BLOBS, 2))
    blob = rng.randint(0, N_BLOBS, N_SAMPLES)
    X = centers[blob] + rng.normal(scale=0.5, size=(N_SAMPLES, 2))
    y = ((centers[blob, 0] > 0) ^ (centers[blob, 1] > 0)).astype(int)
    return X, y


def model():
    return make_pipeline(
        PolynomialFeatures(2), StandardScaler(), LogisticRegression(max_iter=500)
    )


def run_skactive(strategy, X, y, seed):
    start = time.perf_counter()
    learner = StreamLearner(model(), strategy, budget=BUDGET, random_state=seed)
    learner.fit(X, y)
    elapsed = time.perf_counter() - start
    accuracy = learner.prequential_accuracy_[-1]
    return learner.n_labeled_ / learner.n_seen_, accuracy, elapsed


def run_skactiveml(name, X, y, seed):
    """scikit-activeml's tutorial loop: query, update, refit on the labels."""
    from skactiveml.classifier import SklearnClassifier
    from skactiveml.stream import (
        FixedUncertainty as PeerFixed,
    )
    from skactiveml.stream import (
        Split as PeerSplit,
    )
    from skactiveml.stream import (
        StreamRandomSampling,
    )
    from skactiveml.stream import (
        VariableUncertainty as PeerVariable,
    )

    strategy = {
        "random": lambda: StreamRandomSampling(budget=BUDGET, random_state=seed),
        "fixed uncertainty": lambda: PeerFixed(
            classes=[0, 1], budget=BUDGET, random_state=seed
        ),
        "variable uncertainty": lambda: PeerVariable(budget=BUDGET, random_state=seed),
        "split": lambda: PeerSplit(budget=BUDGET, random_state=seed),
    }[name]()
    clf = SklearnClassifier(model(), classes=[0, 1], random_state=seed)
    X_train, y_train = np.empty((0, 2)), np.empty(0)
    correct, n_predicted, n_labeled = 0, 0, 0
    start = time.perf_counter()
    for t in range(len(X)):
        x = X[t : t + 1]
        fitted = len(np.unique(y_train)) > 1
        if fitted:
            correct += int(clf.predict(x)[0] == y[t])
            n_predicted += 1
        if name == "random":
            queried = strategy.query(candidates=x)
        else:
            if not fitted:
                # As skactive does: until two classes are labeled, a model of
                # no labels (uniform probabilities) decides, so labels keep
                # being asked (a model of one class would be sure of it).
                clf.fit(x, np.array([np.nan]))
            queried = strategy.query(candidates=x, clf=clf)
        strategy.update(candidates=x, queried_indices=queried)
        if len(queried):
            X_train = np.vstack([X_train, x])
            y_train = np.append(y_train, y[t])
            n_labeled += 1
            if len(np.unique(y_train)) > 1:
                clf.fit(X_train, y_train)
    elapsed = time.perf_counter() - start
    return n_labeled / len(X), correct / max(n_predicted, 1), elapsed


def _cells(values):
    values = np.asarray(values)
    return f"{values.mean():.3f} ± {values.std():.3f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    ours = {
        "random": StreamRandom(),
        "fixed uncertainty": FixedUncertainty(),
        "variable uncertainty": VariableUncertainty(),
        "split": Split(),
    }
    try:
        import skactiveml

        peer_version = f"scikit-activeml {skactiveml.__version__}"
    except ImportError:
        peer_version = None
        print("scikit-activeml is not installed: its rows are left out")
    rows = []
    for name, strategy in ours.items():
        results = {"skactive": [], "scikit-activeml": []}
        for seed in range(args.repeats):
            X, y = xor_blobs(seed)
            results["skactive"].append(run_skactive(strategy, X, y, seed))
            if peer_version:
                results["scikit-activeml"].append(run_skactiveml(name, X, y, seed))
        for library, runs in results.items():
            if not runs:
                continue
            spent, accuracy, seconds = (np.array(column) for column in zip(*runs))
            row = (
                f"| {name} | {library} | {_cells(spent)} | "
                f"{np.abs(spent - BUDGET).max() * 100:.2f} | {_cells(accuracy)} | "
                f"{seconds.mean():.2f} |"
            )
            rows.append(row)
            print(row)
    lines = [
        "# Stream-based selective sampling (benchmarks/bench_stream.py)",
        "",
        f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}"
        + (f", {peer_version}" if peer_version else "")
        + f"; {N_SAMPLES:,} samples from {N_BLOBS} XOR blobs, budget "
        f"{BUDGET:.0%}, {args.repeats} streams, no initial labels.",
        "",
        "| strategy | library | share labeled | worst miss (points) | "
        "prequential accuracy | s per stream |",
        "|---|---|---:|---:|---:|---:|",
        *rows,
        "",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_stream.md").write_text("\n".join(lines))
    print(f"written to {RESULTS / 'bench_stream.md'}")


if __name__ == "__main__":
    main()

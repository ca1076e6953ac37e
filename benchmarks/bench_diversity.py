"""Diverse batches: speed and memory against the peers, and label efficiency.

Two parts (issue 6), peers in the same run, one thread per process:

1. ``speed``: a batch of 100 from pools of 1e4, 1e5 and 1e6 rows (D = 64 and 256
   features, 10 classes; 1e6 at D=64 only), 1,000 labeled rows, a
   ``LogisticRegression`` (so every method embeds the raw features). skactive's
   ``CoreSet``, ``BADGE`` and ``DiverseUncertainty`` against scikit-activeml's
   ``CoreSet`` and ``Badge`` and modAL's ranked batch
   (``uncertainty_batch_sampling``). Each case runs in a fresh process, capped
   at ``--timeout`` seconds (reported as "> X s"); extra memory is the peak
   resident set during the call minus the resident set before it.
2. ``curves``: label efficiency through ``active_learning_curve``, the protocol
   of issue 4 (digits with a scaled logistic regression: 20 initial, batches of
   10, budget 300; mnist1d with a scaled ``TorchMLPClassifier``: 50 initial,
   batches of 50, budget 1000; 5 repeats).

Run: python benchmarks/bench_diversity.py [--parts speed curves] [--timeout 120]
Writes benchmarks/results/bench_diversity_<part>.md (and PNGs for the curves).
Peers: bash benchmarks/install_peers.sh.
"""

import argparse
import os
import platform
import time
import warnings
from pathlib import Path

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # one BLAS thread, as the peers were timed

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
import torch  # noqa: E402
from _measure import ModALShim, PeakMemory, run_in_process  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
N_CLASSES, N_LABELED, BATCH = 10, 1000, 100


def make_pool(n_pool, n_features):
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=N_LABELED + n_pool,
        n_features=n_features,
        n_informative=min(n_features, 32),
        n_classes=N_CLASSES,
        n_clusters_per_class=1,
        random_state=0,
    )
    return X.astype(np.float32), y


def _case(method, n_pool, n_features, queue):
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    from sklearn.linear_model import LogisticRegression

    X, y = make_pool(n_pool, n_features)
    labeled, pool = X[:N_LABELED], X[N_LABELED:]
    model = LogisticRegression(max_iter=200).fit(labeled, y[:N_LABELED])
    if method.startswith("skactive"):
        from skactive.strategies import BADGE, CoreSet, DiverseUncertainty

        strategy = {
            "skactive CoreSet": CoreSet(),
            "skactive BADGE": BADGE(),
            "skactive DiverseUncertainty": DiverseUncertainty(),
            FEW_LABELED: CoreSet(),
        }[method]
        if method == FEW_LABELED:  # distances to 10 rows bound little: no pruning
            labeled = labeled[:10]

        def run():
            return strategy.select(
                model, pool, BATCH, X_labeled=labeled, random_state=0
            )

    elif method.startswith("scikit-activeml"):
        from skactiveml.classifier import SklearnClassifier
        from skactiveml.pool import Badge, CoreSet

        X_all = X
        y_all = np.full(X.shape[0], np.nan)
        y_all[:N_LABELED] = y[:N_LABELED]
        candidates = np.arange(N_LABELED, X.shape[0])
        if method.endswith("CoreSet"):

            def run():
                return CoreSet(random_state=0).query(
                    X_all, y_all, candidates=candidates, batch_size=BATCH
                )

        else:
            clf = SklearnClassifier(
                LogisticRegression(max_iter=200), classes=np.arange(N_CLASSES)
            ).fit(X_all, y_all)

            def run():
                return Badge(random_state=0).query(
                    X_all,
                    y_all,
                    clf,
                    fit_clf=False,
                    candidates=candidates,
                    batch_size=BATCH,
                )

    else:
        from modAL.batch import uncertainty_batch_sampling

        shim = ModALShim(model, labeled)

        def run():
            return uncertainty_batch_sampling(shim, pool, n_instances=BATCH)

    with PeakMemory() as memory:
        start = time.perf_counter()
        run()
        elapsed = time.perf_counter() - start
    queue.put((elapsed, memory.extra_mib))


FEW_LABELED = "skactive CoreSet, 10 labeled"
METHODS = [
    "skactive CoreSet",
    "skactive BADGE",
    "skactive DiverseUncertainty",
    FEW_LABELED,
    "scikit-activeml CoreSet",
    "scikit-activeml Badge",
    "modAL ranked batch",
]


def part_speed(timeout=120):
    sizes = [
        (10_000, 64),
        (10_000, 256),
        (100_000, 64),
        (100_000, 256),
        (1_000_000, 64),
    ]
    lines = [
        f"## A batch of {BATCH}, {N_LABELED:,} labeled rows, {N_CLASSES} classes",
        "",
        f"Each case in a fresh process, capped at {timeout} s. In brackets: for "
        "a peer, its time over the fastest skactive method's; for skactive, how "
        "many times faster it is than the fastest peer. The 10-labeled row is "
        "skactive's CoreSet given only 10 of the labeled rows: the worst case "
        "of its pruning (the peers always get 1,000).",
        "",
        "| rows x features | method | seconds | extra memory (MiB) |",
        "|---|---|---|---|",
    ]
    for n_pool, n_features in sizes:
        results = {}
        for method in METHODS:
            result = run_in_process(_case, (method, n_pool, n_features), timeout)
            results[method] = result
            print(n_pool, n_features, method, result, flush=True)
        ours = min(
            r[0]
            for m, r in results.items()
            if m.startswith("skactive") and m != FEW_LABELED and r
        )
        peers = [r[0] for m, r in results.items() if not m.startswith("skactive") and r]
        fastest_peer = min(peers, default=None)
        for method, result in results.items():
            if result is None:
                seconds, memory = f"> {timeout}", "?"
            else:
                seconds = f"{result[0]:.3f}"
                if not method.startswith("skactive"):
                    seconds += f" ({result[0] / ours:.0f}x)"
                elif fastest_peer is not None:
                    seconds += f" ({fastest_peer / result[0]:.1f}x faster)"
                memory = f"{result[1]:.0f}"
            lines.append(
                f"| {n_pool:,} x {n_features} | {method} | {seconds} | {memory} |"
            )
    lines.append("")
    return "\n".join(lines)


def part_curves(repeats=5, n_jobs=2):
    from sklearn.base import clone

    from skactive import ActiveLearner
    from skactive.cli._demo import (
        PROTOCOL,
        load_dataset,
        losers,
        make_estimator,
        save_curves,
    )
    from skactive.evaluation import active_learning_curve
    from skactive.strategies import (
        BADGE,
        CoreSet,
        DiverseUncertainty,
        RandomSampling,
        TypiClust,
        UncertaintySampling,
    )

    sections = []
    for dataset, estimator in (("digits", "logreg"), ("mnist1d", "mlp")):
        n_initial, batch_size, budget = PROTOCOL[dataset]
        X_pool, X_test, y_pool, y_test = load_dataset(dataset, random_state=0)
        learner = ActiveLearner(
            make_estimator(estimator),
            budget=budget,
            batch_size=batch_size,
            n_initial=n_initial,
        )
        named = {
            "margin": UncertaintySampling(acquisition_fn="margin"),
            "DiverseUncertainty": DiverseUncertainty(),
            "CoreSet": CoreSet(),
            "BADGE": BADGE(),
            "random, TypiClust start": clone(learner).set_params(
                query_strategy=RandomSampling(), initial_strategy=TypiClust()
            ),
            "BADGE, TypiClust start": clone(learner).set_params(
                query_strategy=BADGE(), initial_strategy=TypiClust()
            ),
        }
        start = time.perf_counter()
        result = active_learning_curve(
            learner,
            X_pool,
            y_pool,
            X_test,
            y_test,
            query_strategies=named,
            n_repeats=repeats,
            n_jobs=n_jobs,
            random_state=0,
        )
        elapsed = time.perf_counter() - start
        png = save_curves(
            result,
            f"{dataset}, {estimator}, {repeats} repeats",
            RESULTS / f"bench_diversity_{dataset}.png",
            size=(8, 5.5),
            dpi=100,
        )
        sections += [
            f"## {dataset}, {estimator}: {len(y_pool)} pool / {len(y_test)} test, "
            f"{n_initial} initial, batches of {batch_size}, budget {budget}, "
            f"{repeats} repeats ({elapsed:.0f} s with n_jobs={n_jobs})",
            "",
            result.table(),
            "",
            *(f"- {sentence}" for sentence in losers(result)),
            "",
            f"![learning curves]({png.name})",
            "",
        ]
        print("\n".join(sections[-8:]), flush=True)
    return "\n".join(sections)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", nargs="+", default=["speed", "curves"])
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", category=UserWarning)
    RESULTS.mkdir(exist_ok=True)
    header = (
        f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}, "
        f"torch {torch.__version__}, one thread per process, {os.cpu_count()} cores."
    )
    for part in args.parts:
        section = part_speed(args.timeout) if part == "speed" else part_curves()
        print(section, flush=True)
        title = f"# Diverse batches: {part} (benchmarks/bench_diversity.py)"
        (RESULTS / f"bench_diversity_{part}.md").write_text(
            f"{title}\n\n{header}\n\n{section}"
        )


if __name__ == "__main__":
    main()

"""Expected model change, expected error reduction, density, and label noise.

Three parts (issue 7), peers in the same run, one thread per process:

1. ``speed``: one query of 10 from pools of 1e3, 1e4 and 1e5 rows (20
   features, 4 classes, 200 labeled, a ``LogisticRegression``).
   - skactive's ``ExpectedModelChange``;
   - skactive's ``InformationDensity``, cosine (exact) and euclidean (2,000
     reference rows), against modAL's ``information_density`` (euclidean);
   - skactive's ``ExpectedErrorReduction`` on 100 candidates and 1,000
     evaluation rows, against scikit-activeml's ``MonteCarloEER`` given the
     same candidates and evaluation rows, and modAL's
     ``expected_error_reduction`` on the same share of candidates (it
     evaluates on the whole pool).

   No peer offers expected gradient length for classifiers (scikit-activeml's
   ``ExpectedModelChangeMaximization`` is for regression). Each case runs in a
   fresh process, capped at ``--timeout`` seconds ("> X s").
2. ``noise``: AULC under 0 %, 10 % and 20 % uniform label noise
   (``SimulatedOracle``; the test labels stay clean) for random, margin, BALD
   and BADGE. Digits, a scaled ``TorchMLPClassifier`` with dropout 0.25: 20
   initial, batches of 20, budget 300, 5 repeats.
3. ``issues``: ``find_label_issues`` on digits with 10 % and 20 % of the
   labels changed (uniform and class-conditional, 3 seeds): precision and
   recall of the flagged set, and precision of its top 50.

Run: python benchmarks/bench_expected.py [--parts speed noise issues]
Writes benchmarks/results/bench_expected_<part>.md (and a PNG for the noise).
Peers: bash benchmarks/install_peers.sh.
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
from _measure import PeakMemory, run_in_process  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
N_LABELED, N_CLASSES, BATCH = 200, 4, 10
N_CANDIDATES, N_EVAL = 100, 1000


def make_pool(n_pool):
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=N_LABELED + n_pool,
        n_features=20,
        n_informative=8,
        n_classes=N_CLASSES,
        random_state=0,
    )
    return X, y


def _case(method, n_pool, queue):
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    from sklearn.linear_model import LogisticRegression

    X, y = make_pool(n_pool)
    X_labeled, y_labeled, pool = X[:N_LABELED], y[:N_LABELED], X[N_LABELED:]
    model = LogisticRegression(max_iter=1000).fit(X_labeled, y_labeled)
    rng = np.random.RandomState(0)
    candidates = np.sort(rng.choice(n_pool, min(N_CANDIDATES, n_pool), replace=False))
    evaluation = np.sort(rng.choice(n_pool, min(N_EVAL, n_pool), replace=False))
    if method.startswith("skactive"):
        from skactive.strategies import (
            ExpectedErrorReduction,
            ExpectedModelChange,
            InformationDensity,
        )

        strategy = {
            "skactive ExpectedModelChange": ExpectedModelChange(),
            "skactive InformationDensity, cosine": InformationDensity(),
            "skactive InformationDensity, euclidean": InformationDensity(
                metric="euclidean"
            ),
            "skactive ExpectedErrorReduction": ExpectedErrorReduction(
                n_candidates=N_CANDIDATES, n_eval=N_EVAL
            ),
        }[method]

        def run():
            return strategy.select(
                model,
                pool,
                BATCH,
                X_labeled=X_labeled,
                y_labeled=y_labeled,
                random_state=0,
            )

    elif method.startswith("scikit-activeml"):
        from skactiveml.classifier import SklearnClassifier
        from skactiveml.pool import MonteCarloEER

        X_all = X
        y_all = np.full(X.shape[0], np.nan)
        y_all[:N_LABELED] = y_labeled
        clf = SklearnClassifier(
            LogisticRegression(max_iter=1000), classes=np.arange(N_CLASSES)
        )

        def run():  # fit_clf=False is refused: it must see where clf was fitted
            return MonteCarloEER(random_state=0).query(
                X_all,
                y_all,
                clf,
                candidates=candidates + N_LABELED,
                X_eval=pool[evaluation],
                batch_size=BATCH,
            )

    elif method == "modAL information_density":
        from modAL.density import information_density

        def run():
            return np.argsort(-information_density(pool, "euclidean"))[:BATCH]

    else:
        np.float = float  # modAL's expected_error still names np.float
        from modAL.expected_error import expected_error_reduction
        from modAL.models import ActiveLearner

        learner = ActiveLearner(
            LogisticRegression(max_iter=1000),
            X_training=X_labeled,
            y_training=y_labeled,
        )

        def run():
            return expected_error_reduction(
                learner,
                pool,
                loss="log",
                p_subsample=min(1.0, N_CANDIDATES / n_pool),
                n_instances=BATCH,
            )

    try:
        with PeakMemory() as memory:
            start = time.perf_counter()
            run()
            elapsed = time.perf_counter() - start
    except MemoryError:
        queue.put("out of memory")
        return
    queue.put((elapsed, memory.extra_mib))


GROUPS = [
    ("expected model change", ["skactive ExpectedModelChange"]),
    (
        "information density",
        [
            "skactive InformationDensity, cosine",
            "skactive InformationDensity, euclidean",
            "modAL information_density",
        ],
    ),
    (
        "expected error reduction",
        [
            "skactive ExpectedErrorReduction",
            "scikit-activeml MonteCarloEER",
            "modAL expected_error_reduction",
        ],
    ),
]


def part_speed(timeout=120):
    lines = [
        f"## One query of {BATCH}: {N_LABELED} labeled rows, 20 features, "
        f"{N_CLASSES} classes, LogisticRegression",
        "",
        f"Each case in a fresh process, capped at {timeout} s. Expected error "
        f"reduction scores {N_CANDIDATES} candidates on {N_EVAL:,} evaluation rows "
        "(modAL: the same share of candidates, on the whole pool). In brackets, a "
        "peer's time over skactive's method of the same kind (for density, the "
        "euclidean one, as modAL's).",
        "",
        "| pool rows | group | method | seconds | extra memory (MiB) |",
        "|---|---|---|---|---|",
    ]
    for n_pool in (1_000, 10_000, 100_000):
        for group, methods in GROUPS:
            results = {}
            for method in methods:
                results[method] = run_in_process(_case, (method, n_pool), timeout)
                print(n_pool, method, results[method], flush=True)
            # Peers against the skactive method of the same kind (density: the
            # euclidean one, as modAL's).
            ours = results[
                next(m for m in methods if m.startswith("skactive") and "cos" not in m)
            ]
            ours = ours[0] if isinstance(ours, tuple) else None
            for method, result in results.items():
                if result is None:
                    seconds, memory = f"> {timeout:.0f}", "?"
                elif isinstance(result, str):
                    seconds, memory = result, "> 24 GiB"
                else:
                    seconds = f"{result[0]:.3f}"
                    if not method.startswith("skactive") and ours:
                        seconds += f" ({result[0] / ours:.0f}x)"
                    memory = f"{result[1]:.0f}"
                lines.append(
                    f"| {n_pool:,} | {group} | {method} | {seconds} | {memory} |"
                )
    lines.append("")
    return "\n".join(lines)


def _noise_learner():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skactive import ActiveLearner
    from skactive.nets import TorchMLPClassifier

    net = TorchMLPClassifier(dropout=0.25)
    return ActiveLearner(
        make_pipeline(StandardScaler(), net),
        budget=300,
        batch_size=20,
        n_initial=20,
    )


def part_noise(repeats=5, n_jobs=2):
    from skactive.cli._demo import load_dataset, save_curves
    from skactive.evaluation import active_learning_curve
    from skactive.oracle import SimulatedOracle
    from skactive.strategies import BADGE, BALD, UncertaintySampling

    X_pool, X_test, y_pool, y_test = load_dataset("digits", random_state=0)
    strategies = {
        "margin": UncertaintySampling(acquisition_fn="margin"),
        "BALD": BALD(),
        "BADGE": BADGE(),
    }
    rows = {}
    start = time.perf_counter()
    for rate in (0.0, 0.1, 0.2):
        result = active_learning_curve(
            _noise_learner(),
            X_pool,
            SimulatedOracle(y_pool, noise_rate=rate),
            X_test,
            y_test,
            query_strategies=strategies,
            n_repeats=repeats,
            n_jobs=n_jobs,
            random_state=0,
        )
        for name, areas in result.aulc().items():
            rows.setdefault(name, {})[rate] = areas
        if rate == 0.2:
            png = save_curves(
                result,
                f"digits, MLP, 20 % label noise, {repeats} repeats",
                RESULTS / "bench_expected_noise.png",
                size=(8, 5.5),
                dpi=100,
            )
        print(rate, {n: round(float(a.mean()), 3) for n, a in result.aulc().items()})
    elapsed = time.perf_counter() - start
    lines = [
        f"## AULC on digits under label noise: scaled TorchMLPClassifier "
        f"(dropout 0.25), 20 initial, batches of 20, budget 300, {repeats} repeats "
        f"({elapsed:.0f} s with n_jobs={n_jobs})",
        "",
        "Uniform noise from `SimulatedOracle` (a fresh draw per repeat, the same "
        "for every strategy of a repeat); the test labels are clean. Mean ± std "
        "over repeats; the last column is what 20 % noise costs.",
        "",
        "| strategy | 0 % | 10 % | 20 % | loss at 20 % |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, by_rate in rows.items():
        cells = [f"{a.mean():.3f} ± {a.std():.3f}" for a in by_rate.values()]
        drop = by_rate[0.0].mean() - by_rate[0.2].mean()
        lines.append(f"| {name} | {' | '.join(cells)} | {drop:.3f} |")
    lines += ["", f"![learning curves at 20 % noise]({png.name})", ""]
    return "\n".join(lines)


def part_issues():
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skactive.label_issues import find_label_issues
    from skactive.oracle import SimulatedOracle

    X, y = load_digits(return_X_y=True)
    lines = [
        "## find_label_issues on digits (1,797 labels, 5-fold, scaled "
        "LogisticRegression C=0.1)",
        "",
        "Chance precision is the noise rate. Mean over 3 seeds of the noise.",
        "",
        "| noise | rate | changed | flagged | precision | recall | "
        "precision of the top 50 | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for noise in ("uniform", "class_conditional"):
        for rate in (0.1, 0.2):
            stats = []
            for seed in range(3):
                noisy = SimulatedOracle(y, rate, noise, random_state=seed).labels()
                changed = noisy != y
                model = make_pipeline(
                    StandardScaler(), LogisticRegression(C=0.1, max_iter=2000)
                )
                start = time.perf_counter()
                indices, _ = find_label_issues(model, X, noisy)
                seconds = time.perf_counter() - start
                stats.append(
                    (
                        changed.sum(),
                        indices.shape[0],
                        changed[indices].mean(),
                        changed[indices].sum() / changed.sum(),
                        changed[indices[:50]].mean(),
                        seconds,
                    )
                )
            mean = np.mean(stats, axis=0)
            lines.append(
                f"| {noise} | {rate:.0%} | {mean[0]:.0f} | {mean[1]:.0f} | "
                f"{mean[2]:.3f} | {mean[3]:.3f} | {mean[4]:.2f} | {mean[5]:.2f} |"
            )
    lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", nargs="+", default=["speed", "noise", "issues"])
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    RESULTS.mkdir(exist_ok=True)
    header = (
        f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}, "
        f"torch {torch.__version__}, one thread per process, {os.cpu_count()} cores."
    )
    for part in args.parts:
        section = {
            "speed": lambda: part_speed(args.timeout),
            "noise": part_noise,
            "issues": part_issues,
        }[part]()
        print(section, flush=True)
        title = f"# Expected model change, error reduction, noise: {part}"
        (RESULTS / f"bench_expected_{part}.md").write_text(
            f"{title} (benchmarks/bench_expected.py)\n\n{header}\n\n{section}"
        )


if __name__ == "__main__":
    main()

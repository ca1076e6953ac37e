"""Memory of one query, per strategy, on pools of 1e5 to 2e6 rows (issue 15).

Target: at most 200 MiB above the pool itself for every strategy at 2e6 x 50
float32 (381 MiB of pool), with a ``LogisticRegression`` (BatchBALD: at 1e6 rows
with K=20 committee members); a simulation keeps an index mask and never copies
the pool.

Protocol: the pool is 50 standard-normal float32 features, 10 classes from a
random linear rule, 1,000 labeled rows apart from the pool. The model is a
``LogisticRegression`` fitted on the labeled rows; the Bayesian strategies get a
``Committee`` of such models (K=5; BatchBALD K=20, as the target says). Each case
runs in a fresh process: extra memory is the peak resident set during the call
minus the resident set just before it (pool, model and labeled rows already
built). A batch of 100. The simulation case is ``ActiveLearner.fit`` on the whole
pool: 1,000 initial labels and 5 rounds of 100 (uncertainty sampling).
Peers in the same run (``bash benchmarks/install_peers.sh``): modAL's
``uncertainty_sampling`` and ranked batch, scikit-activeml's ``CoreSet`` and
``Badge`` (capped by ``--timeout``).

The second table is the cost of BatchBALD's candidate prefilter: on pools small
enough for the whole-pool greedy (``n_candidates=None``), the joint mutual
information ``I(y_batch; model)`` of the batch of 10 chosen among the top
``n_candidates`` BALD rows, estimated for every batch from the same 20,000 label
configurations drawn from the committee (stratified by member).

Run: python benchmarks/bench_memory.py [--sizes 100000 500000 1000000 2000000]
     [--only NAME ...] [--timeout 300] [--no-peers] [--no-prefilter-cost]
     [--tag TAG]
Writes benchmarks/results/bench_memory.md.
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
from _measure import ModALShim, PeakMemory, run_in_process  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
N_FEATURES, N_CLASSES, N_LABELED, BATCH = 50, 10, 1000, 100
TARGET_MIB = 200
BATCHBALD_ROWS = 1_000_000


def make_data(n_pool, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N_LABELED + n_pool, N_FEATURES), dtype=np.float32)
    weights = rng.standard_normal((N_FEATURES, N_CLASSES), dtype=np.float32)
    logits = X @ weights + rng.standard_normal((X.shape[0], N_CLASSES), np.float32)
    return X, logits.argmax(axis=1)


def _strategies():
    from skactive.strategies import (
        BADGE,
        BALD,
        BatchBALD,
        ClusterMargin,
        CoreSet,
        DiverseUncertainty,
        ExpectedErrorReduction,
        ExpectedModelChange,
        InformationDensity,
        KMeansSampling,
        MeanStd,
        QueryByCommittee,
        RandomSampling,
        StochasticBatch,
        TypiClust,
        UncertaintySampling,
        VariationRatios,
    )

    return {
        "UncertaintySampling": (UncertaintySampling(), None),
        "RandomSampling": (RandomSampling(), None),
        "StochasticBatch": (StochasticBatch(UncertaintySampling()), None),
        "InformationDensity": (InformationDensity(), None),
        "CoreSet": (CoreSet(), None),
        "BADGE": (BADGE(), None),
        "DiverseUncertainty": (DiverseUncertainty(), None),
        "ClusterMargin": (ClusterMargin(), None),
        "KMeansSampling": (KMeansSampling(), None),
        "TypiClust": (TypiClust(), None),
        "ExpectedModelChange": (ExpectedModelChange(), None),
        "ExpectedErrorReduction": (
            ExpectedErrorReduction(n_candidates=200, n_eval=2000),
            None,
        ),
        "BALD": (BALD(), 5),
        "MeanStd": (MeanStd(), 5),
        "VariationRatios": (VariationRatios(), 5),
        "QueryByCommittee": (QueryByCommittee(), 5),
        "BatchBALD": (BatchBALD(), 20),
    }


SKACTIVE = [
    "UncertaintySampling",
    "RandomSampling",
    "StochasticBatch",
    "InformationDensity",
    "CoreSet",
    "BADGE",
    "DiverseUncertainty",
    "ClusterMargin",
    "KMeansSampling",
    "TypiClust",
    "ExpectedModelChange",
    "ExpectedErrorReduction",
    "BALD",
    "MeanStd",
    "VariationRatios",
    "QueryByCommittee",
    "BatchBALD",
    "simulation (5 rounds)",
    "CoreSet (default net)",
    "BADGE (default net)",
]
PEERS = [
    "modAL uncertainty_sampling",
    "modAL ranked batch",
    "scikit-activeml CoreSet",
    "scikit-activeml Badge",
]


def _model(labeled, y_labeled, n_members):
    from sklearn.linear_model import LogisticRegression

    from skactive import Committee

    if n_members is None:
        return LogisticRegression(max_iter=200).fit(labeled, y_labeled)
    members = [LogisticRegression(max_iter=200, C=1.0) for _ in range(n_members)]
    return Committee(members, random_state=0).fit(labeled, y_labeled)


def _skactive_run(method, X, y):
    labeled, y_labeled = X[:N_LABELED], y[:N_LABELED]
    pool = X[N_LABELED:]
    if method.startswith("simulation"):
        from sklearn.linear_model import LogisticRegression

        from skactive import ActiveLearner

        learner = ActiveLearner(
            LogisticRegression(max_iter=200),
            n_initial=N_LABELED,
            batch_size=BATCH,
            budget=N_LABELED + 5 * BATCH,
            random_state=0,
        )
        return lambda: learner.fit(X, y)
    if method.endswith("(default net)"):  # the net's embedding: 100 wide
        from skactive.nets import TorchMLPClassifier

        strategy, _ = _strategies()[method.split()[0]]
        model = TorchMLPClassifier(max_epochs=5, random_state=0)
        model.fit(labeled, y_labeled)
        return lambda: strategy.select(
            model, pool, BATCH, X_labeled=labeled, random_state=0
        )
    strategy, n_members = _strategies()[method]
    model = _model(labeled, y_labeled, n_members)
    return lambda: strategy.select(
        model, pool, BATCH, X_labeled=labeled, y_labeled=y_labeled, random_state=0
    )


def _peer_run(method, X, y):
    from sklearn.linear_model import LogisticRegression

    labeled, pool = X[:N_LABELED], X[N_LABELED:]
    model = LogisticRegression(max_iter=200).fit(labeled, y[:N_LABELED])
    if method.startswith("modAL"):
        from modAL.batch import uncertainty_batch_sampling
        from modAL.uncertainty import uncertainty_sampling

        if method.endswith("uncertainty_sampling"):
            return lambda: uncertainty_sampling(model, pool, n_instances=BATCH)
        shim = ModALShim(model, labeled)
        return lambda: uncertainty_batch_sampling(shim, pool, n_instances=BATCH)
    from skactiveml.classifier import SklearnClassifier
    from skactiveml.pool import Badge, CoreSet

    y_all = np.full(X.shape[0], np.nan)
    y_all[:N_LABELED] = y[:N_LABELED]
    candidates = np.arange(N_LABELED, X.shape[0])
    if method.endswith("CoreSet"):
        return lambda: CoreSet(random_state=0).query(
            X, y_all, candidates=candidates, batch_size=BATCH
        )
    clf = SklearnClassifier(
        LogisticRegression(max_iter=200), classes=np.arange(N_CLASSES)
    ).fit(X, y_all)
    return lambda: Badge(random_state=0).query(
        X, y_all, clf, fit_clf=False, candidates=candidates, batch_size=BATCH
    )


def _case(method, n_pool, queue):
    try:
        import torch

        torch.set_num_threads(1)
        warnings.simplefilter("ignore")
        X, y = make_data(n_pool)
        make = _skactive_run if method in SKACTIVE else _peer_run
        run = make(method, X, y)
        with PeakMemory() as memory:
            start = time.perf_counter()
            run()
            elapsed = time.perf_counter() - start
        queue.put((elapsed, memory.extra_mib))
    except Exception as error:  # reported in the table, not lost with the process
        queue.put((f"error: {type(error).__name__}: {error}"[:120], None))


def joint_information(samples, batch, n_draws=20_000, seed=0):
    """Monte Carlo ``I(y_batch; model)`` from committee samples ``(K, N, C)``."""
    from scipy.special import logsumexp

    probs = np.asarray(samples, dtype=np.float64)[:, batch, :]  # (K, b, C)
    n_members, size, n_classes = probs.shape
    rng = np.random.default_rng(seed)
    cumulative = probs.cumsum(axis=-1)
    uniform = rng.random((n_members, n_draws // n_members, size, 1))
    labels = np.minimum((cumulative[:, None] < uniform).sum(-1), n_classes - 1)
    labels = labels.reshape(-1, size)  # configurations drawn from the mixture
    log_probs = np.log(np.clip(probs, 1e-30, None))
    likelihood = log_probs[:, np.arange(size)[None, :], labels].sum(-1)  # (K, S)
    joint_entropy = -(logsumexp(likelihood, axis=0) - np.log(n_members)).mean()
    entr = -(probs * log_probs).sum(-1)  # (K, b)
    return joint_entropy - entr.sum(-1).mean()


def _prefilter_case(n_pool, n_candidates, queue):
    try:
        import torch  # imported before the measure: BatchBALD runs in torch

        torch.set_num_threads(1)
        warnings.simplefilter("ignore")
        from skactive.models import predict_proba_samples
        from skactive.strategies import BatchBALD

        X, y = make_data(n_pool)
        model = _model(X[:N_LABELED], y[:N_LABELED], 20)
        pool = X[N_LABELED:]
        strategy = BatchBALD(n_candidates=n_candidates)
        with PeakMemory() as memory:
            start = time.perf_counter()
            batch = strategy.select(model, pool, 10, random_state=0)
            elapsed = time.perf_counter() - start
        information = joint_information(predict_proba_samples(model, pool), batch)
        queue.put((elapsed, memory.extra_mib, information))
    except Exception as error:
        queue.put((f"error: {type(error).__name__}: {error}"[:120], None, None))


def prefilter_cost(sizes, timeout):
    lines = [
        "",
        "## BatchBALD's candidate prefilter: joint information lost",
        "",
        "A batch of 10 from a Committee of 20 LogisticRegressions; the joint "
        "information of each batch (nats), and its share of the whole-pool "
        "greedy's.",
        "",
        "| rows | n_candidates | seconds | extra memory (MiB) | I(y_batch; model) "
        "| of whole pool |",
        "|---|---|---|---|---|---|",
    ]
    for n_pool in sizes:
        whole = None
        for n_candidates in (None, 10_000, 1_000, 100):
            result = run_in_process(
                _prefilter_case, (n_pool, n_candidates), timeout=timeout
            )
            label = "None (whole pool)" if n_candidates is None else f"{n_candidates:,}"
            if result is None or result[1] is None:
                why = f"> {timeout:.0f} s" if result is None else result[0]
                row = f"| {n_pool:,} | {label} | {why} | - | - | - |"
            else:
                whole = result[2] if n_candidates is None else whole
                share = f"{result[2] / whole:.1%}" if whole else "-"
                row = (
                    f"| {n_pool:,} | {label} | {result[0]:.2f} | {result[1]:.0f} "
                    f"| {result[2]:.4f} | {share} |"
                )
            lines.append(row)
            print(row, flush=True)
    return lines


def _target(method, n_pool):
    if method == "BatchBALD":
        return n_pool == BATCHBALD_ROWS
    return n_pool == 2_000_000 and method in SKACTIVE


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[100_000, 500_000, 1_000_000, 2_000_000]
    )
    parser.add_argument("--only", nargs="+", default=None)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument(
        "--tag", default=None, help="write bench_memory_TAG.md (a before/after run)"
    )
    parser.add_argument("--no-prefilter-cost", action="store_true")
    parser.add_argument(
        "--peer-max-rows",
        type=int,
        default=500_000,
        help="peers above this pool size are skipped (their memory grows fast)",
    )
    parser.add_argument(
        "--prefilter-sizes", type=int, nargs="+", default=[20_000, 100_000]
    )
    args = parser.parse_args()
    methods = args.only or (SKACTIVE if args.no_peers else SKACTIVE + PEERS)
    lines = [
        "# Memory of one query (benchmarks/bench_memory.py)",
        "",
        f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}, "
        "one thread per process. Pools of N x 50 float32 (2e6 rows: 381 MiB), 10 "
        "classes, 1,000 labeled rows, a batch of 100, a LogisticRegression "
        "(Bayesian strategies: a Committee of 5; BatchBALD: of 20; rows marked "
        "'default net': the default TorchMLPClassifier, 100 hidden units, fitted "
        "5 epochs). Extra memory: "
        "peak resident set during the call minus the resident set before it. "
        f"Target: at most {TARGET_MIB} MiB at 2e6 rows (BatchBALD: at 1e6 rows, "
        f"K=20). Each case in a fresh process, capped at {args.timeout:.0f} s; "
        f"peers up to {args.peer_max_rows:,} rows.",
        "",
        "| method | rows | seconds | extra memory (MiB) | target |",
        "|---|---|---|---|---|",
    ]
    failed = []
    for method in methods:
        for n_pool in args.sizes:
            if method == "BatchBALD" and n_pool > BATCHBALD_ROWS:
                continue
            if method in PEERS and n_pool > args.peer_max_rows:
                continue
            result = run_in_process(_case, (method, n_pool), timeout=args.timeout)
            target = ""
            if result is None:
                seconds, extra = f"> {args.timeout:.0f}", "-"
                if _target(method, n_pool):
                    target, failed = "not reached", [*failed, method]
            elif result[1] is None:
                seconds, extra = result[0], "-"
                failed = [*failed, method] if _target(method, n_pool) else failed
            else:
                seconds, extra = f"{result[0]:.2f}", f"{result[1]:.0f}"
                if _target(method, n_pool):
                    met = result[1] <= TARGET_MIB
                    target = "met" if met else "MISSED"
                    failed = failed if met else [*failed, method]
            row = f"| {method} | {n_pool:,} | {seconds} | {extra} | {target} |"
            lines.append(row)
            print(row, flush=True)
    lines += ["", f"Missed: {', '.join(failed) if failed else 'none'}."]
    if not args.no_prefilter_cost:
        lines += prefilter_cost(args.prefilter_sizes, args.timeout)
    RESULTS.mkdir(exist_ok=True)
    suffix = "" if args.only is None else "_partial"
    suffix = suffix if args.tag is None else f"_{args.tag}"
    (RESULTS / f"bench_memory{suffix}.md").write_text("\n".join(lines) + "\n")
    print(f"Missed: {', '.join(failed) if failed else 'none'}.")


if __name__ == "__main__":
    main()

"""Active regression and multilabel active learning against the peers (issue 19).

Peers in the same run, behind skactive's strategy interface, so that every
strategy sees the same initial labels, the same model and the same rounds (a
paired comparison, 5 repeats, random sampling included, one thread per run):

1. ``regression``: scikit-learn's ``load_diabetes`` (442 samples, 10 features)
   and ``make_friedman1`` (1,000 samples, 10 features, noise 1), standardized
   once, split 50/50 into pool and test set, a ``Ridge`` model; 10 initial
   labels, batches of 10, to 100 (diabetes) or 150 (friedman1) labels.
   skactive's ``GreedySampling`` (GSx, GSy, iGS), ``ExpectedModelChangeRegression``
   (EMCM) and ``PredictiveStd`` on a ``CommitteeRegressor`` of 5 bootstrapped
   ridges, against scikit-activeml's ``GreedySamplingX``, ``GreedySamplingTarget``
   (``GSy``, ``GSi``), ``ExpectedModelChangeMaximization`` and
   ``QueryByCommittee`` (the variance of a ``BaggingRegressor`` of 5 ridges).
   Scored by R² and by RMSE (``neg_root_mean_squared_error``).
2. ``multilabel``: two sets from ``make_multilabel_classification`` (2,000
   samples; 20 features and 6 labels, 2 per sample on average; 40 features and
   10 labels, 3 on average), standardized, split 50/50, a
   ``OneVsRestClassifier(LogisticRegression)``; 20 initial labels, batches of
   20, to 300. skactive's ``MultilabelUncertainty`` (mean, max), ``MMC``,
   ``LabelCardinalityInconsistency`` and ``CoreSet``, against modAL's
   ``avg_score``, ``max_score``, ``avg_confidence``, ``min_confidence``,
   ``max_loss`` and ``mean_max_loss``. Scored by micro and macro F1.

AULC is the mean score over the label range; the reduction ratio is the labels
random sampling needs to reach 95 % of its best mean score over the labels a
strategy needs; query s is the mean time of one query.

3. ``speed``: one query of 10 from pools of 1e4 and 1e5 rows (100 labeled),
   best of 3, ours against the peer's counterpart in the same process.

Run: python benchmarks/bench_regression_multilabel.py [--parts ...]
Writes benchmarks/results/bench_regression_multilabel.md.
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
from sklearn.base import clone  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.multiclass import OneVsRestClassifier  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skactive import ActiveLearner, ActiveRegressor, CommitteeRegressor  # noqa: E402
from skactive.evaluation import active_learning_curve  # noqa: E402
from skactive.strategies import (  # noqa: E402
    MMC,
    BatchStrategy,
    CoreSet,
    ExpectedModelChangeRegression,
    GreedySampling,
    LabelCardinalityInconsistency,
    MultilabelUncertainty,
    PredictiveStd,
    RandomSampling,
)
from skactive.utils.seeding import draw_seed  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
REPEATS = 5


class SkactivemlRegression(BatchStrategy):
    """One of scikit-activeml's regression strategies behind our interface: the
    labeled rows and the pool in one array, the pool's targets missing (NaN),
    the pool rows as candidates; the model refitted by the peer itself."""

    _parameter_constraints: dict = {}  # noqa: RUF012 - scikit-learn's convention

    def __init__(self, kind="GSx"):
        self.kind = kind

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        tags.classification, tags.regression = False, True
        tags.requires_labels = True
        return tags

    def _select_batch(self, model, X, n_samples, context):
        from skactiveml.pool import (
            ExpectedModelChangeMaximization,
            GreedySamplingTarget,
            GreedySamplingX,
            QueryByCommittee,
        )
        from skactiveml.regressor import SklearnRegressor
        from sklearn.ensemble import BaggingRegressor

        X_labeled = np.asarray(context.X_labeled)
        X_all = np.vstack([X_labeled, np.asarray(X)])
        y_all = np.concatenate([context.y_labeled, np.full(len(X), np.nan)])
        candidates = np.arange(len(X_labeled), len(X_all))
        seed = int(draw_seed(context.random_state))
        common = {"candidates": candidates, "batch_size": n_samples}
        if self.kind == "GSx":
            picked = GreedySamplingX(random_state=seed).query(X_all, y_all, **common)
        elif self.kind == "QBC":
            ensemble = SklearnRegressor(
                BaggingRegressor(Ridge(), n_estimators=5, random_state=seed)
            )
            picked = QueryByCommittee(random_state=seed).query(
                X_all, y_all, ensemble=ensemble, **common
            )
        else:
            regressor = SklearnRegressor(Ridge())
            if self.kind == "EMCM":
                strategy = ExpectedModelChangeMaximization(random_state=seed)
            else:
                strategy = GreedySamplingTarget(method=self.kind, random_state=seed)
            picked = strategy.query(X_all, y_all, reg=regressor, **common)
        return np.asarray(picked, dtype=np.int64) - len(X_labeled)


class ModALMultilabel(BatchStrategy):
    """One of modAL's multilabel query functions, called on the fitted model."""

    _parameter_constraints: dict = {}  # noqa: RUF012 - scikit-learn's convention

    def __init__(self, function="avg_score"):
        self.function = function

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        tags.classification, tags.multilabel = False, True
        return tags

    def _select_batch(self, model, X, n_samples, context):
        import modAL.multilabel

        query = getattr(modAL.multilabel, self.function)
        picked = query(model, np.asarray(X), n_instances=n_samples)
        picked = picked[0] if isinstance(picked, tuple) else picked
        return np.asarray(picked, dtype=np.int64)


def _split(X, y):
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, test_size=0.5, random_state=0)


def regression_sets():
    from sklearn.datasets import load_diabetes, make_friedman1

    X, y = load_diabetes(return_X_y=True)
    yield "diabetes", _split(X, y), 100
    X, y = make_friedman1(n_samples=1000, noise=1.0, random_state=0)
    yield "friedman1", _split(X, y), 150


def multilabel_sets():
    from sklearn.datasets import make_multilabel_classification

    X, Y = make_multilabel_classification(
        2000, n_features=20, n_classes=6, n_labels=2, random_state=0
    )
    yield "6 labels, 20 features", _split(X, Y), 300
    X, Y = make_multilabel_classification(
        2000, n_features=40, n_classes=10, n_labels=3, random_state=1
    )
    yield "10 labels, 40 features", _split(X, Y), 300


def regression_candidates(learner):
    committee = clone(learner).set_params(
        estimator=CommitteeRegressor([Ridge()] * 5), query_strategy=PredictiveStd()
    )
    named = {
        "GSx": GreedySampling("x"),
        "GSy": GreedySampling("y"),
        "iGS": GreedySampling("xy"),
        "EMCM": ExpectedModelChangeRegression(),
        "QBC: PredictiveStd, committee": committee,
        "random, committee": clone(committee).set_params(
            query_strategy=RandomSampling()
        ),
    }
    try:
        import skactiveml  # noqa: F401
    except ImportError:
        print("scikit-activeml is not installed: its rows are left out")
        return named
    for kind, name in [
        ("GSx", "GSx"),
        ("GSy", "GSy"),
        ("GSi", "iGS"),
        ("EMCM", "EMCM"),
        ("QBC", "QBC, bagging"),
    ]:
        named[f"{name} (scikit-activeml)"] = SkactivemlRegression(kind)
    return named


def multilabel_candidates():
    named = {
        "uncertainty (mean)": MultilabelUncertainty("mean"),
        "uncertainty (max)": MultilabelUncertainty("max"),
        "MMC": MMC(),
        "cardinality": LabelCardinalityInconsistency(),
        "CoreSet": CoreSet(),
    }
    try:
        import modAL  # noqa: F401
    except ImportError:
        print("modAL is not installed: its rows are left out")
        return named
    for function in (
        "avg_score",
        "max_score",
        "avg_confidence",
        "min_confidence",
        "max_loss",
        "mean_max_loss",
    ):
        named[f"{function} (modAL)"] = ModALMultilabel(function)
    return named


def _curves(learner, data, named, scoring, n_jobs):
    X_pool, X_test, y_pool, y_test = data
    start = time.perf_counter()
    result = active_learning_curve(
        learner,
        X_pool,
        y_pool,
        X_test,
        y_test,
        query_strategies=named,
        n_repeats=REPEATS,
        scoring=scoring,
        n_jobs=n_jobs,
        random_state=0,
    )
    return result, time.perf_counter() - start


def _losers(result):
    areas = {name: float(np.nanmean(area)) for name, area in result.aulc().items()}
    random = areas[result.baseline]
    return [
        f"- {name} loses to random here (AULC {area:.3f} vs {random:.3f})."
        for name, area in areas.items()
        if name != result.baseline and area < random
    ]


def _section(title, protocol, learner, data, named, scorings, n_jobs):
    lines = [f"## {title}", "", protocol, ""]
    for scoring in scorings:
        result, elapsed = _curves(learner, data, named, scoring, n_jobs)
        lines += [
            f"### {result.scoring} ({elapsed:.0f} s with n_jobs={n_jobs})",
            "",
            result.table(),
            "",
            *_losers(result),
            "",
        ]
        print("\n".join(lines[-6:]))
    return lines


def regression(n_jobs):
    lines = []
    for name, data, budget in regression_sets():
        learner = ActiveRegressor(Ridge(), budget=budget, batch_size=10, n_initial=10)
        lines += _section(
            f"Regression: {name}",
            f"{len(data[2])} pool / {len(data[3])} test, Ridge on standardized "
            f"features, 10 initial, batches of 10, budget {budget}, {REPEATS} "
            "repeats. The two committee rows use CommitteeRegressor([Ridge()] * 5) "
            "(bootstrapped) as their model: compare them with each other.",
            learner,
            data,
            regression_candidates(learner),
            [None, "neg_root_mean_squared_error"],
            n_jobs,
        )
    return lines


def multilabel(n_jobs):
    lines = []
    for name, data, budget in multilabel_sets():
        model = OneVsRestClassifier(LogisticRegression(max_iter=1000))
        learner = ActiveLearner(model, budget=budget, batch_size=20, n_initial=20)
        lines += _section(
            f"Multilabel: {name}",
            f"{len(data[2])} pool / {len(data[3])} test, "
            "OneVsRestClassifier(LogisticRegression) on standardized features, "
            f"20 initial, batches of 20, budget {budget}, {REPEATS} repeats.",
            learner,
            data,
            multilabel_candidates(),
            ["f1_micro", "f1_macro"],
            n_jobs,
        )
    return lines


def _timed(function, repeats=3):
    """The best of ``repeats`` wall times of ``function()``, in seconds."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def speed(n_jobs):
    """One query of 10 from large pools, ours against the peers' in one process."""
    from sklearn.datasets import make_friedman1, make_multilabel_classification

    lines = [
        "## Query time: one query of 10, 100 labeled samples, best of 3",
        "",
        "| task | pool | strategy | skactive s | peer | peer s | peer / skactive |",
        "|---|---:|---|---:|---|---:|---:|",
    ]
    for n_pool in (10_000, 100_000):
        X, y = make_friedman1(n_samples=n_pool + 100, noise=1.0, random_state=0)
        X_labeled, y_labeled, pool = X[:100], y[:100], X[100:]
        model = Ridge().fit(X_labeled, y_labeled)
        context = {"X_labeled": X_labeled, "y_labeled": y_labeled, "random_state": 0}
        pairs = [
            ("GSx", GreedySampling("x"), "GSx"),
            ("GSy", GreedySampling("y"), "GSy"),
            ("iGS", GreedySampling("xy"), "GSi"),
            ("EMCM", ExpectedModelChangeRegression(), "EMCM"),
        ]
        for name, ours, kind in pairs:
            ours_s = _timed(lambda s=ours: s.select(model, pool, 10, **context))
            peer = SkactivemlRegression(kind)
            try:
                peer_s = _timed(
                    lambda p=peer: p.select(model, pool, 10, **context), repeats=1
                )
                peer_cells = f"{peer_s:.3f} | {peer_s / ours_s:.1f}x"
            except MemoryError as error:  # its greedy holds n_pool x n_all floats
                peer_cells = f"out of memory ({str(error).split(' for ')[0]}) | -"
            lines.append(
                f"| regression | {n_pool:,} | {name} | {ours_s:.3f} | "
                f"scikit-activeml | {peer_cells} |"
            )
        X, Y = make_multilabel_classification(
            n_pool + 100, n_features=40, n_classes=10, n_labels=3, random_state=1
        )
        model = OneVsRestClassifier(LogisticRegression(max_iter=1000))
        model.fit(X[:100], Y[:100])
        context = {"X_labeled": X[:100], "y_labeled": Y[:100], "random_state": 0}
        pairs = [
            ("uncertainty (mean)", MultilabelUncertainty("mean"), "avg_score"),
            ("uncertainty (max)", MultilabelUncertainty("max"), "max_score"),
            ("MMC", MMC(), "max_loss"),
            ("cardinality", LabelCardinalityInconsistency(), "mean_max_loss"),
        ]
        for name, ours, function in pairs:
            ours_s = _timed(lambda s=ours: s.select(model, X[100:], 10, **context))
            peer_s = _timed(
                lambda f=function: ModALMultilabel(f).select(
                    model, X[100:], 10, **context
                )
            )
            lines.append(
                f"| multilabel | {n_pool:,} | {name} | {ours_s:.3f} | "
                f"modAL {function} | {peer_s:.3f} | {peer_s / ours_s:.1f}x |"
            )
        print("\n".join(lines))
    lines += [
        "",
        "The multilabel pairs are the nearest peer function, not the same "
        "measure (modAL has no MMC or label cardinality); the regression pairs "
        "compute the same picks.",
        "",
    ]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--parts", nargs="+", default=["regression", "multilabel", "speed"]
    )
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    global REPEATS
    REPEATS = args.repeats
    warnings.simplefilter("ignore")
    versions = [f"scikit-learn {sklearn.__version__}"]
    for package in ("skactiveml", "modAL"):
        try:
            module = __import__(package)
            versions.append(f"{package} {getattr(module, '__version__', '?')}")
        except ImportError:
            pass
    lines = [
        "# Active regression and multilabel "
        "(benchmarks/bench_regression_multilabel.py)",
        "",
        f"Python {platform.python_version()}, {', '.join(versions)}; one thread per "
        "run. Peers run behind skactive's strategy interface, in the same "
        "simulations (same seeds, initial labels and models).",
        "",
    ]
    for part in args.parts:
        parts = {"regression": regression, "multilabel": multilabel, "speed": speed}
        lines += parts[part](args.n_jobs)
    RESULTS.mkdir(exist_ok=True)
    output = RESULTS / "bench_regression_multilabel.md"
    output.write_text("\n".join(lines))
    print(f"written to {output}")


if __name__ == "__main__":
    main()

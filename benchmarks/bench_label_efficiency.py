"""Label efficiency: how much each strategy saves against random sampling.

Protocol (issue 4), the same as ``python -m skactive demo`` (``skactive.cli._demo``):
a stratified 50/50 split into pool and test set, 5 repeats (every strategy starts
a repeat from the same initial labels), then

* ``load_digits`` with ``StandardScaler`` + ``LogisticRegression``: 20 initial
  labels, batches of 10, budget 300;
* ``mnist1d`` with ``StandardScaler`` + ``TorchMLPClassifier``: 50 initial,
  batches of 50, budget 1000;
* ``binary``: ``make_classification`` (2,000 samples, 20 features, 6
  informative, 5 % of labels flipped) with ``StandardScaler`` +
  ``LogisticRegression``: 10 initial, batches of 10, budget 200.

The decision-theoretic strategies of issue 7 join on digits and binary:
``ExpectedModelChange``, ``InformationDensity`` (entropy times cosine density)
and ``ExpectedErrorReduction`` (20 candidates on digits and 50 on binary,
300 evaluation rows, warm-started refits). On mnist1d only the first two run:
refitting the MLP for every candidate and class is out of reach there.

Every strategy that exists is run: random, entropy, margin, least confidence,
``KMeansSampling`` (label-free), and margin sampling started from a k-means or a
stratified initial set (stratified reads the hidden labels: an upper bound).
modAL's ``margin_sampling`` runs on digits in the same run as a check that our
margin picks the same curve (when modAL is installed, see ``install_peers.sh``).

The table gives the mean test accuracy at four label counts, the AULC (mean
accuracy over the label range, mean ± std over repeats), the labels needed to
reach 95 % of random sampling's best mean accuracy, the reduction ratio (random's
labels over the strategy's), and seconds per run spent fitting and querying.

Run: python benchmarks/bench_label_efficiency.py [--datasets digits mnist1d]
     [--repeats 5] [--n-jobs 2]
Writes benchmarks/results/bench_label_efficiency.md (a section per dataset; the
sections of datasets not run are kept) and a PNG per dataset beside it.
"""

import argparse
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import torch

from skactive import ActiveLearner
from skactive.cli._demo import (
    PROTOCOL,
    load_dataset,
    losers,
    make_estimator,
    save_curves,
    uncertainty_strategies,
)
from skactive.evaluation import active_learning_curve
from skactive.strategies import (
    BatchStrategy,
    ExpectedErrorReduction,
    ExpectedModelChange,
    InformationDensity,
    KMeansSampling,
    UncertaintySampling,
)

RESULTS = Path(__file__).resolve().parent / "results"
ESTIMATOR = {"digits": "logreg", "mnist1d": "mlp", "binary": "logreg"}
PROTOCOLS = {**PROTOCOL, "binary": (10, 10, 200)}
EER_CANDIDATES = {"digits": 20, "binary": 50}


def load(dataset):
    """``(X_pool, X_test, y_pool, y_test)`` of a dataset of this benchmark."""
    if dataset != "binary":
        return load_dataset(dataset, random_state=0)
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    X, y = make_classification(
        n_samples=2000, n_features=20, n_informative=6, flip_y=0.05, random_state=0
    )
    return train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)


class ModALMargin(BatchStrategy):
    """modAL's ``margin_sampling`` behind our strategy interface (peer check)."""

    _parameter_constraints: dict = {}  # noqa: RUF012 - scikit-learn's convention

    def _select_batch(self, model, X, n_samples, context):
        from modAL.uncertainty import margin_sampling

        picked = margin_sampling(model, X, n_instances=min(n_samples, X.shape[0]))
        picked = picked[0] if isinstance(picked, tuple) else picked
        return np.asarray(picked, dtype=np.int64)


def candidates(dataset, learner):
    """Every strategy to compare, by name (random is added as the baseline)."""
    named = dict(uncertainty_strategies())
    named["kmeans"] = KMeansSampling()
    margin = UncertaintySampling(acquisition_fn="margin")
    named["margin, kmeans start"] = learner.set_params(
        query_strategy=margin, initial_strategy="kmeans"
    )
    named["margin, stratified start*"] = sklearn.base.clone(learner).set_params(
        initial_strategy="stratified"
    )
    named["expected model change"] = ExpectedModelChange()
    named["information density"] = InformationDensity()
    if dataset in EER_CANDIDATES:
        named["expected error reduction"] = ExpectedErrorReduction(
            n_candidates=EER_CANDIDATES[dataset], n_eval=300
        )
    if dataset == "digits":
        try:
            import modAL  # noqa: F401

            named["modAL margin (peer)"] = ModALMargin()
        except ImportError:
            print("modAL is not installed: its row is left out")
    return named


def run(dataset, repeats, n_jobs):
    n_initial, batch_size, budget = PROTOCOLS[dataset]
    X_pool, X_test, y_pool, y_test = load(dataset)
    learner = ActiveLearner(
        make_estimator(ESTIMATOR[dataset]),
        budget=budget,
        batch_size=batch_size,
        n_initial=n_initial,
    )
    named = candidates(dataset, sklearn.base.clone(learner))
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
        verbose=True,
    )
    elapsed = time.perf_counter() - start
    png = save_curves(
        result,
        f"{dataset}, {ESTIMATOR[dataset]}, {repeats} repeats",
        RESULTS / f"bench_label_efficiency_{dataset}.png",
        size=(8, 5.5),
        dpi=100,
    )
    lines = [
        f"## {dataset}, {ESTIMATOR[dataset]}: {len(y_pool)} pool / {len(y_test)} "
        f"test, {n_initial} initial, batches of {batch_size}, budget {budget}, "
        f"{repeats} repeats ({elapsed:.0f} s with n_jobs={n_jobs})",
        "",
        result.table(),
        "",
        "\\* reads the hidden labels to stratify the initial set: an upper bound, "
        "not a real cold start.",
        "",
        *(f"- {sentence}" for sentence in losers(result)),
        "",
        f"![learning curves]({png.name})",
        "",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--datasets", nargs="+", default=["digits", "binary", "mnist1d"]
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", category=UserWarning)
    RESULTS.mkdir(exist_ok=True)
    header = [
        "# Label efficiency (benchmarks/bench_label_efficiency.py)",
        "",
        f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}, "
        f"torch {torch.__version__}, one torch thread per run.",
        "",
    ]
    output = RESULTS / "bench_label_efficiency.md"
    # Sections by dataset, in order; those not run this time are kept as they were.
    sections = {}
    if output.exists():
        for block in output.read_text().split("\n## ")[1:]:
            sections[block.split(",", 1)[0]] = "## " + block.rstrip("\n") + "\n"
    for dataset in args.datasets:
        section = run(dataset, args.repeats, args.n_jobs)
        print(section)
        sections[dataset] = section
        output.write_text("\n".join(header + list(sections.values())))


if __name__ == "__main__":
    main()

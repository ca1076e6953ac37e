"""scikit-learn's estimator checks over every skactive estimator, with no waivers,
and one shared contract check over every query strategy."""

import pickle
from unittest import SkipTest

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from skactive import (
    ActiveLearner,
    ActiveRegressor,
    Committee,
    CommitteeRegressor,
    RandomSampling,
    StreamLearner,
    UncertaintySampling,
    margin_acquisition,
)
from skactive._learner_base import ColdStartWarning
from skactive.nets import (
    NetClassifier,
    NetRegressor,
    TorchCNNClassifier,
    TorchMLPClassifier,
    TorchMLPRegressor,
)
from skactive.stopping import MaxLabels, StabilizingPredictions
from skactive.strategies import (
    BALD,
    BatchBALD,
    DiverseUncertainty,
    ExpectedErrorReduction,
    ExpectedModelChangeRegression,
    FunctionStrategy,
    GreedySampling,
    InformationDensity,
    KMeansSampling,
    MeanStd,
    PredictiveStd,
    QueryByCommittee,
    StochasticBatch,
    StreamRandom,
    TypiClust,
    VariationRatios,
    all_strategies,
    get_strategy_tags,
)


class TwoLayerRegressionNet(torch.nn.Module):
    """A user's regression module: sized by the names NetRegressor passes."""

    def __init__(self, n_features_in, n_outputs, width=16):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Linear(n_features_in, width), torch.nn.Tanh()
        )
        self.out = torch.nn.Linear(width, n_outputs)

    def forward(self, X):
        return self.out(self.body(X))


class TwoLayerNet(torch.nn.Module):
    """A user's module: sized by the two names NetClassifier passes."""

    def __init__(self, n_features_in, n_classes, width=16):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Linear(n_features_in, width), torch.nn.Tanh()
        )
        self.out = torch.nn.Linear(width, n_classes)

    def forward(self, X):
        return self.out(self.body(X))


ESTIMATORS = [
    TorchMLPClassifier(),
    NetClassifier(TwoLayerNet, lr=0.01, module__width=32),
    ActiveLearner(LogisticRegression()),
    ActiveLearner(),
    # Simulation mode: fit sees y only as an oracle and labels 30 samples.
    ActiveLearner(LogisticRegression(), budget=30, batch_size=5, n_initial=10),
    # ... whose random initial draw may hold one class (check_fit2d_1feature).
    ActiveLearner(LogisticRegression(), budget=20, n_initial=5, batch_size=5),
    # ... from a label-free initial set, stopping early on a criterion.
    ActiveLearner(
        LogisticRegression(),
        budget=30,
        batch_size=5,
        n_initial=10,
        initial_strategy="kmeans",
        stopping=[MaxLabels(20), StabilizingPredictions(stop_set_size=50)],
    ),
    Committee([LogisticRegression(), DecisionTreeClassifier()]),
    Committee([DecisionTreeClassifier()] * 3, bootstrap=False, voting="hard"),
    # A committee learner choosing by BALD in simulation mode.
    ActiveLearner(
        Committee([LogisticRegression()] * 3), BALD(), budget=30, batch_size=5
    ),
    # Multilabel-capable estimators get scikit-learn's multilabel checks too.
    ActiveLearner(RandomForestClassifier(n_estimators=10, random_state=0)),
    # ... whose default strategy is binary-relevance uncertainty in simulation.
    ActiveLearner(TorchMLPClassifier(), budget=30, batch_size=5),
    # Stream learners that label every sample (with a small budget no model
    # reaches check_classifiers_train's accuracy: that is the point of one):
    # incremental naive Bayes, and SGD refitted on a sliding window.
    StreamLearner(query_strategy=StreamRandom(), budget=1.0),
    StreamLearner(
        SGDClassifier(loss="log_loss", random_state=0),
        StreamRandom(),
        budget=1.0,
        window=100,
        batch_size=10,
    ),
    # A CNN (2-D rows are read as 1 x n_features images).
    TorchCNNClassifier(max_epochs=50),
    # Regression: the nets, the committee, and the learner by hand, on its
    # default net, and in simulation mode with each kind of strategy.
    TorchMLPRegressor(),
    NetRegressor(TwoLayerRegressionNet, lr=0.01, module__width=32),
    CommitteeRegressor([Ridge(), DecisionTreeRegressor()]),
    CommitteeRegressor([DecisionTreeRegressor()] * 3, bootstrap=False),
    ActiveRegressor(Ridge()),
    ActiveRegressor(),
    ActiveRegressor(Ridge(), budget=30, batch_size=5),
    ActiveRegressor(
        CommitteeRegressor([Ridge()] * 3),
        PredictiveStd(),
        budget=40,
        batch_size=5,
        initial_strategy="kmeans",
        stopping=[MaxLabels(30)],
    ),
    ActiveRegressor(Ridge(), GreedySampling("y"), budget=30, batch_size=5),
    ActiveRegressor(Ridge(), ExpectedModelChangeRegression(), budget=30, batch_size=5),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    try:
        check(estimator)
    except SkipTest as skip:
        # The one check scikit-learn skips for a multilabel estimator: its
        # decision_function format, for an estimator that has none. Nothing
        # else may skip.
        assert "does not have a decision_function" in str(skip), skip
        assert not hasattr(estimator, "decision_function")


# Every classification strategy of the registry at its defaults (a new one is
# tested here without being listed), then parameter settings worth their own run.
def least_confident_first(classifier, X, n_instances=1):
    """A query function with modAL's signature."""
    utility = 1 - classifier.predict_proba(X).max(axis=1)
    return np.argsort(-utility, kind="stable")[:n_instances]


# FunctionStrategy needs its function: it comes with one of each kind.
STRATEGIES = [
    cls()
    for name, cls in all_strategies("classification")
    if name != "FunctionStrategy"
] + [
    FunctionStrategy(least_confident_first),
    FunctionStrategy(margin_acquisition),
    UncertaintySampling(acquisition_fn="margin"),
    UncertaintySampling(acquisition_fn="least_confidence"),
    BatchBALD(max_joint_configs=5),
    QueryByCommittee(disagreement="kl_divergence"),
    QueryByCommittee(disagreement="consensus_entropy"),
    StochasticBatch(BALD()),
    StochasticBatch(UncertaintySampling(acquisition_fn="margin"), mode="softrank"),
    StochasticBatch(UncertaintySampling(), mode="softmax", beta=3.0),
    DiverseUncertainty(diversity_weight=1.0, measure="margin"),
    ExpectedErrorReduction(n_candidates=30, n_eval=50),
    ExpectedErrorReduction(loss="zero_one", retrain="refit", n_candidates=20),
    InformationDensity(
        UncertaintySampling(acquisition_fn="margin"), beta=2.0, metric="euclidean"
    ),
    InformationDensity(BALD()),
]
# Strategies reading samples of the model get a forest, and also a net with
# dropout; the others a logistic regression.
_BAYESIAN = (BALD, BatchBALD, QueryByCommittee, VariationRatios, MeanStd)
CONTRACT_CASES = [
    (strategy, model)
    for strategy in STRATEGIES
    for model in (
        ("forest", "dropout net")
        if isinstance(strategy, _BAYESIAN)
        or isinstance(getattr(strategy, "base_strategy", None), _BAYESIAN)
        else ("logistic",)
    )
]


def _contract_model(kind, X, y):
    if kind == "forest":
        return RandomForestClassifier(n_estimators=8, random_state=0).fit(X, y)
    if kind == "dropout net":
        net = TorchMLPClassifier((16,), dropout=0.3, max_epochs=10, random_state=0)
        return net.fit(X, y)
    return LogisticRegression().fit(X, y)


@pytest.mark.parametrize("strategy, kind", CONTRACT_CASES, ids=repr)
def test_strategy_contract(strategy, kind):
    """Unique int64 indices, seeded, whole pool when the batch is larger,
    neither the model nor the strategy changed."""
    X, y = make_blobs(n_samples=200, centers=3, n_features=5, random_state=0)
    model = _contract_model(kind, X[:40], y[:40])
    model_before, strategy_before = pickle.dumps(model), pickle.dumps(strategy)
    unchanged = pickle.loads(strategy_before)
    pool = X[40:]

    labeled = {"X_labeled": X[:40], "y_labeled": y[:40]}
    indices = strategy.select(model, pool, 25, random_state=0, **labeled)
    assert indices.dtype == np.int64
    assert indices.shape == (25,)
    assert np.unique(indices).shape == (25,)
    assert indices.min() >= 0 and indices.max() < pool.shape[0]
    np.testing.assert_array_equal(
        indices, clone(strategy).select(model, pool, 25, random_state=0, **labeled)
    )
    rng = np.random.RandomState(0)
    first, second = (
        strategy.select(model, pool, 25, random_state=rng, **labeled) for _ in "ab"
    )
    assert first.shape == second.shape  # a RandomState instance is consumed, fine

    whole = strategy.select(model, pool[:10], 25, random_state=0, **labeled)
    np.testing.assert_array_equal(np.sort(whole), np.arange(10))

    _check_declared_tags(strategy, model, pool, labeled)

    assert pickle.dumps(model) == model_before
    if get_strategy_tags(strategy).learns:
        # What it learned lives in fitted attributes; its parameters stay.
        assert pickle.dumps(clone(strategy)) == pickle.dumps(clone(unchanged))
        assert all(
            name.endswith("_") or name.startswith("_")
            for name in set(vars(strategy)) - set(vars(unchanged))
        )
    else:
        assert pickle.dumps(strategy) == strategy_before


@pytest.mark.parametrize("strategy, kind", CONTRACT_CASES, ids=repr)
def test_a_pool_view_gives_the_copys_answer_without_copying(
    strategy, kind, monkeypatch
):
    """A simulation's pool is a PoolRows view of the unlabeled rows: each
    strategy answers on it exactly as on the copied rows, and one that declares
    reads_pool_rows never copies the whole pool out."""
    from skactive.strategies import cold_start
    from skactive.utils.inputs import PoolRows

    X, y = make_blobs(n_samples=300, centers=3, n_features=5, random_state=1)
    model = _contract_model(kind, X[:40], y[:40])
    rows = np.sort(np.random.RandomState(0).choice(np.arange(40, 300), 150, False))
    labeled = {"X_labeled": X[:40], "y_labeled": y[:40]}
    copied = strategy.select(model, X[rows], 12, random_state=0, **labeled)
    monkeypatch.setattr(cold_start, "_FIT_ROWS", 100)  # k-means on a sample
    sampled = strategy.select(model, X[rows], 12, random_state=0, **labeled)
    if get_strategy_tags(strategy).reads_pool_rows:

        def no_copy(self):
            raise AssertionError("the whole pool was copied out of its view")

        monkeypatch.setattr(PoolRows, "materialize", no_copy)
    viewed = strategy.select(model, PoolRows(X, rows), 12, random_state=0, **labeled)
    np.testing.assert_array_equal(viewed, sampled)
    if not isinstance(strategy, (KMeansSampling, TypiClust)):
        np.testing.assert_array_equal(viewed, copied)


def _check_declared_tags(strategy, model, pool, labeled):
    """What a strategy declares in its tags holds: label-free ones run without a
    model, per-sample ones give finite scores whose top-k select returns."""
    tags = get_strategy_tags(strategy)
    if not tags.requires_model:
        assert strategy.select(None, pool, 5, random_state=0, **labeled).shape == (5,)
    if not tags.per_sample_scores:
        with pytest.raises(TypeError, match="whole batches"):
            strategy.score_samples(model, pool)
        return
    scores = strategy.score_samples(model, pool, random_state=0)
    assert scores.shape == (pool.shape[0],)
    assert np.isfinite(scores).all()
    again = strategy.score_samples(model, pool, random_state=1)
    if np.array_equal(scores, again):  # deterministic scores: select is their top-k
        picked = strategy.select(model, pool, 10, random_state=0, **labeled)
        np.testing.assert_array_equal(np.sort(scores[picked]), np.sort(scores)[-10:])


def _unfitted(kind):
    if kind == "forest":
        return RandomForestClassifier(n_estimators=8, random_state=0)
    if kind == "dropout net":
        return TorchMLPClassifier((16,), dropout=0.3, max_epochs=10, random_state=0)
    return LogisticRegression()


@pytest.mark.parametrize("strategy, kind", CONTRACT_CASES, ids=repr)
def test_a_learners_query_repeats_until_it_is_taught(strategy, kind):
    """Asking twice without a teach shows the annotator the same batch."""
    X, y = make_blobs(n_samples=200, centers=3, n_features=5, random_state=0)
    learner = ActiveLearner(_unfitted(kind), clone(strategy), random_state=0)
    learner.fit(X[:40], y[:40])
    first = learner.query(X[40:], batch_size=25)
    np.testing.assert_array_equal(learner.query(X[40:], batch_size=25), first)


@pytest.mark.parametrize("strategy, kind", CONTRACT_CASES, ids=repr)
def test_every_strategy_survives_a_one_class_start(strategy, kind):
    """A rare class not yet seen: the learner queries label-free until it is."""
    X, y = make_blobs(n_samples=200, centers=3, n_features=5, random_state=0)
    # Forests and nets fit one class; a committee of logistic regressions, like
    # a logistic regression, cannot.
    estimator = (
        LogisticRegression()
        if kind == "logistic"
        else Committee([LogisticRegression()] * 3, random_state=0)
    )
    first_class = np.flatnonzero(y == 0)[:8]
    learner = ActiveLearner(estimator, clone(strategy), random_state=0)
    with pytest.warns(ColdStartWarning, match="single class"):
        learner.fit(X[first_class], y[first_class])
    assert learner.cold_start_
    picked = learner.query(X, batch_size=20)
    assert np.unique(picked).shape == (20,)
    np.testing.assert_array_equal(
        picked, RandomSampling().select(None, X, 20, random_state=learner._query_seed)
    )
    learner.teach(X[picked], y[picked])
    assert not learner.cold_start_ and learner.classes_.shape[0] > 1
    assert learner.query(X, batch_size=5).shape == (5,)

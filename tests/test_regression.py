"""Regression strategies: predictive spread, greedy sampling (GSx, GSy, iGS) and
expected model change (EMCM), checked against hand computations."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.datasets import make_friedman1
from sklearn.ensemble import RandomForestRegressor
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skactive import CommitteeRegressor
from skactive.nets import TorchMLPRegressor
from skactive.strategies import (
    CoreSet,
    ExpectedModelChangeRegression,
    GreedySampling,
    PredictiveStd,
    get_strategy_tags,
)
from skactive.utils.inputs import PoolRows
from skactive.utils.seeding import draw_seed


class FirstColumn(RegressorMixin, BaseEstimator):
    """Predicts the first feature: predictions the tests know by heart."""

    def fit(self, X, y):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict(self, X):
        return np.asarray(X, dtype=float)[:, 0]


@pytest.fixture(scope="module")
def friedman():
    X, y = make_friedman1(n_samples=300, random_state=0)
    return X, y


def _igs_by_hand(points, predictions, X_labeled, y_labeled, n_samples):
    """iGS, written as the paper states it, one candidate at a time."""
    centers = [(x, t) for x, t in zip(X_labeled, y_labeled)]
    chosen = []
    for _ in range(n_samples):
        best, best_score = None, -np.inf
        for i, (x, f) in enumerate(zip(points, predictions)):
            if i in chosen:
                continue
            score = min(np.linalg.norm(x - c) * abs(f - t) for c, t in centers)
            if score > best_score:
                best, best_score = i, score
        chosen.append(best)
        centers.append((points[best], predictions[best]))
    return chosen


def test_gsy_picks_the_predictions_farthest_from_every_target():
    X_pool = np.array([[1.0], [5.0], [9.0], [20.0], [-3.0]])
    X_labeled, y_labeled = np.array([[0.0], [10.0]]), np.array([0.0, 10.0])
    model = FirstColumn().fit(X_labeled, y_labeled)
    picked = GreedySampling("y").select(
        model, X_pool, 3, X_labeled=X_labeled, y_labeled=y_labeled, random_state=0
    )
    # 20 is 10 from the targets; then 5 (5 from 0 and 10, 15 from 20); then -3.
    np.testing.assert_array_equal(picked, [3, 1, 4])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 6))
def test_igs_equals_the_papers_definition(seed, n_samples):
    rng = np.random.RandomState(seed)
    X_pool, X_labeled = rng.normal(size=(40, 3)), rng.normal(size=(5, 3))
    y_labeled = rng.normal(size=5)
    model = FirstColumn().fit(X_labeled, y_labeled)
    picked = GreedySampling("xy").select(
        model,
        X_pool,
        n_samples,
        X_labeled=X_labeled,
        y_labeled=y_labeled,
        random_state=0,
    )
    expected = _igs_by_hand(X_pool, X_pool[:, 0], X_labeled, y_labeled, n_samples)
    np.testing.assert_array_equal(picked, expected)


def test_gsx_is_coreset_on_the_features_and_needs_no_model(friedman):
    X, _ = friedman
    rows = np.arange(20, 300, 2)
    labeled = {"X_labeled": X[:20], "random_state": 0}
    gsx = GreedySampling("x").select(None, X[rows], 15, **labeled)
    np.testing.assert_array_equal(gsx, CoreSet().select(None, X[rows], 15, **labeled))
    np.testing.assert_array_equal(
        GreedySampling("x").select(None, PoolRows(X, rows), 15, **labeled), gsx
    )
    assert not get_strategy_tags(GreedySampling("x")).requires_model
    assert get_strategy_tags(GreedySampling("xy")).requires_model


def test_a_pipeline_measures_distances_on_its_transformed_features(friedman):
    X, y = friedman
    X = X * np.array([1, 100, 1, 1, 1000, 1, 1, 1, 1, 1])  # scales that matter
    model = make_pipeline(StandardScaler(), Ridge()).fit(X[:20], y[:20])
    Z = model[:-1].transform(X)
    picked = GreedySampling("xy").select(
        model, X[20:], 8, X_labeled=X[:20], y_labeled=y[:20], random_state=0
    )
    by_hand = GreedySampling("xy").select(
        _PredictOn(model, Z),
        Z[20:],
        8,
        X_labeled=Z[:20],
        y_labeled=y[:20],
        random_state=0,
    )
    np.testing.assert_array_equal(picked, by_hand)


class _PredictOn(RegressorMixin, BaseEstimator):
    """Predicts what ``model`` predicts for the rows of ``Z`` it is given."""

    def __init__(self, model, Z):
        self.model, self.Z = model, Z

    def predict(self, Z_rows):
        return self.model[-1].predict(Z_rows)


def test_sparse_and_dense_pools_give_the_same_batch(friedman):
    X, y = friedman
    model = Ridge().fit(X[:20], y[:20])
    for space in ("x", "y", "xy"):
        args = {"X_labeled": X[:20], "y_labeled": y[:20], "random_state": 0}
        dense = GreedySampling(space).select(model, X[20:], 6, **args)
        args["X_labeled"] = sp.csr_matrix(X[:20])
        sparse = GreedySampling(space).select(model, sp.csr_matrix(X[20:]), 6, **args)
        np.testing.assert_array_equal(sparse, dense)


def test_greedy_sampling_without_labels_says_what_to_do(friedman):
    X, _ = friedman
    with pytest.raises(ValueError, match="label a first batch"):
        GreedySampling("y").select(
            FirstColumn(),
            X,
            3,
            X_labeled=X[:0],
            y_labeled=np.empty(0),
            random_state=0,
        )


def test_emcm_scores_the_expected_gradient_length(friedman):
    X, y = friedman
    model = Ridge().fit(X[:30], y[:30])
    strategy = ExpectedModelChangeRegression(n_bootstraps=3)
    picked = strategy.select(
        model, X[30:], 5, X_labeled=X[:30], y_labeled=y[:30], random_state=7
    )
    # The same bootstrap draws by hand, from the same stream.
    rng = np.random.RandomState(7)
    members = []
    for _ in range(3):
        rows = rng.randint(0, 30, 30)
        members.append(Ridge().fit(X[:30][rows], y[:30][rows]))
    change = np.mean(
        [np.abs(model.predict(X[30:]) - m.predict(X[30:])) for m in members], axis=0
    )
    score = change * np.linalg.norm(X[30:], axis=1)
    np.testing.assert_array_equal(picked, np.argsort(-score)[:5])


def test_predictive_std_reads_a_gaussian_process_and_a_committee(friedman):
    X, y = friedman
    gp = GaussianProcessRegressor(RBF(2.0), optimizer=None).fit(X[:25], y[:25])
    picked = PredictiveStd().select(gp, X[25:], 6, random_state=0)
    _, std = gp.predict(X[25:], return_std=True)
    np.testing.assert_array_equal(picked, np.argsort(-std)[:6])
    committee = CommitteeRegressor([Ridge()] * 4, random_state=0).fit(X[:25], y[:25])
    spread = committee.predict_samples(X[25:]).std(axis=0)
    picked = PredictiveStd().select(committee, X[25:], 6, random_state=0)
    np.testing.assert_array_equal(picked, np.argsort(-spread)[:6])


def test_predictive_std_reads_mc_dropout_samples_with_one_seed_per_query(friedman):
    X, y = friedman
    net = TorchMLPRegressor((32,), dropout=0.3, max_epochs=30, random_state=0)
    net.fit(X[:40], y[:40])
    first = PredictiveStd().select(net, X[40:], 8, random_state=0)
    np.testing.assert_array_equal(
        PredictiveStd().select(net, X[40:], 8, random_state=0), first
    )
    scores = PredictiveStd(n_samples=7).score_samples(net, X[40:], random_state=3)
    seed = draw_seed(3)  # the one seed of the call, as the base draws it
    samples = net.predict_samples(X[40:], n_samples=7, random_state=seed)
    np.testing.assert_allclose(scores, samples.std(axis=0), rtol=1e-6)
    # Masks shared by every row: a chunk's scores do not depend on the others.
    halves = [net.predict_samples(part, 7, seed) for part in (X[40:100], X[100:])]
    np.testing.assert_allclose(np.hstack(halves), samples, rtol=1e-6)


REGRESSION_STRATEGIES = [
    PredictiveStd(),
    GreedySampling("x"),
    GreedySampling("y"),
    GreedySampling("xy"),
    ExpectedModelChangeRegression(),
]
MODELS = {
    "forest": RandomForestRegressor(n_estimators=8, random_state=0),
    "gp": GaussianProcessRegressor(),
    "committee": CommitteeRegressor([Ridge()] * 3, random_state=0),
    "dropout net": TorchMLPRegressor((16,), dropout=0.2, max_epochs=10, random_state=0),
}


@pytest.mark.parametrize("kind", MODELS)
@pytest.mark.parametrize("strategy", REGRESSION_STRATEGIES, ids=repr)
def test_regression_strategy_contract(strategy, kind, friedman):
    """Unique int64 positions, seeded, the whole pool when the batch is larger,
    neither the model nor the strategy changed."""
    X, y = friedman
    model = clone(MODELS[kind]).fit(X[:30], y[:30])
    before = pickle.dumps(model), pickle.dumps(strategy)
    labeled = {"X_labeled": X[:30], "y_labeled": y[:30]}
    picked = strategy.select(model, X[30:200], 20, random_state=0, **labeled)
    assert picked.dtype == np.int64 and np.unique(picked).shape == (20,)
    assert 0 <= picked.min() and picked.max() < 170
    np.testing.assert_array_equal(
        picked, clone(strategy).select(model, X[30:200], 20, random_state=0, **labeled)
    )
    whole = strategy.select(model, X[30:37], 20, random_state=0, **labeled)
    np.testing.assert_array_equal(np.sort(whole), np.arange(7))
    assert (pickle.dumps(model), pickle.dumps(strategy)) == before

"""Regressor capabilities: predict_samples and predict_std, for each kind of model
they dispatch on."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_friedman1
from sklearn.ensemble import (
    BaggingRegressor,
    ExtraTreesRegressor,
    GradientBoostingRegressor,
    RandomForestRegressor,
)
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF
from sklearn.linear_model import BayesianRidge, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

from skactive import CommitteeRegressor
from skactive.models import predict_samples, predict_std
from skactive.nets import TorchMLPRegressor


@pytest.fixture(scope="module")
def friedman():
    return make_friedman1(n_samples=120, random_state=0)


def test_forest_samples_are_its_trees(friedman):
    X, y = friedman
    for forest in (
        RandomForestRegressor(n_estimators=6, random_state=0),
        ExtraTreesRegressor(n_estimators=6, random_state=0),
    ):
        forest.fit(X, y)
        samples = predict_samples(forest, X[:9])
        expected = np.stack([tree.predict(X[:9]) for tree in forest.estimators_])
        np.testing.assert_array_equal(samples, expected)
        np.testing.assert_allclose(samples.mean(axis=0), forest.predict(X[:9]))
        np.testing.assert_allclose(predict_std(forest, X[:9]), expected.std(axis=0))


def test_bagging_members_read_their_own_feature_subsets(friedman):
    X, y = friedman
    bagging = BaggingRegressor(
        DecisionTreeRegressor(), n_estimators=5, max_features=0.5, random_state=0
    ).fit(X, y)
    samples = predict_samples(bagging, X[:7])
    np.testing.assert_allclose(samples.mean(axis=0), bagging.predict(X[:7]))
    frame = pd.DataFrame(X)
    np.testing.assert_allclose(predict_samples(bagging, frame.iloc[:7]), samples)


def test_a_gaussian_process_gives_its_own_std_through_a_pipeline(friedman):
    X, y = friedman
    gp = GaussianProcessRegressor(RBF(2.0), optimizer=None)
    model = make_pipeline(StandardScaler(), gp).fit(X[:40], y[:40])
    _, expected = model.predict(X[40:50], return_std=True)
    np.testing.assert_allclose(predict_std(model, X[40:50]), expected)
    ridge = BayesianRidge().fit(X[:40], y[:40])
    np.testing.assert_allclose(
        predict_std(ridge, X[40:50]), ridge.predict(X[40:50], return_std=True)[1]
    )


def test_a_committee_and_a_list_of_regressors(friedman):
    X, y = friedman
    committee = CommitteeRegressor([Ridge(), DecisionTreeRegressor()] * 2)
    committee.set_params(random_state=0).fit(X, y)
    samples = predict_samples(committee, X[:5])
    assert samples.shape == (4, 5)
    np.testing.assert_allclose(samples.mean(axis=0), committee.predict(X[:5]))
    members = [Ridge(alpha=a).fit(X, y) for a in (0.1, 1.0, 10.0)]
    np.testing.assert_allclose(
        predict_std(members, X[:5]),
        np.std([m.predict(X[:5]) for m in members], axis=0),
    )


def test_a_net_with_dropout_gives_seeded_mc_samples(friedman):
    X, y = friedman
    net = TorchMLPRegressor((16,), dropout=0.3, max_epochs=20, random_state=0)
    net.fit(X, y)
    first = predict_samples(net, X[:10], n_samples=6, random_state=1)
    assert first.shape == (6, 10)
    np.testing.assert_array_equal(
        predict_samples(net, X[:10], n_samples=6, random_state=1), first
    )
    other = predict_samples(net, X[:10], n_samples=6, random_state=2)
    assert not np.array_equal(first, other)
    assert (first.std(axis=0) > 0).all()
    piped = make_pipeline(StandardScaler(), net).fit(X, y)
    assert predict_std(piped, X[:10], n_samples=4, random_state=0).shape == (10,)


@pytest.mark.parametrize(
    "model, match",
    [
        (Ridge(), "CommitteeRegressor"),
        (GradientBoostingRegressor(n_estimators=5), "CommitteeRegressor"),
        (TorchMLPRegressor((8,), max_epochs=2), "dropout"),
    ],
    ids=["ridge", "boosting", "net without dropout"],
)
def test_a_model_without_members_says_what_has_them(friedman, model, match):
    X, y = friedman
    model.fit(X, y)
    with pytest.raises(TypeError, match=match):
        predict_samples(model, X[:5])
    with pytest.raises(TypeError, match=match):
        predict_std(model, X[:5])


def test_an_empty_list_is_refused(friedman):
    X, _ = friedman
    with pytest.raises(ValueError, match="empty"):
        predict_samples([], X[:5])

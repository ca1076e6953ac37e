"""Behaviour of NetRegressor and TorchMLPRegressor beyond scikit-learn's checks
(which run in test_common.py)."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skactive.nets import NetRegressor, TorchMLPRegressor


class Linear(torch.nn.Module):
    def __init__(self, n_features_in, n_outputs):
        super().__init__()
        self.layer = torch.nn.Linear(n_features_in, n_outputs)

    def forward(self, X):
        return self.layer(X)


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


def test_the_mlp_learns_a_smooth_target():
    X, y = make_friedman1(n_samples=600, noise=0.1, random_state=0)
    model = make_pipeline(StandardScaler(), TorchMLPRegressor(random_state=0))
    scores = cross_val_score(model, X, y, cv=3)
    assert scores.mean() > 0.8  # a linear model reaches about 0.7 here


def test_targets_are_standardized_and_mapped_back(diabetes):
    X, y = diabetes
    net = NetRegressor(Linear, lr=0.05, max_epochs=150, random_state=0).fit(X, y)
    # A linear module trained on standardized targets predicts in y's units.
    assert abs(net.predict(X).mean() - y.mean()) < 5
    assert net.score(X, y) > 0.4
    raw = NetRegressor(Linear, lr=0.05, max_epochs=150, normalize_y=False)
    assert raw.set_params(random_state=0).fit(X, y).score(X, y) < net.score(X, y)


def test_several_targets_give_several_outputs(diabetes):
    X, y = diabetes
    Y = np.column_stack([y, -2 * y])
    net = TorchMLPRegressor((16,), dropout=0.1, max_epochs=30, random_state=0)
    net.fit(X, Y)
    assert net.n_outputs_ == 2
    assert net.predict(X[:5]).shape == (5, 2)
    assert net.predict_samples(X[:5], n_samples=3, random_state=0).shape == (3, 5, 2)


def test_a_seeded_fit_repeats_and_pickles(diabetes):
    X, y = diabetes
    first = TorchMLPRegressor((16,), max_epochs=10, random_state=0).fit(X, y)
    second = TorchMLPRegressor((16,), max_epochs=10, random_state=0).fit(X, y)
    np.testing.assert_array_equal(first.predict(X[:20]), second.predict(X[:20]))
    again = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(again.predict(X[:20]), first.predict(X[:20]))
    assert first.predict(X[:3]).dtype == np.float64


def test_mc_dropout_samples_share_masks_across_chunks(diabetes):
    X, y = diabetes
    net = TorchMLPRegressor((32,), dropout=0.5, max_epochs=10, random_state=0)
    net.fit(X, y)
    whole = net.predict_samples(X, n_samples=5, random_state=3)
    parts = [net.predict_samples(X[i : i + 50], 5, 3) for i in range(0, len(X), 50)]
    np.testing.assert_allclose(np.hstack(parts), whole, rtol=1e-5)
    # Around the deterministic prediction, with a spread of its own per row.
    assert np.corrcoef(whole.mean(axis=0), net.predict(X))[0, 1] > 0.9
    assert (whole.std(axis=0) > 0).all()


def test_bad_calls_say_what_to_do(diabetes):
    X, y = diabetes
    with pytest.raises(NotFittedError):
        TorchMLPRegressor().predict(X)
    net = TorchMLPRegressor((8,), max_epochs=2).fit(X, y)
    with pytest.raises(TypeError, match="set dropout above 0"):
        net.predict_samples(X[:3])
    with pytest.raises(ValueError, match="n_samples must be a positive int"):
        TorchMLPRegressor((8,), dropout=0.2, max_epochs=2).fit(X, y).predict_samples(
            X[:3], n_samples=0
        )
    with pytest.raises(ValueError, match="hidden_sizes"):
        TorchMLPRegressor((0,)).fit(X, y)
    with pytest.raises(ValueError):
        TorchMLPRegressor((8,)).fit(X, np.array(["a"] * len(X)))

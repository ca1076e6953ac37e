"""StochasticBatch: Gumbel top-k draws from power, softmax and softrank weights."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_blobs
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from skactive.strategies import (
    BALD,
    BatchBALD,
    PerSampleStrategy,
    StochasticBatch,
    UncertaintySampling,
    top_k,
)


class GivenScores(PerSampleStrategy):
    """Scores are the first feature of each row."""

    _parameter_constraints: dict = {}  # noqa: RUF012

    def _score(self, model, X, random_state):
        return np.asarray(X)[:, 0]


def _pool(scores):
    return np.column_stack([scores, np.zeros_like(scores)])


@pytest.fixture(scope="module")
def fitted():
    X, y = make_blobs(n_samples=400, centers=3, cluster_std=3, random_state=0)
    return (
        X,
        LogisticRegression().fit(X[:30], y[:30]),
        RandomForestClassifier(n_estimators=10, random_state=0).fit(X[:30], y[:30]),
    )


@pytest.mark.parametrize("mode", ["power", "softmax", "softrank"])
def test_a_huge_beta_gives_the_top_k(fitted, mode):
    X, logistic, forest = fitted
    for base, model in ((UncertaintySampling(), logistic), (BALD(), forest)):
        scores = base.score_samples(model, X, random_state=0)
        expected = top_k(scores, 20, random_state=0)
        picks = StochasticBatch(base, mode=mode, beta=1e12).select(
            model, X, 20, random_state=0
        )
        # Same set; order may differ only within tied scores.
        assert set(picks) == set(expected) or np.allclose(
            np.sort(scores[picks]), np.sort(scores[expected])
        )
        np.testing.assert_array_equal(scores[picks], np.sort(scores[picks])[::-1])


@pytest.mark.parametrize(
    "mode, beta, weight",
    [
        ("power", 1.0, lambda s: s),
        ("power", 2.0, lambda s: s**2),
        ("softmax", 1.5, lambda s: np.exp(1.5 * s)),
        ("softrank", 1.0, lambda s: 1.0 / np.arange(1, len(s) + 1)),
    ],
)
def test_first_pick_frequencies_follow_the_weights(mode, beta, weight):
    """Gumbel top-1 draws item i with probability w_i / sum(w)."""
    scores = np.array([4.0, 3.0, 2.0, 1.0, 0.5])  # descending, so rank = position
    strategy = StochasticBatch(GivenScores(), mode=mode, beta=beta)
    rng = np.random.RandomState(0)
    draws = 4000
    firsts = np.array(
        [
            strategy.select(None, _pool(scores), 1, random_state=rng)[0]
            for _ in range(draws)
        ]
    )
    expected = weight(scores) / weight(scores).sum()
    observed = np.bincount(firsts, minlength=5) / draws
    # Five standard errors of a binomial share.
    tolerance = 5 * np.sqrt(expected * (1 - expected) / draws)
    assert (np.abs(observed - expected) <= tolerance + 1e-3).all()


def test_beta_zero_is_uniform_sampling():
    scores = np.array([100.0, 1.0, 0.01, 5.0])
    strategy = StochasticBatch(GivenScores(), mode="softmax", beta=0.0)
    rng = np.random.RandomState(1)
    firsts = [
        strategy.select(None, _pool(scores), 1, random_state=rng)[0]
        for _ in range(4000)
    ]
    observed = np.bincount(firsts, minlength=4) / 4000
    assert np.abs(observed - 0.25).max() < 5 * np.sqrt(0.25 * 0.75 / 4000)


def test_softrank_ignores_the_scale_of_the_scores():
    scores = np.random.RandomState(0).rand(50)
    strategy = StochasticBatch(GivenScores(), mode="softrank")
    np.testing.assert_array_equal(
        strategy.select(None, _pool(scores), 10, random_state=3),
        strategy.select(None, _pool(scores * 1000 + 7), 10, random_state=3),
    )


def test_zero_scores_come_last_in_power_mode():
    scores = np.array([0.0, 0.0, 1.0, 0.5, 0.0])
    picks = StochasticBatch(GivenScores()).select(
        None, _pool(scores), 5, random_state=0
    )
    assert set(picks[:2]) == {2, 3}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=40),
    st.integers(1, 50),
    st.sampled_from(["power", "softmax", "softrank"]),
    st.integers(0, 1000),
)
def test_picks_are_unique_int64_and_seeded(scores, n, mode, seed):
    scores = np.array(scores)
    strategy = StochasticBatch(GivenScores(), mode=mode)
    picks = strategy.select(None, _pool(scores), n, random_state=seed)
    assert picks.dtype == np.int64
    assert picks.shape == (min(n, len(scores)),)
    assert np.unique(picks).shape == picks.shape
    np.testing.assert_array_equal(
        picks, strategy.select(None, _pool(scores), n, random_state=seed)
    )


def test_standalone_query_uses_the_base_strategys_estimator(fitted):
    X, logistic, _ = fitted
    strategy = StochasticBatch(UncertaintySampling(logistic), mode="softmax")
    assert strategy.query(X, n_samples=7, random_state=0).shape == (7,)
    with pytest.raises(ValueError, match="needs a fitted model"):
        StochasticBatch(UncertaintySampling()).query(X, n_samples=3)


def test_negative_scores_in_power_mode_name_the_other_modes(fitted):
    X, logistic, _ = fitted
    strategy = StochasticBatch(UncertaintySampling(acquisition_fn="margin"))
    with pytest.raises(ValueError, match=r"softmax.*softrank"):
        strategy.select(logistic, X, 5, random_state=0)


@pytest.mark.parametrize(
    "strategy, error, match",
    [
        (StochasticBatch(BatchBALD()), TypeError, "whole batches"),
        (StochasticBatch(GivenScores(), beta=-1.0), ValueError, "beta"),
        (StochasticBatch(GivenScores(), mode="top"), ValueError, "mode"),
        (StochasticBatch("BALD"), ValueError, "base_strategy"),
    ],
)
def test_bad_parameters_are_rejected(fitted, strategy, error, match):
    X, _, forest = fitted
    with pytest.raises(error, match=match):
        strategy.select(forest, X, 5, random_state=0)

"""Information density: mean similarities and the density-weighted strategy."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.metrics.pairwise import cosine_similarity, euclidean_distances

from skactive.strategies import (
    BatchBALD,
    CoreSet,
    InformationDensity,
    UncertaintySampling,
)
from skactive.strategies.density import mean_similarity


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=400, centers=3, n_features=4, random_state=0)
    model = LogisticRegression(max_iter=1000).fit(X[:60], y[:60])
    return X, y, model


def test_cosine_density_is_the_mean_pairwise_similarity():
    X = np.random.RandomState(0).randn(50, 6)
    X[7] = 0.0  # a zero row has cosine 0 with everything
    expected = ((1 + cosine_similarity(X)) / 2).mean(axis=1)
    np.testing.assert_allclose(mean_similarity(X), expected, rtol=1e-10)
    sparse = sp.random(60, 30, density=0.2, format="csr", random_state=0)
    expected = ((1 + cosine_similarity(sparse)) / 2).mean(axis=1)
    np.testing.assert_allclose(mean_similarity(sparse), expected, rtol=1e-10)


def test_euclidean_density_whole_and_on_a_seeded_reference_sample():
    X = np.random.RandomState(1).randn(80, 3)
    whole = (1 / (1 + euclidean_distances(X))).mean(axis=1)
    np.testing.assert_allclose(
        mean_similarity(X, "euclidean", n_reference=None), whole, rtol=1e-7
    )
    rows = np.sort(np.random.RandomState(5).choice(80, 30, replace=False))
    sampled = (1 / (1 + euclidean_distances(X, X[rows]))).mean(axis=1)
    np.testing.assert_allclose(
        mean_similarity(X, "euclidean", n_reference=30, random_state=5),
        sampled,
        rtol=1e-7,
    )


def test_a_reference_sample_estimates_the_whole_pool_density():
    X, _ = make_blobs(n_samples=6000, centers=5, n_features=3, random_state=2)
    exact = mean_similarity(X, "euclidean", n_reference=None)
    sampled = mean_similarity(X, "euclidean", random_state=0)  # 2,000 references
    assert not np.allclose(exact, sampled, rtol=1e-6)
    spread = exact.max() - exact.min()
    assert np.abs(sampled - exact).mean() < 0.02 * spread
    assert np.abs(sampled - exact).max() < 0.1 * spread
    assert np.corrcoef(exact, sampled)[0, 1] > 0.99


@settings(max_examples=40, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 12), st.integers(1, 4)),
        elements=st.floats(-100, 100),
    ),
    st.sampled_from(["cosine", "euclidean"]),
)
def test_densities_lie_in_the_unit_interval(X, metric):
    density = mean_similarity(X, metric)
    assert density.shape == (X.shape[0],)
    assert np.all(density >= -1e-12) and np.all(density <= 1 + 1e-12)


def test_score_is_the_base_utility_times_density_to_beta(blobs):
    X, _, model = blobs
    pool = X[60:]
    base = UncertaintySampling().score_samples(model, pool)
    density = mean_similarity(pool)
    scores = InformationDensity(beta=2.0).score_samples(model, pool)
    np.testing.assert_allclose(scores, base * density**2, rtol=1e-10)
    # Margin is scored as a negative: shifted by its minimum, same order.
    margin = UncertaintySampling(acquisition_fn="margin").score_samples(model, pool)
    shifted = InformationDensity(
        UncertaintySampling(acquisition_fn="margin"), beta=0.0
    ).score_samples(model, pool)
    np.testing.assert_allclose(shifted, margin - margin.min())
    assert shifted.min() == 0


@pytest.mark.parametrize("measure", ["entropy", "margin"])
def test_beta_zero_ranks_like_the_base_strategy(blobs, measure):
    X, _, model = blobs
    base = UncertaintySampling(acquisition_fn=measure)
    ours = InformationDensity(base, beta=0.0).select(model, X[60:], 20, random_state=0)
    theirs = base.select(model, X[60:], 20, random_state=0)
    np.testing.assert_array_equal(ours, theirs)


def test_uncertain_outliers_are_not_queried(blobs):
    X, y, model = blobs
    # Points on the boundary between two classes, far out along it: as
    # uncertain as any, and unlike the rest of the pool.
    boundary = model.coef_[0] - model.coef_[1]
    direction = np.linalg.svd(boundary[None])[2][-1]  # orthogonal to it
    midpoint = (X[y == 0].mean(0) + X[y == 1].mean(0)) / 2
    outliers = midpoint + 40 * np.outer([1, -1, 1.2], direction)
    pool = np.vstack([X[60:], outliers])
    outlier_rows = set(range(pool.shape[0] - 3, pool.shape[0]))
    entropy = UncertaintySampling().select(model, pool, 10, random_state=0)
    assert outlier_rows & set(entropy.tolist())  # plain uncertainty takes them
    for metric in ("cosine", "euclidean"):
        dense = InformationDensity(metric=metric, beta=3.0).select(
            model, pool, 10, random_state=0
        )
        assert not outlier_rows & set(dense.tolist())


def test_bad_parameters(blobs):
    X, _, model = blobs
    with pytest.raises(TypeError, match="whole batches"):
        InformationDensity(CoreSet()).select(model, X, 5)
    with pytest.raises(TypeError, match="whole batches"):
        InformationDensity(BatchBALD()).select(model, X, 5)
    for params, name in (
        ({"beta": -1.0}, "beta"),
        ({"metric": "manhattan"}, "metric"),
        ({"n_reference": 0}, "n_reference"),
        ({"base_strategy": "entropy"}, "base_strategy"),
    ):
        with pytest.raises(ValueError, match=name):
            InformationDensity(**params).select(model, X, 5)

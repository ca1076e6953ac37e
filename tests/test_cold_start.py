"""Cold start: KMeansSampling, the stratified draw, and the learner's initial set."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits, make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from skactive import ActiveLearner, RandomSampling, UncertaintySampling
from skactive._initial import _stratified_draw
from skactive.strategies import KMeansSampling


def _blobs(n_samples=300, centers=5, random_state=0):
    centers_at = np.arange(centers)[:, None] * np.array([[20.0, 0.0]])
    return make_blobs(
        n_samples=n_samples, centers=centers_at, cluster_std=1.0,
        random_state=random_state,
    )  # fmt: skip


def test_kmeans_sampling_takes_the_sample_nearest_each_centroid():
    X, _ = _blobs()
    picked = KMeansSampling().query(X, n_samples=5, random_state=0)
    # The same clustering, by hand: the seed is the strategy's first draw.
    seed = np.random.RandomState(0).randint(np.iinfo(np.int32).max)
    kmeans = KMeans(5, random_state=seed, n_init=1).fit(X)
    expected = {
        int(np.flatnonzero(kmeans.labels_ == c)[
            np.argmin(((X[kmeans.labels_ == c] - center) ** 2).sum(1))
        ])
        for c, center in enumerate(kmeans.cluster_centers_)
    }  # fmt: skip
    assert set(picked.tolist()) == expected
    sizes = np.bincount(kmeans.labels_)[kmeans.labels_[picked]]
    assert np.all(np.diff(sizes) <= 0)  # the largest clusters first


def test_kmeans_sampling_covers_every_blob_and_round_robins_beyond():
    X, blob = _blobs(n_samples=[100, 60, 30, 20, 10])
    picked = KMeansSampling(n_clusters=5).query(X, n_samples=12, random_state=1)
    assert np.unique(picked).shape == (12,)
    assert set(blob[picked[:5]].tolist()) == set(range(5))  # one per blob first
    assert blob[picked[0]] == 0  # the largest blob leads
    assert set(blob[picked[5:10]].tolist()) == set(range(5))  # then second picks


@pytest.mark.parametrize("container", ["dense", "sparse", "frame"])
def test_kmeans_sampling_accepts_every_pool_container(container):
    X, blob = _blobs()
    if container == "sparse":
        X = sp.csr_matrix(X)
    elif container == "frame":
        pd = pytest.importorskip("pandas")
        X = pd.DataFrame(X, columns=["a", "b"])
    picked = KMeansSampling().query(X, n_samples=5, random_state=0)
    assert set(blob[picked].tolist()) == set(range(5))


def test_kmeans_sampling_uses_minibatch_kmeans_for_large_pools():
    X, blob = _blobs(n_samples=12_000)
    first = KMeansSampling().query(X, n_samples=5, random_state=0)
    again = KMeansSampling(algorithm="minibatch").query(X, 5, random_state=0)
    np.testing.assert_array_equal(first, again)
    assert set(blob[first].tolist()) == set(range(5))


def test_kmeans_sampling_with_duplicate_points_still_returns_unique_indices():
    X = np.repeat(np.arange(4, dtype=float)[:, None], 5, axis=0)  # 4 points x 5
    with pytest.warns(ConvergenceWarning, match="distinct clusters"):
        picked = KMeansSampling().query(X, n_samples=6, random_state=0)
    assert np.unique(picked).shape == (6,)


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(st.integers(1, 30), min_size=1, max_size=8),
    n_samples=st.integers(1, 60),
    seed=st.integers(0, 2**31 - 2),
)
def test_stratified_draw_covers_classes_in_proportion(counts, n_samples, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    n = min(n_samples, y.shape[0])
    picked = _stratified_draw(y, n, np.random.RandomState(seed))
    assert picked.shape == (n,) and np.unique(picked).shape == (n,)
    got = np.bincount(y[picked], minlength=len(counts))
    if n < len(counts):
        assert got.max() == 1  # as many classes as possible
    else:
        assert got.min() >= 1  # every class at least once
        # The rest in proportion: each class within one of its fair share.
        rest = n - len(counts)
        share = (np.array(counts) - 1) / max(y.shape[0] - len(counts), 1) * rest
        assert np.all(np.abs((got - 1) - share) <= 1 + 1e-9)
    np.testing.assert_array_equal(
        picked, _stratified_draw(y, n, np.random.RandomState(seed))
    )


# -- the learner's initial_strategy -------------------------------------------


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


def _sim(initial_strategy, **params):
    return ActiveLearner(
        LogisticRegression(max_iter=500),
        budget=params.pop("budget", 30),
        n_initial=params.pop("n_initial", 10),
        initial_strategy=initial_strategy,
        random_state=0,
        **params,
    )


def test_stratified_start_has_every_class(digits):
    X, y = digits
    learner = _sim("stratified").fit(X, y)
    first = learner.labeled_indices_[:10]
    assert sorted(y[first].tolist()) == list(range(10))
    random = _sim("random").fit(X, y)
    assert len(set(y[random.labeled_indices_[:10]])) < 10  # what it guards against


def test_kmeans_start_is_kmeans_sampling_of_the_pool(digits):
    X, y = digits
    learner = _sim("kmeans").fit(X, y)
    expected = KMeansSampling().select(None, X, 10, random_state=0)
    np.testing.assert_array_equal(learner.labeled_indices_[:10], expected)
    strategy = _sim(KMeansSampling()).fit(X, y)
    np.testing.assert_array_equal(strategy.labeled_indices_, learner.labeled_indices_)


def test_a_model_free_strategy_object_is_accepted(digits):
    X, y = digits
    learner = _sim(RandomSampling()).fit(X, y)
    assert learner.labeled_indices_.shape == (30,)


def test_a_strategy_that_needs_a_model_is_refused(digits):
    X, y = digits
    with pytest.raises(ValueError, match="needs a fitted model, but the initial set"):
        _sim(UncertaintySampling()).fit(X, y)


def test_unknown_initial_strategy_is_refused(digits):
    X, y = digits
    with pytest.raises(ValueError, match="'initial_strategy' parameter"):
        _sim("cluster").fit(X, y)


# -- TypiClust ------------------------------------------------------------------


def _blobs_with_outliers(seed=0):
    """Three tight blobs far apart, each with a few far-flung members."""
    rng = np.random.RandomState(seed)
    centers = np.array([[0.0, 0.0], [30.0, 0.0], [0.0, 30.0]])
    core = np.repeat(centers, 40, axis=0) + rng.normal(scale=0.5, size=(120, 2))
    outliers = np.repeat(centers, 3, axis=0) + rng.normal(scale=4.0, size=(9, 2))
    return np.vstack([core, outliers]), np.r_[
        np.repeat([0, 1, 2], 40), np.repeat([0, 1, 2], 3)
    ]


def test_typiclust_takes_the_most_typical_sample_of_each_cluster():
    from sklearn.neighbors import NearestNeighbors

    from skactive.strategies import TypiClust

    X, blob = _blobs_with_outliers()
    picks = TypiClust(k_neighbors=10).select(None, X, 3, random_state=0)
    assert sorted(blob[picks]) == [0, 1, 2]
    for pick in picks:
        members = np.flatnonzero(blob == blob[pick])
        distances, _ = (
            NearestNeighbors(n_neighbors=11).fit(X[members]).kneighbors(X[members])
        )
        atypical = distances[:, 1:].mean(axis=1)
        assert X[pick].tolist() == X[members[np.argmin(atypical)]].tolist()


def test_typiclust_starts_with_the_clusters_no_label_covers():
    from skactive.strategies import TypiClust

    X, blob = _blobs_with_outliers(1)
    labeled = X[blob == 0][:2]
    picks = TypiClust().select(None, X, 2, X_labeled=labeled, random_state=0)
    assert sorted(blob[picks]) == [1, 2]


def test_typiclust_is_a_cold_start_and_ranks_the_whole_pool():
    from sklearn.linear_model import LogisticRegression

    from skactive import ActiveLearner
    from skactive.strategies import TypiClust

    X, blob = _blobs_with_outliers(2)
    learner = ActiveLearner(
        LogisticRegression(),
        budget=12,
        batch_size=3,
        n_initial=3,
        initial_strategy=TypiClust(),
        random_state=0,
    ).fit(X, blob)
    assert sorted(blob[learner.history_[0]["indices"]]) == [0, 1, 2]
    whole = TypiClust().select(None, X[:20], 50, random_state=0)
    assert sorted(whole.tolist()) == list(range(20))


def test_typiclust_on_constant_features_gives_unique_picks():

    from sklearn.exceptions import ConvergenceWarning

    from skactive.strategies import TypiClust

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        picks = TypiClust().select(None, np.ones((25, 3)), 8, random_state=0)
    assert picks.shape == (8,) and np.unique(picks).shape == (8,)


@pytest.mark.parametrize(
    ("n_labeled", "n_samples", "seed"),
    [(50, 10, 0), (0, 30, 1), (300, 40, 2), (10, 200, 3), (100, 20, 4), (5, 5, 5)],
)
def test_typiclust_measures_only_the_clusters_that_can_reach_the_batch(
    monkeypatch, n_labeled, n_samples, seed
):
    """Issue 30, point 7: atypicality is computed for the clusters whose most
    typical sample can be picked; the batch equals the one computed with every
    cluster measured, with far fewer clusters measured when labels cover most."""
    import skactive.strategies.cold_start as cold_start
    from skactive.strategies import TypiClust

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((4000 + n_labeled, 6)).astype(np.float32)
    X[: 4000 + n_labeled : 7] = X[0]  # ties in counts and in distances
    labeled = X[:n_labeled] if n_labeled else None
    measured = []
    original = cold_start._atypicality

    def counting(features_at, labels, counts, k_neighbors, needed=None, rng=None):
        wanted = counts > 1 if needed is None else (counts > 1) & needed
        measured.append(int(np.count_nonzero(wanted)))
        return original(features_at, labels, counts, k_neighbors, needed, rng)

    monkeypatch.setattr(cold_start, "_atypicality", counting)
    kwargs = {"X_labeled": labeled, "random_state": seed}
    picked = TypiClust().select(None, X[n_labeled:], n_samples, **kwargs)
    monkeypatch.setattr(
        cold_start, "_clusters_that_can_be_picked", lambda counts, *_: counts > 0
    )
    every = TypiClust().select(None, X[n_labeled:], n_samples, **kwargs)
    np.testing.assert_array_equal(picked, every)
    if n_labeled >= 10 * n_samples:
        assert measured[0] < measured[1] / 2


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_centers=st.integers(1, 40),
    scale=st.sampled_from([1e-3, 1.0, 1e3]),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_nearest_centers_agrees_with_kmeans_predict(seed, n_centers, scale, dtype):
    """Issue 30, point 7: the blocked assignment (one product and one argmin
    per block, in the rows' dtype) gives scikit-learn's own labels."""
    from skactive.strategies.cold_start import nearest_centers

    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((5000, 7)) * scale).astype(dtype)
    kmeans = KMeans(n_centers, n_init=1, random_state=seed).fit(X[:500])
    ours = nearest_centers(kmeans, X)
    theirs = kmeans.predict(X)
    # Equal but for float32 near-ties: each label is a nearest centre.
    distances = ((X[:, None, :] - kmeans.cluster_centers_[None]) ** 2).sum(-1)
    best = distances.min(axis=1)
    gap = distances[np.arange(X.shape[0]), ours] - best
    assert np.all(gap <= 1e-4 * np.maximum(best, scale**2))
    assert np.mean(ours == theirs) > 0.999


def test_nearest_centers_past_float32_range_and_sparse():
    """Rows past float32's safe range are assigned in float64 (no overflow to
    inf, which would make every centre equally near); sparse rows go to
    ``predict``."""
    from skactive.strategies.cold_start import nearest_centers

    X = np.array([[0.0, 0.0], [1e20, 0.0], [0.0, 1e20]], dtype=np.float32)
    kmeans = KMeans(3, n_init=1, random_state=0).fit(X.astype(np.float64))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow on the way
        labels = nearest_centers(kmeans, X)
    np.testing.assert_array_equal(labels, kmeans.predict(X.astype(np.float64)))
    assert np.unique(labels).shape == (3,)
    sparse = sp.csr_matrix(np.eye(3))
    kmeans = KMeans(3, n_init=1, random_state=0).fit(sparse)
    np.testing.assert_array_equal(
        nearest_centers(kmeans, sparse), kmeans.predict(sparse)
    )


def test_typiclust_measures_a_sample_of_a_large_cluster(monkeypatch):
    """A cluster above ``_MAX_MEMBERS`` is measured on a seeded sample: that
    many finite atypicalities, the pick is the most typical of the sample
    (by a direct neighbour search), and the same seed gives the same pick."""
    from sklearn.neighbors import NearestNeighbors

    import skactive.strategies.cold_start as cold_start
    from skactive.strategies import TypiClust

    monkeypatch.setattr(cold_start, "_MAX_MEMBERS", 64)
    seen = []
    original = cold_start._atypicality

    def keep(*args):
        seen.append(original(*args))
        return seen[-1]

    monkeypatch.setattr(cold_start, "_atypicality", keep)
    X = np.random.default_rng(0).standard_normal((1000, 3))
    picked = TypiClust(n_clusters=1).query(X, n_samples=1, random_state=3)
    atypical = seen[-1]
    sampled = np.flatnonzero(np.isfinite(atypical))
    assert sampled.shape == (64,)
    distances, _ = (
        NearestNeighbors(n_neighbors=21).fit(X[sampled]).kneighbors(X[sampled])
    )
    assert picked[0] == sampled[np.argmin(distances[:, 1:].mean(axis=1))]
    again = TypiClust(n_clusters=1).query(X, n_samples=1, random_state=3)
    np.testing.assert_array_equal(picked, again)
    other = TypiClust(n_clusters=1).query(X, n_samples=1, random_state=4)
    assert np.flatnonzero(np.isfinite(seen[-1])).tolist() != sampled.tolist()
    assert other.shape == (1,)

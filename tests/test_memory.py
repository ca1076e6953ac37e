"""Memory near the pool's own size: simulations never copy the pool, strategies
read it in chunks, and the large-pool paths (k-means on a sample, BatchBALD's
prefilter) answer as documented. Sizes are measured in benchmarks/bench_memory.py.
"""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_blobs
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from skactive import ActiveLearner
from skactive.acquisition import bald_acquisition
from skactive.models import predict_proba_samples
from skactive.stopping import MaxUncertainty, StabilizingPredictions, StoppingCriterion
from skactive.strategies import (
    BADGE,
    BatchBALD,
    BatchStrategy,
    CoreSet,
    InformationDensity,
    KMeansSampling,
    TypiClust,
    UncertaintySampling,
    cold_start,
)
from skactive.strategies.density import mean_similarity
from skactive.utils.inputs import (
    PoolRows,
    as_float_array,
    iter_row_chunks,
    n_columns,
    n_rows,
    slice_rows,
    take_rows,
)


@pytest.fixture
def blobs():
    X, y = make_blobs(n_samples=400, centers=3, n_features=4, random_state=0)
    return X, y


@pytest.fixture
def no_pool_copies(monkeypatch):
    def refuse(self):
        raise AssertionError("the whole pool was copied out of its view")

    monkeypatch.setattr(PoolRows, "materialize", refuse)


@pytest.mark.parametrize(
    "container",
    [np.asarray, sp.csr_matrix, pd.DataFrame],
    ids=["ndarray", "csr", "frame"],
)
def test_pool_rows_read_like_the_rows_they_stand_for(container):
    X = container(np.arange(60, dtype=float).reshape(20, 3))
    rows = np.array([1, 4, 5, 9, 13, 19])
    view, copy = PoolRows(X, rows), take_rows(X, rows)
    dense = as_float_array
    assert n_rows(view) == 6 and len(view) == 6 and n_columns(view) == 3
    np.testing.assert_array_equal(dense(take_rows(view, [0, 5])), dense(copy)[[0, 5]])
    np.testing.assert_array_equal(dense(slice_rows(view, 2, 4)), dense(copy)[2:4])
    chunks = [dense(chunk) for _, chunk in iter_row_chunks(view, 4)]
    np.testing.assert_array_equal(np.vstack(chunks), dense(copy))
    nested = PoolRows(view, [1, 2])  # views compose
    assert nested.base is X
    np.testing.assert_array_equal(nested.rows, [4, 5])
    np.testing.assert_array_equal(dense(view.materialize()), dense(copy))


def test_a_simulation_hands_its_strategy_a_view_of_the_unlabeled_rows(blobs):
    X, y = blobs
    seen = []

    class Recording(BatchStrategy):
        _parameter_constraints: dict = {}  # noqa: RUF012

        def __init__(self, views=True):
            self.views = views

        def __skactive_tags__(self):
            tags = super().__skactive_tags__()
            tags.reads_pool_rows = self.views
            return tags

        def _select_batch(self, model, X_pool, n_samples, context):
            seen.append(X_pool)
            return np.arange(n_samples)

    learner = ActiveLearner(
        LogisticRegression(),
        query_strategy=Recording(),
        n_initial=10,
        batch_size=5,
        budget=25,
        random_state=0,
    ).fit(X, y)
    assert all(isinstance(pool, PoolRows) and pool.base is X for pool in seen)
    assert [n_rows(pool) for pool in seen] == [390, 385, 380]
    for pool, done in zip(seen, (10, 15, 20), strict=True):
        labeled = learner.labeled_indices_[:done]
        np.testing.assert_array_equal(pool.rows, np.setdiff1d(np.arange(400), labeled))
    seen.clear()
    # A strategy that does not declare it gets the rows copied out, as before.
    ActiveLearner(
        LogisticRegression(),
        query_strategy=Recording(views=False),
        n_initial=10,
        batch_size=5,
        budget=15,
        random_state=0,
    ).fit(X, y)
    assert isinstance(seen[0], np.ndarray) and seen[0].shape == (390, 4)


@pytest.mark.parametrize(
    "strategy",
    [
        UncertaintySampling(),
        CoreSet(),
        BADGE(),
        InformationDensity(),
        KMeansSampling(),
        BatchBALD(),
    ],
    ids=repr,
)
def test_a_simulation_never_copies_its_pool(
    strategy, blobs, no_pool_copies, monkeypatch
):
    X, y = blobs
    # k-means is fitted on the whole of a pool of up to _FIT_ROWS rows (a copy
    # of at most that many rows, by design); larger pools on a sample of them.
    monkeypatch.setattr(cold_start, "_FIT_ROWS", 100)
    forest = isinstance(strategy, BatchBALD)  # samples of the model
    learner = ActiveLearner(
        RandomForestClassifier(n_estimators=5, random_state=0)
        if forest
        else LogisticRegression(),
        query_strategy=strategy,
        n_initial=10,
        batch_size=5,
        budget=25,
        stopping=[MaxUncertainty(threshold=0.0), StabilizingPredictions(window=2)],
        random_state=0,
    ).fit(X, y)
    n_labeled = learner.labeled_indices_.shape[0]
    assert 10 < n_labeled <= 25  # queried at least once (the criteria may stop it)
    assert np.unique(learner.labeled_indices_).shape == (n_labeled,)


def test_a_simulation_is_the_same_hand_loop_with_views_and_copies(blobs):
    X, y = blobs
    kwargs = {"n_initial": 10, "batch_size": 5, "budget": 30, "random_state": 0}
    for strategy in (CoreSet(), BADGE(), InformationDensity(), KMeansSampling()):
        learner = ActiveLearner(LogisticRegression(), query_strategy=strategy, **kwargs)
        learner.fit(X, y)
        by_hand = ActiveLearner(LogisticRegression(), **kwargs)
        by_hand.set_params(query_strategy=_CopyingWrapper(strategy)).fit(X, y)
        np.testing.assert_array_equal(
            learner.labeled_indices_, by_hand.labeled_indices_
        )


class _CopyingWrapper(BatchStrategy):
    """The same strategy, given copied rows (no view): the old behaviour."""

    _parameter_constraints: dict = {}  # noqa: RUF012

    def __init__(self, inner):
        self.inner = inner

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        tags.requires_model = False
        return tags

    def _select_batch(self, model, X, n_samples, context):
        assert not isinstance(X, PoolRows)
        return self.inner.select(
            model,
            X,
            n_samples,
            X_labeled=context.X_labeled,
            y_labeled=context.y_labeled,
            random_state=context.random_state,
        )


def test_a_criterion_that_reads_the_pool_whole_gets_the_rows_copied(blobs):
    X, y = blobs
    seen = []

    class PoolSize(StoppingCriterion):
        def __skactive_tags__(self):
            tags = super().__skactive_tags__()
            tags.needs_pool = True
            return tags

        def _check(self, learner, X_pool):
            seen.append(X_pool)
            return None

    ActiveLearner(
        LogisticRegression(),
        n_initial=10,
        batch_size=5,
        budget=20,
        stopping=[PoolSize()],
        random_state=0,
    ).fit(X, y)
    assert [type(pool) for pool in seen] == [np.ndarray] * 3
    assert [pool.shape[0] for pool in seen] == [390, 385, 380]


def test_mean_similarity_in_chunks_equals_the_whole_pool_formula(blobs):
    X, _ = blobs
    units = X / np.linalg.norm(X, axis=1, keepdims=True)
    expected = (1 + units @ units.mean(axis=0)) / 2
    np.testing.assert_allclose(mean_similarity(X), expected, rtol=1e-12)
    rows = np.arange(0, 400, 3)
    np.testing.assert_allclose(
        mean_similarity(PoolRows(X, rows)), mean_similarity(X[rows]), rtol=1e-12
    )


def test_k_means_on_a_large_pool_is_fitted_on_a_sample(monkeypatch):
    X, y = make_blobs(n_samples=3000, centers=4, cluster_std=0.5, random_state=3)
    monkeypatch.setattr(cold_start, "_FIT_ROWS", 300)
    fitted_rows = []
    import sklearn.cluster

    original = sklearn.cluster.KMeans.fit

    def recording_fit(self, features, *args, **kwargs):
        fitted_rows.append(features.shape[0])
        return original(self, features, *args, **kwargs)

    monkeypatch.setattr(sklearn.cluster.KMeans, "fit", recording_fit)
    picked = KMeansSampling(algorithm="kmeans").query(X, n_samples=4, random_state=0)
    assert fitted_rows == [300]
    assert sorted(y[picked]) == [0, 1, 2, 3]  # one from each blob, as before
    picked = TypiClust().query(X, n_samples=4, random_state=0)
    assert sorted(y[picked]) == [0, 1, 2, 3]


def test_batchbald_chooses_among_its_highest_bald_candidates(blobs):
    X, y = blobs
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X[:30], y[:30])
    pool = X[30:]
    bald = bald_acquisition(predict_proba_samples(forest, pool))
    top = set(np.argsort(-bald, kind="stable")[:20])
    picked = BatchBALD(forest, n_candidates=20).query(pool, 8, random_state=0)
    assert set(picked) <= top
    assert picked[0] == np.argmax(bald)  # the first pick is BALD's
    whole = BatchBALD(forest, n_candidates=None).query(pool, 8, random_state=0)
    enough = BatchBALD(forest, n_candidates=len(pool)).query(pool, 8, random_state=0)
    np.testing.assert_array_equal(whole, enough)
    # Fewer candidates than the batch: the batch size wins.
    assert BatchBALD(forest, n_candidates=2).query(pool, 5, random_state=0).shape == (
        5,
    )


def test_batchbald_n_candidates_is_validated():
    X = np.zeros((10, 2))
    forest = RandomForestClassifier(n_estimators=3).fit(X, np.arange(10) % 2)
    with pytest.raises(ValueError, match="n_candidates"):
        BatchBALD(forest, n_candidates=0).query(X, 2)

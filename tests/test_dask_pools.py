"""Per-sample strategies on dask-array pools: the same positions as in memory,
on dask's threads and on a real LocalCluster of worker processes."""

import dask
import dask.array as da
import numpy as np
import pytest
from distributed import Client, LocalCluster
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from skactive import ActiveLearner
from skactive.strategies import (
    BALD,
    CoreSet,
    ExpectedModelChange,
    QueryByCommittee,
    RandomSampling,
    UncertaintySampling,
    VariationRatios,
)

X, y = make_classification(
    n_samples=3000, n_features=8, n_informative=5, n_classes=3, random_state=0
)
LABELED = np.arange(60)

STRATEGIES = {
    "entropy": (UncertaintySampling(), LogisticRegression(max_iter=500)),
    "margin": (UncertaintySampling(acquisition_fn="margin"), LogisticRegression()),
    "bald": (BALD(), RandomForestClassifier(n_estimators=10, random_state=0)),
    "variation": (VariationRatios(), RandomForestClassifier(10, random_state=0)),
    "qbc": (QueryByCommittee(), RandomForestClassifier(10, random_state=0)),
    "emc": (ExpectedModelChange(), LogisticRegression(max_iter=500)),
    "random": (RandomSampling(), LogisticRegression()),
}


def _learner(name, seed=0):
    strategy, estimator = STRATEGIES[name]
    learner = ActiveLearner(estimator, strategy, batch_size=25, random_state=seed)
    return learner.fit(X[LABELED], y[LABELED])


@pytest.mark.parametrize("name", sorted(STRATEGIES))
@pytest.mark.parametrize("chunks", [1000, 337])
def test_a_dask_pool_gets_the_in_memory_answer(name, chunks):
    learner = _learner(name)
    pool = da.from_array(X, chunks=(chunks, 4))  # column chunks are gathered
    with dask.config.set(scheduler="threads"):
        got = learner.query(pool)
    expected = learner.query(X)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)


def test_ties_are_broken_the_same_way_as_in_memory():
    learner = ActiveLearner(LogisticRegression(), batch_size=40, random_state=3)
    learner.fit(X[LABELED], y[LABELED])
    flat = np.zeros_like(X)  # every sample scores the same: all ties
    pool = da.from_array(flat, chunks=(250, 8))
    for seed in range(3):
        learner.set_params(random_state=seed).fit(X[LABELED], y[LABELED])
        np.testing.assert_array_equal(learner.query(pool), learner.query(flat))


def test_a_local_cluster_of_processes_gets_the_in_memory_answer():
    learner = _learner("entropy")
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        pool = da.from_array(X, chunks=(400, 8))
        got = learner.query(pool)
        assert len(client.scheduler_info()["workers"]) == 2
    np.testing.assert_array_equal(got, learner.query(X))


def test_strategies_that_cannot_read_a_dask_pool_say_which_can():
    learner = ActiveLearner(LogisticRegression(), CoreSet(), batch_size=5)
    learner.fit(X[LABELED], y[LABELED])
    with pytest.raises(
        ValueError, match=r"cannot query a dask pool.*UncertaintySampling"
    ):
        learner.query(da.from_array(X, chunks=500))
    with pytest.raises(ValueError, match="fitted on 8 features"):
        _learner("entropy").query(da.from_array(X[:, :5], chunks=500))

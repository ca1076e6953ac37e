"""On a real LocalCluster of worker processes: a zarr pool larger than the
workers' memory limit, and simulations run on the cluster through joblib."""

import dask.array as da
import numpy as np
import pytest
import zarr
from distributed import Client, LocalCluster, get_task_stream
from distributed.diagnostics import MemorySampler
from joblib import parallel_config
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skactive import ActiveLearner
from skactive.evaluation import active_learning_curve
from skactive.strategies import CoreSet, RandomSampling, UncertaintySampling

MEMORY_LIMIT = 600 * 2**20  # per worker: less than the pool on disk


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            memory_limit=MEMORY_LIMIT,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def zarr_pool(tmp_path_factory):
    """5e6 rows x 50 float32 (1 GB) on disk, written block by block."""
    path = tmp_path_factory.mktemp("pool") / "pool.zarr"
    rng = da.random.default_rng(0)
    pool = rng.standard_normal((5_000_000, 50), chunks=(100_000, 50), dtype=np.float32)
    pool.to_zarr(str(path), compute=True)
    return str(path)


def test_a_zarr_pool_larger_than_the_workers_memory_is_queried_out_of_core(
    client, zarr_pool
):
    pool = da.from_zarr(zarr_pool)
    assert pool.nbytes > 1.5 * MEMORY_LIMIT
    head = np.asarray(zarr.open_array(zarr_pool, mode="r")[:2000])
    labels = (head[:, 0] + head[:, 1] > 0).astype(int) + (head[:, 2] > 1)
    sampler = MemorySampler()
    results = {}
    for strategy in (UncertaintySampling(), CoreSet()):
        learner = ActiveLearner(
            LogisticRegression(), strategy, batch_size=100, random_state=0
        ).fit(head, labels)
        with sampler.sample(type(strategy).__name__, measure="process"):
            results[type(strategy).__name__] = learner.query(pool)
    peak = sampler.to_pandas().max()
    # Both workers together held less than the pool: it was never loaded whole.
    assert (peak < pool.nbytes).all(), peak
    in_memory = np.asarray(zarr.open_array(zarr_pool, mode="r")[:])
    for name, got in results.items():
        learner.set_params(
            query_strategy=UncertaintySampling()
            if name == "UncertaintySampling"
            else CoreSet()
        ).fit(head, labels)
        np.testing.assert_array_equal(got, learner.query(in_memory), err_msg=name)


X, y = make_classification(
    n_samples=600, n_features=6, n_informative=4, n_classes=3, random_state=0
)


def _learner():
    return ActiveLearner(
        LogisticRegression(max_iter=300), budget=30, batch_size=5, random_state=0
    )


def test_a_learning_curve_on_the_cluster_equals_one_job(client):
    strategies = {"margin": UncertaintySampling(acquisition_fn="margin")}
    kwargs = {"query_strategies": strategies, "n_repeats": 4, "random_state": 3}
    split = (X[:400], y[:400], X[400:], y[400:])
    local = active_learning_curve(_learner(), *split, **kwargs, n_jobs=1)
    with parallel_config("dask"), get_task_stream(client) as tasks:
        remote = active_learning_curve(_learner(), *split, **kwargs, n_jobs=-1)
    assert len({t["worker"] for t in tasks.data}) == 2  # ran on both workers
    for name in local.scores:
        np.testing.assert_array_equal(remote.scores[name], local.scores[name])
    assert remote.stop_reasons == local.stop_reasons


def test_a_grid_search_over_strategies_on_the_cluster_equals_one_job(client):
    grid = {
        "query_strategy": [
            RandomSampling(),
            UncertaintySampling(),
            UncertaintySampling(acquisition_fn="margin"),
        ]
    }
    local = GridSearchCV(_learner(), grid, cv=3, n_jobs=1).fit(X, y)
    with parallel_config("dask"), get_task_stream(client) as tasks:
        remote = GridSearchCV(_learner(), grid, cv=3, n_jobs=-1).fit(X, y)
    assert len({t["worker"] for t in tasks.data}) == 2
    for key in ("mean_test_score", "split0_test_score", "rank_test_score"):
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    np.testing.assert_array_equal(
        remote.best_estimator_.labeled_indices_, local.best_estimator_.labeled_indices_
    )

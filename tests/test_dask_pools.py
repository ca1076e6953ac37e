"""Strategies on dask pools (arrays, data frames, zarr on disk): the same
positions as in memory, on dask's threads and on a real LocalCluster of worker
processes."""

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from skactive import ActiveLearner, TorchMLPClassifier
from skactive.strategies import (
    BADGE,
    BALD,
    ClusterMargin,
    CoreSet,
    DiverseUncertainty,
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
    learner = ActiveLearner(LogisticRegression(), ClusterMargin(), batch_size=5)
    learner.fit(X[LABELED], y[LABELED])
    with pytest.raises(
        ValueError,
        match=r"cannot query a dask pool.*BADGE.*CoreSet.*UncertaintySampling",
    ):
        learner.query(da.from_array(X, chunks=500))
    with pytest.raises(ValueError, match="fitted on 8 features"):
        _learner("entropy").query(da.from_array(X[:, :5], chunks=500))


BATCH = {
    "coreset": CoreSet,
    "ranked": DiverseUncertainty,
    "ranked_far": lambda: DiverseUncertainty(diversity_weight=0.9),
    "badge": BADGE,
}


@pytest.mark.parametrize("name", sorted(BATCH))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("chunks", [1000, 229])
def test_batch_strategies_on_a_dask_pool_pick_the_in_memory_batch(name, dtype, chunks):
    # CoreSet and the ranked batch: the exact greedy on the rows the distance
    # bounds keep (one distributed pass), rows fetched by position; BADGE: the
    # exact lazy k-means++, its full passes distributed.
    pool = X.astype(dtype)
    learner = ActiveLearner(
        LogisticRegression(max_iter=500), BATCH[name](), batch_size=40, random_state=2
    ).fit(pool[LABELED], y[LABELED])
    with dask.config.set(scheduler="threads"):
        got = learner.query(da.from_array(pool, chunks=(chunks, 8)))
    np.testing.assert_array_equal(got, learner.query(pool))
    assert got.dtype == np.int64 and np.unique(got).shape == (40,)


def test_coreset_without_labels_or_model_on_a_dask_pool():
    strategy = CoreSet()
    expected = strategy.select(None, X, 30, random_state=5)
    with dask.config.set(scheduler="threads"):
        got = strategy.select(None, da.from_array(X, chunks=700), 30, random_state=5)
    np.testing.assert_array_equal(got, expected)


@pytest.fixture(scope="module")
def net_learners():
    pool = X.astype(np.float32)
    learners = {}
    for strategy in (CoreSet(), DiverseUncertainty(), BADGE(), BALD()):
        net = TorchMLPClassifier(max_epochs=5, dropout=0.3, random_state=0)
        learner = ActiveLearner(net, strategy, batch_size=20, random_state=0)
        learners[type(strategy).__name__] = learner.fit(pool[LABELED], y[LABELED])
    return pool, learners


def test_net_embeddings_on_dask_threads_pick_the_in_memory_batch(net_learners):
    pool, learners = net_learners  # the blocks run on one net at once
    for name, learner in learners.items():
        expected = learner.query(pool)
        for _ in range(2):
            with dask.config.set(scheduler="threads", num_workers=4):
                got = learner.query(da.from_array(pool, chunks=(300, 8)))
            np.testing.assert_array_equal(got, expected, err_msg=name)


def _frame(data):
    return pd.DataFrame(data, columns=[f"f{i}" for i in range(data.shape[1])])


@pytest.mark.parametrize("name", ["entropy", "bald", "coreset", "ranked", "badge"])
def test_a_dask_data_frame_pool_gets_the_in_memory_answer(name):
    frame = _frame(X)
    if name in STRATEGIES:
        strategy, estimator = STRATEGIES[name]
    else:
        strategy, estimator = BATCH[name](), LogisticRegression(max_iter=500)
    learner = ActiveLearner(estimator, strategy, batch_size=25, random_state=1)
    learner.fit(frame.iloc[LABELED], y[LABELED])
    with dask.config.set(scheduler="threads"):
        got = learner.query(dd.from_pandas(frame, npartitions=7))
    np.testing.assert_array_equal(got, learner.query(frame))


def test_a_data_frame_pool_with_other_columns_is_refused():
    learner = ActiveLearner(LogisticRegression(), batch_size=5)
    learner.fit(_frame(X).iloc[LABELED], y[LABELED])
    swapped = _frame(X)[[f"f{i}" for i in (1, 0, 2, 3, 4, 5, 6, 7)]]
    with pytest.raises(ValueError, match="reorder the data frame's columns"):
        learner.query(dd.from_pandas(swapped, npartitions=2))
    with pytest.raises(ValueError, match="fitted on 8 features"):
        learner.query(dd.from_pandas(_frame(X[:, :6]), npartitions=2))


def test_a_filtered_dask_array_of_unknown_chunk_sizes_is_measured():
    learner = _learner("entropy")
    pool = da.from_array(X, chunks=(500, 8))
    keep = pool[pool[:, 0] > 0]  # rows per chunk unknown until computed
    with dask.config.set(scheduler="threads"):
        got = learner.query(keep)
    np.testing.assert_array_equal(got, learner.query(X[X[:, 0] > 0]))


def test_batch_strategies_on_a_local_cluster_of_processes(net_learners):
    pool, learners = net_learners
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        for name, learner in learners.items():
            got = learner.query(da.from_array(pool, chunks=(400, 8)))
            np.testing.assert_array_equal(got, learner.query(pool), err_msg=name)


def test_bad_dask_pools_are_refused_and_leave_the_learner_as_it_was():
    learner = _learner("entropy")
    before = (learner.y_labeled_.copy(), len(learner.history_))
    with pytest.raises(ValueError, match="must be 2-D"):
        learner.query(da.zeros((10, 8, 2), chunks=5))
    with pytest.raises(ValueError, match="fitted on 8 features"):
        learner.query(da.from_array(X[:, :3], chunks=500))
    with pytest.raises(ValueError, match="cannot query a dask pool"):
        learner.set_params(query_strategy=ClusterMargin()).query(
            da.from_array(X, chunks=500)
        )
    learner.set_params(query_strategy=STRATEGIES["entropy"][0])
    np.testing.assert_array_equal(learner.y_labeled_, before[0])
    assert len(learner.history_) == before[1]
    np.testing.assert_array_equal(
        learner.query(da.from_array(X, chunks=500)), learner.query(X)
    )


def test_a_standalone_strategy_ships_its_model_once(monkeypatch):
    import cloudpickle
    import dask
    from sklearn.ensemble import RandomForestClassifier

    from skactive.strategies import UncertaintySampling

    forest = RandomForestClassifier(n_estimators=20, random_state=0)
    forest.fit(X[LABELED], y[LABELED])
    model_bytes = len(cloudpickle.dumps(forest))
    graphs = []
    compute = dask.compute

    def recording(*collections, **options):
        graphs.append(dict(collections[0].__dask_graph__()))
        return compute(*collections, **options)

    monkeypatch.setattr(dask, "compute", recording)
    pool = da.from_array(X, chunks=len(X) // 8)
    picked = UncertaintySampling(forest).query(pool, 5, random_state=0)
    np.testing.assert_array_equal(
        picked, UncertaintySampling(forest).query(X, 5, random_state=0)
    )
    (graph,) = graphs
    blocks = len(pool.chunks[0])
    assert blocks >= 8
    tasks = [len(cloudpickle.dumps(task)) for task in graph.values()]
    # One task holds the model; the block tasks carry a reference to it.
    assert sum(size >= model_bytes for size in tasks) == 1
    assert sum(tasks) < 1.5 * model_bytes + pool.nbytes

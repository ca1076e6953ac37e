"""The one pool object: LocalPool, MappedPool and DaskPool answer alike, and
strategies read a net's embedding lazily, never whole."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from skactive.utils.inputs import PoolRows, iter_row_chunks, n_rows, take_rows
from skactive.utils.pools import DaskPool, LocalPool, MappedPool, Pool, as_pool


def _double(chunk):
    return np.asarray(chunk) * 2.0


def test_poolrows_is_the_local_pool_under_its_old_name():
    X = np.arange(20.0).reshape(10, 2)
    view = PoolRows(X, [7, 3, 5])
    assert isinstance(view, LocalPool) and isinstance(view, Pool)
    assert view.base is X and view.rows.tolist() == [7, 3, 5]
    np.testing.assert_array_equal(view.materialize(), X[[7, 3, 5]])


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(0, 60),
    chunk=st.integers(1, 17),
    seed=st.integers(0, 2**16),
    view=st.booleans(),
)
def test_a_local_pool_reads_like_the_rows_it_views(n, chunk, seed, view):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n + 5, 3))
    rows = rng.permutation(n + 5)[:n] if view else None
    X = X if view else X[:n]
    expected = X if rows is None else X[rows]
    pool = LocalPool(X, rows)
    assert pool.n_rows == len(pool) == n_rows(pool) == n
    starts, parts = zip(*pool.iter_chunks(chunk), strict=True) if n else ((), ())
    assert list(starts) == list(range(0, n, chunk))
    if n:
        np.testing.assert_array_equal(np.concatenate(parts), expected)
        positions = rng.integers(0, n, size=7)
        np.testing.assert_array_equal(pool.take(positions), expected[positions])
        np.testing.assert_array_equal(take_rows(pool, positions), expected[positions])
        np.testing.assert_array_equal(pool.rows_between(1, n), expected[1:])
    np.testing.assert_array_equal(pool.materialize(), expected)
    np.testing.assert_array_equal(pool.map_rows(_double).reshape(-1, 3), 2 * expected)


def test_views_compose_and_raw_features_are_float_arrays_only():
    X = np.arange(30.0).reshape(10, 3)
    nested = LocalPool(LocalPool(X, [9, 8, 7, 6]), [1, 3])
    assert nested.base is X and nested.rows.tolist() == [8, 6]
    assert LocalPool(X).raw_features() is not None
    assert LocalPool(X.astype(int)).raw_features() is None
    assert LocalPool(sp.csr_matrix(X)).raw_features() is None


def test_a_mapped_pool_recomputes_chunks_and_takes_like_the_stacked_map():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5000, 4))
    calls = []

    def embed(chunk):
        calls.append(n_rows(chunk))
        return np.tanh(np.asarray(chunk) @ np.ones((4, 2)))

    lazy = LocalPool(X, np.arange(5000)[::-1]).map_lazy(embed)
    assert isinstance(lazy, MappedPool) and lazy.shape == (5000, 2)
    stacked = embed(X[::-1])
    calls.clear()
    np.testing.assert_array_equal(lazy.map_rows(_double), 2 * stacked)
    assert max(calls) <= 1024 * 128 and sum(calls) == 5000  # chunk by chunk
    np.testing.assert_array_equal(lazy.take([4, 0, 4]), stacked[[4, 0, 4]])
    np.testing.assert_array_equal(lazy.materialize(), stacked)
    assert lazy.take(np.empty(0, dtype=int)).shape == (0, 2)
    assert lazy.max_abs() == pytest.approx(np.abs(stacked).max())


def test_as_pool_builds_one_pool_and_keeps_a_built_one():
    X = np.zeros((3, 2))
    pool = as_pool(X)
    assert isinstance(pool, LocalPool) and pool.base is X and as_pool(pool) is pool
    da = pytest.importorskip("dask.array")
    dask_pool = as_pool(da.from_array(np.ones((10, 2)), chunks=4))
    assert isinstance(dask_pool, DaskPool) and dask_pool.distributed
    assert not pool.distributed


def test_top_k_of_a_local_and_a_dask_pool_agree():
    from skactive.strategies import UncertaintySampling

    da = pytest.importorskip("dask.array")
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    X = rng.standard_normal((3000, 5))
    y = (X[:, 0] > 0).astype(int)
    model = LogisticRegression().fit(X[:100], y[:100])
    strategy = UncertaintySampling()
    local = strategy.select(model, LocalPool(X), 25, random_state=3)
    dask = strategy.select(model, da.from_array(X, chunks=700), 25, random_state=3)
    np.testing.assert_array_equal(local, dask)
    np.testing.assert_array_equal(strategy.select(model, X, 25, random_state=3), local)


def test_iter_row_chunks_reads_a_pool_through_its_own_chunks():
    X = np.arange(12.0).reshape(6, 2)
    pool = LocalPool(X, [5, 4, 3, 2, 1, 0])
    chunks = list(iter_row_chunks(pool, 4))
    assert [start for start, _ in chunks] == [0, 4]
    np.testing.assert_array_equal(chunks[1][1], X[[1, 0]])


@pytest.mark.parametrize("strategy_name", ["BADGE", "CoreSet", "DiverseUncertainty"])
@pytest.mark.parametrize("pipeline", [False, True])
def test_a_nets_embedding_is_read_lazily_with_the_picks_of_the_stacked_one(
    strategy_name, pipeline
):
    """Point 7: the pool's embedding is recomputed chunk by chunk (no call
    embeds more than a chunk), and the picks equal those on the embedding
    computed whole and handed over as an array."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import skactive.strategies as strategies
    from skactive.models import embed
    from skactive.nets import TorchMLPClassifier

    rng = np.random.default_rng(0)
    X = rng.standard_normal((41000, 64)).astype(np.float32)  # 16,384-row chunks
    y = (X[:, :3] @ rng.standard_normal((3, 3))).argmax(1)
    net = TorchMLPClassifier(hidden_sizes=(16,), max_epochs=2, random_state=0)
    model = make_pipeline(StandardScaler(), net) if pipeline else net
    model.fit(X[:500], y[:500])
    pool, labeled = X[500:], X[:500]
    sizes = []

    def counted(model, rows):
        sizes.append(n_rows(rows))
        return embed(model, rows)

    cls = getattr(strategies, strategy_name)
    lazy = cls(embed=counted).select(model, pool, 30, X_labeled=labeled, random_state=0)
    assert max(sizes) <= 16384 < pool.shape[0]  # never the whole pool at once
    whole = embed(model, pool)  # the embedding handed over as the pool itself

    def precomputed(model, rows):
        return rows if rows.shape[1] == whole.shape[1] else embed(model, rows)

    if strategy_name == "CoreSet":  # distances in the embedding: same picks
        eager = cls(embed=precomputed).select(
            model, whole, 30, X_labeled=labeled, random_state=0
        )
        np.testing.assert_array_equal(lazy, eager)
    default = cls().select(model, pool, 30, X_labeled=labeled, random_state=0)
    np.testing.assert_array_equal(lazy, default)
    assert np.unique(lazy).shape == (30,)


@pytest.mark.parametrize("strategy_name", ["BADGE", "CoreSet"])
def test_a_query_never_holds_the_pools_whole_embedding(strategy_name):
    """Point 7: numpy's peak during the query stays far below the N x hidden
    embedding (before, BADGE and CoreSet stacked it whole: 82 MB here)."""
    import tracemalloc

    import skactive.strategies as strategies
    from skactive.nets import TorchMLPClassifier

    rng = np.random.default_rng(0)
    X = rng.standard_normal((81000, 128)).astype(np.float32)  # 8,192-row chunks
    y = (X[:, :3] @ rng.standard_normal((3, 3))).argmax(1)
    net = TorchMLPClassifier(hidden_sizes=(256,), max_epochs=1, random_state=0)
    net.fit(X[:500], y[:500])
    embedding_bytes = 80500 * 256 * 4
    strategy = getattr(strategies, strategy_name)()
    tracemalloc.start()
    try:
        strategy.select(net, X[500:], 20, X_labeled=X[:500], random_state=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < embedding_bytes / 2

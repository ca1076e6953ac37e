"""Pools held by dask: scored where their blocks live, reduced to a global top-k.

A per-sample strategy scores each block of a ``dask.array.Array`` pool in a
task; each task keeps only its block's top-k candidates (every score at or
above the block's k-th largest, ties included), and a tree of merge tasks
prunes them to the global candidates. The driver then breaks the remaining ties
with the query's random stream, exactly as the in-memory top-k does, so that
for the same pool and seed the answer is the same positions. The model enters
the task graph once, as one key that every task reads (on a distributed
cluster, sent once to each worker that needs it), not once per block.
"""

import numpy as np

from skactive.utils._pool import Pool
from skactive.utils.ranking import StreamingTopK, candidates

__all__ = [
    "DaskPool",
    "as_dask_pool",
    "check_dask_pool",
    "compute_each",
    "dask_top_k_candidates",
    "is_dask_collection",
]


def is_dask_collection(X):
    """True for a dask array or data frame, or a :class:`DaskPool` of one
    (without importing dask)."""
    if isinstance(X, DaskPool):
        return True
    return type(X).__module__.startswith("dask") and hasattr(X, "__dask_graph__")


def _client():
    """The distributed client that dask computes with now, or None."""
    import dask

    scheduler = dask.base.get_scheduler()
    client = getattr(scheduler, "__self__", None)
    return client if hasattr(client, "gather") else None


def compute_each(tasks):
    """The results of ``tasks``, in order.

    On a distributed cluster each result is fetched as soon as it is ready and
    released from its worker then, so workers never hold the results of a
    whole pass (a pool's squared norms, its fetched rows): their memory stays
    at a few blocks, whatever the pool's size.
    """
    import dask

    client = _client()
    if client is None:
        return list(dask.compute(*tasks))
    from distributed import as_completed

    futures = client.compute(list(tasks))
    where = {future.key: i for i, future in enumerate(futures)}
    results = [None] * len(futures)
    for future, result in as_completed(futures, with_results=True):
        results[where[future.key]] = result
        future.release()
    del futures
    return results


def _block_candidates(score_chunks, model, block, start, seed, k):
    """``(positions, scores)``: a block's candidates, positions global."""
    stream = StreamingTopK(k)
    for offset, scores in score_chunks(model, block, seed):
        stream.push(start + offset, scores)
    return stream.candidates()


def _merge(k, *parts):
    positions = np.concatenate([p for p, _ in parts])
    scores = np.concatenate([s for _, s in parts])
    keep = candidates(scores, k)
    return positions[keep], scores[keep]


def dask_top_k_candidates(score_chunks, model, X, k, seed, fan_in=8):
    """The global top-k candidates of a dask pool, computed by dask.

    Parameters
    ----------
    score_chunks : callable
        ``score_chunks(model, block, seed)`` yields ``(offset, scores)`` for
        consecutive chunks of a block (a strategy's checked scoring).
    model : object
        The fitted model, put in the graph once.
    X : DaskPool, dask.array.Array or dask.dataframe.DataFrame
        The pool.
    k : int
        Batch size.
    seed : int
        The scores' seed, the same for every block (as for in-memory chunks).
    fan_in : int, default=8
        Candidate sets merged per reduction task.

    Returns
    -------
    positions, scores : ndarray
        The candidates, positions in the whole pool, in position order.
    """
    import dask

    pool = as_dask_pool(X)
    # The model and the scorer are keys: sent once, read by every block task.
    model_key, scorer_key = _keys([model, score_chunks])
    score = dask.delayed(_block_candidates, pure=True)
    level = [
        score(scorer_key, model_key, block, int(start), seed, k)
        for block, start in zip(pool.blocks, pool.starts, strict=True)
    ]
    merge = dask.delayed(_merge, pure=True)
    while len(level) > 1:  # a tree reduction, fan_in candidate sets a task
        level = [merge(k, *level[i : i + fan_in]) for i in range(0, len(level), fan_in)]
    return dask.compute(level[0])[0]


def _keys(values):
    """Each value as one key of the graph (sent once, read by every task)."""
    import dask

    return [dask.delayed(value, traverse=False) for value in values]


def _apply(function, block, *args):
    return function(block, *args)


def _concat(parts):
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


class DaskPool(Pool):
    """A dask array or data frame pool, seen as its row blocks.

    The blocks stay where dask keeps them (in memory, on disk, on workers);
    every pass over them is one dask computation whose tasks read one block
    each. Blocks of a data frame stay pandas partitions (the model reads their
    column names); those of an array are ndarrays, its columns in one chunk.

    Parameters
    ----------
    X : dask.array.Array or dask.dataframe.DataFrame
        The pool, 2-D.
    """

    distributed = True

    def __init__(self, X, *, _blocks=None, _lengths=None, _dtype=None, _width=None):
        if _blocks is not None:  # a derived pool (an embedding): already split
            self.collection, self.blocks = None, list(_blocks)
            self.lengths = np.asarray(_lengths, dtype=np.int64)
            self.dtype, width = np.dtype(_dtype), int(_width)
        elif hasattr(X, "numblocks"):
            self.collection, width = self._check_array(X), X.shape[1]
            self.dtype = X.dtype
            self.blocks = list(self.collection.to_delayed().ravel())
            self.lengths = np.asarray(self.collection.chunks[0], dtype=np.int64)
        elif hasattr(X, "npartitions") and hasattr(X, "columns"):
            self.collection, width = X, len(X.columns)
            dtypes = set(X.dtypes)
            self.dtype = dtypes.pop() if len(dtypes) == 1 else np.dtype(object)
            self.blocks = list(X.to_delayed())
            self.lengths = np.asarray(X.map_partitions(len).compute(), np.int64)
        else:
            raise TypeError(
                "a dask pool must be a dask array or a dask data frame, got "
                f"{type(X).__name__}."
            )
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(
            np.int64
        )
        self.shape = (int(self.lengths.sum()), width)
        self.ndim = 2

    @staticmethod
    def _check_array(X):
        if X.ndim != 2:
            raise ValueError(
                f"a dask pool must be 2-D (rows, features), got {X.ndim}-D."
            )
        if X.numblocks[1] != 1:
            X = X.rechunk({1: -1})
        if np.isnan(X.shape[0]):  # rows of unknown length (after a filter)
            X = X.compute_chunk_sizes()
        return X

    def __len__(self):
        return self.shape[0]

    def __repr__(self):
        return f"DaskPool(shape={self.shape}, blocks={len(self.blocks)})"

    def per_block(self, function, *args, row_args=()):
        """``[function(block, *row_slices, *args) for each block]``, computed by dask.

        ``args`` (the model, centers) enter the graph once each; each array of
        ``row_args`` (one row per pool row) is cut to the block's rows.
        """
        import dask

        shared = _keys(args)
        task = dask.delayed(_apply, pure=False)
        tasks = []
        for block, start, length in zip(
            self.blocks, self.starts, self.lengths, strict=True
        ):
            cut = [a[start : start + length] for a in row_args]
            tasks.append(task(function, block, *cut, *shared))
        return compute_each(tasks)

    def per_chunk(self, function, *args, row_args=()):
        """A pool's chunks are its blocks: :meth:`per_block`."""
        return self.per_block(function, *args, row_args=row_args)

    def map_rows(self, function, *args, row_args=()):
        """``function`` of each block (one output row per row), stacked."""
        return _concat(self.per_block(function, *args, row_args=row_args))

    def iter_chunks(self, chunk_rows=None):
        """Each block, computed here in turn (``chunk_rows`` is the blocks')."""
        for block, start in zip(self.blocks, self.starts, strict=True):
            yield int(start), block.compute()

    def rows_between(self, start, stop):
        return self.take(np.arange(start, stop))

    def materialize(self):
        """The whole pool, computed here."""
        if self.collection is not None:
            return self.collection.compute()
        return self.map_rows(_identity)

    def top_k(self, score_chunks, model, k, seed):
        """The candidates of the top ``k``, each block scored where it lives."""
        return dask_top_k_candidates(score_chunks, model, self, k, seed)

    def raw_features(self):
        return self if self.is_float_array else None

    def map_lazy(self, function, *args, width, dtype):
        """A pool whose blocks are ``function(block, *args)``, never computed
        here: each pass over it recomputes them where the blocks are."""
        import dask

        shared = _keys(args)
        task = dask.delayed(_apply, pure=False)
        blocks = [task(function, block, *shared) for block in self.blocks]
        return DaskPool(
            None, _blocks=blocks, _lengths=self.lengths, _dtype=dtype, _width=width
        )

    @property
    def is_float_array(self):
        """True for a float array pool: its blocks are features as they are."""
        return hasattr(self.collection, "numblocks") and self.dtype in (
            np.float32,
            np.float64,
        )

    def probe(self, function, *args):
        """``function(first_row, *args)``, computed where the first block is
        (a data frame's row keeps its columns): an output's width and dtype."""
        import dask

        shared = _keys(args)
        task = dask.delayed(_apply_to_head, pure=False)
        first = self.blocks[int(np.flatnonzero(self.lengths)[0])]  # a non-empty one
        return np.asarray(task(function, first, *shared).compute())

    def astype(self, dtype):
        """This pool with every block a 2-D ndarray of ``dtype``, lazily."""
        dtype = np.dtype(dtype)
        return self.map_lazy(_as_dtype, dtype, width=self.shape[1], dtype=dtype)

    def take(self, positions):
        """The rows at ``positions`` (any order, repeats allowed) as an ndarray;
        each block that holds some is read once, by its own task."""
        import dask

        positions = np.asarray(positions, dtype=np.int64)
        order = np.argsort(positions, kind="stable")
        ordered = positions[order]
        block_of = np.searchsorted(self.starts, ordered, side="right") - 1
        tasks = []
        for block in np.unique(block_of):
            local = ordered[block_of == block] - self.starts[block]
            tasks.append(
                dask.delayed(_take_block, pure=False)(self.blocks[block], local)
            )
        parts = compute_each(tasks)
        if not parts:
            return np.empty((0, self.shape[1]), dtype=self.dtype)
        rows = np.concatenate(parts)
        out = np.empty_like(rows)
        out[order] = rows
        return out


def _identity(block):
    return np.asarray(block)


def _apply_to_head(function, block, *args):
    head = block.iloc[:1] if hasattr(block, "iloc") else block[:1]
    return function(head, *args)


def _as_dtype(block, dtype):
    return np.asarray(block, dtype=dtype)


def _take_block(block, local):
    if hasattr(block, "iloc"):
        return np.asarray(block.iloc[local])
    return np.asarray(block)[local]


def as_dask_pool(X):
    """``X`` as a :class:`DaskPool` (unchanged when it is one)."""
    return X if isinstance(X, DaskPool) else DaskPool(X)


def check_dask_pool(X, n_features, feature_names, owner):
    """``X`` as a :class:`DaskPool`, checked against the fitted features.

    Parameters
    ----------
    X : dask.array.Array, dask.dataframe.DataFrame or DaskPool
        The pool.
    n_features : int or None
        The features the model was fitted on (None: not fitted).
    feature_names : ndarray or None
        Their names, when it was fitted on a data frame.
    owner : str
        The estimator's name, for the messages.
    """
    pool = as_dask_pool(X)
    if n_features is not None and pool.shape[1] != n_features:
        raise ValueError(
            f"X_pool has shape {pool.shape}, but {owner} was fitted on "
            f"{n_features} features."
        )
    columns = getattr(pool.collection, "columns", None)
    if feature_names is not None and columns is not None:
        if [str(c) for c in columns] != [str(c) for c in feature_names]:
            raise ValueError(
                f"X_pool has the columns {list(columns)}, but {owner} was fitted "
                f"on {list(feature_names)}: select or reorder the data frame's "
                "columns to match."
            )
    return pool

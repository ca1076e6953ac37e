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

from skactive.utils.ranking import StreamingTopK, candidates

__all__ = ["dask_top_k_candidates", "is_dask_collection"]


def is_dask_collection(X):
    """True for a dask array or data frame (without importing dask)."""
    return type(X).__module__.startswith("dask.") and hasattr(X, "__dask_graph__")


def _block_candidates(score_chunks, model, block, start, seed, k):
    """``(positions, scores)``: a block's candidates, positions global."""
    stream = StreamingTopK(k)
    for offset, scores in score_chunks(model, np.asarray(block), seed):
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
    X : dask.array.Array of shape (n_samples, n_features)
        The pool, chunked along rows (columns are gathered into one chunk).
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

    if not hasattr(X, "to_delayed") or not hasattr(X, "numblocks"):
        raise TypeError(
            f"a dask pool must be a dask array, got {type(X).__name__}: convert a "
            "data frame with X.to_dask_array(lengths=True)."
        )
    if X.ndim != 2:
        raise ValueError(f"a dask pool must be 2-D (rows, features), got {X.ndim}-D.")
    if X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    model_key = dask.delayed(model, traverse=False)
    blocks = X.to_delayed().ravel()
    starts = np.concatenate([[0], np.cumsum(X.chunks[0])[:-1]]).astype(np.int64)
    score = dask.delayed(_block_candidates, pure=True)
    level = [
        score(score_chunks, model_key, block, int(start), seed, k)
        for block, start in zip(blocks, starts, strict=True)
    ]
    merge = dask.delayed(_merge, pure=True)
    while len(level) > 1:  # a tree reduction, fan_in candidate sets a task
        level = [merge(k, *level[i : i + fan_in]) for i in range(0, len(level), fan_in)]
    return dask.compute(level[0])[0]

"""Points for distances: a pool's embedding, read chunk by chunk or block by
block, beside the labeled samples' embedding.

Shared by the diversity strategies (``CoreSet``, ``BADGE``, ``ClusterMargin``,
the ranked batch) and greedy sampling for regression: the pool itself when the
model reads its raw features (no copy), a dask pool's blocks where they live,
float64 only where float32 squares would overflow.
"""

import numpy as np
import scipy.sparse as sp

from skactive.models import embed as default_embed
from skactive.models import embeds_raw_features
from skactive.strategies._greedy import points_dtype
from skactive.utils.dask_pools import DaskPool
from skactive.utils.inputs import (
    PoolRows,
    as_float_array,
    iter_row_chunks,
    n_rows,
    raw_float_rows,
)

__all__ = [
    "embed_with_labeled",
    "embedding_of",
    "lazy_over_chunks",
    "over_chunks",
    "pool_embedding",
    "raw_rows",
    "text_pool_features",
    "without_overflow",
]


def over_chunks(function, X, *args):
    """``function(chunk, *args)`` for consecutive row chunks of ``X``, stacked
    (into one array allocated at the first chunk: never the parts and their
    stack at once). A dask pool's blocks are computed where they live, the
    ``args`` (the model) sent once."""
    if isinstance(X, DaskPool):
        return X.map_rows(function, *args)
    out = None
    parts = []
    for start, chunk in iter_row_chunks(X):
        part = function(chunk, *args)
        if sp.issparse(part):  # a text pool's transform stays sparse
            parts.append(part.tocsr())
            continue
        part = np.asarray(part)
        if out is None:
            out = np.empty((n_rows(X), *part.shape[1:]), dtype=part.dtype)
        out[start : start + part.shape[0]] = part
    if parts:
        return sp.vstack(parts, format="csr")
    return np.empty(0) if out is None else out


def lazy_over_chunks(function, X, *args):
    """A dask pool's ``function(block, *args)``, lazily (an embedding that is
    recomputed block by block at each pass, never held whole); else stacked."""
    if not isinstance(X, DaskPool):
        return over_chunks(function, X, *args)
    row = X.probe(function, *args)
    return X.map_lazy(function, *args, width=row.shape[1], dtype=row.dtype)


# Above this magnitude, squared distances of float32 values overflow (3.4e38).
_FLOAT32_SAFE = 1e15


def _block_max_abs(block):
    return float(max(block.max(), -block.min())) if block.size else 0.0


def _max_abs(points):
    """The largest absolute value, block by block (no temporary of the pool)."""
    if isinstance(points, DaskPool):
        return max(points.per_block(_block_max_abs), default=0.0)
    return max((_block_max_abs(b) for _, b in iter_row_chunks(points)), default=0.0)


def _as_float64(a):
    return (
        a.astype(np.float64)
        if isinstance(a, DaskPool)
        else as_float_array(a, dtype=np.float64)
    )


def without_overflow(points, *others):
    """``points`` (and ``others``) in float64 when float32 squares would overflow."""
    if points_dtype(points) == np.float32 and any(
        a is not None and _max_abs(a) > _FLOAT32_SAFE for a in (points, *others)
    ):
        return [None if a is None else _as_float64(a) for a in (points, *others)]
    return [points, *others]


def raw_rows(X):
    """The pool's features as they are (no copy), or None (see raw_float_rows)."""
    if isinstance(X, DaskPool):
        return X if X.is_float_array else None
    return raw_float_rows(X)


def embedding_of(chunk, function, model):
    return function(model, chunk)


def pool_embedding(function, model, X):
    """The pool's embedding: the pool itself (no copy) for raw features."""
    if function is default_embed and embeds_raw_features(model):
        raw = raw_rows(X)
        if raw is not None:
            return raw
    return lazy_over_chunks(embedding_of, X, function, model)


def embed_with_labeled(function, model, X, X_labeled):
    """Embeddings of the pool and of the labeled samples (None without any)."""
    points = pool_embedding(function, model, X)
    if X_labeled is None or n_rows(X_labeled) == 0:
        return without_overflow(points)[0], None
    centers = over_chunks(embedding_of, X_labeled, function, model)
    if sp.issparse(centers):  # the labeled set is small: dense centers
        centers = centers.toarray()
    return without_overflow(points, np.asarray(centers, dtype=points_dtype(points)))


def text_pool_features(model, X, owner):
    """``X`` itself, or for a raw-text pool (one string per row) its features
    in the fitted model's space (a text pipeline's sparse tf-idf), for the
    strategies that measure distances on the pool's own rows."""
    base = X.base if isinstance(X, PoolRows) else X
    if not (isinstance(base, np.ndarray) and base.ndim == 1 and base.dtype == object):
        return X
    if model is None:
        raise ValueError(
            f"{owner} measures distances between feature rows, and a raw-text "
            "pool has none before a vectorizer is fitted. Query it with a fitted "
            "text pipeline (inside an ActiveLearner, after the first labels), or "
            'start with initial_strategy="random".'
        )
    return over_chunks(embedding_of, X, default_embed, model)

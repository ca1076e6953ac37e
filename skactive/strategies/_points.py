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
from skactive.utils.inputs import n_rows
from skactive.utils.pools import LocalPool, as_pool

__all__ = [
    "FLOAT32_SAFE",
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
    return as_pool(X).map_rows(function, *args)


def lazy_over_chunks(function, X, *args):
    """The pool ``function(chunk, *args)`` of ``X``, never held whole: each
    pass over it recomputes the chunks where they are (a net's embedding of
    a large pool costs a chunk's memory, not ``n_rows * n_dimensions``).
    A sparse output (a text pipeline's tf-idf) is stacked instead."""
    pool = as_pool(X)
    row = pool.probe(function, *args)
    if sp.issparse(row):
        return pool.map_rows(function, *args)
    row = np.asarray(row)
    return pool.map_lazy(function, *args, width=row.shape[1], dtype=row.dtype)


# Above this magnitude, squared distances of float32 values overflow (3.4e38).
FLOAT32_SAFE = 1e15


def _max_abs(points):
    """The largest absolute value, chunk by chunk (no temporary of the pool)."""
    if isinstance(points, np.ndarray):
        return float(max(points.max(), -points.min())) if points.size else 0.0
    return as_pool(points).max_abs()


def without_overflow(points, *others):
    """``points`` (and ``others``, small arrays) in float64 when float32 squares
    would overflow; a pool's points are converted chunk by chunk, lazily."""
    if points_dtype(points) == np.float32 and any(
        a is not None and _max_abs(a) > FLOAT32_SAFE for a in (points, *others)
    ):
        converted = (
            points.astype(np.float64)
            if isinstance(points, np.ndarray)
            else as_pool(points).astype(np.float64)
        )
        return [converted] + [
            None if a is None else np.asarray(a, dtype=np.float64) for a in others
        ]
    return [points, *others]


def raw_rows(X):
    """The pool's features as they are (no copy), or None."""
    return as_pool(X).raw_features()


def embedding_of(chunk, function, model):
    return function(model, chunk)


def pool_embedding(function, model, X):
    """The pool's embedding: the pool itself (no copy) for raw features, else
    recomputed chunk by chunk at each pass (:func:`lazy_over_chunks`)."""
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
    base = X.base if isinstance(X, LocalPool) else X  # a view's rows: its base's
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

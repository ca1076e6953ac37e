"""The pool at the boundary: :class:`Pool`, its two kinds and :func:`as_pool`.

A learner (a session, a stream) builds one pool where it validates the pool,
and strategies read the rows through it, never asking what kind it is (see
:mod:`skactive.utils._pool` for the operations):

* :class:`LocalPool`: rows in this process (an array, a data frame, a sparse
  matrix, a tensor, or the unlabeled rows of one, not copied);
* :class:`~skactive.utils.dask_pools.DaskPool`: blocks where dask keeps them;
* :class:`MappedPool`: the lazy image of either under :meth:`Pool.map_lazy`
  (a net's embedding of a large pool, recomputed chunk by chunk).

Examples
--------
>>> import numpy as np
>>> from skactive.utils.pools import as_pool
>>> pool = as_pool(np.arange(6.0).reshape(3, 2))
>>> pool.n_rows, [start for start, _ in pool.iter_chunks(chunk_rows=2)]
(3, [0, 2])
"""

from skactive.utils._pool import LocalPool, MappedPool, Pool
from skactive.utils.dask_pools import DaskPool, is_dask_collection

__all__ = ["DaskPool", "LocalPool", "MappedPool", "Pool", "as_pool"]


def as_pool(X):
    """``X`` as a :class:`Pool`, unchanged when it is one.

    A dask array or data frame becomes a :class:`DaskPool`; anything else (an
    array, a data frame, a sparse matrix, a tensor, a list of texts) a
    :class:`LocalPool` of every row, not copied.
    """
    if isinstance(X, Pool):
        return X
    if is_dask_collection(X):
        return DaskPool(X)
    return LocalPool(X)

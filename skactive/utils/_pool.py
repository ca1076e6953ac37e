"""The pool at the boundary (the classes; :mod:`skactive.utils.pools` is their door).

One object with the operations strategies need.

A learner (a session, a stream) builds one :class:`Pool` where it validates the
pool, and every strategy, criterion and geometry helper reads the rows through
it, never asking what kind of pool it is:

* :attr:`Pool.n_rows`, :meth:`Pool.iter_chunks` (consecutive row chunks, about
  8 MiB of input each), :meth:`Pool.take` (rows at positions),
  :meth:`Pool.rows_between` and :meth:`Pool.materialize` (the rows in the
  user's container);
* :meth:`Pool.map_rows` (a function of each chunk, stacked) and
  :meth:`Pool.map_lazy` (a pool whose chunks are a function of this one's,
  recomputed at each pass and never held whole: a net's embedding of a large
  pool);
* :meth:`Pool.top_k` (the candidates of a streamed top-k of per-chunk scores).

Two implementations: :class:`LocalPool`, rows in this process (an array, a
data frame, a sparse matrix, a tensor, or the unlabeled rows of one, not
copied), and :class:`~skactive.utils.dask_pools.DaskPool`, blocks where dask
keeps them. :class:`MappedPool` is the lazy image of either under
:meth:`~Pool.map_lazy`. A new kind of pool (a memory-mapped file, a zarr array
read directly) is one subclass.
"""

from abc import ABC, abstractmethod

import numpy as np
import scipy.sparse as sp

from skactive.utils.inputs import (
    chunk_rows,
    iter_row_chunks,
    n_columns,
    n_rows,
    raw_float_rows,
    slice_rows,
    take_rows,
)
from skactive.utils.ranking import StreamingTopK

__all__ = ["LocalPool", "MappedPool", "Pool", "stack_rows"]


def _max_abs_of(chunk):
    chunk = np.asarray(chunk)
    return float(max(chunk.max(), -chunk.min())) if chunk.size else 0.0


def _as_dtype(chunk, dtype):
    if sp.issparse(chunk):
        return chunk.astype(dtype)
    return np.asarray(chunk, dtype=dtype)


def stack_rows(parts, n_total):
    """Per-chunk outputs (one row per input row) as one array, written into an
    array allocated at the first part (never the parts and their stack at
    once); sparse parts (a text pool's tf-idf) as one CSR matrix."""
    out, sparse_parts, start = None, [], 0
    for part in parts:
        if sp.issparse(part):
            sparse_parts.append(part.tocsr())
            continue
        part = np.asarray(part)
        if out is None:
            out = np.empty((n_total, *part.shape[1:]), dtype=part.dtype)
        out[start : start + part.shape[0]] = part
        start += part.shape[0]
    if sparse_parts:
        return sp.vstack(sparse_parts, format="csr")
    return np.empty(0) if out is None else out


class Pool(ABC):
    """The rows a query reads, whatever holds them.

    Subclasses write :meth:`iter_chunks`, :meth:`take` and :meth:`materialize`
    and set ``shape`` and ``dtype``; the other operations are built on those,
    and a pool whose rows live elsewhere (dask) overrides them to run where the
    rows are.

    Attributes
    ----------
    shape : tuple
        ``(n_rows, n_columns)`` (more dimensions for images).
    dtype : numpy dtype
        The rows' dtype (object for mixed data frames and texts).
    distributed : bool
        The rows live outside this process: strategies that read the pool
        whole refuse it (those tagged ``reads_dask_pools`` read it in blocks).
    """

    distributed = False

    @property
    def n_rows(self):
        """Number of rows."""
        return int(self.shape[0])

    def __len__(self):
        return self.n_rows

    @abstractmethod
    def iter_chunks(self, chunk_rows=None):
        """Yield ``(start, chunk)`` over consecutive row chunks, each in the
        container the model reads; ``chunk_rows`` None is about 8 MiB of input."""

    @abstractmethod
    def take(self, positions):
        """The rows at ``positions`` (ints, any order), in the model's container."""

    @abstractmethod
    def materialize(self):
        """All rows in the container the user gave (a copy where they are a view)."""

    def rows_between(self, start, stop):
        """Rows ``start:stop`` (a view where the container allows one)."""
        return self.take(np.arange(start, stop))

    def per_chunk(self, function, *args, row_args=()):
        """``[function(chunk, *row_slices, *args) for each chunk]``: each array
        of ``row_args`` (one row per pool row) is cut to the chunk's rows."""
        return list(self._each_chunk(function, args, row_args))

    def _each_chunk(self, function, args, row_args):
        for start, chunk in self.iter_chunks():
            stop = start + n_rows(chunk)
            yield function(chunk, *(a[start:stop] for a in row_args), *args)

    def map_rows(self, function, *args, row_args=()):
        """``function`` of each chunk (one output row per row), stacked."""
        return stack_rows(self._each_chunk(function, args, row_args), self.n_rows)

    def map_lazy(self, function, *args, width=None, dtype=None):
        """A pool whose chunks are ``function(chunk, *args)``, computed at each
        pass and never held whole. ``width`` and ``dtype`` None are read from
        the function's output on the first row."""
        if width is None or dtype is None:
            row = np.asarray(self.probe(function, *args))
            width = row.shape[1] if width is None else width
            dtype = row.dtype if dtype is None else dtype
        return MappedPool(self, function, args, width, dtype)

    def probe(self, function, *args):
        """``function(first_row, *args)``: an output's width and dtype."""
        return function(self.take(np.zeros(1, dtype=np.intp)), *args)

    def top_k(self, score_chunks, model, k, seed):
        """The candidates of the top ``k`` scores: ``(positions, scores)``.

        ``score_chunks(model, rows, seed)`` yields ``(offset, scores)`` for the
        chunks of ``rows`` (a pool here, a block where the rows live); every
        score at or above the k-th largest is kept (ties included, and a few
        more), for the caller to finish with its random stream
        (:func:`~skactive.utils.ranking.finish_top_k`).
        """
        stream = StreamingTopK(k)
        for start, scores in score_chunks(model, self, seed):
            stream.push(start, scores)
        return stream.kept()

    def raw_features(self):
        """This pool when its rows are 2-D float features as they are (a model
        reading raw features embeds them to themselves, no copy); else None."""
        return None

    def astype(self, dtype):
        """This pool with every chunk a 2-D array of ``dtype``, lazily."""
        dtype = np.dtype(dtype)
        return self.map_lazy(_as_dtype, dtype, width=self.shape[1], dtype=dtype)

    def max_abs(self):
        """The largest absolute value, chunk by chunk."""
        return max(self.per_chunk(_max_abs_of), default=0.0)


class LocalPool(Pool):
    """Rows in this process: ``base`` or its rows ``rows``, never copied whole.

    A simulation's pool is the unlabeled part of the user's array; copying it
    every round would double the memory of a large pool, so strategies get this
    view. Only chunks (:meth:`iter_chunks`) and selections (:meth:`take`) are
    copied out.

    Parameters
    ----------
    base : array-like, sparse matrix, DataFrame, torch.Tensor or LocalPool
        The rows (a ``LocalPool`` is unwrapped: views compose).
    rows : array-like of int or None, default=None
        Positions in ``base``, in pool order; None is every row.

    Examples
    --------
    >>> import numpy as np
    >>> pool = LocalPool(np.arange(10.0).reshape(5, 2), rows=[4, 0])
    >>> pool.n_rows, pool.take([1]).tolist()
    (2, [[0.0, 1.0]])
    """

    __slots__ = ("base", "dtype", "rows", "shape")

    def __init__(self, base, rows=None):
        if isinstance(base, LocalPool):
            base, rows = (
                base.base,
                (
                    base.rows
                    if rows is None
                    else base.positions()[np.asarray(rows, dtype=np.intp)]
                ),
            )
        if rows is not None:
            rows = np.asarray(rows, dtype=np.intp)
        self.base, self.rows = base, rows
        total = n_rows(base) if rows is None else rows.shape[0]
        trailing = getattr(base, "shape", (0, n_columns(base)))[1:]
        self.shape = (total, *trailing)
        dtype = getattr(base, "dtype", None)
        self.dtype = np.dtype(object) if dtype is None else dtype

    def __repr__(self):
        return f"LocalPool({self.n_rows} of {n_rows(self.base)} rows)"

    def positions(self):
        """The pool's rows as positions in ``base``."""
        return np.arange(n_rows(self.base)) if self.rows is None else self.rows

    def iter_chunks(self, chunk_rows=None):
        if self.rows is None:
            yield from iter_row_chunks(self.base, chunk_rows)
            return
        size = self.chunk_rows() if chunk_rows is None else chunk_rows
        for start in range(0, self.n_rows, size):
            yield start, take_rows(self.base, self.rows[start : start + size])

    def chunk_rows(self):
        """Rows per chunk: about 8 MiB of input."""
        return chunk_rows(self.base)

    def take(self, positions):
        positions = np.asarray(positions, dtype=np.intp)
        return take_rows(
            self.base, positions if self.rows is None else self.rows[positions]
        )

    def rows_between(self, start, stop):
        if self.rows is None:
            return slice_rows(self.base, start, stop)
        return take_rows(self.base, self.rows[start:stop])

    def materialize(self):
        return self.base if self.rows is None else take_rows(self.base, self.rows)

    def raw_features(self):
        return None if raw_float_rows(self.base) is None else self


class MappedPool(Pool):
    """The pool ``function(chunk, *args)`` of a source pool, never held whole.

    Each pass over it (:meth:`iter_chunks`, :meth:`map_rows`) recomputes the
    chunks from the source's; :meth:`take` computes the function on the rows
    taken. A net's embedding of 2e6 rows thus costs one chunk's memory instead
    of ``n_rows * n_dimensions`` floats, at the price of one forward pass per
    pass over it. The function must treat rows independently (a row's output
    never depends on the other rows of its chunk), as the embeddings of
    :mod:`skactive.models` do.
    """

    def __init__(self, source, function, args, width, dtype):
        self.source, self.function, self.args = source, function, tuple(args)
        self.shape = (source.n_rows, int(width))
        self.dtype = np.dtype(dtype)

    def __repr__(self):
        name = getattr(self.function, "__name__", "function")
        return f"MappedPool({name} of {self.source!r})"

    def _mapped(self, rows):
        return np.asarray(self.function(rows, *self.args))

    def iter_chunks(self, chunk_rows=None):
        for start, chunk in self.source.iter_chunks(chunk_rows):
            yield start, self._mapped(chunk)

    def take(self, positions):
        positions = np.asarray(positions, dtype=np.intp)
        if positions.shape[0] == 0:
            return np.empty((0, self.shape[1]), dtype=self.dtype)
        return self._mapped(self.source.take(positions))

    def rows_between(self, start, stop):
        return self._mapped(self.source.rows_between(start, stop))

    def materialize(self):
        return self.map_rows(_identity)

    def chunk_rows(self):
        """The source's chunk: the mapping happens chunk by chunk."""
        return getattr(self.source, "chunk_rows", lambda: 1024)()

    def raw_features(self):
        return self if self.dtype in (np.float32, np.float64) else None


def _identity(chunk):
    return chunk

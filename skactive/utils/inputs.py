"""Model inputs: the one home for turning pool rows into what a model reads.

A pool or a labeled set may be a numpy array (memmaps included), a pandas
DataFrame, a scipy sparse matrix or a torch tensor. Everything else in skactive
indexes, slices, appends, chunks and converts rows only through this module:

* row operations that keep the container as the user gave it (a DataFrame keeps
  its column names for a ``ColumnTransformer``): :func:`n_rows`,
  :func:`take_rows`, :func:`slice_rows`, :func:`concat_rows`;
* chunking for scoring, about 8 MiB of input at a time: :func:`chunk_rows`,
  :func:`iter_row_chunks`;
* conversion to float arrays: :func:`as_float_array` (numpy features for
  distances and clustering), :func:`to_float32` (float64 input for a skorch net,
  container kept).

Every helper also reads a :class:`~skactive.utils.pools.Pool` (the learner's
pool object), through the pool's own operations. The torch half (tensors for a
module, inference) is :mod:`skactive.utils.torch_inputs`, re-exported here.
"""

import numpy as np
import scipy.sparse as sp

# The torch half, kept importable from here (users' code imports it so).
from skactive.utils.torch_inputs import (
    ThreadHook,
    float32_rows,
    inference_mode,
    is_tensor,
    is_torch_module,
    isinstance_if_imported,
    iter_padded_chunks,
    logits_of,
    module_device,
    rows_to_tensor,
    torch_module,
)

__all__ = [  # noqa: F822 (PoolRows comes from __getattr__)
    "PoolRows",
    "ThreadHook",
    "as_float_array",
    "chunk_rows",
    "concat_rows",
    "float32_rows",
    "inference_mode",
    "is_tensor",
    "is_torch_module",
    "isinstance_if_imported",
    "iter_padded_chunks",
    "iter_row_chunks",
    "logits_of",
    "materialize",
    "module_device",
    "n_columns",
    "n_rows",
    "raw_float_rows",
    "rows_to_tensor",
    "slice_rows",
    "take_rows",
    "to_float32",
    "torch_module",
]

# Bytes of (float64) input per scoring chunk: small enough for the chunk and the
# model's intermediate arrays to stay in cache, large enough to amortize each
# predict_proba call (measured: LogisticRegression on 1e6 x 50 is 20 % faster in
# chunks of 16-64 k rows than in one call, and 2 % slower in chunks of 4 k rows).
_CHUNK_BYTES = 8 * 2**20
# Chunk rows are a multiple of this, the inference chunk of NetClassifier, so its
# zero padding is never wasted; also the smallest chunk.
_ROW_QUANTUM = 1024
_MAX_CHUNK_ROWS = 65536


# -- rows of any container -----------------------------------------------------


def _pool(X):
    """``X`` when it is a :class:`~skactive.utils.pools.Pool`, else None (the
    pool classes sit above this module and read its helpers)."""
    return X if isinstance_if_imported(X, "skactive.utils._pool", "Pool") else None


def materialize(X):
    """``X`` itself, or a pool's rows in the user's container."""
    return X.materialize() if _pool(X) is not None else X


def raw_float_rows(X):
    """``X`` when it is a 2-D float numpy array or a pool of one (features
    that can be read as they are, without a copy); else None."""
    if _pool(X) is not None:
        return X.raw_features()
    if (
        isinstance(X, np.ndarray)
        and X.ndim == 2
        and X.dtype in (np.float32, np.float64)
    ):
        return X
    return None


def n_rows(X):
    """Number of rows (samples) of any supported container."""
    if hasattr(X, "shape"):
        return int(X.shape[0])
    return len(X)


def n_columns(X):
    """Number of columns, or 1 for a 1-D container."""
    shape = getattr(X, "shape", None)
    if shape is None:
        shape = np.shape(X)
    return int(shape[1]) if len(shape) > 1 else 1


def take_rows(X, rows):
    """Rows ``rows`` (an integer array of positions) of ``X``, same container."""
    rows = np.asarray(rows, dtype=np.intp)
    if _pool(X) is not None:
        return X.take(rows)
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    if is_tensor(X):
        import torch

        return X[torch.from_numpy(rows).to(X.device)]
    if sp.issparse(X):
        return X[rows] if X.format in ("csr", "csc", "lil") else X.tocsr()[rows]
    if isinstance(X, np.ndarray):
        return X[rows]
    return [X[i] for i in rows]


def slice_rows(X, start, stop):
    """Rows ``start:stop`` of ``X``: a view where the container allows one."""
    if _pool(X) is not None:
        return X.rows_between(start, stop)
    if hasattr(X, "iloc"):
        return X.iloc[start:stop]
    if sp.issparse(X) and X.format not in ("csr", "csc", "lil"):
        X = X.tocsr()
    return X[start:stop]


def concat_rows(first, second):
    """Rows of ``first`` followed by rows of ``second``, in ``first``'s container."""
    first, second = materialize(first), materialize(second)
    if hasattr(first, "iloc"):
        import pandas as pd  # only reached when the user passed a DataFrame

        if not hasattr(second, "iloc"):
            second = pd.DataFrame(np.asarray(second), columns=first.columns)
        first, second = _common_categories(first, second)
        return pd.concat([first, second], ignore_index=True)
    if sp.issparse(first) or sp.issparse(second):
        return sp.vstack([first, second], format="csr")
    if is_tensor(first):
        import torch

        return torch.cat([first, torch.as_tensor(second, device=first.device)])
    first, second = np.asarray(first), np.asarray(second)
    return np.concatenate([first, second], axis=0)


def _common_categories(first, second):
    """Both frames with each categorical column of ``first`` on the union of the
    two frames' categories, so that ``pd.concat`` keeps it categorical (it turns
    categoricals with different categories into object columns)."""
    import pandas as pd

    changed = {}
    for name, dtype in first.dtypes.items():
        if not isinstance(dtype, pd.CategoricalDtype) or name not in second:
            continue
        other = second[name].astype("category").cat.categories
        categories = dtype.categories.append(other.difference(dtype.categories))
        changed[name] = pd.CategoricalDtype(categories, ordered=dtype.ordered)
    if not changed:
        return first, second
    return first.astype(changed), second.astype(changed)


def chunk_rows(X):
    """Rows per scoring chunk for ``X``: about 8 MiB of input, a multiple of 1024
    (an image or signal counts every value of a sample)."""
    shape = getattr(X, "shape", ())
    width = int(np.prod(shape[1:])) if len(shape) > 2 else n_columns(X)
    rows = _CHUNK_BYTES // (8 * max(width, 1))
    return int(min(max(rows // _ROW_QUANTUM, 1) * _ROW_QUANTUM, _MAX_CHUNK_ROWS))


def iter_row_chunks(X, chunk_size=None):
    """Yield ``(start, chunk)`` over consecutive row blocks of ``X``."""
    if _pool(X) is not None:
        yield from X.iter_chunks(chunk_size)
        return
    total = n_rows(X)
    chunk_size = chunk_rows(X) if chunk_size is None else chunk_size
    for start in range(0, total, chunk_size):
        yield start, slice_rows(X, start, min(start + chunk_size, total))


# -- float arrays ----------------------------------------------------------------


def as_float_array(X, *, dtype=None, accept_sparse=False):
    """``X`` as a 2-D float numpy array, for distances, clustering and features.

    Parameters
    ----------
    X : array-like, sparse matrix, DataFrame or torch.Tensor
        Rows; more than two dimensions are flattened per row.
    dtype : numpy dtype or None, default=None
        None keeps float32 and casts anything else to float64.
    accept_sparse : bool, default=False
        Keep a sparse matrix sparse (CSR, float64 unless ``dtype``); False
        densifies it.

    Returns
    -------
    array : ndarray of shape (n_rows, n_features) or CSR matrix
    """
    X = materialize(X)
    if hasattr(X, "iloc"):
        X = X.to_numpy()
    if is_tensor(X):
        X = X.detach().cpu().numpy()
    if sp.issparse(X):
        if accept_sparse:
            return sp.csr_matrix(X, dtype=np.float64 if dtype is None else dtype)
        X = X.toarray()
    X = np.asarray(X)
    try:
        if dtype is not None:
            X = X.astype(dtype, copy=False)
        elif X.dtype != np.float32:
            X = X.astype(np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"Distances and clusters are measured on numeric features, but the "
            f"pool holds values of dtype {X.dtype} ({error}). Encode the columns "
            "first (say with a ColumnTransformer and OneHotEncoder), or use a "
            "strategy that takes embed=<a function (model, X) -> features>."
        ) from error
    return X.reshape(X.shape[0], -1)


def to_float32(X):
    """Numeric arrays and sparse matrices as float32; anything else as it is.

    skorch nets train in float32: float64, float16, integer and boolean input
    is cast (torch would otherwise fail on mixed dtypes). DataFrames and tensors
    are left to the estimator (a Pipeline in front of the net converts them).
    """
    if (isinstance(X, np.ndarray) or sp.issparse(X)) and X.dtype != np.float32:
        if X.dtype == bool or np.issubdtype(X.dtype, np.number):
            return X.astype(np.float32)
    return X


def __getattr__(name):
    # PoolRows, the simulation's view of unlabeled rows, is now
    # skactive.utils.pools.LocalPool (same arguments); the old name stays.
    if name == "PoolRows":
        from skactive.utils._pool import LocalPool

        return LocalPool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

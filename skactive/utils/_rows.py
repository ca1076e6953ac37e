"""Row operations that work the same on every pool container skactive accepts.

A pool or a labeled set may be a numpy array (memmaps included), a pandas
DataFrame, a scipy sparse matrix or a torch tensor. The learner and the strategies
index, slice and append rows only through these helpers, so a container is kept as
the user gave it (a DataFrame keeps its column names for a ``ColumnTransformer``).
"""

import numpy as np
import scipy.sparse as sp
import torch

__all__ = [
    "chunk_rows",
    "concat_rows",
    "iter_row_chunks",
    "n_columns",
    "n_rows",
    "slice_rows",
    "take_rows",
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
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    if isinstance(X, torch.Tensor):
        return X[torch.from_numpy(rows).to(X.device)]
    if sp.issparse(X):
        return X[rows] if X.format in ("csr", "csc", "lil") else X.tocsr()[rows]
    if isinstance(X, np.ndarray):
        return X[rows]
    return [X[i] for i in rows]


def slice_rows(X, start, stop):
    """Rows ``start:stop`` of ``X``: a view where the container allows one."""
    if hasattr(X, "iloc"):
        return X.iloc[start:stop]
    if sp.issparse(X) and X.format not in ("csr", "csc", "lil"):
        X = X.tocsr()
    return X[start:stop]


def concat_rows(first, second):
    """Rows of ``first`` followed by rows of ``second``, in ``first``'s container."""
    if hasattr(first, "iloc"):
        import pandas as pd  # only reached when the user passed a DataFrame

        if not hasattr(second, "iloc"):
            second = pd.DataFrame(np.asarray(second), columns=first.columns)
        return pd.concat([first, second], ignore_index=True)
    if sp.issparse(first) or sp.issparse(second):
        return sp.vstack([first, second], format="csr")
    if isinstance(first, torch.Tensor):
        return torch.cat([first, torch.as_tensor(second, device=first.device)])
    first, second = np.asarray(first), np.asarray(second)
    return np.concatenate([first, second], axis=0)


def chunk_rows(X):
    """Rows per scoring chunk for ``X``: about 8 MiB of input, a multiple of 1024."""
    rows = _CHUNK_BYTES // (8 * max(n_columns(X), 1))
    return int(min(max(rows // _ROW_QUANTUM, 1) * _ROW_QUANTUM, _MAX_CHUNK_ROWS))


def iter_row_chunks(X, chunk_size=None):
    """Yield ``(start, chunk)`` over consecutive row blocks of ``X``."""
    total = n_rows(X)
    chunk_size = chunk_rows(X) if chunk_size is None else chunk_size
    for start in range(0, total, chunk_size):
        yield start, slice_rows(X, start, min(start + chunk_size, total))

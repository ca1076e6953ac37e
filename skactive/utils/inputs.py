"""Model inputs: the one home for turning pool rows into what a model reads.

A pool or a labeled set may be a numpy array (memmaps included), a pandas
DataFrame, a scipy sparse matrix or a torch tensor. Everything else in skactive
indexes, slices, appends, chunks and converts rows only through this module:

* row operations that keep the container as the user gave it (a DataFrame keeps
  its column names for a ``ColumnTransformer``): :func:`n_rows`,
  :func:`take_rows`, :func:`slice_rows`, :func:`concat_rows`;
* chunking for scoring, about 8 MiB of input at a time: :func:`chunk_rows`,
  :func:`iter_row_chunks`;
* conversion to float arrays and tensors: :func:`as_float_array` (numpy
  features for distances and clustering), :func:`to_float32` (float64 input for
  a skorch net, container kept), :func:`float32_rows` and
  :func:`rows_to_tensor` (rows for a torch module);
* torch inference: :func:`torch_module`, :func:`module_device`,
  :func:`iter_padded_chunks` (fixed-size chunks, so a sample's output never
  depends on its neighbours), :func:`inference_mode` and :func:`logits_of`.
"""

import sys
import threading
import weakref
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from skactive.utils.validation import validate_rows

__all__ = [
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


# -- torch, imported only where a tensor or a module is used ----------------------


def isinstance_if_imported(obj, module_name, *class_names):
    """``isinstance(obj, module.<any of class_names>)``, without importing module.

    An instance of a class cannot exist before its module is imported, so a
    module that is not in ``sys.modules`` answers False at no cost: a process
    that never touched torch (about 1.5 s to import) or skorch never pays for
    them in a type check.
    """
    module = sys.modules.get(module_name)
    if module is None:
        return False
    return isinstance(obj, tuple(getattr(module, name) for name in class_names))


def is_tensor(X):
    """Whether ``X`` is a torch tensor (torch is not imported for the check)."""
    return isinstance_if_imported(X, "torch", "Tensor")


def is_torch_module(obj):
    """Whether ``obj`` is a ``torch.nn.Module`` (torch is not imported for it)."""
    return isinstance_if_imported(obj, "torch.nn", "Module")


# -- rows of any container -----------------------------------------------------


class PoolRows:
    """The rows ``rows`` of ``base``, not copied: a pool inside a larger array.

    A simulation's pool is the unlabeled part of the user's array. Copying it
    every round would double the memory of a large pool; instead strategies get
    this view, which every row helper of this module reads as it would read
    ``take_rows(base, rows)``. Only chunks (:func:`slice_rows`,
    :func:`iter_row_chunks`) and selections (:func:`take_rows`) are copied out.

    Parameters
    ----------
    base : array-like, sparse matrix, DataFrame or torch.Tensor
        The whole array (a ``PoolRows`` is unwrapped: views compose).
    rows : array-like of int
        Positions in ``base``, in pool order.
    """

    __slots__ = ("base", "rows")

    def __init__(self, base, rows):
        rows = np.asarray(rows, dtype=np.intp)
        if isinstance(base, PoolRows):
            base, rows = base.base, base.rows[rows]
        self.base, self.rows = base, rows

    def __len__(self):
        return self.rows.shape[0]

    def __repr__(self):
        return f"PoolRows({self.rows.shape[0]} of {n_rows(self.base)} rows)"

    def materialize(self):
        """The rows, copied into ``base``'s container."""
        return take_rows(self.base, self.rows)


def materialize(X):
    """``X`` itself, or the rows of a :class:`PoolRows` copied out."""
    return X.materialize() if isinstance(X, PoolRows) else X


def raw_float_rows(X):
    """``X`` when it is a 2-D float numpy array or a :class:`PoolRows` of one
    (features that can be read as they are, without a copy); else None."""
    base = X.base if isinstance(X, PoolRows) else X
    if (
        isinstance(base, np.ndarray)
        and base.ndim == 2
        and base.dtype in (np.float32, np.float64)
    ):
        return X
    return None


def n_rows(X):
    """Number of rows (samples) of any supported container."""
    if isinstance(X, PoolRows):
        return X.rows.shape[0]
    if hasattr(X, "shape"):
        return int(X.shape[0])
    return len(X)


def n_columns(X):
    """Number of columns, or 1 for a 1-D container."""
    if isinstance(X, PoolRows):
        return n_columns(X.base)
    shape = getattr(X, "shape", None)
    if shape is None:
        shape = np.shape(X)
    return int(shape[1]) if len(shape) > 1 else 1


def take_rows(X, rows):
    """Rows ``rows`` (an integer array of positions) of ``X``, same container."""
    rows = np.asarray(rows, dtype=np.intp)
    if isinstance(X, PoolRows):
        return take_rows(X.base, X.rows[rows])
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
    if isinstance(X, PoolRows):
        return take_rows(X.base, X.rows[start:stop])
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
    shape = getattr(X.base if isinstance(X, PoolRows) else X, "shape", ())
    width = int(np.prod(shape[1:])) if len(shape) > 2 else n_columns(X)
    rows = _CHUNK_BYTES // (8 * max(width, 1))
    return int(min(max(rows // _ROW_QUANTUM, 1) * _ROW_QUANTUM, _MAX_CHUNK_ROWS))


def iter_row_chunks(X, chunk_size=None):
    """Yield ``(start, chunk)`` over consecutive row blocks of ``X``."""
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


def float32_rows(X, model=None):
    """Rows as float32 for a torch module: an ndarray, a CSR matrix or a tensor.

    Parameters
    ----------
    X : array-like, sparse matrix, DataFrame or torch.Tensor
        Rows.
    model : estimator or None, default=None
        A fitted scikit-learn estimator with ``n_features_in_`` (such as a
        ``NetClassifier``) checks ``X`` against what it was fitted on.

    Returns
    -------
    rows : ndarray, CSR matrix or torch.Tensor, float32 (a float tensor keeps
        its precision)
    """
    if is_tensor(X):
        return X if X.is_floating_point() else X.float()
    if model is not None and hasattr(model, "n_features_in_"):
        return validate_rows(
            model, X, accept_sparse="csr", dtype=np.float32, reset=False
        )
    if hasattr(X, "iloc"):
        X = X.to_numpy()
    if sp.issparse(X):
        return X.tocsr().astype(np.float32)
    return np.asarray(X, dtype=np.float32)


def rows_to_tensor(X, rows=None):
    """The rows of an ndarray, CSR matrix or tensor as a dense float32 tensor."""
    import torch

    if rows is not None:
        X = X[rows]
    if isinstance(X, torch.Tensor):
        return X.float()
    if sp.issparse(X):
        X = X.toarray()
    # A copy when the input is read-only (memmap) or not contiguous: torch warns
    # on non-writable arrays and would otherwise share their memory.
    X = np.require(X, dtype=np.float32, requirements=["C", "W"])
    return torch.from_numpy(X)


# -- torch inference ---------------------------------------------------------------


def torch_module(model):
    """The trained ``torch.nn.Module`` of a net, or None for other models.

    A module is its own; a skorch net or :class:`~skactive.nets.NetClassifier`
    gives its ``module_``. An unfitted ``NetClassifier`` raises
    ``NotFittedError``.
    """
    if is_torch_module(model):
        return model
    try:
        module = model.module_
    except NotFittedError:
        raise
    except AttributeError:
        return None
    return module if is_torch_module(module) else None


def module_device(module):
    """The device of a module's first parameter (CPU for a module without any)."""
    import torch

    parameter = next(module.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def iter_padded_chunks(X, chunk_size, device=None):
    """Yield ``(tensor, n_valid)`` chunks of exactly ``chunk_size`` rows.

    The last chunk is padded with zero rows. Every sample then passes through the
    same matrix kernels whatever the size of ``X``, so a sample's output does not
    depend on which other samples share its call (float32 kernels otherwise differ
    in the last bits between batch shapes).

    Parameters
    ----------
    X : ndarray, CSR matrix or torch.Tensor
        Rows (from :func:`float32_rows`); a tensor may have any trailing shape.
    chunk_size : int
        Rows per chunk.
    device : torch.device, str or None, default=None
        Where the chunks go; None leaves them where they are.
    """
    import torch

    n_samples = X.shape[0]
    for start in range(0, n_samples, chunk_size):
        chunk = rows_to_tensor(X[start : start + chunk_size])
        if device is not None:
            chunk = chunk.to(device)
        n_valid = chunk.shape[0]
        if n_valid < chunk_size:
            padding = chunk.new_zeros((chunk_size - n_valid, *chunk.shape[1:]))
            chunk = torch.cat([chunk, padding])
        yield chunk, n_valid


# Modules inside inference_mode, by any thread: [depth, training flag before].
_INFERENCE_LOCK = threading.Lock()
_INFERENCE_DEPTH = weakref.WeakKeyDictionary()


@contextmanager
def inference_mode(module):
    """Run a block with ``module`` in eval mode and without gradients, then
    restore its training flag.

    Safe under threads (dask's threaded scheduler scores blocks at once): the
    flag is restored when the last block running on the module leaves, never
    under another thread's forward pass.
    """
    import torch

    with _INFERENCE_LOCK:
        state = _INFERENCE_DEPTH.get(module)
        if state is None:
            state = _INFERENCE_DEPTH[module] = [0, module.training]
            module.eval()
        state[0] += 1
    try:
        with torch.no_grad():
            yield module
    finally:
        with _INFERENCE_LOCK:
            state[0] -= 1
            if state[0] == 0:
                del _INFERENCE_DEPTH[module]
                module.train(state[1])


def _no_op_hook(*args):
    return None


def _inert_hook():
    return _no_op_hook


class ThreadHook:
    """A torch hook that acts only in the thread that registered it.

    A fitted module is shared by the threads that score a pool's blocks (dask's
    threaded scheduler, a worker's threads): a hook registered for one pass must
    not see another thread's passes. Pickled (a dask worker sending the model
    while a pass runs), it becomes a no-op, so the copy is a plain module.
    """

    def __init__(self, function):
        self.function, self.owner = function, threading.get_ident()

    def __call__(self, *args):
        if threading.get_ident() == self.owner:
            return self.function(*args)
        return None

    def __reduce__(self):
        return (_inert_hook, ())


def logits_of(output):
    """The logits of a module's output (the first item of a tuple output)."""
    return output[0] if isinstance(output, tuple) else output

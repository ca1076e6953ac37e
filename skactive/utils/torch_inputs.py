"""Torch rows and modules: tensors, float32 rows and the inference helpers.

The torch half of the model inputs (:mod:`skactive.utils.inputs` holds the row
operations on any container). torch itself is imported only inside the
functions that use it:

* type checks that never import torch: :func:`isinstance_if_imported`,
  :func:`is_tensor`, :func:`is_torch_module`;
* rows for a torch module: :func:`float32_rows`, :func:`rows_to_tensor`;
* inference: :func:`torch_module`, :func:`module_device`,
  :func:`iter_padded_chunks` (fixed-size chunks, so a sample's output never
  depends on its neighbours), :func:`inference_mode`, :class:`ThreadHook` and
  :func:`logits_of`.
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
    "ThreadHook",
    "float32_rows",
    "inference_mode",
    "is_tensor",
    "is_torch_module",
    "isinstance_if_imported",
    "iter_padded_chunks",
    "logits_of",
    "module_device",
    "rows_to_tensor",
    "torch_module",
]


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

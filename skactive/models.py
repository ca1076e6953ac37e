"""Model capabilities: what a query strategy may ask of a fitted model.

Strategies never call a model's methods directly; they ask for a capability here,
which dispatches on what the model is, duck typing first:

* :func:`predict_proba`: class probabilities ``(n_samples, n_classes)`` from any
  fitted scikit-learn classifier with ``predict_proba``, a skorch net (a float
  array is cast to float32 for it, as skorch nets train in float32), or a plain
  ``torch.nn.Module`` that returns logits.

A model without the capability gets a ``TypeError`` naming what to wrap it in.
"""

import numpy as np
import scipy.sparse as sp
import torch

from skactive.utils._batching import rows_to_tensor

__all__ = ["predict_proba"]

_NO_PROBA_HELP = (
    "Wrap a classifier that has a decision_function in "
    "sklearn.calibration.CalibratedClassifierCV, or use SVC(probability=True); "
    "a torch.nn.Module returning logits is also accepted."
)


def _is_skorch_net(model):
    try:
        from skorch import NeuralNet
    except ImportError:  # pragma: no cover - skorch is a runtime dependency
        return False
    return isinstance(model, NeuralNet)


def _module_device(module):
    parameter = next(module.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def _module_proba(module, X):
    """Softmax of a module's logits on ``X``, as a float32 ndarray."""
    if hasattr(X, "iloc"):
        X = X.to_numpy()
    if isinstance(X, torch.Tensor):
        inputs = X if torch.is_floating_point(X) else X.float()
    elif sp.issparse(X) or isinstance(X, np.ndarray):
        inputs = rows_to_tensor(X)
    else:
        inputs = rows_to_tensor(np.asarray(X, dtype=np.float32))
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            logits = module(inputs.to(_module_device(module)))
    finally:
        module.train(was_training)
    if isinstance(logits, tuple):
        logits = logits[0]
    return torch.softmax(logits.float(), dim=-1).cpu().numpy()


def _float32_rows(X):
    """``X`` as float32 when it is a float64 array (skorch nets train in float32)."""
    if isinstance(X, np.ndarray) and X.dtype == np.float64:
        return X.astype(np.float32)
    if sp.issparse(X) and X.dtype == np.float64:
        return X.astype(np.float32)
    return X


def predict_proba(model, X):
    """Class probabilities of a fitted model.

    Parameters
    ----------
    model : fitted classifier, skorch net or torch.nn.Module
        Anything with ``predict_proba``, or a module returning logits (its softmax
        is taken; the module is run in eval mode, without gradients).
    X : array-like, sparse matrix, DataFrame or torch.Tensor of shape \
            (n_samples, n_features)
        Samples, in a form the model accepts.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
        Columns follow the model's ``classes_`` (or the module's outputs).

    Raises
    ------
    TypeError
        When the model has no ``predict_proba`` and is not a torch module.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> predict_proba(LogisticRegression(max_iter=500).fit(X, y), X[:2]).shape
    (2, 3)
    """
    if isinstance(model, torch.nn.Module):
        return _module_proba(model, X)
    method = getattr(model, "predict_proba", None)
    if method is None or not callable(method):
        raise TypeError(
            f"{type(model).__name__} has no predict_proba, which this query "
            f"strategy needs. {_NO_PROBA_HELP}"
        )
    if _is_skorch_net(model):
        X = _float32_rows(X)
    return np.asarray(method(X))

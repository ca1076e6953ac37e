"""The last layer's gradient, in two factors: BADGE's embedding and expected
gradient length, without the ``n x (C * D)`` product.

The gradient of the loss at the model's most probable answer with respect to the
last layer's weights is an outer product ``r h^T``: ``r`` from the output side
(:func:`gradient_residual`: ``p - e_c`` for a softmax, ``p - [p > 1/2]`` per
label for a multilabel model's sigmoids), ``h`` the input of the last layer
(:func:`last_layer_inputs`: a net's penultimate activations, a linear model's
features and a constant 1).
"""

import numpy as np
from sklearn.pipeline import Pipeline

from skactive.models._classification import (
    is_multilabel,
    pipeline_head,
    predict_proba,
)
from skactive.utils.inputs import as_float_array, torch_module

__all__ = ["gradient_embedding_factors", "gradient_residual", "last_layer_inputs"]


def gradient_embedding_factors(model, X, embed_function=None):
    """The factors of BADGE's gradient embedding of the last layer.

    The gradient of the cross-entropy at the hypothesised label ``argmax p`` with
    respect to the last layer's weights is the outer product ``(p - e) h^T`` of the
    residual ``p - onehot(argmax p)`` (``n_classes``) and the layer's input ``h``
    (``n_dimensions``). Its inner products factorize,
    ``<g_i, g_j> = <r_i, r_j> <h_i, h_j>``, so strategies never build the
    ``n_rows x (n_classes * n_dimensions)`` embedding.

    Parameters
    ----------
    model : estimator, skorch net or torch.nn.Module
        A fitted net (``h`` is its penultimate activation) or linear model with
        ``coef_`` and ``predict_proba`` (``h`` is the features with a constant 1
        for the intercept); a ``Pipeline`` ending in one.
    X : array-like, sparse matrix, DataFrame or torch.Tensor
        Samples.
    embed_function : callable or None, default=None
        ``embed_function(model, X) -> h``, for any model with ``predict_proba``.

    Returns
    -------
    residual : ndarray of shape (n_rows, n_classes)
    features : ndarray of shape (n_rows, n_dimensions)

    Raises
    ------
    TypeError
        For a model that is neither a net nor a linear model, without
        ``embed_function``.
    """
    proba, features = last_layer_inputs(model, X, embed_function)
    return gradient_residual(model, proba), features


def gradient_residual(model, proba):
    """The output-side factor of the last layer's loss gradient at the most
    probable answer: ``p - e_c`` at the top class ``c`` (softmax and
    cross-entropy), or ``p - [p > 1/2]`` per label for a multilabel model (one
    sigmoid and binary cross-entropy per label).

    Parameters
    ----------
    model : fitted classifier
        The model the probabilities came from.
    proba : ndarray of shape (n_rows, n_classes)
        Its probabilities (each label's, for a multilabel model).

    Returns
    -------
    residual : ndarray of shape (n_rows, n_classes), float64
    """
    proba = np.asarray(proba, dtype=np.float64)
    if is_multilabel(model):
        return proba - (proba > 0.5)
    residual = proba.copy()
    residual[np.arange(proba.shape[0]), proba.argmax(axis=1)] -= 1.0
    return residual


def last_layer_inputs(model, X, embed_function=None):
    """The class probabilities ``p`` and the input ``h`` of the last layer.

    The gradient of the cross-entropy at label ``c`` with respect to the last
    layer's weights is ``(p - e_c) h^T``: these two factors give it for every
    label (:func:`gradient_embedding_factors`, expected gradient length).

    Parameters
    ----------
    model, X, embed_function
        As in :func:`gradient_embedding_factors`.

    Returns
    -------
    proba : ndarray of shape (n_rows, n_classes), float64
    features : ndarray of shape (n_rows, n_dimensions)
    """
    if embed_function is None and isinstance(model, Pipeline):
        return last_layer_inputs(*pipeline_head(model, X))
    proba = np.asarray(predict_proba(model, X), dtype=np.float64)
    if embed_function is not None:
        features = np.asarray(embed_function(model, X))
    elif torch_module(model) is not None:
        from skactive.nets import penultimate_activations

        features = penultimate_activations(model, X)
    elif hasattr(model, "coef_"):
        raw = as_float_array(X)
        features = np.hstack([raw, np.ones((raw.shape[0], 1), dtype=raw.dtype)])
    else:
        raise TypeError(
            f"{type(model).__name__} has no gradient embedding: it is neither a "
            "network nor a linear model with coef_. Pass embed=<a function "
            "(model, X) -> features> to the strategy, or use a "
            "skactive.nets.TorchMLPClassifier or a linear model."
        )
    return proba, features

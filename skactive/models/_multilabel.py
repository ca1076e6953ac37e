"""Multilabel capabilities: whether a model predicts label sets, and each
label's probability.

scikit-learn's multilabel classifiers answer ``predict_proba`` in two shapes:
``OneVsRestClassifier`` and skactive's multilabel nets give an array
``(n_samples, n_labels)`` of each label's probability, while
``MultiOutputClassifier``, forests and trees give a list of one
``(n_samples, 2)`` array per label (``(n_samples, 1)`` for a label that was
constant in training). :func:`predict_label_proba` reads any of them as the
first shape, which every multilabel strategy scores.
"""

import numpy as np
from sklearn.pipeline import Pipeline

from skactive.models._classification import is_multilabel, model_input, pipeline_head

__all__ = ["is_multilabel", "predict_label_proba"]

_NO_LABEL_PROBA_HELP = (
    "Use a multilabel classifier with predict_proba: OneVsRestClassifier(...), "
    "MultiOutputClassifier(...), RandomForestClassifier, or "
    "skactive.nets.TorchMLPClassifier fitted on an indicator matrix."
)


def _positive_column(proba, classes):
    """The probability of label 1 from one output's ``(n, k)`` probabilities."""
    proba = np.asarray(proba, dtype=np.float64)
    classes = np.asarray(classes)
    positive = np.flatnonzero(classes == 1)
    if positive.size:
        return proba[:, positive[0]]
    return np.zeros(proba.shape[0])  # the label was never seen set


def predict_label_proba(model, X):
    """Each label's probability under a fitted multilabel classifier.

    Parameters
    ----------
    model : fitted multilabel classifier
        ``OneVsRestClassifier``, ``MultiOutputClassifier``, a forest or tree
        fitted on an indicator matrix, a multilabel ``TorchMLPClassifier``, a
        ``Pipeline`` ending in one, or an ``ActiveLearner`` fitted on one.
    X : array-like, sparse matrix or DataFrame of shape (n_rows, n_features)
        Samples.

    Returns
    -------
    proba : ndarray of shape (n_rows, n_labels)
        The probability of each label being set, float64.

    Raises
    ------
    TypeError
        When the model has no ``predict_proba``.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> X, Y = make_multilabel_classification(50, n_classes=3, random_state=0)
    >>> forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, Y)
    >>> predict_label_proba(forest, X[:4]).shape
    (4, 3)
    """
    if isinstance(model, Pipeline):
        return predict_label_proba(*pipeline_head(model, X))
    if getattr(model, "multilabel_", False) and hasattr(model, "estimator_"):
        return predict_label_proba(model.estimator_, X)  # a fitted ActiveLearner
    method = getattr(model, "predict_proba", None)
    if not callable(method):
        raise TypeError(
            f"{type(model).__name__} has no predict_proba, which this multilabel "
            f"query strategy needs. {_NO_LABEL_PROBA_HELP}"
        )
    proba = method(model_input(model, X))
    if not isinstance(proba, list):
        return np.asarray(proba, dtype=np.float64)
    classes = getattr(model, "classes_", None)
    if not isinstance(classes, list):  # MultiOutputClassifier keeps them inside
        classes = [member.classes_ for member in model.estimators_]
    return np.column_stack(
        [_positive_column(p, c) for p, c in zip(proba, classes, strict=True)]
    )

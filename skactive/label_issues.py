"""Label issues: finding the labels most likely wrong, to recheck.

:func:`find_label_issues` ranks the labeled samples by how likely their label is
wrong, in the style of confident learning (Northcutt et al. 2021): people
mislabel, and the uncertain samples active learning asks about are the ones they
get wrong most. It sits above the learner and reads a learner through its public
attributes only. (The simulated annotator with a known error rate, below the
learner, is :class:`~skactive.oracle.SimulatedOracle`; this module was
``skactive.labeling``, which still imports both.)
"""

from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from skactive.utils.validation import is_learner

__all__ = ["find_label_issues"]


def _model_and_data(learner_or_estimator, X, y):
    """The estimator to cross-validate and the labeled set to check."""
    model = learner_or_estimator
    if is_learner(model):
        if hasattr(model, "estimator_"):
            if X is None and y is None:
                X, y = model.X_labeled_, model.y_labeled_
            model = model.estimator_  # cloned below: its parameters, refitted
        elif getattr(model, "estimator", None) is not None:
            model = model.estimator
        else:
            raise ValueError(
                "find_label_issues got an unfitted learner without an estimator: "
                "fit the learner first, or pass the classifier itself with X, y."
            )
    if X is None or y is None:
        raise ValueError(
            "find_label_issues needs X and y, the labeled samples to check; only "
            "a fitted ActiveLearner supplies its own (X_labeled_, y_labeled_)."
        )
    if not hasattr(model, "fit") or not hasattr(model, "predict_proba"):
        raise TypeError(
            f"find_label_issues needs an estimator with fit and predict_proba, or "
            f"an ActiveLearner; got {type(model).__name__}."
        )
    return model, X, np.asarray(y)


def _check_folds(y, cv):
    """``(classes, codes, counts, n_splits)`` of the labels, or a clear error."""
    if isinstance(cv, bool) or not isinstance(cv, Integral) or cv < 2:
        raise ValueError(f"cv must be an integer >= 2, got {cv!r}.")
    classes, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
    if classes.shape[0] < 2:
        raise ValueError("find_label_issues needs at least two classes in y.")
    n_splits = min(cv, int(counts.min()))
    if n_splits < 2:
        rare = classes[counts < 2].tolist()
        raise ValueError(
            f"Classes {rare[:10]} have a single labeled sample: no fold can "
            "check it. Label more samples of them, or leave them out of X, y."
        )
    return classes, codes, counts, n_splits


def _confident_issues(proba, codes, counts):
    """Flagged rows, most suspicious first, and their normalized margins."""
    rows = np.arange(codes.shape[0])
    given = proba[rows, codes]
    thresholds = np.bincount(codes, weights=given, minlength=counts.shape[0])
    thresholds /= counts
    confident = np.where(proba >= thresholds, proba, -np.inf)
    suspected = confident.argmax(axis=1)
    flagged = np.isfinite(confident.max(axis=1)) & (suspected != codes)
    others = proba.copy()
    others[rows, codes] = -np.inf
    margin = given - others.max(axis=1)
    indices = np.flatnonzero(flagged)
    order = np.argsort(margin[indices], kind="stable")
    return indices[order].astype(np.int64), margin[indices[order]]


def find_label_issues(learner_or_estimator, X=None, y=None, *, cv=5, random_state=0):
    """Labeled samples whose label is likely wrong, most suspicious first.

    Out-of-fold probabilities ``p`` come from ``cv``-fold stratified cross
    validation of a clone of the estimator. Class ``k``'s threshold ``t_k`` is
    the mean ``p_k`` over the samples labeled ``k`` (the model's confidence in a
    typical member). A sample is flagged, as in confident learning's confident
    joint, when the class it most confidently belongs to, among the classes
    whose ``p_k >= t_k``, is not its label. Flagged samples are ranked by their
    normalized margin ``p_label - max_{k != label} p_k``, lowest first.

    Parameters
    ----------
    learner_or_estimator : ActiveLearner or classifier
        An ``ActiveLearner`` (its estimator is cross-validated; without ``X``
        and ``y``, on its own labeled set) or any classifier with
        ``predict_proba``.
    X : array-like of shape (n_samples, n_features), default=None
        The labeled samples.
    y : array-like of shape (n_samples,), default=None
        Their labels, as given by the annotators.
    cv : int, default=5
        Folds; lowered to the size of the smallest class (at least 2).
    random_state : int, RandomState instance or None, default=0
        Shuffles the folds.

    Returns
    -------
    indices : ndarray of shape (n_flagged,), int64
        Positions in ``X`` (for a learner's own set, in ``X_labeled_``) of the
        flagged samples, most likely wrong first.
    scores : ndarray of shape (n_flagged,)
        Their normalized margins, in [-1, 0]: lower is more suspicious.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.label_issues import find_label_issues
    >>> X, y = load_iris(return_X_y=True)
    >>> y_noisy = y.copy()
    >>> y_noisy[[0, 60, 120]] = [2, 0, 1]
    >>> indices, scores = find_label_issues(
    ...     LogisticRegression(max_iter=1000), X, y_noisy
    ... )
    >>> sorted(set(indices[:3].tolist()) & {0, 60, 120})
    [0, 60, 120]
    """
    model, X, y = _model_and_data(learner_or_estimator, X, y)
    _, codes, counts, n_splits = _check_folds(y, cv)
    folds = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    proba = cross_val_predict(clone(model), X, y, cv=folds, method="predict_proba")
    return _confident_issues(np.asarray(proba, dtype=np.float64), codes, counts)

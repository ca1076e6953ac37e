"""Argument checks shared by the learner, the strategies and the capabilities."""

from numbers import Integral

__all__ = [
    "as_text_rows",
    "check_positive_int",
    "indicator_label_set",
    "is_learner",
    "validate_rows",
]


def is_learner(candidate):
    """Whether ``candidate`` is an active learner (it can ``query`` and
    ``teach``), as opposed to a plain estimator or a strategy.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> is_learner(LogisticRegression())
    False
    """
    return callable(getattr(candidate, "teach", None)) and callable(
        getattr(candidate, "query", None)
    )


def check_positive_int(value, name, *, allow_none=False):
    """``value`` as an int, or a clear error naming ``name``.

    Parameters
    ----------
    value : object
        The argument.
    name : str
        Its name, for the message.
    allow_none : bool, default=False
        Whether None is accepted (and returned).

    Returns
    -------
    value : int or None

    Examples
    --------
    >>> check_positive_int(3, "batch_size")
    3
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral):
        expected = "a positive integer or None" if allow_none else "a positive integer"
        raise TypeError(
            f"{name} must be {expected}, got {value!r} of type {type(value).__name__}."
        )
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}.")
    return int(value)


def indicator_label_set(y, classes=None, seen=None):
    """The label set of a multilabel indicator matrix ``y``, checked.

    Parameters
    ----------
    y : ndarray of shape (n_samples, n_labels)
        Binary indicator rows.
    classes : array-like of shape (n_labels,) or None, default=None
        The names of the columns, fixed up front; None names them by position.
    seen : ndarray of shape (n_labels,) or None, default=None
        The label set so far (``teach``): ``y`` must have as many columns.

    Returns
    -------
    classes : ndarray of shape (n_labels,)

    Examples
    --------
    >>> import numpy as np
    >>> indicator_label_set(np.array([[0, 1, 1], [1, 0, 0]]))
    array([0, 1, 2])
    """
    import numpy as np
    from sklearn.utils.multiclass import type_of_target

    if type_of_target(y) != "multilabel-indicator":
        raise ValueError(
            f"y of shape {y.shape} is not a binary indicator matrix: multilabel "
            "targets hold 0 and 1 only, one column per label (see "
            "sklearn.preprocessing.MultiLabelBinarizer); single-label targets "
            "are 1-D."
        )
    n_labels = y.shape[1]
    if seen is not None:
        if n_labels != seen.shape[0]:
            raise ValueError(
                f"y has {n_labels} label columns, but the learner was fitted on "
                f"{seen.shape[0]} (classes_={seen.tolist()[:10]}): a label column "
                "cannot be added later. Fix the whole label set up front, with "
                "classes=[...] and one column per label, even those not seen yet."
            )
        return seen
    if classes is None:
        return np.arange(n_labels)
    classes = np.asarray(classes)
    if classes.shape != (n_labels,):
        raise ValueError(
            f"classes has {classes.size} entries, but y has {n_labels} label "
            "columns: for multilabel targets classes names the columns of the "
            "indicator matrix, one name per column."
        )
    return classes


def as_text_rows(X):
    """``X`` as a 1-D object array of strings when it is a raw-text pool, else None.

    A text pool is a list or tuple of strings, a 1-D numpy array of strings, or a
    pandas Series of them: one document per sample, for an estimator that starts
    with a vectorizer (``make_pipeline(TfidfVectorizer(), ...)``).

    Parameters
    ----------
    X : object
        A pool or training set.

    Returns
    -------
    texts : ndarray of shape (n_samples,), object, or None

    Examples
    --------
    >>> as_text_rows(["a cat", "a dog"])
    array(['a cat', 'a dog'], dtype=object)
    >>> as_text_rows([[1.0, 2.0]]) is None
    True
    """
    import numpy as np

    if isinstance(X, str) or getattr(X, "ndim", 1) != 1:
        return None
    if hasattr(X, "iloc"):  # a pandas Series
        X = X.to_numpy(dtype=object)
    elif not isinstance(X, np.ndarray):
        if not isinstance(X, (list, tuple)) or not X:
            return None
        X = np.asarray(X, dtype=object)
    if X.dtype.kind in "US":
        return X.astype(object)
    if X.dtype != object or X.size == 0:
        return None
    is_text = np.frompyfunc(lambda value: isinstance(value, str), 1, 1)(X)
    return X if is_text.all() else None


def validate_rows(estimator, X, y="no_validation", *, reset, **check_params):
    """scikit-learn's ``validate_data`` for rows of any shape.

    2-D data is checked as ``validate_data`` checks it. An array or tensor of
    shape ``(n, d1, d2, ...)`` (images, signals) is checked as the 2-D view
    ``(n, d1 * d2 * ...)``, so ``n_features_in_`` is the number of values per
    sample, and returned in its own shape (a tensor as a numpy array). Its
    per-sample shape is recorded as ``estimator.input_shape_`` at ``reset`` and
    checked afterwards.

    Parameters
    ----------
    estimator : estimator
        The estimator being fitted or asked.
    X : array-like, sparse matrix, DataFrame or torch.Tensor
        Rows.
    y : array-like or "no_validation", default="no_validation"
        Targets, checked with ``X`` when given.
    reset : bool
        Whether this is a ``fit`` (record the shapes) or a later call (check).
    **check_params : dict
        Passed to ``validate_data``.

    Returns
    -------
    X or (X, y)
        Validated, ``X`` in its per-sample shape.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> est = BaseEstimator()
    >>> validate_rows(est, np.zeros((5, 1, 8, 8)), reset=True).shape
    (5, 1, 8, 8)
    >>> est.n_features_in_, est.input_shape_
    (64, (1, 8, 8))
    """
    import numpy as np

    from skactive.utils._compat import validate_data

    if callable(getattr(X, "detach", None)) and callable(getattr(X, "numpy", None)):
        X = X.detach().cpu().numpy()  # a torch tensor
    expected = getattr(estimator, "input_shape_", None)
    if not (isinstance(X, np.ndarray) and X.ndim > 2):
        if reset:
            vars(estimator).pop("input_shape_", None)
        elif expected is not None and np.ndim(X) == 2:
            raise ValueError(
                f"{type(estimator).__name__} was fitted on samples of shape "
                f"{tuple(expected)}, but X is 2-D of shape {np.shape(X)}: pass "
                f"X of shape (n_samples, {', '.join(map(str, expected))})."
            )
        return validate_data(estimator, X, y, reset=reset, **check_params)
    shape = tuple(X.shape[1:])
    if not reset and expected is not None and tuple(expected) != shape:
        raise ValueError(
            f"X has samples of shape {shape}, but {type(estimator).__name__} was "
            f"fitted on samples of shape {tuple(expected)}."
        )
    if not reset and expected is None and hasattr(estimator, "n_features_in_"):
        raise ValueError(
            f"X has samples of shape {shape}, but {type(estimator).__name__} was "
            f"fitted on 2-D rows of {estimator.n_features_in_} features."
        )
    flat = X.reshape(X.shape[0], -1)
    out = validate_data(estimator, flat, y, reset=reset, **check_params)
    flat, y = out if not isinstance(y, str) else (out, y)
    if reset:
        estimator.input_shape_ = shape
    X = flat.reshape(flat.shape[0], *shape)
    return X if isinstance(y, str) else (X, y)

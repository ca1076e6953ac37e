"""What an active learner does with the model it wraps: validation, seeded
fits and predictions.

The plumbing every learner (:class:`~skactive.ActiveLearner`,
:class:`~skactive.ActiveRegressor`, :class:`~skactive.StreamLearner`) shares with
an ordinary meta-estimator such as scikit-learn's ``SelfTrainingClassifier``:
checking ``X``, ``y`` and pools (rows of any shape, frames, raw text, dask
collections), a seeded clone of ``estimator`` (a ``random_state`` left at None,
in the estimator or any pipeline step, is filled in; one the user set is kept),
its fit (float32 input for skorch nets, a private torch random stream), and
predictions through the fitted ``estimator_``. It imports no plug-in family
(strategies, stopping criteria, oracles): the loop in :mod:`skactive._loop`
does.
"""

import functools
import time
import warnings
from abc import ABCMeta, abstractmethod
from contextlib import nullcontext

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from skactive.models import model_input
from skactive.utils._compat import validate_data
from skactive.utils.dask_pools import check_dask_pool, is_dask_collection
from skactive.utils.inputs import n_rows
from skactive.utils.pools import LocalPool
from skactive.utils.seeding import private_torch_rng
from skactive.utils.validation import as_text_rows, validate_rows

__all__ = [
    "BaseActiveLearner",
    "ColdStartWarning",
    "OneClassPlaceholder",
    "estimator_has",
    "restore_on_error",
]


class ColdStartWarning(UserWarning):
    """The labeled set holds one class the estimator cannot be fitted on yet."""


class OneClassPlaceholder(DummyClassifier):
    """Stands in for an estimator that cannot be fitted on a single class: it
    predicts that class, until a second class is labeled and the real estimator
    is fitted."""

    def __init__(self):
        super().__init__(strategy="prior")


def restore_on_error(method):
    """Make a fitting method atomic: on any error, every attribute of the
    estimator (random streams included) is put back as it was before the call."""

    @functools.wraps(method)
    def atomic(self, *args, **kwargs):
        saved = dict(vars(self))
        streams = {
            name: value.get_state()
            for name, value in saved.items()
            if isinstance(value, np.random.RandomState)
        }
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            for name, state in streams.items():
                saved[name].set_state(state)
            raise

    return atomic


def estimator_has(attr):
    """For ``available_if``: the fitted estimator, else the unfitted one, has it."""

    def check(self):
        if hasattr(self, "estimator_"):
            getattr(self.estimator_, attr)
        else:
            getattr(self._base_estimator(), attr)
        return True

    return check


class BaseActiveLearner(MetaEstimatorMixin, BaseEstimator, metaclass=ABCMeta):
    """Shared plumbing of active learners (not for direct use).

    Subclasses define the parameters ``estimator`` and ``random_state``, the
    loop, and the task's hooks: ``_check_targets`` and ``_default_estimator``.
    """

    #: What ``accept_sparse`` the rows are checked with.
    _accept_sparse = True
    #: False: NaN is the estimator's call (it may take missing values).
    _ensure_all_finite = False
    #: Whether an estimator that cannot fit a single class is stood in for by
    #: a placeholder predicting it (classifiers), or its error raised.
    _one_class_fallback = True

    def _base_estimator(self):
        if self.estimator is not None:
            return self.estimator
        return self._default_estimator()

    @abstractmethod
    def _default_estimator(self):
        """The model used when ``estimator`` is None."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self._base_estimator())
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags

    # -- validation -----------------------------------------------------------

    def _validate_X(self, X, reset, ensure_min_samples=1):
        texts = as_text_rows(X)
        if texts is not None or getattr(self, "_text_input", False):
            return self._validate_texts(X, texts, reset)
        if reset:
            self._text_input = False
        if hasattr(X, "iloc"):
            # Kept as a DataFrame, so a ColumnTransformer in the estimator still
            # finds its columns; only the width and the column names are checked.
            validate_data(self, X, reset=reset, skip_check_array=True)
            return X
        # Rows of any shape (images as (n, C, H, W)) for an estimator that
        # takes them: checked as (n, C * H * W), handed on in their shape.
        return validate_rows(
            self,
            X,
            reset=reset,
            accept_sparse=self._accept_sparse,
            dtype=None,
            ensure_all_finite=self._ensure_all_finite,
            ensure_min_samples=ensure_min_samples,
        )

    def _validate_texts(self, X, texts, reset):
        """A raw-text pool (one string per sample), kept as it is for the
        estimator's vectorizer; a learner fitted on text takes text only."""
        if reset:
            self._text_input = True
            for name in ("n_features_in_", "feature_names_in_", "input_shape_"):
                vars(self).pop(name, None)  # text has no feature columns
            return texts
        if texts is None:
            raise ValueError(
                f"{type(self).__name__} was fitted on raw text, so X must be "
                "strings too (a list, tuple, 1-D array or Series of str, one "
                f"document per sample); got {type(X).__name__} of shape "
                f"{np.shape(X)}."
            )
        if not getattr(self, "_text_input", False):
            raise ValueError(
                f"{type(self).__name__} was fitted on feature arrays with "
                f"{getattr(self, 'n_features_in_', '?')} features, but X is raw "
                "text. Fit on the texts themselves, with an estimator that "
                "starts with a vectorizer (make_pipeline(TfidfVectorizer(), ...))."
            )
        return texts

    def _validate_pool(self, X_pool):
        """The pool to query or check, as one :class:`~skactive.utils.pools.Pool`
        (built here, once): a view's rows are checked whole, never copied."""
        if isinstance(X_pool, LocalPool):
            base = self._validate_X(X_pool.base, reset=False, ensure_min_samples=0)
            return LocalPool(base, X_pool.rows)
        if is_dask_collection(X_pool):  # checked by shape; its blocks stay put
            return check_dask_pool(
                X_pool,
                getattr(self, "n_features_in_", None),
                getattr(self, "feature_names_in_", None),
                type(self).__name__,
            )
        return LocalPool(self._validate_X(X_pool, reset=False, ensure_min_samples=0))

    def _validate_X_y(self, X, y, reset):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        if as_text_rows(X) is not None or getattr(self, "_text_input", False):
            X = self._validate_X(X, reset)
            y = np.asarray(y)
            check_consistent_length(X, y)
        elif hasattr(X, "iloc"):
            validate_data(self, X, reset=reset, skip_check_array=True)
            y = np.asarray(y)
            check_consistent_length(X, y)
        else:
            if reset:
                self._text_input = False
            X, y = validate_rows(
                self,
                X,
                np.asarray(y),  # a torch tensor of labels too
                reset=reset,
                accept_sparse=self._accept_sparse,
                dtype=None,
                ensure_all_finite=self._ensure_all_finite,
                multi_output=True,  # a multilabel indicator matrix
            )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim not in (1, 2):
            raise ValueError(
                f"y should be a 1d array of labels, got an array of shape {y.shape}."
            )
        return X, self._check_targets(y, reset)

    @abstractmethod
    def _check_targets(self, y, reset):
        """``y`` checked (and converted) for this learner's task; ``reset`` at
        ``fit``, where it may set the task's mode (multilabel)."""

    def _widen_classes(self):
        """After a fit: a classifier adopts the estimator's own fixed labels."""

    # -- fitting --------------------------------------------------------------

    def _seeded_clone(self, seed, fixed_classes=None):
        """An unfitted clone of the estimator, with what it (or a step of a
        pipeline) left at None filled in: ``classes`` when the label set is fixed
        (a net's output size), and ``random_state`` with ``seed`` when the
        learner is seeded. A value the user set is kept."""
        estimator = clone(self._base_estimator())
        fill = {}
        if fixed_classes is not None:
            fill["classes"] = fixed_classes
        if self.random_state is not None:
            fill["random_state"] = seed
        estimator.set_params(
            **{
                name: fill[name.rpartition("__")[2]]
                for name, value in estimator.get_params().items()
                if value is None and name.rpartition("__")[2] in fill
            }
        )
        return estimator

    def _fit_clone(self, X, y, fit_params, fixed_classes, seed):
        """A fitted seeded clone of the estimator and its fit time; ``self``
        untouched."""
        estimator = self._seeded_clone(seed, fixed_classes)
        X = model_input(estimator, X)
        start = time.perf_counter()
        # A private torch stream makes nets without a random_state (a user's
        # skorch net) reproducible, and leaves the global torch state alone.
        try:
            with (
                private_torch_rng(seed, "cpu")
                if self.random_state is not None
                else nullcontext()
            ):
                estimator.fit(X, y, **fit_params)
        except ValueError:
            if not self._one_class_fallback or np.unique(y).shape[0] > 1:
                raise
            estimator = self._one_class_placeholder(estimator, X, y)
        return estimator, time.perf_counter() - start

    def _one_class_placeholder(self, estimator, X, y):
        """A model predicting the single labeled class, with a warning saying why."""
        warnings.warn(
            f"The labeled set holds a single class ({np.asarray(y)[0].tolist()!r}), "
            "which "
            f"{type(estimator).__name__} cannot be fitted on: until a second class "
            f"is labeled, predictions are that class{self._cold_start_note()}.",
            ColdStartWarning,
            stacklevel=4,
        )
        return OneClassPlaceholder().fit(np.zeros((n_rows(X), 1)), y)

    def _cold_start_note(self):
        """What else the one-class placeholder changes, for its warning."""
        return ""

    # -- prediction -------------------------------------------------------------

    def _predict_input(self, X):
        check_is_fitted(self, "estimator_")
        X = self._validate_X(X, reset=False)
        return model_input(self.estimator_, X)

    @available_if(estimator_has("predict"))
    def predict(self, X):
        """Labels predicted by ``estimator_``.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        X = self._predict_input(X)  # checks fittedness first
        return self.estimator_.predict(X)

    @available_if(estimator_has("score"))
    def score(self, X, y, sample_weight=None):
        """Score of ``estimator_`` on ``(X, y)`` (accuracy for classifiers).

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
        """
        X = self._predict_input(X)
        if sample_weight is None:
            return self.estimator_.score(X, y)
        return self.estimator_.score(X, y, sample_weight=sample_weight)

"""StreamLearner: stream-based selective sampling under a labeling budget.

Samples arrive one at a time (or in mini-batches) and each gets one decision:
ask for its label, or let it go for good. A stream strategy
(:mod:`skactive.strategies.stream`) makes the decision from the current model's
confidence, within an :class:`~skactive.strategies.EstimatedBudget` that keeps
the share of labels asked near ``budget`` over a sliding window. The model
learns incrementally through ``partial_fit`` (``SGDClassifier``, the naive
Bayes models, skactive's nets), or, for models without it or with ``window``
set, is refitted on the labels kept (all of them, or the ``window`` most
recent, so old concepts are forgotten). Samples may be rows of any shape or raw
text (one string per sample, for a text pipeline: a moderation queue, logs).

Two ways to drive it, as with :class:`~skactive.ActiveLearner`:

* ``fit(X, y)`` replays a whole stream as a simulation with ``y`` as the
  oracle, and scores it prequentially (test then train: every sample is
  predicted before its label could be asked), recording the accuracy and the
  labels spent over time;
* by hand: ``query(X_batch)`` gives the positions of an arriving batch whose
  labels to ask (a final decision: it spends the budget and moves the
  strategy's threshold), and ``teach(X_asked, y_asked)`` learns them.
"""

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import ClassifierMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted

from skactive._learner_base import (
    BaseActiveLearner,
    OneClassPlaceholder,
    restore_on_error,
)
from skactive.strategies import EstimatedBudget, VariableUncertainty
from skactive.utils._compat import HasMethods, Interval, _fit_context
from skactive.utils.inputs import concat_rows, n_rows, slice_rows, take_rows
from skactive.utils.seeding import draw_seed

__all__ = ["StreamLearner"]


class StreamLearner(ClassifierMixin, BaseActiveLearner):
    """A classifier that learns from a stream, asking for few labels.

    Parameters
    ----------
    estimator : classifier or None, default=None
        The model. With ``partial_fit`` (and ``window=None``) it learns each new
        label incrementally; otherwise a clone is refitted on the labels kept.
        None means ``GaussianNB()``.
    query_strategy : StreamStrategy or None, default=None
        How each sample is decided (:mod:`skactive.strategies.stream`); None
        means ``VariableUncertainty()``.
    budget : float in (0, 1], default=0.1
        Target share of samples labeled.
    budget_window : int, default=100
        Samples over which the spending is estimated.
    batch_size : int, default=1
        Samples per decision round in a simulation: the model is updated after
        each round.
    window : int or None, default=None
        Keep only the ``window`` most recent labels and refit on them after
        each update (a sliding window that forgets old concepts). None keeps
        every label.
    classes : array-like of shape (n_classes,) or None, default=None
        The label set, for ``partial_fit`` models driven by hand (their first
        call needs it). A simulation takes it from ``y``.
    random_state : int, RandomState instance or None, default=None
        Seeds the decisions and the estimator.

    Attributes
    ----------
    estimator_ : classifier or None
        The current model; None until labels of two classes arrived for a
        model that needs them.
    classes_ : ndarray of shape (n_classes,)
        The label set.
    X_labeled_, y_labeled_ : array-like
        The labels kept (all, or the ``window`` most recent).
    n_seen_, n_labeled_ : int
        Samples decided, labels asked.
    budget_manager_ : EstimatedBudget
        Its ``spent_`` estimate.
    query_strategy_ : StreamStrategy
        The strategy's fitted clone, with its state (``theta_``).
    asked_ : ndarray of shape (n_stream,), bool
        Simulation only: which samples of the stream were labeled.
    prequential_accuracy_ : ndarray of shape (n_stream,)
        Simulation only: accuracy of the test-then-train predictions so far,
        after each sample (NaN before the first model).
    labels_spent_ : ndarray of shape (n_stream,)
        Simulation only: labels asked so far, after each sample.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(2000, random_state=0)
    >>> learner = StreamLearner(budget=0.1, random_state=0).fit(X, y)
    >>> share = learner.n_labeled_ / learner.n_seen_
    >>> bool(abs(share - 0.1) < 0.01)
    True
    >>> bool(learner.prequential_accuracy_[-1] > 0.9)
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "query_strategy": [HasMethods(["decide"]), None],
        "budget": [Interval(Real, 0, 1, closed="right")],
        "budget_window": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "window": [Interval(Integral, 1, None, closed="left"), None],
        "classes": ["array-like", None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        query_strategy=None,
        *,
        budget=0.1,
        budget_window=100,
        batch_size=1,
        window=None,
        classes=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.query_strategy = query_strategy
        self.budget = budget
        self.budget_window = budget_window
        self.batch_size = batch_size
        self.window = window
        self.classes = classes
        self.random_state = random_state

    # Validation and the seeded clone are the learners' shared plumbing
    # (BaseActiveLearner); a stream slices its rows, so sparse ones are CSR.
    _accept_sparse = "csr"
    _ensure_all_finite = True

    def _validate(self, X, y=None, *, reset):
        """Rows of any shape, or raw text (one string per sample, for a text
        pipeline: moderation queues, logs); ``y`` checked along when given."""
        if y is None:
            return self._validate_X(X, reset)
        return self._validate_X_y(X, y, reset)

    def _check_targets(self, y, reset):
        if y.ndim != 1:
            raise ValueError(
                f"y should be a 1d array of class labels, got shape {y.shape}: "
                "StreamLearner learns one label per sample."
            )
        check_classification_targets(y)
        return y

    def _default_estimator(self):
        from sklearn.naive_bayes import GaussianNB

        return GaussianNB()

    def _start(self, classes):
        """Fresh state: no model, no labels, an unspent budget."""
        self._rng = check_random_state(self.random_state)
        self._estimator_seed = draw_seed(self._rng)
        strategy = self.query_strategy or VariableUncertainty()
        self.query_strategy_ = clone(strategy)
        self.budget_manager_ = EstimatedBudget(self.budget, self.budget_window)
        self.estimator_, self.X_labeled_, self.y_labeled_ = None, None, None
        self.classes_ = None if classes is None else unique_labels(classes)
        self.n_seen_, self.n_labeled_ = 0, 0

    def _incremental(self):
        return self.window is None and callable(
            getattr(self._base_estimator(), "partial_fit", None)
        )

    def _new_model(self):
        return self._seeded_clone(self._estimator_seed)

    def _learn(self, X_new, y_new):
        """Keep the new labels and update the model with them."""
        if self.X_labeled_ is None:
            self.X_labeled_, self.y_labeled_ = X_new, y_new
        else:
            self.X_labeled_ = concat_rows(self.X_labeled_, X_new)
            self.y_labeled_ = np.concatenate([self.y_labeled_, y_new])
        if self.window is not None and n_rows(self.X_labeled_) > self.window:
            keep = np.arange(
                n_rows(self.X_labeled_) - self.window, n_rows(self.X_labeled_)
            )
            self.X_labeled_ = take_rows(self.X_labeled_, keep)
            self.y_labeled_ = self.y_labeled_[keep]
        if self._incremental() and self.estimator_ is not None:
            self.estimator_.partial_fit(X_new, y_new)
            return
        # A model from labels of one class would be sure of it everywhere and
        # never ask again: until a second class is labeled, every sample the
        # budget allows is asked.
        if np.unique(self.y_labeled_).shape[0] < 2:
            return
        if not self._incremental():
            self.estimator_ = self._new_model().fit(self.X_labeled_, self.y_labeled_)
            return
        if self.classes_ is None:
            raise ValueError(
                f"{type(self._base_estimator()).__name__} learns through "
                "partial_fit, whose first call needs the whole label set: pass "
                "classes=[...] to StreamLearner."
            )
        self.estimator_ = self._new_model()
        self.estimator_.partial_fit(
            self.X_labeled_, self.y_labeled_, classes=self.classes_
        )

    def _decide(self, X_batch):
        asked = self.query_strategy_.decide(
            self.estimator_, X_batch, self.budget_manager_, self._rng
        )
        self.n_seen_ += asked.shape[0]
        self.n_labeled_ += int(asked.sum())
        return asked

    @restore_on_error
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Replay the stream ``(X, y)``, asking labels from ``y`` within the budget.

        Each sample is first predicted by the current model (prequential
        evaluation), then decided; the labels asked are learned after each
        round of ``batch_size`` samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            The stream, in arrival order.
        y : array-like of shape (n_samples,)
            Its labels, revealed only when asked.

        Returns
        -------
        self : StreamLearner
        """
        if y is None:
            raise ValueError(
                "StreamLearner requires y to be passed, but the target y is None: "
                "a simulated stream reveals its labels from y."
            )
        X, y = self._validate(X, y, reset=True)
        self._start(y if self.classes is None else self.classes)
        n = n_rows(X)
        correct = np.zeros(n)
        predicted = np.zeros(n, dtype=bool)
        self.asked_ = np.zeros(n, dtype=bool)
        for start in range(0, n, self.batch_size):
            stop = min(start + self.batch_size, n)
            batch = slice_rows(X, start, stop)
            if self.estimator_ is not None:
                correct[start:stop] = self.estimator_.predict(batch) == y[start:stop]
                predicted[start:stop] = True
            asked = self._decide(batch)
            self.asked_[start:stop] = asked
            if asked.any():
                rows = np.flatnonzero(asked)
                self._learn(take_rows(batch, rows), y[start:stop][rows])
        seen = np.cumsum(predicted)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.prequential_accuracy_ = np.where(
                seen > 0, np.cumsum(correct) / seen, np.nan
            )
        self.labels_spent_ = np.cumsum(self.asked_)
        return self

    @restore_on_error
    def query(self, X_batch):
        """Positions of an arriving batch whose labels to ask.

        A stream's decision is final: it spends the budget and moves the
        strategy's state, so asking again is a new decision.

        Parameters
        ----------
        X_batch : array-like of shape (n_samples, ...)
            The samples arriving now.

        Returns
        -------
        indices : ndarray of shape (n_asked,), int64
        """
        if not hasattr(self, "budget_manager_"):
            self._validate_params()
            self._validate(X_batch, reset=True)
            self._start(self.classes)
        X_batch = self._validate(X_batch, reset=False)
        return np.flatnonzero(self._decide(X_batch)).astype(np.int64)

    @restore_on_error
    def teach(self, X_new, y_new):
        """Learn the labels asked for.

        Parameters
        ----------
        X_new : array-like of shape (n_new, ...)
            The samples labeled.
        y_new : array-like of shape (n_new,)
            Their labels.

        Returns
        -------
        self : StreamLearner
        """
        if not hasattr(self, "budget_manager_"):
            raise ValueError(
                "teach learns the labels query asked for: call query(X_batch) on "
                "the arriving samples first."
            )
        if y_new is None:
            raise ValueError("teach requires y_new, the labels of X_new.")
        X_new, y_new = self._validate(X_new, y_new, reset=False)
        if self.classes_ is not None and not np.isin(y_new, self.classes_).all():
            raise ValueError(
                f"y_new holds labels outside classes={self.classes_.tolist()}; "
                "pass the whole label set as classes=[...]."
            )
        self._learn(X_new, y_new)
        if self.classes_ is None:
            self.classes_ = unique_labels(self.y_labeled_)
        return self

    def _fitted_model(self):
        check_is_fitted(self, "budget_manager_")
        if self.estimator_ is not None:
            return self.estimator_
        if self.y_labeled_ is None:
            raise ValueError(
                "No model yet: no label was asked so far. Keep streaming (query "
                "and teach); predictions start with the first labels."
            )
        # One class labeled so far: it is the prediction, until a second comes.
        return OneClassPlaceholder().fit(
            np.zeros((n_rows(self.y_labeled_), 1)), self.y_labeled_
        )

    def predict(self, X):
        """Labels predicted by the current model (the one class labeled so
        far, until a second class is)."""
        model = self._fitted_model()
        X = self._validate(X, reset=False)
        if isinstance(model, OneClassPlaceholder):
            return model.predict(np.zeros((n_rows(X), 1)))
        return model.predict(X)

    def predict_proba(self, X):
        """Class probabilities of the current model."""
        model = self._fitted_model()
        X = self._validate(X, reset=False)
        if isinstance(model, OneClassPlaceholder):
            return model.predict_proba(np.zeros((n_rows(X), 1)))
        return model.predict_proba(X)

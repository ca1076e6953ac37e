"""ActiveLearner: the meta-estimator that owns the labeled set and the model.

Two ways to drive it:

* by hand (``budget=None``): ``fit`` on a small labeled set, then ``query`` a
  pool, have a person label the batch, ``teach`` it, and repeat;
* as a simulation (``budget`` set): ``fit(X, y)`` hides ``y``, draws
  ``n_initial`` labels (``initial_strategy``), then queries ``batch_size`` at a
  time, revealing labels from ``y``, until ``budget`` labels are used or a
  stopping criterion fires. The learner is then an ordinary classifier trained on
  those labels, which ``GridSearchCV`` and ``cross_val_score`` can compare across
  query strategies.
"""

import time
from contextlib import nullcontext
from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from skactive._simulation import SimulationMixin, _round
from skactive.labeling import SimulatedOracle
from skactive.models import _float32_rows, _is_skorch_net
from skactive.nets import TorchMLPClassifier
from skactive.nets._classifier import _private_torch_rng
from skactive.strategies import UncertaintySampling
from skactive.strategies._base import _validate_n_samples
from skactive.utils._compat import (
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
    validate_data,
)
from skactive.utils._rows import concat_rows, n_rows

__all__ = ["ActiveLearner"]


def _estimator_has(attr):
    """For ``available_if``: the fitted estimator, else the unfitted one, has it."""

    def check(self):
        if hasattr(self, "estimator_"):
            getattr(self.estimator_, attr)
        else:
            getattr(self._base_estimator(), attr)
        return True

    return check


def _is_sample_aligned(value, n_samples):
    """Whether a fit parameter holds one entry per sample (e.g. sample_weight)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        return False
    return n_rows(value) == n_samples


class ActiveLearner(
    ClassifierMixin, MetaEstimatorMixin, SimulationMixin, BaseEstimator
):
    """A classifier that chooses which samples to have labeled next.

    It wraps any classifier (by default a PyTorch MLP trained with skorch),
    holds the labeled set, retrains on it, and asks its query strategy for the
    most informative samples of an unlabeled pool.

    Parameters
    ----------
    estimator : classifier or None, default=None
        The model, cloned and refitted on the labeled set after every change. Any
        scikit-learn classifier works (a ``Pipeline`` too: its preprocessing is
        then refitted on the labeled set each round), and so does a skorch
        ``NeuralNetClassifier``: float64 input is cast to float32 for it, and
        its ``classes`` is set when this learner's label set is fixed. None means
        :class:`~skactive.nets.TorchMLPClassifier` with its defaults.
    query_strategy : QueryStrategy or None, default=None
        How the batch is chosen; see :mod:`skactive.strategies`. None means
        ``UncertaintySampling()`` (entropy). Leave the strategy's own
        ``estimator`` unset: the learner passes its fitted model.
    batch_size : int, default=10
        Samples per query (a ``query`` call can override it).
    budget : int or None, default=None
        None: ``fit`` trains on all of ``(X, y)`` and the learner is driven by hand
        with ``query`` and ``teach``. An integer turns ``fit`` into a simulation:
        ``y`` is a hidden oracle, ``n_initial`` labels are drawn at random, then
        ``batch_size`` are queried at a time until ``budget`` labels are used
        (all of ``X`` when it has fewer samples).
    n_initial : int, default=10
        Size of the initial labeled set in simulation mode.
    initial_strategy : {"random", "stratified", "kmeans"} or QueryStrategy, \
            default="random"
        How simulation mode chooses its ``n_initial`` first labels:

        - ``"random"``: uniformly at random;
        - ``"stratified"``: in proportion to the classes of the oracle ``y``, each
          class at least once when ``n_initial`` allows. It reads the hidden
          labels, which a real cold start cannot: treat its results as an upper
          bound on what a good initial set gives;
        - ``"kmeans"``: label-free, the samples nearest the centroids of a k-means
          clustering of ``X`` (:class:`~skactive.strategies.KMeansSampling`);
        - a query strategy that needs no model (``RandomSampling``,
          ``KMeansSampling``, ...).

        In a hand-driven loop, ``fit`` is given its labeled set and this is not
        used; query a label-free strategy directly for a first batch instead.
    stopping : list of StoppingCriterion or None, default=None
        Criteria from :mod:`skactive.stopping`. In simulation mode they are
        checked after every round and the simulation ends when one fires; in a
        hand-driven loop, :meth:`should_stop` checks them. The learner works on
        clones (``stopping_``).
    classes : array-like of shape (n_classes,) or None, default=None
        The full label set, fixed up front: ``classes_`` is then this set, a label
        outside it is an error, and an estimator with a ``classes`` parameter
        (nets, whose output size is fixed) gets it. None: ``classes_`` is the set
        of labels seen, and grows when ``teach`` brings a new one. In simulation
        mode it defaults to the labels of the oracle ``y``.
    random_state : int, RandomState instance or None, default=None
        Drives the initial draw, tie-breaking between equal scores, random
        strategies, and (when set) the estimator's own seeds: every
        ``random_state`` parameter of the estimator left at None gets a seed
        drawn from it, and each fit runs on a private torch random stream seeded
        from it, so skorch nets are reproducible too. Stopping criteria with a
        ``random_state`` left at None get a seed derived from it as well.

    Attributes
    ----------
    estimator_ : classifier
        The model fitted on the labeled set.
    classes_ : ndarray of shape (n_classes,)
        The label set; ``predict_proba`` columns follow it.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` had string column names.
    X_labeled_ : array-like of shape (n_labeled, n_features)
        The labeled samples, in the container given to ``fit`` (ndarray,
        DataFrame or sparse matrix).
    y_labeled_ : ndarray of shape (n_labeled,)
        Their labels.
    labeled_indices_ : ndarray of shape (n_labeled,), int64
        Simulation mode only: positions in the ``X`` given to ``fit`` of the
        labeled samples, in the order they were labeled.
    stopping_ : list of StoppingCriterion
        Fitted clones of ``stopping``, holding what they recorded round by round.
    stop_reason_ : str or None
        Why the simulation ended (the criterion that fired, or the budget), or,
        after :meth:`should_stop`, why to stop now; None while nothing says stop.
    history_ : list of dict
        One entry per round (the initial fit, each simulated query, each
        ``teach``), with keys ``n_labels`` (labels after the round), ``indices``
        (positions of the round's new samples: into the ``X`` given to ``fit`` in
        simulation mode, into ``X_labeled_`` otherwise), ``query_time`` and
        ``fit_time`` (seconds). Replaying ``indices`` round by round rebuilds the
        learning curve; ``pandas.DataFrame(history_)`` tabulates it.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive import ActiveLearner
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=1000), random_state=0)
    >>> learner.fit(X[:20], y[:20])
    ActiveLearner(estimator=LogisticRegression(max_iter=1000), random_state=0)
    >>> indices = learner.query(X[20:], batch_size=5)
    >>> indices.shape, indices.dtype
    ((5,), dtype('int64'))
    >>> learner.teach(X[20:][indices], y[20:][indices]).y_labeled_.shape
    (25,)

    Simulation mode, where ``y`` acts as the oracle:

    >>> sim = ActiveLearner(LogisticRegression(max_iter=1000), budget=60,
    ...                     batch_size=10, random_state=0).fit(X, y)
    >>> [round["n_labels"] for round in sim.history_]
    [10, 20, 30, 40, 50, 60]
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods(["fit"]), None],
        "query_strategy": [HasMethods(["select"]), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "budget": [Interval(Integral, 1, None, closed="left"), None],
        "n_initial": [Interval(Integral, 1, None, closed="left")],
        "initial_strategy": [
            StrOptions({"random", "stratified", "kmeans"}),
            HasMethods(["select"]),
        ],
        "stopping": [list, tuple, None],
        "classes": ["array-like", None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        query_strategy=None,
        *,
        batch_size=10,
        budget=None,
        n_initial=10,
        initial_strategy="random",
        stopping=None,
        classes=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.query_strategy = query_strategy
        self.batch_size = batch_size
        self.budget = budget
        self.n_initial = n_initial
        self.initial_strategy = initial_strategy
        self.stopping = stopping
        self.classes = classes
        self.random_state = random_state

    # -- parameters and tags --------------------------------------------------

    def _base_estimator(self):
        return TorchMLPClassifier() if self.estimator is None else self.estimator

    def _strategy(self):
        strategy = (
            UncertaintySampling()
            if self.query_strategy is None
            else self.query_strategy
        )
        if getattr(strategy, "estimator", None) is not None:
            raise ValueError(
                f"query_strategy={type(strategy).__name__}(estimator=...) holds its "
                "own model, but inside ActiveLearner the strategy scores with the "
                "learner's fitted estimator_. Pass the strategy without an "
                f"estimator, e.g. {type(strategy).__name__}()."
            )
        return strategy

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self._base_estimator())
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags

    # -- validation -----------------------------------------------------------

    def _validate_X(self, X, reset, ensure_min_samples=1):
        if hasattr(X, "iloc"):
            # Kept as a DataFrame, so a ColumnTransformer in the estimator still
            # finds its columns; only the width and the column names are checked.
            validate_data(self, X, reset=reset, skip_check_array=True)
            return X
        return validate_data(
            self,
            X,
            reset=reset,
            accept_sparse=True,
            dtype=None,
            ensure_all_finite=False,  # NaN is the estimator's call
            ensure_min_samples=ensure_min_samples,
        )

    def _validate_X_y(self, X, y, reset):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        if hasattr(X, "iloc"):
            validate_data(self, X, reset=reset, skip_check_array=True)
            y = column_or_1d(y, warn=True)
            check_consistent_length(X, y)
        else:
            X, y = validate_data(
                self,
                X,
                y,
                reset=reset,
                accept_sparse=True,
                dtype=None,
                ensure_all_finite=False,
            )
        if y.ndim != 1:
            raise ValueError(
                f"y should be a 1d array of labels, got an array of shape {y.shape}."
            )
        check_classification_targets(y)
        return X, y

    def _oracle_answers(self, y):
        """The labels a :class:`~skactive.labeling.SimulatedOracle` gives; ``y``
        itself otherwise."""
        if not isinstance(y, SimulatedOracle):
            return y
        if self.budget is None:
            raise ValueError(
                "A SimulatedOracle answers the queries of a simulation: set "
                "budget= on the learner, or pass the labels themselves as y."
            )
        seed = None
        if self.random_state is not None:
            # A seed of its own, drawn without moving the learner's stream.
            rng = check_random_state(self.random_state)
            state = rng.get_state()
            seed = int(rng.randint(np.iinfo(np.int32).max)) ^ 0x5EED
            rng.set_state(state)
        return y.labels(random_state=seed)

    def _label_set(self, y, seen=None):
        """The label set after seeing ``y`` (on top of ``seen``); checks ``y``."""
        if self.classes is None:
            return unique_labels(y) if seen is None else unique_labels(seen, y)
        classes = np.unique(np.asarray(self.classes))
        unknown = ~np.isin(y, classes)
        if unknown.any():
            raise ValueError(
                f"y contains labels {np.unique(y[unknown]).tolist()[:10]} that are "
                f"not in classes={classes.tolist()}. Add them to the `classes` "
                "parameter, or leave classes=None to let the label set grow."
            )
        return classes

    def _split_fit_params(self, fit_params, n_samples):
        aligned = {
            name: value
            for name, value in fit_params.items()
            if _is_sample_aligned(value, n_samples)
        }
        other = {
            name: value for name, value in fit_params.items() if name not in aligned
        }
        return aligned, other

    # -- fitting --------------------------------------------------------------

    def _fit_estimator(self, X, y, fit_params, fixed_classes):
        """A fitted clone of the estimator; raises without touching ``self``."""
        estimator = clone(self._base_estimator())
        params = estimator.get_params()
        # Fill in what the estimator (or a step of a pipeline) left at None: the
        # label set when it is fixed (a net's output size), and the seeds.
        fill = {}
        if fixed_classes is not None:
            fill["classes"] = fixed_classes
        if self.random_state is not None:
            fill["random_state"] = self._estimator_seed
        estimator.set_params(
            **{
                name: fill[name.rpartition("__")[2]]
                for name, value in params.items()
                if value is None and name.rpartition("__")[2] in fill
            }
        )
        if _is_skorch_net(estimator):
            X = _float32_rows(X)
        start = time.perf_counter()
        # A private torch stream makes nets without a random_state (a user's
        # skorch net) reproducible, and leaves the global torch state alone.
        with (
            _private_torch_rng(self._estimator_seed, "cpu")
            if self.random_state is not None
            else nullcontext()
        ):
            estimator.fit(X, y, **fit_params)
        return estimator, time.perf_counter() - start

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit on a labeled set, or run a simulation when ``budget`` is set.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            The labeled samples; in simulation mode, the whole pool.
        y : array-like of shape (n_samples,) or SimulatedOracle
            Their labels; in simulation mode, the hidden oracle, which may be a
            :class:`~skactive.labeling.SimulatedOracle` that answers with noise.
        **fit_params : dict
            Passed to the estimator's ``fit`` at every refit. Those with one entry
            per sample (such as ``sample_weight``) follow their samples into the
            labeled set.

        Returns
        -------
        self : ActiveLearner
            The fitted learner.
        """
        return self._fit(X, y, fit_params)

    def _fit(self, X, y, fit_params, on_round=None):
        """``fit``; in simulation mode ``on_round(self)`` follows every refit."""
        y = self._oracle_answers(y)
        X, y = self._validate_X_y(X, y, reset=True)
        strategy = self._strategy()
        stopping = self._stopping()
        if self.budget is not None and self.budget < self.n_initial:
            raise ValueError(
                f"budget={self.budget} is smaller than n_initial={self.n_initial}: "
                "the initial random draw alone would spend more than the budget. "
                "Raise budget or lower n_initial."
            )
        rng = check_random_state(self.random_state)
        aligned, other = self._split_fit_params(fit_params, n_rows(X))
        classes = self._label_set(y)
        self.classes_ = classes
        self._other_fit_params = other
        self._rng = rng
        self.stopping_ = stopping
        self.stop_reason_ = None
        self._stop_checked_round = None
        if self.budget is None:
            self._estimator_seed = int(rng.randint(np.iinfo(np.int32).max))
            self._seed_stopping(stopping)
            fixed = None if self.classes is None else classes
            estimator, fit_time = self._fit_estimator(X, y, {**aligned, **other}, fixed)
            self.X_labeled_, self.y_labeled_ = X, y
            self._labeled_params = aligned
            self.history_ = [
                _round(np.arange(n_rows(X), dtype=np.int64), n_rows(X), 0.0, fit_time)
            ]
            self.estimator_ = estimator
        else:
            self._simulate(X, y, aligned, other, strategy, rng, on_round)
        return self

    # -- the active learning loop ---------------------------------------------

    def query(self, X_pool, batch_size=None):
        """Positions of the most informative samples of ``X_pool``.

        Parameters
        ----------
        X_pool : {array-like, sparse matrix, DataFrame} of shape \
                (n_samples, n_features)
            The unlabeled pool (sparse where the estimator accepts it).
        batch_size : int or None, default=None
            How many to return; None uses the ``batch_size`` parameter. A batch
            larger than the pool returns the whole pool, ranked.

        Returns
        -------
        indices : ndarray of shape (min(batch_size, n_samples),), int64
            Unique positions in ``X_pool``, most informative first; ties between
            equal scores are broken at random from ``random_state``.
        """
        check_is_fitted(self, "estimator_")
        batch_size = _validate_n_samples(
            self.batch_size if batch_size is None else batch_size, "batch_size"
        )
        X_pool = self._validate_X(X_pool, reset=False, ensure_min_samples=0)
        strategy = self._strategy()
        state = self._rng.get_state()
        try:
            return strategy.select(
                self.estimator_,
                X_pool,
                batch_size,
                X_labeled=self.X_labeled_,
                y_labeled=self.y_labeled_,
                random_state=self._rng,
            )
        except BaseException:
            self._rng.set_state(state)  # a failed query changes nothing
            raise

    def teach(self, X_new, y_new, **fit_params):
        """Add labeled samples and refit; on any error the learner is unchanged.

        Parameters
        ----------
        X_new : {array-like, sparse matrix, DataFrame} of shape \
                (n_new, n_features)
            The newly labeled samples.
        y_new : array-like of shape (n_new,)
            Their labels. A new label grows ``classes_`` unless ``classes`` fixed
            the label set (then it is an error).
        **fit_params : dict
            Per-sample fit parameters for the new samples; required for each one
            that ``fit`` was given (e.g. ``sample_weight``).

        Returns
        -------
        self : ActiveLearner
            The refitted learner.
        """
        check_is_fitted(self, "estimator_")
        X_new, y_new = self._validate_X_y(X_new, y_new, reset=False)
        classes = self._label_set(y_new, seen=self.classes_)
        aligned, other = self._split_fit_params(fit_params, n_rows(X_new))
        if set(aligned) != set(self._labeled_params) or other:
            raise ValueError(
                f"teach got fit parameters {sorted(fit_params)}, but fit was given "
                f"per-sample parameters {sorted(self._labeled_params)}: pass exactly "
                "those, with one entry per new sample."
            )
        X = concat_rows(self.X_labeled_, X_new)
        y = np.concatenate([self.y_labeled_, y_new])
        params = {
            name: concat_rows(np.asarray(value), np.asarray(aligned[name]))
            for name, value in self._labeled_params.items()
        }
        fixed = None if self.classes is None else classes
        estimator, fit_time = self._fit_estimator(
            X, y, {**params, **self._other_fit_params}, fixed
        )
        # Nothing above changed self; commit everything at once.
        n_old = n_rows(self.X_labeled_)
        new = np.arange(n_old, n_rows(X), dtype=np.int64)
        self.history_.append(_round(new, n_rows(X), 0.0, fit_time))
        self.X_labeled_, self.y_labeled_ = X, y
        self._labeled_params = params
        self.classes_ = classes
        self.estimator_ = estimator
        return self

    # -- prediction -------------------------------------------------------------

    def _predict_input(self, X):
        check_is_fitted(self, "estimator_")
        X = self._validate_X(X, reset=False)
        return _float32_rows(X) if _is_skorch_net(self.estimator_) else X

    @available_if(_estimator_has("predict"))
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

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from ``estimator_``, columns following ``classes_``.

        A class in ``classes_`` that the labeled set lacks gets probability 0.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        X = self._predict_input(X)
        proba = np.asarray(self.estimator_.predict_proba(X))
        return self._align_columns(proba)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of ``estimator_`` (its columns, its ``classes_``).

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        X = self._predict_input(X)
        return self.estimator_.decision_function(X)

    @available_if(_estimator_has("score"))
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

    def _align_columns(self, proba):
        inner = getattr(self.estimator_, "classes_", None)
        n_classes = self.classes_.shape[0]
        if inner is not None and proba.shape[1] == len(inner):
            inner = np.asarray(inner)
            if inner.shape == self.classes_.shape and np.array_equal(
                inner, self.classes_
            ):
                return proba
            aligned = np.zeros((proba.shape[0], n_classes), dtype=proba.dtype)
            aligned[:, np.searchsorted(self.classes_, inner)] = proba
            return aligned
        if proba.shape[1] == n_classes:
            return proba
        raise ValueError(
            f"estimator_ returned {proba.shape[1]} probability columns for the "
            f"{n_classes} classes {self.classes_.tolist()[:10]}. A net with a fixed "
            "output size needs the full label set: pass classes=[...] to "
            "ActiveLearner."
        )

"""The active learning loop that every learner runs, whatever it predicts.

:class:`ActiveLoop` holds ``fit`` (by hand, or a whole simulation when
``budget`` is set), ``query``, ``teach`` and ``should_stop``, written once for
:class:`~skactive.ActiveLearner` and :class:`~skactive.ActiveRegressor`. What
differs between them is a handful of hooks: the label set a classifier keeps
(``classes_``) and a regressor does not, the targets each accepts, the default
model and strategy, and the strategies each can use (``StrategyTags``).

The whole loop is in :meth:`ActiveLoop.fit`, as scikit-learn's
``SelfTrainingClassifier`` keeps its loop in ``fit``; what happened is recorded
in public fitted attributes (``history_``, ``labeled_indices_``, ``n_rounds_``,
``stop_reason_``) and reported round by round to ``callbacks``. The first
labels are drawn by :mod:`skactive._initial`; the plumbing shared with any
meta-estimator (validation, seeded fits, predictions) is in
:mod:`skactive._learner_base`. The loop owns what plugs into it: the strategy
(checked once per public call, then trusted), the oracle, the rounds, the
stopping criteria and the split of the fit parameters.
"""

import time
from abc import abstractmethod
from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn import config_context, get_config
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from skactive._initial import initial_draw
from skactive._learner_base import (
    BaseActiveLearner,
    OneClassPlaceholder,
    restore_on_error,
)
from skactive.callbacks import copy_callbacks
from skactive.oracle import SimulatedOracle
from skactive.stopping import (
    all_criteria,
    check_stopping,
    clone_criteria,
    get_criterion_tags,
)
from skactive.strategies import (
    FunctionStrategy,
    KMeansSampling,
    RandomSampling,
    get_strategy_tags,
    validate_strategy,
)
from skactive.strategies._base import strategy_names
from skactive.utils._compat import HasMethods, Interval, _fit_context
from skactive.utils.inputs import concat_rows, n_rows, take_rows
from skactive.utils.pools import LocalPool
from skactive.utils.progress import progress_bar
from skactive.utils.seeding import derive_seed, draw_seed
from skactive.utils.validation import check_positive_int

__all__ = ["ActiveLoop", "take_fit_params"]


def take_fit_params(params, rows):
    """The per-sample parameters of the samples at ``rows``."""
    return {
        name: take_rows(np.asarray(value) if isinstance(value, list) else value, rows)
        for name, value in params.items()
    }


def _params_key(value):
    """A comparable form of a strategy's parameters, nested ones included."""
    if hasattr(value, "get_params") and not isinstance(value, type):
        params = sorted(value.get_params(deep=False).items())
        return type(value).__qualname__, tuple((k, _params_key(v)) for k, v in params)
    if isinstance(value, list | tuple):
        return tuple(_params_key(v) for v in value)
    return repr(value)


class ActiveLoop(BaseActiveLearner):
    """The loop of an active learner (not for direct use).

    Subclasses define the parameters (``estimator``, ``query_strategy``,
    ``batch_size``, ``budget``, ``n_initial``, ``initial_strategy``,
    ``stopping``, ``random_state``, ``callbacks``, ``sample_params``,
    ``verbose``) and the label hooks: :meth:`_start_labels`,
    :meth:`_fixed_labels` and :meth:`_taught_labels`, and the task's
    ``_default_strategy``.
    """

    #: The StrategyTags field a strategy needs set to serve this learner.
    _task = "classification"

    #: The parameters every learner shares; each adds or narrows its own.
    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods(["fit"]), None],
        "query_strategy": [HasMethods(["select"]), callable, None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "budget": [Interval(Integral, 1, None, closed="left"), None],
        "n_initial": [Interval(Integral, 1, None, closed="left")],
        "stopping": [list, tuple, None],
        "random_state": ["random_state"],
        "callbacks": [list, tuple, None],
        "sample_params": [list, tuple],
        "verbose": ["verbose"],
    }

    # -- label hooks (a classifier's label set; nothing for a regressor) ------

    def _start_labels(self, y):
        """Set the fitted label state from all of ``y`` (``fit``)."""

    def _fixed_labels(self, simulate):
        """The label set the estimator is told at ``fit``, or None."""
        return None

    def _taught_labels(self, y_new):
        """``(label set the estimator is told, fitted attributes to commit)``
        after ``teach`` brings ``y_new``; checks ``y_new``, changes nothing."""
        return None, {}

    # -- what plugs into the loop -----------------------------------------------

    @abstractmethod
    def _default_strategy(self):
        """The strategy used when ``query_strategy`` is None."""

    @property
    def _strategy_help(self):
        """Which strategies serve this learner's task, for the refusal."""
        return (
            f"Strategies serving {self._task}: {strategy_names(self._task)}; "
            "or a function, wrapped as FunctionStrategy."
        )

    def _strategy(self):
        """The query strategy, unchecked: the public doors check it."""
        strategy = self.query_strategy
        if strategy is None:
            return self._default_strategy()
        if not hasattr(strategy, "select"):  # a function, as modAL's strategies
            return FunctionStrategy(strategy)
        return strategy

    def _checked_strategy(self):
        """The query strategy, its parameters checked (once, at a public door,
        unless ``skip_parameter_validation``) and its task."""
        strategy = self._strategy()
        if getattr(strategy, "estimator", None) is not None:
            raise ValueError(
                f"query_strategy={type(strategy).__name__}(estimator=...) holds its "
                "own model, but inside ActiveLearner the strategy scores with the "
                "learner's fitted estimator_. Pass the strategy without an "
                f"estimator, e.g. {type(strategy).__name__}()."
            )
        if not get_config()["skip_parameter_validation"]:
            validate_strategy(strategy)
        self._check_task(strategy)
        return strategy

    def _check_task(self, strategy):
        """Refuse a strategy that does not serve this learner's task."""
        task, tags = self._task, get_strategy_tags(strategy)
        if not getattr(tags, task):
            learners = {
                "classification": "ActiveLearner",
                "multilabel": "ActiveLearner on an indicator matrix",
                "regression": "ActiveRegressor",
            }
            served = [f"{t} ({learners[t]})" for t in learners if getattr(tags, t)]
            raise ValueError(
                f"query_strategy={type(strategy).__name__}() does not serve "
                f"{task}, which {type(self).__name__} does; it serves "
                f"{', '.join(served) or 'no task'}. {self._strategy_help}"
            )

    def _label_free_strategy(self):
        """The query strategy while no model could be fitted: the
        ``initial_strategy`` when it needs no model, random sampling otherwise."""
        initial = self.initial_strategy
        if initial == "kmeans":
            return KMeansSampling()
        if isinstance(initial, str) or get_strategy_tags(initial).requires_model:
            return RandomSampling()
        return initial

    def _cold_start_note(self):
        name = type(self._label_free_strategy()).__name__
        return f" and queries use the label-free initial strategy ({name})"

    def current_strategy(self):
        """The strategy that chooses the next batch, for the fitted learner's
        state: the ``query_strategy`` (uncertainty sampling when None), or the
        label-free one while every label seen is one class."""
        if isinstance(self.estimator_, OneClassPlaceholder):
            return self._label_free_strategy()
        strategy = self._strategy()
        if not get_strategy_tags(strategy).learns:
            vars(self).pop("query_strategy_", None)  # an earlier strategy's state
            return strategy
        # A strategy that learns (ActiveLearningByLearning) keeps what it
        # learned in a fitted copy, never in the query_strategy parameter; a
        # new parameter (set_params) starts a new copy.
        if getattr(self, "_strategy_source", None) is not self.query_strategy or (
            not hasattr(self, "query_strategy_")
        ):
            self._start_strategy(strategy)
        return self.query_strategy_

    def _start_strategy(self, strategy):
        self.query_strategy_ = clone(strategy)
        self._strategy_source = self.query_strategy

    def _labels_seed(self, n_labeled):
        """The query stream's seed by hand: a function of the estimator seed
        and the number of labels, so a learner fitted on ``n`` labels at once
        asks what one taught them in batches asks (a reopened session too)."""
        return derive_seed(self._estimator_seed, n_labeled)

    def _learned_strategy(self):
        """The fitted copy of a strategy that learns, in force, or None."""
        if getattr(self, "_strategy_source", None) is not self.query_strategy:
            return None
        return vars(self).get("query_strategy_")

    def _resume_strategy(self, fitted):
        """Go on with ``fitted``, what a strategy that learns learned so far
        (a labeling session's, kept across refits and reopening), when it is a
        fitted copy of this learner's ``query_strategy``; returns whether it
        was adopted."""
        strategy = self._strategy()
        if not get_strategy_tags(strategy).learns or _params_key(
            clone(fitted)
        ) != _params_key(strategy):
            return False
        self.query_strategy_, self._strategy_source = fitted, self.query_strategy
        return True

    def _select(self, X_pool, n_samples, X_labeled, y_labeled, random_state):
        """The current strategy's batch; its parameters were checked at the
        door, so it trusts its caller."""
        with config_context(skip_parameter_validation=True):
            return self.current_strategy().select(
                self.estimator_,
                X_pool,
                n_samples,
                X_labeled=X_labeled,
                y_labeled=y_labeled,
                random_state=random_state,
            )

    def _oracle_answers(self, y):
        """The labels a :class:`~skactive.oracle.SimulatedOracle` gives; ``y``
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
            seed = draw_seed(rng) ^ 0x5EED
            rng.set_state(state)
        return y.labels(random_state=seed)

    def _end_round(self, indices, n_labels, query_time, fit_time):
        """Record the round that just refitted, and report it to the callbacks."""
        record = {
            "round": len(self.history_),
            "n_labels": int(n_labels),
            "indices": indices,
            "query_time": query_time,
            "fit_time": fit_time,
        }
        self.history_.append(record)
        self.n_rounds_ = len(self.history_) - 1
        self._widen_classes()
        self.cold_start_ = isinstance(self.estimator_, OneClassPlaceholder)
        for callback in self.callbacks_:
            callback.on_round(self, record)

    def _check_stopping(self, X_pool):
        """Check the criteria on a validated pool; record and return the answer.

        Not while the model is a one-class placeholder: its certainty means
        nothing, so no criterion judges it."""
        reason, criterion = None, None
        if not self.cold_start_:
            reason, criterion = check_stopping(
                self.stopping_, self, X_pool, return_criterion=True
            )
        self.stop_reason_ = reason
        self.stop_code_ = None if criterion is None else criterion.stop_code
        self._stop_checked_round = len(self.history_)
        return self.stop_reason_ is not None

    def _split_fit_params(self, fit_params, n_samples):
        """``(per-sample parameters, the others)``, by the declared names."""
        declared = set(self.sample_params)
        aligned = {
            name: value
            for name, value in fit_params.items()
            if name in declared or name.rpartition("__")[2] in declared
        }
        for name, value in aligned.items():
            if not hasattr(value, "__len__") or n_rows(value) != n_samples:
                raise ValueError(
                    f"{name} is declared per-sample (sample_params), so it needs "
                    f"one entry per sample: {n_samples}, got "
                    f"{n_rows(value) if hasattr(value, '__len__') else value!r}."
                )
        other = {k: v for k, v in fit_params.items() if k not in aligned}
        return aligned, other

    # -- the loop -----------------------------------------------------------------

    @restore_on_error
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit on a labeled set, or run a simulation when ``budget`` is set.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            The labeled samples; in simulation mode, the whole pool.
        y : array-like of shape (n_samples,) or SimulatedOracle
            Their labels (targets, for a regressor); in simulation mode, the
            hidden oracle, which for a classifier may be a
            :class:`~skactive.oracle.SimulatedOracle` that answers with noise.
        **fit_params : dict
            Passed to the estimator's ``fit`` at every refit. Those with one entry
            per sample (such as ``sample_weight``) follow their samples into the
            labeled set.

        Returns
        -------
        self : object
            The fitted learner.
        """
        y = self._oracle_answers(y)
        X, y = self._validate_X_y(X, y, reset=True)
        self._checked_strategy()  # before anything is drawn or fitted
        simulate = self.budget is not None
        rng, labeled, budget = self._start(X, y)
        aligned, self._other_fit_params = self._split_fit_params(fit_params, n_rows(X))
        fixed = self._fixed_labels(simulate)
        is_labeled = np.zeros(n_rows(X), dtype=bool)
        is_labeled[labeled] = True
        new, query_time = labeled, 0.0
        bar = progress_bar(budget, "labels", self.verbose and simulate)
        while True:
            bar.update(new.shape[0])
            X_labeled, params = X, aligned
            if simulate:
                X_labeled = take_rows(X, labeled)
                params = take_fit_params(aligned, labeled)
                self.labeled_indices_ = labeled
            self.estimator_, fit_time = self._fit_clone(
                X_labeled,
                y[labeled],
                {**params, **self._other_fit_params},
                fixed,
                self._estimator_seed,
            )
            self.X_labeled_, self.y_labeled_ = X_labeled, y[labeled]
            self._labeled_params = params
            self._end_round(new, labeled.shape[0], query_time, fit_time)
            if not simulate:
                self._query_seed = self._labels_seed(labeled.shape[0])
                return self
            at_budget = labeled.shape[0] >= budget
            pool = np.flatnonzero(~is_labeled)
            # The unlabeled rows as a view: strategies read them in chunks.
            X_pool = None if at_budget and not self.stopping_ else LocalPool(X, pool)
            if self.stopping_ and self._check_stopping(X_pool):
                self._query_seed = draw_seed(rng)
                bar.close()
                return self
            if at_budget:
                self._stop_checked_round = len(self.history_)
                self.stop_reason_ = f"budget: {labeled.shape[0]} labels are used."
                self.stop_code_ = "budget"
                self._query_seed = draw_seed(rng)
                bar.close()
                return self
            start = time.perf_counter()
            picked = self._select(
                X_pool,
                min(self.batch_size, budget - labeled.shape[0]),
                X_labeled,
                y[labeled],
                rng,
            )
            query_time = time.perf_counter() - start
            new = pool[picked]
            is_labeled[new] = True
            labeled = np.concatenate([labeled, new])

    def _start(self, X, y):
        """Check the parameters, draw the first labels and reset the fitted state.

        Returns ``(random state, positions of the first labels, budget)``: all of
        ``X`` by hand, the initial draw in a simulation.
        """
        simulate = self.budget is not None
        if simulate and self.budget < self.n_initial:
            raise ValueError(
                f"budget={self.budget} is smaller than n_initial={self.n_initial}: "
                "the initial random draw alone would spend more than the budget. "
                "Raise budget or lower n_initial."
            )
        stopping = clone_criteria(self.stopping)  # checked before anything is drawn
        self._check_criteria_task(stopping)
        callbacks = copy_callbacks(self.callbacks)
        rng = check_random_state(self.random_state)
        n_total = n_rows(X)
        self._start_labels(y)
        budget = min(self.budget, n_total) if simulate else n_total
        labeled = np.arange(n_total, dtype=np.int64)
        if simulate:
            labeled = initial_draw(
                self.initial_strategy, X, y, min(self.n_initial, budget), rng
            )
            labeled = np.asarray(labeled, dtype=np.int64)
        self._rng, self._estimator_seed = rng, draw_seed(rng)
        seeded = None if self.random_state is None else self._estimator_seed
        self.stopping_ = clone_criteria(stopping, seeded)
        self.callbacks_ = callbacks
        self.history_, self.stop_reason_, self._stop_checked_round = [], None, None
        self.stop_code_ = None
        vars(self).pop("query_strategy_", None)
        if get_strategy_tags(self._strategy()).learns:
            self._start_strategy(self._strategy())
        return rng, labeled, budget

    def _check_criteria_task(self, criteria):
        """Refuse a stopping criterion that does not serve this learner's task."""
        task = self._task
        for criterion in criteria:
            served = get_criterion_tags(criterion).tasks
            if task not in served:
                serving = ", ".join(name for name, _ in all_criteria(task))
                raise ValueError(
                    f"The stopping criterion {type(criterion).__name__} does not "
                    f"serve {task}, which {type(self).__name__} does (it serves "
                    f"{', '.join(served)}). Criteria serving {task}: {serving}."
                )

    # -- the hand-driven loop -----------------------------------------------------

    def query(self, X_pool, batch_size=None):
        """Positions of the most informative samples of ``X_pool``.

        Parameters
        ----------
        X_pool : {array-like, sparse matrix, DataFrame} of shape \
                (n_samples, n_features)
            The unlabeled pool (sparse where the estimator accepts it), or a
            :class:`~skactive.utils.pools.Pool` (a ``LocalPool`` view of rows of
            one is checked whole, never copied).
        batch_size : int or None, default=None
            How many to return; None uses the ``batch_size`` parameter. A batch
            larger than the pool returns the whole pool, ranked.

        Returns
        -------
        indices : ndarray of shape (min(batch_size, n_samples),), int64
            Unique positions in ``X_pool``, most informative first; ties between
            equal scores are broken at random from ``random_state``. A function
            of the learner's state: asking again before the next ``teach`` (or
            ``fit``) returns the same batch.
        """
        check_is_fitted(self, "estimator_")
        batch_size = check_positive_int(
            self.batch_size if batch_size is None else batch_size, "batch_size"
        )
        X_pool = self._validate_pool(X_pool)
        self._checked_strategy()
        # A stream of its own, seeded by the latest fit or teach: asking again
        # without teaching gives the same batch, and a failed query changes nothing.
        return self._select(
            X_pool,
            batch_size,
            self.X_labeled_,
            self.y_labeled_,
            np.random.RandomState(self._query_seed),
        )

    @restore_on_error
    def teach(self, X_new, y_new, **fit_params):
        """Add labeled samples and refit; on any error the learner is unchanged.

        Parameters
        ----------
        X_new : {array-like, sparse matrix, DataFrame} of shape \
                (n_new, n_features)
            The newly labeled samples.
        y_new : array-like of shape (n_new,)
            Their labels (targets, for a regressor). For a classifier, a new
            label grows ``classes_`` unless ``classes`` fixed the label set (then
            it is an error).
        **fit_params : dict
            Per-sample fit parameters for the new samples; required for each one
            that ``fit`` was given (e.g. ``sample_weight``).

        Returns
        -------
        self : object
            The refitted learner.
        """
        check_is_fitted(self, "estimator_")
        X_new, y_new = self._validate_X_y(X_new, y_new, reset=False)
        fixed, labels = self._taught_labels(y_new)
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
        estimator, fit_time = self._fit_clone(
            X, y, {**params, **self._other_fit_params}, fixed, self._estimator_seed
        )
        # Nothing above changed self; commit everything at once.
        new = np.arange(n_rows(self.X_labeled_), n_rows(X), dtype=np.int64)
        self.X_labeled_, self.y_labeled_ = X, y
        self._labeled_params = params
        vars(self).update(labels)
        self.estimator_ = estimator
        self._query_seed = self._labels_seed(n_rows(X))  # new labels, a new stream
        self._end_round(new, n_rows(X), 0.0, fit_time)
        return self

    def query_scores(self, X_pool):
        """The scores behind :meth:`query`: those the current strategy gives the
        rows of ``X_pool`` in the random stream of the next query (the same MC
        dropout masks), or None for a strategy that chooses whole batches.

        Parameters
        ----------
        X_pool : {array-like, sparse matrix, DataFrame} of shape \
                (n_samples, n_features)
            Samples, such as those ``query`` returned.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or None
            Higher was queried first.
        """
        check_is_fitted(self, "estimator_")
        strategy = self.current_strategy()
        if not get_strategy_tags(strategy).per_sample_scores:
            return None
        X_pool = self._validate_pool(X_pool)  # scored chunk by chunk
        with config_context(skip_parameter_validation=True):
            return strategy.score_samples(
                self.estimator_,
                X_pool,
                random_state=np.random.RandomState(self._query_seed),
            )

    def should_stop(self, X_pool=None):
        """Whether a stopping criterion says to stop after the latest round.

        Checks each criterion of ``stopping_`` once per round (a round is the
        initial ``fit`` or a ``teach``); calling again in the same round returns
        the same answer without recording anything twice. Sets
        ``stop_reason_`` to the reason of the first criterion that fires, or
        None.

        Parameters
        ----------
        X_pool : {array-like, sparse matrix, DataFrame} or None, default=None
            The samples still unlabeled; required by criteria that look at the
            pool (:class:`~skactive.stopping.MaxUncertainty`,
            :class:`~skactive.stopping.StabilizingPredictions`).

        Returns
        -------
        stop : bool
            True when a criterion fired.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skactive import ActiveLearner
        >>> from skactive.stopping import MaxLabels
        >>> X, y = load_iris(return_X_y=True)
        >>> learner = ActiveLearner(LogisticRegression(), batch_size=10,
        ...                         stopping=[MaxLabels(30)], random_state=0)
        >>> learner = learner.fit(X[::15], y[::15])  # 10 labels
        >>> pool = np.delete(np.arange(150), np.arange(0, 150, 15))
        >>> while not learner.should_stop(X[pool]):
        ...     picked = learner.query(X[pool])
        ...     learner = learner.teach(X[pool[picked]], y[pool[picked]])
        ...     pool = np.delete(pool, picked)
        >>> learner.stop_reason_
        'MaxLabels: 30 samples are labeled (n_labels=30).'
        """
        check_is_fitted(self, "estimator_")
        if self._stop_checked_round == len(self.history_):
            return self.stop_reason_ is not None
        if X_pool is not None:
            X_pool = self._validate_pool(X_pool)
        return self._check_stopping(X_pool)

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
:mod:`skactive._learner_base`.
"""

import time
from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from skactive._initial import initial_draw
from skactive._learner_base import (
    BaseActiveLearner,
    restore_on_error,
    take_fit_params,
)
from skactive.callbacks import copy_callbacks
from skactive.stopping import clone_criteria
from skactive.utils._compat import HasMethods, Interval, _fit_context
from skactive.utils.inputs import PoolRows, concat_rows, n_rows, take_rows
from skactive.utils.progress import progress_bar
from skactive.utils.seeding import draw_seed
from skactive.utils.validation import check_positive_int

__all__ = ["ActiveLoop"]


class ActiveLoop(BaseActiveLearner):
    """The loop of an active learner (not for direct use).

    Subclasses define the parameters (``estimator``, ``query_strategy``,
    ``batch_size``, ``budget``, ``n_initial``, ``initial_strategy``,
    ``stopping``, ``random_state``, ``callbacks``, ``sample_params``,
    ``verbose``) and the label hooks: :meth:`_start_labels`,
    :meth:`_fixed_labels` and :meth:`_taught_labels`.
    """

    #: The parameters every learner shares; each adds or narrows its own.
    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods(["fit"]), None],
        "query_strategy": [HasMethods(["select"]), None],
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
        self._strategy()  # checked before anything is drawn or fitted
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
                self._query_seed = draw_seed(rng)
                return self
            at_budget = labeled.shape[0] >= budget
            pool = np.flatnonzero(~is_labeled)
            # The unlabeled rows as a view: strategies read them in chunks.
            X_pool = None if at_budget and not self.stopping_ else PoolRows(X, pool)
            if self.stopping_ and self._check_stopping(X_pool):
                self._query_seed = draw_seed(rng)
                bar.close()
                return self
            if at_budget:
                self._stop_checked_round = len(self.history_)
                self.stop_reason_ = f"budget: {labeled.shape[0]} labels are used."
                self._query_seed = draw_seed(rng)
                bar.close()
                return self
            start = time.perf_counter()
            picked = self.current_strategy().select(
                self.estimator_,
                X_pool,
                min(self.batch_size, budget - labeled.shape[0]),
                X_labeled=X_labeled,
                y_labeled=y[labeled],
                random_state=rng,
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
        return rng, labeled, budget

    def _check_criteria_task(self, criteria):
        """Refuse a stopping criterion that does not serve this learner's task."""
        task = self._task
        for criterion in criteria:
            if task not in getattr(criterion, "tasks", (task,)):
                raise ValueError(
                    f"The stopping criterion {type(criterion).__name__} does not "
                    f"serve {task}, which {type(self).__name__} does (it serves "
                    f"{', '.join(criterion.tasks)}). MaxLabels, TargetScore and "
                    "Plateau serve every task."
                )

    # -- the hand-driven loop -----------------------------------------------------

    def query(self, X_pool, batch_size=None):
        """Positions of the most informative samples of ``X_pool``.

        Parameters
        ----------
        X_pool : {array-like, sparse matrix, DataFrame} of shape \
                (n_samples, n_features)
            The unlabeled pool (sparse where the estimator accepts it), or a
            ``PoolRows`` view of rows of one (checked whole, never copied).
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
        # A stream of its own, seeded by the latest fit or teach: asking again
        # without teaching gives the same batch, and a failed query changes nothing.
        return self.current_strategy().select(
            self.estimator_,
            X_pool,
            batch_size,
            X_labeled=self.X_labeled_,
            y_labeled=self.y_labeled_,
            random_state=np.random.RandomState(self._query_seed),
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
        self._query_seed = draw_seed(self._rng)  # new labels, a new query stream
        self._end_round(new, n_rows(X), 0.0, fit_time)
        return self

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

"""Simulation mode and stopping: the part of ActiveLearner that runs the loop.

With ``budget`` set, ``ActiveLearner.fit(X, y)`` hides ``y``, draws the initial
labeled set (``initial_strategy``), then queries, reveals and refits round by
round until the budget is spent or a stopping criterion fires. The same
criteria answer ``should_stop`` in a hand-driven loop. Kept apart from
``learner.py``, which holds the estimator itself (validation, fit, teach,
predictions), as a mixin of ``ActiveLearner``.
"""

import time

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from skactive.strategies.cold_start import KMeansSampling, _stratified_draw
from skactive.utils._rows import n_rows, take_rows

__all__ = []


def _take_params(params, rows):
    return {
        name: take_rows(np.asarray(value) if isinstance(value, list) else value, rows)
        for name, value in params.items()
    }


def _round(indices, n_labels, query_time, fit_time):
    """One entry of ``history_``."""
    return {
        "n_labels": int(n_labels),
        "indices": indices,
        "query_time": query_time,
        "fit_time": fit_time,
    }


class SimulationMixin:
    """Initial draw, simulation rounds and stopping for ``ActiveLearner``."""

    def _stopping(self):
        """Fresh clones of the stopping criteria."""
        criteria = [] if self.stopping is None else list(self.stopping)
        for criterion in criteria:
            if not callable(getattr(criterion, "check", None)):
                raise TypeError(
                    f"stopping must hold stopping criteria (objects with a check "
                    f"method, see skactive.stopping), got {criterion!r}."
                )
        return [clone(criterion) for criterion in criteria]

    def _seed_stopping(self, criteria):
        """Give criteria with an unset random_state a seed derived from ours."""
        if self.random_state is None:
            return
        for offset, criterion in enumerate(criteria, start=1):
            if "random_state" in criterion.get_params(deep=False) and (
                criterion.random_state is None
            ):
                seed = (self._estimator_seed + offset) % np.iinfo(np.int32).max
                criterion.set_params(random_state=seed)

    def _initial_draw(self, X, y, n_initial, rng):
        """Positions of the initial labeled set of a simulation."""
        initial = self.initial_strategy
        if initial == "random":
            return rng.choice(n_rows(X), size=n_initial, replace=False)
        if initial == "stratified":
            return _stratified_draw(y, n_initial, rng)
        if initial == "kmeans":
            initial = KMeansSampling()
        if getattr(initial, "_needs_model", True):
            raise ValueError(
                f"initial_strategy={type(initial).__name__}(...) needs a fitted "
                "model, but the initial set is chosen before anything is labeled. "
                'Use "random", "stratified", "kmeans" or a strategy that needs no '
                "model, such as RandomSampling() or KMeansSampling()."
            )
        return initial.select(None, X, n_initial, random_state=rng)

    def _simulate(self, X, y, aligned, other, strategy, rng, on_round):
        """Label, refit and query until the budget or a criterion says stop.

        The fitted attributes are updated after every refit, so stopping criteria
        and ``on_round`` see the learner as it is at that round.
        """
        n_total = n_rows(X)
        budget = min(self.budget, n_total)
        labeled = self._initial_draw(X, y, min(self.n_initial, budget), rng)
        labeled = np.asarray(labeled, dtype=np.int64)
        self._estimator_seed = int(rng.randint(np.iinfo(np.int32).max))
        self._seed_stopping(self.stopping_)
        is_labeled = np.zeros(n_total, dtype=bool)
        is_labeled[labeled] = True
        self.history_ = []
        new, query_time = labeled, 0.0
        while True:
            X_labeled = take_rows(X, labeled)
            params = _take_params(aligned, labeled)
            self.estimator_, fit_time = self._fit_estimator(
                X_labeled, y[labeled], {**params, **other}, self.classes_
            )
            self.X_labeled_, self.y_labeled_ = X_labeled, y[labeled]
            self.labeled_indices_, self._labeled_params = labeled, params
            self.history_.append(_round(new, labeled.shape[0], query_time, fit_time))
            if on_round is not None:
                on_round(self)
            pool = np.flatnonzero(~is_labeled)
            at_budget = labeled.shape[0] >= budget
            X_pool = None if at_budget and not self.stopping_ else take_rows(X, pool)
            if self.stopping_ and self._check_stopping(X_pool):
                return
            if at_budget:
                self.stop_reason_ = f"budget: {labeled.shape[0]} labels are used."
                self._stop_checked_round = len(self.history_)
                return
            start = time.perf_counter()
            picked = strategy.select(
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
            X_pool = self._validate_X(X_pool, reset=False, ensure_min_samples=0)
        return self._check_stopping(X_pool)

    def _check_stopping(self, X_pool):
        """``should_stop`` on a validated pool (the simulation's own rows)."""
        # Every criterion checks its inputs before any records state, so a
        # missing input changes nothing.
        for criterion in self.stopping_:
            criterion._validate_inputs(X_pool)
        reasons = [criterion._check(self, X_pool) for criterion in self.stopping_]
        fired = [reason for reason in reasons if reason is not None]
        self.stop_reason_ = fired[0] if fired else None
        self._stop_checked_round = len(self.history_)
        return bool(fired)

"""Stopping criteria: when has labeling more samples stopped paying off?

Each criterion is a small scikit-learn estimator holding only its parameters (so
it can be cloned and searched over), in the spirit of skorch's callbacks. Give a
list of them to :class:`~skactive.ActiveLearner` as ``stopping=[...]``:

* in simulation mode (``budget`` set) the learner checks them after every round
  and stops early when one fires;
* in a hand-driven loop, call ``learner.should_stop(X_pool)`` after each
  ``teach``; ``learner.stop_reason_`` then says which criterion fired and why.

The learner works on fitted clones (``learner.stopping_``), so the criteria given
as parameters never change; state a criterion keeps between rounds (the best
score so far, the previous predictions) lives in attributes ending in ``_``.

A criterion of one's own subclasses :class:`StoppingCriterion` and writes
``_check(learner, X_pool) -> str | None``: a reason to stop, or None. The public
``check`` validates, then calls it; :func:`check_stopping` checks a list of
criteria at once, validating all of them before any records anything.
"""

import inspect
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.metrics import check_scoring, cohen_kappa_score
from sklearn.utils import check_random_state

from skactive.acquisition import (
    normalized_uncertainty,
)
from skactive.utils._compat import Interval, StrOptions
from skactive.utils.inputs import iter_row_chunks, n_rows, take_rows
from skactive.utils.pools import Pool
from skactive.utils.registry import declared_tags, iter_subclasses
from skactive.utils.seeding import MAX_SEED

__all__ = [
    "CriterionTags",
    "MaxLabels",
    "MaxUncertainty",
    "Plateau",
    "StabilizingPredictions",
    "StoppingCriterion",
    "TargetScore",
    "all_criteria",
    "check_stopping",
    "clone_criteria",
    "get_criterion_tags",
]

_TASKS = ("classification", "multilabel", "regression")


@dataclass
class CriterionTags:
    """What a stopping criterion needs and serves, declared by the criterion.

    Attributes
    ----------
    needs_pool : bool, default=False
        It reads the unlabeled pool: ``should_stop(X_pool)`` must pass one.
    reads_pool_rows : bool, default=False
        It reads the pool only through :mod:`skactive.utils.inputs` (chunks,
        row selections), so a simulation hands it its unlabeled rows uncopied.
    needs_validation : bool, default=False
        It scores the model on held-out ``X_val`` and ``y_val``.
    classification, multilabel, regression : bool, default=True
        The learners' tasks it serves (multilabel: an ActiveLearner on an
        indicator matrix; regression: ActiveRegressor).
    """

    needs_pool: bool = False
    reads_pool_rows: bool = False
    needs_validation: bool = False
    classification: bool = True
    multilabel: bool = True
    regression: bool = True

    @property
    def tasks(self):
        """The names of the tasks it serves."""
        return tuple(task for task in _TASKS if getattr(self, task))


def get_criterion_tags(criterion):
    """The :class:`CriterionTags` of a criterion (defaults for other objects).

    Examples
    --------
    >>> from skactive.stopping import MaxUncertainty, get_criterion_tags
    >>> get_criterion_tags(MaxUncertainty()).tasks
    ('classification',)
    """
    return declared_tags(criterion, CriterionTags)


def all_criteria(task=None):
    """skactive's stopping criteria, sorted by name; only those serving
    ``task`` when it is given.

    Returns
    -------
    criteria : list of (name, class) tuples

    Examples
    --------
    >>> [name for name, _ in all_criteria("regression")]
    ['MaxLabels', 'Plateau', 'TargetScore']
    """
    if task is not None and task not in _TASKS:
        raise ValueError(f"task must be one of {_TASKS} or None, got {task!r}.")
    found = {
        cls.__name__: cls
        for cls in iter_subclasses(StoppingCriterion)
        if cls.__module__ == __name__ and not inspect.isabstract(cls)
    }
    return [
        (name, cls)
        for name, cls in sorted(found.items())
        if task is None or getattr(get_criterion_tags(_default(cls)), task)
    ]


def _default(cls):
    """An instance for reading tags: required parameters at placeholders."""
    required = [
        p.name
        for p in inspect.signature(cls).parameters.values()
        if p.default is p.empty
    ]
    return cls(**dict.fromkeys(required, 1))


class StoppingCriterion(BaseEstimator, metaclass=ABCMeta):
    """Base class of stopping criteria.

    Subclasses write ``_check(learner, X_pool)`` (abstract: a class without it
    fails when it is made), called once per round after the learner refits; it
    returns a reason to stop (a sentence) or None, and may record state in
    attributes ending in ``_``. What a criterion needs is declared in its
    :class:`CriterionTags` (extend ``__skactive_tags__``): the unlabeled pool,
    validation data (``X_val`` and ``y_val``), whether it reads a pool through
    :mod:`skactive.utils.inputs` only (a simulation then hands it its unlabeled
    rows as a :class:`~skactive.utils.pools.LocalPool`, uncopied), the tasks it
    serves.
    """

    _parameter_constraints: ClassVar[dict] = {}

    def __skactive_tags__(self):
        """This criterion's :class:`CriterionTags`; subclasses extend them."""
        return CriterionTags()

    @property
    def stop_code(self):
        """A short name a program can test when this criterion stops a learner
        (its ``stop_code_``): the class name in snake case, ``"max_labels"``."""
        name = type(self).__name__
        return "".join(
            f"_{c.lower()}" if c.isupper() and i else c.lower()
            for i, c in enumerate(name)
        )

    def _validate_inputs(self, X_pool):
        """Raise before any criterion records state (so a failed check is a no-op)."""
        self._validate_params()
        name = type(self).__name__
        tags = get_criterion_tags(self)
        if tags.needs_validation and (self.X_val is None or self.y_val is None):
            raise ValueError(
                f"{name} scores the model on validation data, but X_val and y_val "
                f"were not given. Pass {name}(..., X_val=X_val, y_val=y_val) with "
                "labeled samples kept out of the pool."
            )
        if tags.needs_pool and X_pool is None:
            raise ValueError(
                f"{name} looks at the unlabeled pool, but none was given. Call "
                "learner.should_stop(X_pool) with the pool still to be labeled."
            )

    def check(self, learner, X_pool=None):
        """Whether to stop after the learner's latest round.

        Parameters
        ----------
        learner : ActiveLearner
            The fitted learner, after its latest refit.
        X_pool : array-like or None, default=None
            The samples still unlabeled, for criteria that look at the pool.

        Returns
        -------
        reason : str or None
            Why to stop, or None to go on.
        """
        self._validate_inputs(X_pool)
        return self._check(learner, X_pool)

    @abstractmethod
    def _check(self, learner, X_pool):
        """A reason to stop after the latest round, or None."""

    def _validation_score(self, learner):
        """Score the learner on the validation data and record it in ``scores_``."""
        scorer = check_scoring(learner, scoring=self.scoring)
        score = float(scorer(learner, self.X_val, self.y_val))
        self.scores_ = [*getattr(self, "scores_", []), score]
        return score


def clone_criteria(stopping, seed=None):
    """Fresh clones of the criteria ``stopping``, seeded from ``seed``.

    Parameters
    ----------
    stopping : list of StoppingCriterion or None
        The criteria given to a learner.
    seed : int or None, default=None
        Criteria with a ``random_state`` left at None get ``seed + i`` (the i-th
        criterion, from 1); None leaves them unseeded.

    Returns
    -------
    criteria : list of StoppingCriterion
    """
    criteria = [] if stopping is None else list(stopping)
    for criterion in criteria:
        if not callable(getattr(criterion, "check", None)):
            raise TypeError(
                f"stopping must hold stopping criteria (objects with a check "
                f"method, see skactive.stopping), got {criterion!r}."
            )
    criteria = [clone(criterion) for criterion in criteria]
    if seed is not None:
        for offset, criterion in enumerate(criteria, start=1):
            params = criterion.get_params(deep=False)
            if "random_state" in params and params["random_state"] is None:
                criterion.set_params(random_state=(seed + offset) % MAX_SEED)
    return criteria


def check_stopping(criteria, learner, X_pool=None, return_criterion=False):
    """The first reason to stop among ``criteria``, or None.

    Every criterion checks its inputs before any records state, so a missing
    input raises and changes nothing; then each criterion is checked once (all
    of them, so each records this round).

    Parameters
    ----------
    criteria : list of StoppingCriterion
        The learner's fitted criteria (``stopping_``).
    learner : ActiveLearner
        The fitted learner, after its latest refit.
    X_pool : array-like or None, default=None
        The samples still unlabeled.
    return_criterion : bool, default=False
        Also return the criterion that fired (None when none did).

    Returns
    -------
    reason : str or None
    criterion : StoppingCriterion or None
        Only with ``return_criterion``.
    """
    if (
        isinstance(X_pool, Pool)
        and not X_pool.distributed
        and any(
            get_criterion_tags(c).needs_pool
            and not get_criterion_tags(c).reads_pool_rows
            for c in criteria
        )
    ):
        X_pool = X_pool.materialize()  # a criterion that reads the pool as a whole
    for criterion in criteria:
        criterion._validate_inputs(X_pool)
    reasons = [criterion._check(learner, X_pool) for criterion in criteria]
    fired = [
        (reason, criterion)
        for reason, criterion in zip(reasons, criteria, strict=True)
        if reason is not None
    ]
    if return_criterion:
        return fired[0] if fired else (None, None)
    return fired[0][0] if fired else None


_VALIDATION_CONSTRAINTS = {
    "X_val": ["array-like", "sparse matrix", None],
    "y_val": ["array-like", None],
    "scoring": [str, callable, None],
}


class MaxLabels(StoppingCriterion):
    """Stop once ``n_labels`` samples are labeled.

    The plain labeling budget, for a hand-driven loop or next to other criteria
    in a simulation. With batches, the last batch may pass ``n_labels``; choose a
    multiple of the batch size to stop exactly on it.

    Parameters
    ----------
    n_labels : int
        Labels to stop at.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive import ActiveLearner
    >>> from skactive.stopping import MaxLabels
    >>> X, y = load_iris(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(), stopping=[MaxLabels(30)],
    ...                         budget=100, random_state=0).fit(X, y)
    >>> learner.y_labeled_.shape[0], learner.stop_reason_
    (30, 'MaxLabels: 30 samples are labeled (n_labels=30).')
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_labels": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, n_labels):
        self.n_labels = n_labels

    def _check(self, learner, X_pool):
        n = n_rows(learner.y_labeled_)
        if n >= self.n_labels:
            return f"MaxLabels: {n} samples are labeled (n_labels={self.n_labels})."
        return None


class TargetScore(StoppingCriterion):
    """Stop once the model scores at least ``target`` on validation data.

    Parameters
    ----------
    target : float
        Score to reach.
    X_val : array-like of shape (n_val, n_features)
        Labeled validation samples, kept out of the pool.
    y_val : array-like of shape (n_val,)
        Their labels.
    scoring : str, callable or None, default=None
        A scikit-learn scorer name or callable; None uses the learner's ``score``
        (accuracy).

    Attributes
    ----------
    scores_ : list of float
        Validation score after each round checked.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive import ActiveLearner
    >>> from skactive.stopping import TargetScore
    >>> X, y = load_iris(return_X_y=True)
    >>> stop = TargetScore(0.9, X_val=X[1::2], y_val=y[1::2])
    >>> learner = ActiveLearner(LogisticRegression(), stopping=[stop],
    ...                         budget=70, random_state=0).fit(X[::2], y[::2])
    >>> learner.stop_reason_.startswith("TargetScore")
    True
    """

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        tags.needs_validation = True
        return tags

    _parameter_constraints: ClassVar[dict] = {
        "target": [Real],
        **_VALIDATION_CONSTRAINTS,
    }

    def __init__(self, target, X_val=None, y_val=None, *, scoring=None):
        self.target = target
        self.X_val = X_val
        self.y_val = y_val
        self.scoring = scoring

    def _check(self, learner, X_pool):
        score = self._validation_score(learner)
        if score >= self.target:
            return (
                f"TargetScore: validation score {score:.4g} reached target="
                f"{self.target:g} at {n_rows(learner.y_labeled_)} labels."
            )
        return None


class Plateau(StoppingCriterion):
    """Stop when the validation score has not improved for ``patience`` rounds.

    A round improves when its score beats the best so far by more than
    ``min_delta``.

    Parameters
    ----------
    patience : int, default=3
        Rounds without improvement to tolerate.
    min_delta : float, default=0.0
        Smallest gain that counts as an improvement.
    X_val : array-like of shape (n_val, n_features)
        Labeled validation samples, kept out of the pool.
    y_val : array-like of shape (n_val,)
        Their labels.
    scoring : str, callable or None, default=None
        A scikit-learn scorer name or callable; None uses the learner's ``score``.

    Attributes
    ----------
    scores_ : list of float
        Validation score after each round checked.
    best_score_ : float
        Best of them.
    """

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        tags.needs_validation = True
        return tags

    _parameter_constraints: ClassVar[dict] = {
        "patience": [Interval(Integral, 1, None, closed="left")],
        "min_delta": [Interval(Real, 0, None, closed="left")],
        **_VALIDATION_CONSTRAINTS,
    }

    def __init__(
        self, patience=3, min_delta=0.0, X_val=None, y_val=None, *, scoring=None
    ):
        self.patience = patience
        self.min_delta = min_delta
        self.X_val = X_val
        self.y_val = y_val
        self.scoring = scoring

    def _check(self, learner, X_pool):
        score = self._validation_score(learner)
        if len(self.scores_) == 1 or score > self.best_score_ + self.min_delta:
            self.best_score_, self.rounds_without_improvement_ = score, 0
            return None
        self.rounds_without_improvement_ += 1
        if self.rounds_without_improvement_ >= self.patience:
            return (
                f"Plateau: the validation score has not improved by more than "
                f"min_delta={self.min_delta:g} for {self.patience} rounds (best "
                f"{self.best_score_:.4g}, now {score:.4g})."
            )
        return None


class StabilizingPredictions(StoppingCriterion):
    """Stop when successive models agree on an unlabeled stop set.

    At the first check, ``stop_set_size`` samples are drawn from the pool and
    kept. After each round, the model's predictions on them are compared with
    the previous round's by Cohen's kappa; the criterion fires when the mean of
    the last ``window`` kappas reaches ``threshold`` (Bloodgood and
    Vijay-Shanker, "A Method for Stopping Active Learning Based on Stabilizing
    Predictions and the Need for User-Adjustable Stopping", CoNLL 2009). It
    needs no labels beyond those queried.

    Parameters
    ----------
    stop_set_size : int, default=1000
        Pool samples in the stop set (the whole pool when smaller).
    window : int, default=3
        Successive agreements averaged.
    threshold : float, default=0.99
        Mean kappa at which to stop.
    random_state : int, RandomState instance or None, default=None
        Draws the stop set. Inside a learner with a ``random_state``, None is
        replaced by a seed derived from it.

    Attributes
    ----------
    stop_set_ : array-like of shape (stop_set_size, n_features)
        The stop set.
    kappas_ : list of float
        Agreement of each round's predictions with the previous round's.
    """

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        tags.regression = False  # kappa over label decisions
        tags.needs_pool = tags.reads_pool_rows = True
        return tags

    _parameter_constraints: ClassVar[dict] = {
        "stop_set_size": [Interval(Integral, 1, None, closed="left")],
        "window": [Interval(Integral, 1, None, closed="left")],
        "threshold": [Interval(Real, -1, 1, closed="both")],
        "random_state": ["random_state"],
    }

    def __init__(self, stop_set_size=1000, window=3, threshold=0.99, random_state=None):
        self.stop_set_size = stop_set_size
        self.window = window
        self.threshold = threshold
        self.random_state = random_state

    def _check(self, learner, X_pool):
        if not hasattr(self, "stop_set_"):
            n = n_rows(X_pool)
            rng = check_random_state(self.random_state)
            rows = np.sort(rng.permutation(n)[: self.stop_set_size])
            self.stop_set_ = take_rows(X_pool, rows)
            self.kappas_ = []
        if n_rows(self.stop_set_) == 0:
            return None
        predictions = np.asarray(learner.predict(self.stop_set_))
        previous = getattr(self, "predictions_", None)
        self.predictions_ = predictions
        if previous is None:
            return None
        self.kappas_.append(_kappa(previous, predictions))
        if len(self.kappas_) < self.window:
            return None
        agreement = float(np.mean(self.kappas_[-self.window :]))
        if agreement >= self.threshold:
            return (
                f"StabilizingPredictions: the mean Cohen's kappa of the last "
                f"{self.window} rounds' predictions on the stop set is "
                f"{agreement:.4f} >= threshold={self.threshold:g}."
            )
        return None


def _kappa(first, second):
    """Cohen's kappa, 1 for identical predictions (even when both are constant)."""
    if np.array_equal(first, second):
        return 1.0
    # Multilabel: the agreement of every label decision.
    return float(cohen_kappa_score(np.ravel(first), np.ravel(second)))


class MaxUncertainty(StoppingCriterion):
    """Stop when even the most uncertain pool sample is confidently predicted.

    After each round the pool is scored (in chunks) and the criterion fires
    when the largest uncertainty, normalized to [0, 1] (0: one class has all the
    probability, 1: the uniform distribution), is at most ``threshold``: the
    sample the next query would pick is no longer worth much (the max-uncertainty
    criterion; Vlachos, "A stopping criterion for active learning", 2008, and
    Zhu et al., 2008).

    Parameters
    ----------
    threshold : float, default=0.1
        Largest normalized uncertainty at which to stop.
    measure : {"least_confidence", "entropy", "margin"}, default="least_confidence"
        How uncertainty is measured: ``1 - max p`` scaled by ``C / (C - 1)``;
        entropy divided by ``log C``; or one minus the gap between the top two
        probabilities.

    Attributes
    ----------
    max_uncertainties_ : list of float
        The pool's largest normalized uncertainty after each round.
    """

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        tags.regression = tags.multilabel = False
        tags.needs_pool = tags.reads_pool_rows = True
        return tags

    _parameter_constraints: ClassVar[dict] = {
        "threshold": [Interval(Real, 0, 1, closed="both")],
        "measure": [StrOptions({"least_confidence", "entropy", "margin"})],
    }

    def __init__(self, threshold=0.1, measure="least_confidence"):
        self.threshold = threshold
        self.measure = measure

    def _check(self, learner, X_pool):
        if n_rows(X_pool) == 0:
            return "MaxUncertainty: the pool is empty."
        largest = max(
            float(
                np.max(
                    normalized_uncertainty(learner.predict_proba(chunk), self.measure)
                )
            )
            for _, chunk in iter_row_chunks(X_pool)
        )
        self.max_uncertainties_ = [*getattr(self, "max_uncertainties_", []), largest]
        if largest <= self.threshold:
            return (
                f"MaxUncertainty: the most uncertain pool sample has normalized "
                f"{self.measure} uncertainty {largest:.4g} <= threshold="
                f"{self.threshold:g}."
            )
        return None

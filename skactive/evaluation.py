"""Measuring active learning against random sampling on the same data.

:func:`active_learning_curve` runs the learner's simulation for several query
strategies and repeats (random sampling always among them, as the baseline) and
scores each round's model on a test set. The summaries answer the two questions
a user asks:

* how good is a strategy over the whole labeling budget? :func:`aulc`, the area
  under the learning curve, normalized to the label range (the mean score over
  it);
* how many labels does it save? :func:`labels_to_reach` a target score, and
  :func:`reduction_ratio`: the labels random sampling needs divided by the
  labels the strategy needs.
"""

import numbers
import warnings

import numpy as np
from scipy.integrate import trapezoid
from sklearn.base import clone
from sklearn.metrics import check_scoring
from sklearn.utils import check_random_state
from sklearn.utils.parallel import Parallel, delayed

from skactive.strategies import RandomSampling

__all__ = [
    "LearningCurveResult",
    "active_learning_curve",
    "aulc",
    "labels_to_reach",
    "reduction_ratio",
]

BASELINE = "random"


def _check_curve(n_labels, scores, name="scores"):
    n_labels = np.asarray(n_labels, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    if n_labels.ndim != 1:
        raise ValueError(
            f"n_labels must be 1-D (labels at each step), got shape {n_labels.shape}."
        )
    if scores.ndim not in (1, 2) or scores.shape[-1] != n_labels.shape[0]:
        raise ValueError(
            f"{name} must have shape (n_steps,) or (n_repeats, n_steps) with "
            f"n_steps = len(n_labels) = {n_labels.shape[0]}, got {scores.shape}."
        )
    if np.any(np.diff(n_labels) <= 0):
        raise ValueError("n_labels must be strictly increasing.")
    return n_labels, scores


def aulc(n_labels, scores, *, normalize=True):
    """Area under the learning curve, by the trapezoid rule.

    Parameters
    ----------
    n_labels : array-like of shape (n_steps,)
        Labels used at each step, strictly increasing; at least two steps.
    scores : array-like of shape (n_steps,) or (n_repeats, n_steps)
        Score (e.g. test accuracy) at each step, for one curve or one per repeat.
    normalize : bool, default=True
        Divide by the label range ``n_labels[-1] - n_labels[0]``, giving the mean
        score over the range: in [0, 1] for scores in [0, 1], and comparable
        across budgets. False gives the raw area (score x labels).

    Returns
    -------
    area : float or ndarray of shape (n_repeats,)
        NaN where a curve holds NaN (a run stopped early).

    Examples
    --------
    >>> aulc([10, 20, 30], [0.5, 0.7, 0.9])
    0.7
    """
    n_labels, scores = _check_curve(n_labels, scores)
    if n_labels.shape[0] < 2:
        raise ValueError(
            "aulc needs a curve of at least two steps (the area of a single point "
            f"is zero); got n_labels={n_labels.tolist()}."
        )
    area = trapezoid(scores, n_labels, axis=-1)
    if normalize:
        area = area / (n_labels[-1] - n_labels[0])
    return float(area) if np.ndim(area) == 0 else area


def labels_to_reach(n_labels, scores, target):
    """Labels at the first step where the score reaches ``target``.

    Parameters
    ----------
    n_labels : array-like of shape (n_steps,)
        Labels used at each step, strictly increasing.
    scores : array-like of shape (n_steps,) or (n_repeats, n_steps)
        One curve, or one per repeat.
    target : float
        Score to reach (``>=``).

    Returns
    -------
    labels : float or ndarray of shape (n_repeats,)
        ``inf`` where the curve never reaches ``target`` within its steps.

    Examples
    --------
    >>> labels_to_reach([10, 20, 30], [0.5, 0.7, 0.9], 0.7)
    20.0
    >>> labels_to_reach([10, 20, 30], [0.5, 0.7, 0.9], 0.95)
    inf
    """
    n_labels, scores = _check_curve(n_labels, scores)
    reached = scores >= target  # NaN never reaches
    first = np.argmax(reached, axis=-1)
    labels = np.where(reached.any(axis=-1), n_labels[first], np.inf)
    return float(labels) if np.ndim(labels) == 0 else labels


def reduction_ratio(result, strategy, *, baseline=BASELINE, target=None):
    """How many times fewer labels ``strategy`` needs than ``baseline``.

    Both mean curves (over repeats) are compared: the ratio is the labels the
    baseline needs to reach ``target`` divided by the labels the strategy needs.
    Above 1, the strategy saves labels; 2 means half as many.

    Parameters
    ----------
    result : LearningCurveResult
        From :func:`active_learning_curve`.
    strategy : str
        Name of a strategy in ``result.scores``.
    baseline : str, default="random"
        Name of the strategy to compare with.
    target : float or None, default=None
        Score to reach. None: 95 % of the best mean score the baseline reaches,
        which the baseline always reaches.

    Returns
    -------
    ratio : float
        ``0.0`` when only the baseline reaches the target (the strategy never
        does within the budget); ``inf`` when only the strategy does; ``nan``
        when neither does.

    Examples
    --------
    >>> result = LearningCurveResult(
    ...     [10, 20, 30, 40],
    ...     {"random": [[0.5, 0.6, 0.7, 0.8]], "margin": [[0.6, 0.8, 0.85, 0.9]]})
    >>> reduction_ratio(result, "margin", target=0.8)
    2.0
    """
    curves = result.mean_scores()
    for name in (strategy, baseline):
        if name not in curves:
            raise ValueError(
                f"{name!r} is not a strategy of this result; it has {sorted(curves)}."
            )
    if target is None:
        target = 0.95 * np.nanmax(curves[baseline])
    needed = labels_to_reach(result.n_labels, curves[baseline], target)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(
            np.float64(needed)
            / labels_to_reach(result.n_labels, curves[strategy], target)
        )


class LearningCurveResult:
    """Learning curves of several strategies: what :func:`active_learning_curve`
    returns.

    Parameters
    ----------
    n_labels : array-like of shape (n_steps,)
        Labels used at each step.
    scores : dict of str to array-like of shape (n_repeats, n_steps)
        Test score of each strategy, per repeat and step. NaN after a run that a
        stopping criterion ended early.
    fit_times, query_times : dict of str to array-like, default=None
        Seconds per refit and per query, same shapes (query time is 0 at the
        first step, where the initial set is drawn).
    scoring : str, default="score"
        Name of the score, for tables and plot labels.
    baseline : str, default="random"
        The strategy others are compared with.
    stop_reasons : dict of str to list of str, default=None
        Why each run ended.

    Attributes
    ----------
    n_labels, scores, fit_times, query_times, scoring, baseline, stop_reasons
        As given, arrays as ``ndarray``.
    """

    def __init__(
        self,
        n_labels,
        scores,
        *,
        fit_times=None,
        query_times=None,
        scoring="score",
        baseline=BASELINE,
        stop_reasons=None,
    ):
        self.n_labels = np.asarray(n_labels)
        self.scores = {
            name: np.atleast_2d(np.asarray(value, dtype=np.float64))
            for name, value in scores.items()
        }
        for name, value in self.scores.items():
            _check_curve(self.n_labels, value, name=f"scores[{name!r}]")
        empty = {
            name: np.full_like(value, np.nan) for name, value in self.scores.items()
        }
        self.fit_times = {
            name: np.asarray(value, dtype=np.float64)
            for name, value in (fit_times or empty).items()
        }
        self.query_times = {
            name: np.asarray(value, dtype=np.float64)
            for name, value in (query_times or empty).items()
        }
        self.scoring = scoring
        self.baseline = baseline
        self.stop_reasons = stop_reasons or {}

    def __repr__(self):
        n_repeats = next(iter(self.scores.values())).shape[0] if self.scores else 0
        return (
            f"LearningCurveResult(strategies={list(self.scores)}, "
            f"n_repeats={n_repeats}, n_labels={self.n_labels[0]}..."
            f"{self.n_labels[-1]})"
        )

    def mean_scores(self):
        """Mean curve of each strategy over repeats.

        Steps after a run stopped early (NaN) are averaged over the runs still
        going; a step no run reached is NaN.

        Returns
        -------
        curves : dict of str to ndarray of shape (n_steps,)
        """
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN steps
            return {
                name: np.nanmean(value, axis=0) for name, value in self.scores.items()
            }

    def aulc(self, *, normalize=True):
        """:func:`aulc` of every run.

        Returns
        -------
        areas : dict of str to ndarray of shape (n_repeats,)
        """
        return {
            name: np.atleast_1d(aulc(self.n_labels, value, normalize=normalize))
            for name, value in self.scores.items()
        }

    def reduction_ratio(self, strategy, *, baseline=None, target=None):
        """:func:`reduction_ratio` of ``strategy`` against the baseline."""
        baseline = self.baseline if baseline is None else baseline
        return reduction_ratio(self, strategy, baseline=baseline, target=target)

    def summary(self, *, target=None):
        """One row of figures per strategy.

        Parameters
        ----------
        target : float or None, default=None
            Score for ``labels_to_reach`` and the reduction ratio; None uses 95 %
            of the baseline's best mean score.

        Returns
        -------
        rows : dict of str to dict
            For each strategy: ``aulc`` and ``aulc_std`` (over repeats),
            ``final_score`` (mean score at the last step), ``labels_to_reach``
            (of the mean curve), ``reduction_ratio``, ``fit_time`` and
            ``query_time`` (total seconds per run, mean over repeats), and the
            ``target`` used.
        """
        curves = self.mean_scores()
        if target is None and self.baseline in curves:
            target = 0.95 * np.nanmax(curves[self.baseline])
        areas = self.aulc()
        rows = {}
        for name, curve in curves.items():
            rows[name] = {
                "aulc": float(np.mean(areas[name])),
                "aulc_std": float(np.std(areas[name])),
                "final_score": float(curve[-1]),
                "labels_to_reach": labels_to_reach(self.n_labels, curve, target)
                if target is not None
                else np.nan,
                "reduction_ratio": self.reduction_ratio(name, target=target)
                if self.baseline in curves
                else np.nan,
                "fit_time": float(np.mean(np.nansum(self.fit_times[name], axis=1))),
                "query_time": float(np.mean(np.nansum(self.query_times[name], axis=1))),
                "target": np.nan if target is None else float(target),
            }
        return rows

    def table(self, *, checkpoints=4, target=None):
        """The comparison as a Markdown table, one row per strategy.

        Parameters
        ----------
        checkpoints : int or array-like, default=4
            Label counts at which the mean score is shown: that many steps spread
            evenly over the curve (ending at the budget), or the counts themselves
            (each must be one of ``n_labels``).
        target : float or None, default=None
            As in :meth:`summary`.

        Returns
        -------
        table : str
            Columns: the mean score at each checkpoint, AULC (mean ± std over
            repeats), labels to reach the target, the reduction ratio against the
            baseline, and the mean seconds per run spent fitting and querying.
        """
        if isinstance(checkpoints, numbers.Integral):
            steps = np.unique(
                np.linspace(0, self.n_labels.shape[0] - 1, checkpoints + 1)
                .round()
                .astype(int)[1:]
            )
        else:
            wanted = np.asarray(checkpoints)
            missing = np.setdiff1d(wanted, self.n_labels)
            if missing.size:
                raise ValueError(
                    f"checkpoints {missing.tolist()} are not steps of the curve; "
                    f"n_labels is {self.n_labels.tolist()}."
                )
            steps = np.searchsorted(self.n_labels, wanted)
        rows = self.summary(target=target)
        curves = self.mean_scores()
        target = next(iter(rows.values()))["target"]
        header = [
            "strategy",
            *(f"{self.scoring} @{self.n_labels[step]}" for step in steps),
            "AULC",
            f"labels to {target:.3f}",
            "reduction ratio",
            "fit s",
            "query s",
        ]
        lines = [
            "| " + " | ".join(header) + " |",
            "|"
            + "|".join("---" if i == 0 else "---:" for i in range(len(header)))
            + "|",
        ]
        for name, row in rows.items():
            cells = [
                name,
                *(f"{curves[name][step]:.3f}" for step in steps),
                f"{row['aulc']:.3f} ± {row['aulc_std']:.3f}",
                _format_labels(row["labels_to_reach"]),
                f"{row['reduction_ratio']:.2f}x",
                f"{row['fit_time']:.2f}",
                f"{row['query_time']:.2f}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def to_frame(self):
        """The curves as a long pandas DataFrame (needs pandas).

        Returns
        -------
        frame : pandas.DataFrame
            One row per strategy, repeat and step, with columns ``strategy``,
            ``repeat``, ``n_labels``, ``score``, ``fit_time`` and ``query_time``.
        """
        try:
            import pandas as pd
        except ImportError as error:  # pragma: no cover - depends on the install
            raise ImportError(
                "LearningCurveResult.to_frame needs pandas: pip install pandas "
                "(or pip install 'skactive[pandas]')."
            ) from error
        frames = []
        for name, value in self.scores.items():
            n_repeats, n_steps = value.shape
            frames.append(
                pd.DataFrame(
                    {
                        "strategy": name,
                        "repeat": np.repeat(np.arange(n_repeats), n_steps),
                        "n_labels": np.tile(self.n_labels, n_repeats),
                        "score": value.ravel(),
                        "fit_time": self.fit_times[name].ravel(),
                        "query_time": self.query_times[name].ravel(),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def plot(self, *, ax=None, **kwargs):
        """Plot the curves; see :class:`~skactive.plotting.ActiveLearningCurveDisplay`.

        Returns
        -------
        display : ActiveLearningCurveDisplay
        """
        from skactive.plotting import ActiveLearningCurveDisplay

        return ActiveLearningCurveDisplay.from_result(self, ax=ax, **kwargs)


def _format_labels(labels):
    if np.isnan(labels):
        return "n/a"
    return "never" if np.isinf(labels) else str(int(labels))


def _strategy_name(strategy):
    """A short, readable name for a strategy object (or a whole learner)."""
    if _is_learner(strategy):
        own = getattr(strategy, "query_strategy", None)
        name = "entropy" if own is None else _strategy_name(own)
        initial = getattr(strategy, "initial_strategy", "random")
        if isinstance(initial, str) and initial != "random":
            name = f"{name}, {initial} start"
        elif not isinstance(initial, str):
            name = f"{name}, {type(initial).__name__} start"
        return name
    if isinstance(strategy, RandomSampling):
        return "random"
    function = getattr(strategy, "acquisition_fn", None)
    if isinstance(function, str):
        return function
    if callable(function):
        return getattr(function, "__name__", type(strategy).__name__)
    return type(strategy).__name__


def _named_strategies(query_strategies, learner):
    if query_strategies is None:
        from skactive.strategies import UncertaintySampling

        own = learner.query_strategy
        query_strategies = [UncertaintySampling() if own is None else own]
    if isinstance(query_strategies, dict):
        named = dict(query_strategies)
    else:
        named = {}
        for strategy in query_strategies:
            name, suffix = _strategy_name(strategy), 2
            while name in named:
                name, suffix = f"{_strategy_name(strategy)}_{suffix}", suffix + 1
            named[name] = strategy
    if not named:
        raise ValueError(
            "query_strategies is empty: pass at least one strategy, e.g. "
            "{'margin': UncertaintySampling(acquisition_fn='margin')} (random "
            "sampling is added as the baseline), or None for the learner's own."
        )
    for name, strategy in named.items():
        if not (_is_learner(strategy) or callable(getattr(strategy, "select", None))):
            raise TypeError(
                f"query_strategies[{name!r}] is {strategy!r}, not a query strategy "
                "(an object with a select method, see skactive.strategies) or an "
                "ActiveLearner."
            )
    if BASELINE not in named:
        named = {BASELINE: RandomSampling(), **named}
    return named


def _is_learner(candidate):
    return callable(getattr(candidate, "teach", None))


def _run_learner(learner, candidate, seed):
    """The learner of one run: ``learner`` with the candidate strategy, or the
    candidate itself when it is a whole learner; seeded."""
    if _is_learner(candidate):
        if getattr(candidate, "budget", None) is None:
            raise ValueError(
                f"{candidate!r} in query_strategies is an ActiveLearner without a "
                "budget; set budget=N to run its simulation."
            )
        run = clone(candidate)
    else:
        run = clone(learner).set_params(query_strategy=clone(candidate))
    return run.set_params(random_state=int(seed))


def _one_run(learner, X, y, X_test, y_test, scorer):
    """One simulation; the test score after every round."""
    scores = []

    def record(fitted):
        scores.append(float(scorer(fitted, X_test, y_test)))

    learner._validate_params()
    learner._fit(X, y, {}, on_round=record)
    history = learner.history_
    return {
        "n_labels": [entry["n_labels"] for entry in history],
        "scores": scores,
        "fit_times": [entry["fit_time"] for entry in history],
        "query_times": [entry["query_time"] for entry in history],
        "stop_reason": learner.stop_reason_,
    }


def _scoring_name(scoring):
    if scoring is None:
        return "accuracy"
    if isinstance(scoring, str):
        return scoring
    return getattr(scoring, "__name__", type(scoring).__name__)


def _progress(iterable, total, verbose):
    if not verbose:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError as error:
        raise ImportError(
            "verbose=True shows a tqdm progress bar: pip install tqdm (or pip "
            "install 'skactive[progress]'), or pass verbose=False."
        ) from error
    return tqdm(iterable, total=total, desc="active learning runs")


def active_learning_curve(
    learner,
    X,
    y,
    X_test,
    y_test,
    *,
    query_strategies=None,
    n_repeats=5,
    scoring=None,
    n_jobs=None,
    random_state=None,
    verbose=False,
):
    """Learning curves of query strategies, against random sampling, on a test set.

    For each strategy and repeat, a clone of ``learner`` runs its simulation on
    ``(X, y)`` (``y`` is the oracle) and the model of every round is scored on
    ``(X_test, y_test)``. Repeat ``r`` uses the same seed for every strategy, so
    all strategies start from the same initial labels: a paired comparison.

    Parameters
    ----------
    learner : ActiveLearner
        With ``budget`` set; its ``batch_size``, ``n_initial``,
        ``initial_strategy`` and ``stopping`` are used as they are. Its
        ``query_strategy`` and ``random_state`` are set per run.
    X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
        The pool.
    y : array-like of shape (n_samples,)
        Its labels, revealed as samples are queried.
    X_test, y_test : array-like
        Held-out test set, disjoint from the pool.
    query_strategies : dict of str to QueryStrategy, list of QueryStrategy or None
        Strategies to compare; a list is named automatically (``"entropy"``,
        ``"margin"``, the class name, ...). None: the learner's own strategy.
        Random sampling is added under ``"random"`` unless that name is taken.
        A value may also be a whole ``ActiveLearner`` (with a budget), run as
        it is: to compare initial strategies, stopping rules or estimators.
    n_repeats : int, default=5
        Runs per strategy, with different seeds.
    scoring : str, callable or None, default=None
        A scikit-learn scorer, applied to the learner; None uses its ``score``
        (accuracy).
    n_jobs : int or None, default=None
        Runs in parallel with joblib (None: one at a time; -1: all cores).
    random_state : int, RandomState instance or None, default=None
        Draws one seed per repeat.
    verbose : bool, default=False
        Show a tqdm progress bar (needs tqdm).

    Returns
    -------
    result : LearningCurveResult
        With ``n_labels``, ``scores``, ``fit_times`` and ``query_times`` (each a
        dict of ``(n_repeats, n_steps)`` arrays), ``stop_reasons``, and the
        summaries ``aulc()``, ``reduction_ratio()``, ``summary()``,
        ``to_frame()`` and ``plot()``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive import ActiveLearner, UncertaintySampling
    >>> X, y = load_iris(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(), budget=30, batch_size=10)
    >>> result = active_learning_curve(
    ...     learner, X[::2], y[::2], X[1::2], y[1::2], n_repeats=2,
    ...     query_strategies={"margin": UncertaintySampling(acquisition_fn="margin")},
    ...     random_state=0)
    >>> result.n_labels
    array([10, 20, 30])
    >>> result.scores["margin"].shape
    (2, 3)
    """
    if getattr(learner, "budget", None) is None:
        raise ValueError(
            "active_learning_curve runs the learner's simulation, which needs a "
            "labeling budget: pass ActiveLearner(..., budget=N)."
        )
    if (
        isinstance(n_repeats, bool)
        or not isinstance(n_repeats, numbers.Integral)
        or n_repeats < 1
    ):
        raise ValueError(f"n_repeats must be an integer >= 1, got {n_repeats!r}.")
    named = _named_strategies(query_strategies, learner)
    unseen = np.setdiff1d(np.asarray(y_test), np.asarray(y))
    if unseen.size:
        raise ValueError(
            f"y_test holds labels {unseen.tolist()[:10]} that never occur in y, so "
            "the learner can never predict them. Drop those test samples, or add "
            "samples of those classes to the pool."
        )
    scorer = check_scoring(learner, scoring=scoring)
    seeds = check_random_state(random_state).randint(
        np.iinfo(np.int32).max, size=n_repeats
    )
    tasks = [(name, repeat) for name in named for repeat in range(n_repeats)]
    runs = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_one_run)(
            _run_learner(learner, named[name], seeds[repeat]),
            X,
            y,
            X_test,
            y_test,
            scorer,
        )
        for name, repeat in tasks
    )
    runs = list(_progress(runs, len(tasks), verbose))
    longest = max(runs, key=lambda run: len(run["n_labels"]))
    n_labels = np.asarray(longest["n_labels"], dtype=np.int64)
    n_steps = n_labels.shape[0]

    def stack(key):
        arrays = {name: np.full((n_repeats, n_steps), np.nan) for name in named}
        for (name, repeat), run in zip(tasks, runs, strict=True):
            values = run[key]
            arrays[name][repeat, : len(values)] = values
        return arrays

    return LearningCurveResult(
        n_labels,
        stack("scores"),
        fit_times=stack("fit_times"),
        query_times=stack("query_times"),
        scoring=_scoring_name(scoring),
        stop_reasons={
            name: [
                run["stop_reason"] for run in runs[i * n_repeats : (i + 1) * n_repeats]
            ]
            for i, name in enumerate(named)
        },
    )

"""active_learning_curve: run the simulation per strategy and repeat, in parallel."""

import numbers

import numpy as np
from sklearn.base import clone, is_regressor
from sklearn.metrics import check_scoring
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.parallel import Parallel, delayed

from skactive.callbacks import ScoreRecorder
from skactive.evaluation._metrics import BASELINE
from skactive.evaluation._result import LearningCurveResult
from skactive.oracle import SimulatedOracle
from skactive.strategies import GreedySampling, RandomSampling
from skactive.utils.progress import progress_bar
from skactive.utils.seeding import draw_seed
from skactive.utils.validation import is_learner

__all__ = ["active_learning_curve"]


def _default_name(learner, multilabel):
    """The name of a learner's default strategy, for its task."""
    if is_regressor(learner):
        return "iGS"
    return "uncertainty (mean)" if multilabel else "entropy"


def _strategy_name(strategy, default="default"):
    """A short, readable name for a strategy object (or a whole learner)."""
    if is_learner(strategy):
        own = getattr(strategy, "query_strategy", None)
        name = default if own is None else _strategy_name(own)
        initial = getattr(strategy, "initial_strategy", "random")
        if isinstance(initial, str) and initial != "random":
            name = f"{name}, {initial} start"
        elif not isinstance(initial, str):
            name = f"{name}, {type(initial).__name__} start"
        return name
    if strategy is None:
        return default
    if isinstance(strategy, RandomSampling):
        return "random"
    if isinstance(strategy, GreedySampling):
        return {"x": "GSx", "y": "GSy", "xy": "iGS"}[strategy.space]
    function = getattr(strategy, "acquisition_fn", None)
    if isinstance(function, str):
        return function
    if callable(function):
        return getattr(function, "__name__", type(strategy).__name__)
    return type(strategy).__name__


def _named_strategies(query_strategies, learner, multilabel):
    if query_strategies is None:
        # The learner's own; None is its task's default (entropy, iGS, ...).
        query_strategies = [learner.query_strategy]
    if isinstance(query_strategies, dict):
        named = dict(query_strategies)
    else:
        named = {}
        for strategy in query_strategies:
            own = _default_name(
                strategy if is_learner(strategy) else learner, multilabel
            )
            base = _strategy_name(strategy, own)
            name, suffix = base, 2
            while name in named:
                name, suffix = f"{base}_{suffix}", suffix + 1
            named[name] = strategy
    if not named:
        raise ValueError(
            "query_strategies is empty: pass at least one strategy, e.g. "
            "{'margin': UncertaintySampling(acquisition_fn='margin')} (random "
            "sampling is added as the baseline), or None for the learner's own."
        )
    for name, strategy in named.items():
        if strategy is not None and not (
            is_learner(strategy) or callable(getattr(strategy, "select", None))
        ):
            raise TypeError(
                f"query_strategies[{name!r}] is {strategy!r}, not a query strategy "
                "(an object with a select method, see skactive.strategies) or an "
                "ActiveLearner."
            )
    if BASELINE not in named:
        named = {BASELINE: RandomSampling(), **named}
    return named


def _run_learner(learner, candidate, seed):
    """The learner of one run: ``learner`` with the candidate strategy, or the
    candidate itself when it is a whole learner; seeded."""
    if is_learner(candidate):
        if getattr(candidate, "budget", None) is None:
            raise ValueError(
                f"{candidate!r} in query_strategies is an ActiveLearner without a "
                "budget; set budget=N to run its simulation."
            )
        run = clone(candidate)
    else:
        strategy = None if candidate is None else clone(candidate)
        run = clone(learner).set_params(query_strategy=strategy)
    return run.set_params(random_state=int(seed))


def _one_run(learner, X, y, X_test, y_test, scoring, params):
    """One simulation; the test score after every round, through a callback."""
    recorder = ScoreRecorder(X_test, y_test, scoring)
    learner.set_params(callbacks=[*(learner.callbacks or []), recorder])
    learner.fit(X, y, **params)
    history = learner.history_
    return {
        "n_labels": [entry["n_labels"] for entry in history],
        "scores": learner.callbacks_[-1].scores_,
        "fit_times": [entry["fit_time"] for entry in history],
        "query_times": [entry["query_time"] for entry in history],
        "stop_reason": learner.stop_reason_,
    }


def _default_scoring(learner, y):
    """``scoring=None``: the learner's own score (accuracy, R²), or micro-averaged
    F1 for multilabel targets, where the learner's score (subset accuracy)
    counts a sample right only when every one of its labels is."""
    true_y = y.y if isinstance(y, SimulatedOracle) else y
    if not is_regressor(learner) and np.ndim(true_y) == 2:
        return "f1_micro"
    return None


def _scoring_name(scoring, learner):
    if scoring is None:
        return "r2" if is_regressor(learner) else "accuracy"
    if isinstance(scoring, str):
        return scoring
    return getattr(scoring, "__name__", type(scoring).__name__)


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
    params=None,
):
    """Learning curves of query strategies, against random sampling, on a test set.

    For each strategy and repeat, a clone of ``learner`` runs its simulation on
    ``(X, y)`` (``y`` is the oracle) and the model of every round is scored on
    ``(X_test, y_test)``. Repeat ``r`` uses the same seed for every strategy, so
    all strategies start from the same initial labels: a paired comparison.

    Parameters
    ----------
    learner : ActiveLearner or ActiveRegressor
        With ``budget`` set; its ``batch_size``, ``n_initial``,
        ``initial_strategy`` and ``stopping`` are used as they are. Its
        ``query_strategy`` and ``random_state`` are set per run.
    X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
        The pool.
    y : array-like of shape (n_samples,) or SimulatedOracle
        Its labels, revealed as samples are queried; a
        :class:`~skactive.oracle.SimulatedOracle` answers with noise (drawn
        per repeat unless it has its own ``random_state``).
    X_test, y_test : array-like
        Held-out test set, disjoint from the pool.
    query_strategies : dict of str to QueryStrategy, list of QueryStrategy or None
        Strategies to compare; a list is named automatically (``"entropy"``,
        ``"margin"``, ``"iGS"``, the class name, ...). None: the learner's own
        strategy (when it has none, its task's default: ``"entropy"``,
        ``"iGS"`` for a regressor, ``"uncertainty (mean)"`` for multilabel).
        Random sampling is added under ``"random"`` unless that name is taken.
        A value may also be a whole ``ActiveLearner`` (with a budget), run as
        it is: to compare initial strategies, stopping rules or estimators.
    n_repeats : int, default=5
        Runs per strategy, with different seeds.
    scoring : str, callable or None, default=None
        A scikit-learn scorer, applied to the learner: ``"f1_macro"``,
        ``"neg_root_mean_squared_error"`` (RMSE, negated so that higher is
        better), ... None uses the learner's ``score`` (accuracy for an
        ``ActiveLearner``, R² for an ``ActiveRegressor``), or ``"f1_micro"``
        for a multilabel ``y``.
    n_jobs : int or None, default=None
        Runs in parallel with joblib (None: one at a time; -1: all cores).
    random_state : int, RandomState instance or None, default=None
        Draws one seed per repeat.
    verbose : bool, default=False
        Show a tqdm progress bar (needs tqdm).
    params : dict or None, default=None
        Passed to every simulation's ``fit``; those with one entry per sample of
        ``X`` (such as ``sample_weight``) follow their samples into the labeled
        set.

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
    named = _check_curve_inputs(learner, y, y_test, n_repeats, query_strategies)
    if scoring is None:
        scoring = _default_scoring(learner, y)
    check_scoring(learner, scoring=scoring)  # a bad scoring fails before any run
    seeds = draw_seed(random_state, size=n_repeats)
    tasks = [(name, repeat) for name in named for repeat in range(n_repeats)]
    runs = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_one_run)(
            _run_learner(learner, named[name], seeds[repeat]),
            X,
            y,
            X_test,
            y_test,
            scoring,
            {} if params is None else dict(params),
        )
        for name, repeat in tasks
    )
    bar = progress_bar(len(tasks), "active learning runs", verbose)
    collected = []
    for run in runs:
        collected.append(run)
        bar.update(1)
    bar.close()
    runs = collected
    return _collect(runs, tasks, named, n_repeats, _scoring_name(scoring, learner))


def _check_curve_inputs(learner, y, y_test, n_repeats, query_strategies):
    """The named strategies, after checking the learner, repeats and test labels."""
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
    true_y = y.y if isinstance(y, SimulatedOracle) else y
    named = _named_strategies(query_strategies, learner, np.ndim(true_y) == 2)
    if is_regressor(learner) or type_of_target(true_y) not in ("binary", "multiclass"):
        return named  # targets, or label columns: no class can be unseen
    unseen = np.setdiff1d(np.asarray(y_test), np.asarray(true_y))
    if unseen.size:
        raise ValueError(
            f"y_test holds labels {unseen.tolist()[:10]} that never occur in y, so "
            "the learner can never predict them. Drop those test samples, or add "
            "samples of those classes to the pool."
        )
    return named


def _collect(runs, tasks, named, n_repeats, scoring_name):
    """The runs' records on one label axis, as a LearningCurveResult.

    The axis holds every label count any run trained on. Each run's scores sit
    at its own label counts and are interpolated linearly between them (the
    curve drawn through its points); outside its own range (a later start, an
    early stop) they are NaN. Times are given at a run's own counts only.
    """
    n_labels = np.unique(np.concatenate([run["n_labels"] for run in runs]))

    def stack(key, interpolate):
        arrays = {
            name: np.full((n_repeats, n_labels.shape[0]), np.nan) for name in named
        }
        for (name, repeat), run in zip(tasks, runs, strict=True):
            own = np.asarray(run["n_labels"], dtype=np.float64)
            values = np.asarray(run[key], dtype=np.float64)
            if interpolate:
                inside = (n_labels >= own[0]) & (n_labels <= own[-1])
                arrays[name][repeat, inside] = np.interp(n_labels[inside], own, values)
            else:
                arrays[name][repeat, np.searchsorted(n_labels, own)] = values
        return arrays

    return LearningCurveResult(
        n_labels.astype(np.int64),
        stack("scores", interpolate=True),
        fit_times=stack("fit_times", interpolate=False),
        query_times=stack("query_times", interpolate=False),
        scoring=scoring_name,
        stop_reasons={
            name: [
                run["stop_reason"] for run in runs[i * n_repeats : (i + 1) * n_repeats]
            ]
            for i, name in enumerate(named)
        },
    )

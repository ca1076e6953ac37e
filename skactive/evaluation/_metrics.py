"""Summaries of learning curves: AULC, labels to reach a score, reduction ratio."""

import numpy as np
from scipy.integrate import trapezoid

__all__ = ["aulc", "labels_to_reach", "reduction_ratio"]

BASELINE = "random"


def check_curve(n_labels, scores, name="scores"):
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
        Over the steps where each curve is defined: a run that started later
        or stopped early (NaN there) is integrated over its own label range,
        and normalized by it. NaN for a curve with fewer than two such steps.

    Examples
    --------
    >>> aulc([10, 20, 30], [0.5, 0.7, 0.9])
    0.7
    """
    n_labels, scores = check_curve(n_labels, scores)
    if n_labels.shape[0] < 2:
        raise ValueError(
            "aulc needs a curve of at least two steps (the area of a single point "
            f"is zero); got n_labels={n_labels.tolist()}."
        )
    curves = np.atleast_2d(scores)
    area = np.full(curves.shape[0], np.nan)
    for row, curve in enumerate(curves):  # a loop over repeats, not samples
        defined = np.isfinite(curve)
        if defined.sum() < 2:
            continue
        labels = n_labels[defined]
        area[row] = trapezoid(curve[defined], labels)
        if normalize:
            area[row] /= labels[-1] - labels[0]
    return float(area[0]) if scores.ndim == 1 else area


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
    n_labels, scores = check_curve(n_labels, scores)
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
        Score to reach. None: 5 % short of the best mean score the baseline
        reaches (95 % of it when positive), which the baseline always reaches.

    Returns
    -------
    ratio : float
        ``0.0`` when only the baseline reaches the target (the strategy never
        does within the budget); ``inf`` when only the strategy does; ``nan``
        when neither does.

    Examples
    --------
    >>> from skactive.evaluation import LearningCurveResult
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
        target = default_target(curves[baseline])
    return labels_ratio(
        labels_to_reach(result.n_labels, curves[baseline], target),
        labels_to_reach(result.n_labels, curves[strategy], target),
    )


def default_target(baseline_curve):
    """5 % short of the best mean score of the baseline, which it therefore
    reaches: 95 % of it for a positive score, and below it for a negative one
    (a negated error such as ``neg_root_mean_squared_error``)."""
    best = float(np.nanmax(baseline_curve))
    return best - 0.05 * abs(best)


def labels_ratio(baseline_labels, labels):
    """Baseline labels over strategy labels: 0 / inf / nan when one or both never
    reach the target (``inf`` labels)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.float64(baseline_labels) / labels)

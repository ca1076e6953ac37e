"""LearningCurveResult: the curves of several strategies and their summaries."""

import numbers
import warnings

import numpy as np

from skactive.evaluation._metrics import (
    BASELINE,
    aulc,
    check_curve,
    default_target,
    labels_ratio,
    labels_to_reach,
    reduction_ratio,
)

__all__ = ["LearningCurveResult"]


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
            check_curve(self.n_labels, value, name=f"scores[{name!r}]")
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
        has_baseline = self.baseline in curves
        if target is None and has_baseline:
            target = default_target(curves[self.baseline])
        needed = {
            name: np.nan
            if target is None
            else labels_to_reach(self.n_labels, curve, target)
            for name, curve in curves.items()
        }
        areas = self.aulc()
        return {
            name: {
                "aulc": float(np.mean(areas[name])),
                "aulc_std": float(np.std(areas[name])),
                "final_score": float(curve[-1]),
                "labels_to_reach": needed[name],
                "reduction_ratio": labels_ratio(needed[self.baseline], needed[name])
                if has_baseline
                else np.nan,
                "fit_time": float(np.mean(np.nansum(self.fit_times[name], axis=1))),
                "query_time": float(np.mean(np.nansum(self.query_times[name], axis=1))),
                "target": np.nan if target is None else float(target),
            }
            for name, curve in curves.items()
        }

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

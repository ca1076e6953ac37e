"""Learning-curve plots, in scikit-learn's display style (needs matplotlib).

matplotlib is the optional ``plot`` extra (``pip install 'skactive[plot]'``); it
is imported only when a plot is drawn.
"""

import warnings

import numpy as np

__all__ = ["ActiveLearningCurveDisplay"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "ActiveLearningCurveDisplay needs matplotlib, the optional plot extra: "
            "pip install 'skactive[plot]' (or pip install matplotlib)."
        ) from error
    return plt


class ActiveLearningCurveDisplay:
    """Learning curves of query strategies: mean score against labels used.

    Each strategy is drawn as its mean curve over repeats with a band of ±1
    standard deviation; the baseline (random sampling) is dashed. Build it with
    :meth:`from_result` from what :func:`~skactive.evaluation.active_learning_curve`
    returns, or directly from arrays and then call :meth:`plot`.

    Parameters
    ----------
    n_labels : array-like of shape (n_steps,)
        Labels used at each step.
    scores : dict of str to array-like of shape (n_repeats, n_steps)
        Score of each strategy, per repeat and step.
    baseline : str, default="random"
        Name of the strategy drawn dashed.
    score_name : str, default="accuracy"
        Label of the y axis.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes the curves are drawn on.
    figure_ : matplotlib Figure
        Figure holding them.
    lines_ : dict of str to matplotlib Line2D
        The mean curve of each strategy.
    bands_ : dict of str to matplotlib PolyCollection
        The ±1 std band of each strategy (absent with one repeat).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skactive.plotting import ActiveLearningCurveDisplay
    >>> display = ActiveLearningCurveDisplay(
    ...     [10, 20, 30], {"random": [[0.5, 0.6, 0.7], [0.4, 0.6, 0.8]],
    ...                    "margin": [[0.6, 0.8, 0.9], [0.5, 0.7, 0.9]]}).plot()
    >>> display.ax_.get_xlabel()
    'Number of labeled samples'
    """

    def __init__(self, n_labels, scores, *, baseline="random", score_name="accuracy"):
        self.n_labels = n_labels
        self.scores = scores
        self.baseline = baseline
        self.score_name = score_name

    def plot(self, ax=None, *, std=True, title=None, line_kw=None, band_kw=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Axes to draw on; None creates a figure.
        std : bool, default=True
            Draw the ±1 standard deviation band over repeats.
        title : str or None, default=None
            Axes title.
        line_kw : dict or None, default=None
            Passed to ``ax.plot`` for every curve.
        band_kw : dict or None, default=None
            Passed to ``ax.fill_between`` for every band.

        Returns
        -------
        display : ActiveLearningCurveDisplay
            This object, with ``ax_``, ``figure_``, ``lines_`` and ``bands_``.
        """
        plt = _pyplot()
        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 4.4))
        n_labels = np.asarray(self.n_labels)
        self.lines_, self.bands_ = {}, {}
        for name, value in self.scores.items():
            value = np.atleast_2d(np.asarray(value, dtype=np.float64))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN steps
                mean = np.nanmean(value, axis=0)
                spread = np.nanstd(value, axis=0)
            kwargs = {"label": name, "linewidth": 1.8}
            if name == self.baseline:
                kwargs.update(linestyle="--", color="0.3")
            kwargs.update(line_kw or {})
            (line,) = ax.plot(n_labels, mean, **kwargs)
            self.lines_[name] = line
            if std and value.shape[0] > 1:
                self.bands_[name] = ax.fill_between(
                    n_labels,
                    mean - spread,
                    mean + spread,
                    color=line.get_color(),
                    alpha=0.15,
                    linewidth=0,
                    **(band_kw or {}),
                )
        ax.set_xlabel("Number of labeled samples")
        ax.set_ylabel(f"Test {self.score_name}")
        if title is not None:
            ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower right")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_result(cls, result, *, ax=None, **kwargs):
        """Plot a :class:`~skactive.evaluation.LearningCurveResult`.

        Parameters
        ----------
        result : LearningCurveResult
            From :func:`~skactive.evaluation.active_learning_curve`.
        ax : matplotlib Axes or None, default=None
            Axes to draw on.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : ActiveLearningCurveDisplay
        """
        display = cls(
            result.n_labels,
            result.scores,
            baseline=result.baseline,
            score_name=result.scoring,
        )
        return display.plot(ax=ax, **kwargs)

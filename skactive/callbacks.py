"""Round callbacks: observe an active learner round by round.

In the style of skorch's callbacks: small objects, one idea each, on a tiny base
with a public no-op hook. Give a list to :class:`~skactive.ActiveLearner` as
``callbacks=[...]``; after every round (the initial fit, each simulated query,
each ``teach``) the learner calls ``on_round(learner, record)`` on its copies
(``learner.callbacks_``), where ``record`` is the round's entry of
``learner.history_``. The objects given as parameters are never changed.

:class:`ScoreRecorder` scores every round's model on held-out data; it is how
:func:`~skactive.evaluation.active_learning_curve` records its curves.
"""

import copy

from sklearn.metrics import check_scoring

__all__ = ["RoundCallback", "ScoreRecorder", "copy_callbacks"]


class RoundCallback:
    """Base of round callbacks: override :meth:`on_round`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive import ActiveLearner
    >>> class CountLabels(RoundCallback):
    ...     def __init__(self):
    ...         self.counts = []
    ...     def on_round(self, learner, record):
    ...         self.counts.append(record["n_labels"])
    >>> X, y = load_iris(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(), budget=30, batch_size=10,
    ...                         callbacks=[CountLabels()], random_state=0)
    >>> learner.fit(X, y).callbacks_[0].counts
    [10, 20, 30]
    """

    def on_round(self, learner, record):
        """Called after every round, once the learner has refitted.

        Parameters
        ----------
        learner : ActiveLearner
            The learner as it is after the round (``estimator_``,
            ``X_labeled_``, ``history_`` up to date).
        record : dict
            The round's entry of ``history_``: ``round``, ``n_labels``,
            ``indices``, ``query_time``, ``fit_time``.
        """


class ScoreRecorder(RoundCallback):
    """Score the learner on held-out data after every round.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Held-out samples.
    y : array-like of shape (n_samples,)
        Their labels.
    scoring : str, callable or None, default=None
        A scikit-learn scorer; None uses the learner's ``score`` (accuracy).

    Attributes
    ----------
    scores_ : list of float
        One score per round.
    n_labels_ : list of int
        The labels each score was reached with.
    """

    def __init__(self, X, y, scoring=None):
        self.X = X
        self.y = y
        self.scoring = scoring

    def on_round(self, learner, record):
        if not hasattr(self, "scores_"):
            self.scores_, self.n_labels_ = [], []
        scorer = check_scoring(learner, scoring=self.scoring)
        self.scores_.append(float(scorer(learner, self.X, self.y)))
        self.n_labels_.append(int(record["n_labels"]))


def copy_callbacks(callbacks):
    """Fresh copies of ``callbacks`` (None for none), checked for ``on_round``."""
    callbacks = [] if callbacks is None else list(callbacks)
    for callback in callbacks:
        if not callable(getattr(callback, "on_round", None)):
            raise TypeError(
                "callbacks must hold objects with an on_round(learner, record) "
                f"method (see skactive.callbacks.RoundCallback), got {callback!r}."
            )
    # A deep copy keeps the data a callback holds (say X_val) out of sharing
    # state between fits; its recorded state starts empty.
    return [copy.deepcopy(callback) for callback in callbacks]

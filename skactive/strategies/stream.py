"""Stream-based selective sampling: for each arriving sample, ask or let go.

A stream strategy decides, sample by sample, whether to ask for a label,
reading the model's probabilities (computed once per arriving mini-batch) and
a :class:`EstimatedBudget`, which keeps the share of labels asked close to the
budget over a sliding window (Zliobaite et al. 2014): a strategy may ask only
while the estimated spending is below it. The strategies are theirs:

* :class:`StreamRandom`: ask at random, with probability ``budget``;
* :class:`FixedUncertainty`: ask when the top probability is below a fixed
  threshold;
* :class:`VariableUncertainty`: the threshold moves, down after every label
  asked and up after every sample let go, so the labels follow the budget
  whatever the model's confidence;
* :class:`Split`: a share ``v`` of the decisions at random, the rest by variable
  uncertainty, which keeps sampling where the model is sure (concept drift).

Decisions are sequential by nature (each one moves the budget and the
threshold), so they run one sample at a time over arrays the model filled for
the whole mini-batch. The strategies hold parameters only; the
:class:`~skactive.stream.StreamLearner` keeps their state (thresholds,
spending) in its fitted clones.
"""

from abc import ABCMeta, abstractmethod
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator

from skactive.models import predict_proba
from skactive.utils._compat import Interval

__all__ = [
    "EstimatedBudget",
    "FixedUncertainty",
    "Split",
    "StreamRandom",
    "StreamStrategy",
    "VariableUncertainty",
]


class EstimatedBudget(BaseEstimator):
    """The share of labels spent over a sliding window (Zliobaite et al. 2014).

    ``spent = spent * (window - 1) / window + asked`` after every sample: an
    estimate of the labels asked among the last ``window`` samples. A label may
    be asked while ``spent / window < budget``.

    Parameters
    ----------
    budget : float in (0, 1], default=0.1
        Target share of samples labeled.
    window : int, default=100
        Samples the spending is estimated over.

    Examples
    --------
    >>> manager = EstimatedBudget(0.2, window=4)
    >>> [manager.allows(), manager.record(True), manager.allows()]
    [True, None, False]
    """

    _parameter_constraints: ClassVar[dict] = {
        "budget": [Interval(Real, 0, 1, closed="right")],
        "window": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, budget=0.1, window=100):
        self.budget = budget
        self.window = window

    def allows(self):
        """Whether a label may be asked now."""
        return getattr(self, "spent_", 0.0) / self.window < self.budget

    def record(self, asked):
        """Account for one sample, asked (True) or let go."""
        spent = getattr(self, "spent_", 0.0)
        self.spent_ = spent * (self.window - 1) / self.window + float(asked)


class StreamStrategy(BaseEstimator, metaclass=ABCMeta):
    """Base of stream strategies: write ``_ask(confidence, budget, rng)``.

    ``_ask`` gets one sample's top class probability (None before any model is
    fitted), the budget's target share and a random stream, and returns whether
    to ask for its label; the budget manager has already allowed it. It may
    keep state in attributes ending in ``_``.
    """

    _parameter_constraints: ClassVar[dict] = {}

    @abstractmethod
    def _ask(self, confidence, budget, rng):
        """Whether to ask for the label of a sample of top probability
        ``confidence``."""

    def decide(self, model, X, budget_manager, random_state):
        """Which samples of an arriving mini-batch to ask labels for.

        Parameters
        ----------
        model : fitted classifier or None
            The current model; None before the first labels (then a label is
            asked whenever the budget allows).
        X : array-like of shape (n_samples, ...)
            The arriving samples, in order.
        budget_manager : EstimatedBudget
            Its spending is updated sample by sample.
        random_state : RandomState
            The random stream of the decisions.

        Returns
        -------
        asked : ndarray of shape (n_samples,), bool
        """
        n = len(X) if not hasattr(X, "shape") else X.shape[0]
        confidence = None
        if model is not None and n:
            confidence = np.asarray(predict_proba(model, X)).max(axis=1)
        asked = np.zeros(n, dtype=bool)
        for i in range(n):  # sequential: each decision moves the budget
            if budget_manager.allows():
                asked[i] = (
                    True
                    if confidence is None
                    else self._ask(confidence[i], budget_manager.budget, random_state)
                )
            budget_manager.record(asked[i])
        return asked


class StreamRandom(StreamStrategy):
    """Ask at random, with probability ``budget`` (Zliobaite's Random).

    It spends the budget in expectation, so the budget manager only records
    its spending: capped as well, it would ask only while the estimate is below
    the budget, and spend less than the budget (8.6 % of a 10 % budget on a
    5,000-sample stream).

    Examples
    --------
    >>> import numpy as np
    >>> manager = EstimatedBudget(0.2, window=50)
    >>> rng = np.random.RandomState(0)
    >>> asked = StreamRandom().decide(None, np.zeros((1000, 2)), manager, rng)
    >>> asked.shape
    (1000,)
    """

    def _ask(self, confidence, budget, rng):
        return rng.random_sample() < budget

    def decide(self, model, X, budget_manager, random_state):
        """Which samples to ask: each with probability ``budget``.

        Parameters
        ----------
        model, X, budget_manager, random_state
            As in :meth:`StreamStrategy.decide`; ``model`` is not read.

        Returns
        -------
        asked : ndarray of shape (n_samples,), bool
        """
        n = len(X) if not hasattr(X, "shape") else X.shape[0]
        asked = random_state.random_sample(n) < budget_manager.budget
        for value in asked:  # the spending estimate follows every decision
            budget_manager.record(value)
        return asked


class FixedUncertainty(StreamStrategy):
    """Ask when the top class probability is below ``threshold``.

    Parameters
    ----------
    threshold : float or None, default=None
        None: ``1 / C + budget * (1 - 1 / C)`` for ``C`` classes, the
        threshold scikit-activeml derives from the budget.
    n_classes : int, default=2
        ``C`` for the default threshold.
    """

    _parameter_constraints: ClassVar[dict] = {
        "threshold": [Interval(Real, 0, 1, closed="both"), None],
        "n_classes": [Interval(Integral, 2, None, closed="left")],
    }

    def __init__(self, threshold=None, n_classes=2):
        self.threshold = threshold
        self.n_classes = n_classes

    def _ask(self, confidence, budget, rng):
        threshold = self.threshold
        if threshold is None:
            threshold = 1 / self.n_classes + budget * (1 - 1 / self.n_classes)
        return confidence < threshold


class VariableUncertainty(StreamStrategy):
    """Ask when the top probability is below a threshold that adapts
    (Zliobaite's Variable Uncertainty): it falls by ``step`` after every label
    asked and rises by ``step`` after every sample let go.

    Parameters
    ----------
    theta : float, default=1.0
        The starting threshold.
    step : float, default=0.01
        Relative change of the threshold per decision.
    """

    _parameter_constraints: ClassVar[dict] = {
        "theta": [Interval(Real, 0, None, closed="neither")],
        "step": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(self, theta=1.0, step=0.01):
        self.theta = theta
        self.step = step

    def _ask(self, confidence, budget, rng):
        theta = getattr(self, "theta_", self.theta)
        asked = confidence < theta
        self.theta_ = theta * (1 - self.step) if asked else theta * (1 + self.step)
        return asked


class Split(VariableUncertainty):
    """A share ``v`` of the decisions at random, the rest by variable
    uncertainty (Zliobaite's Split): random labels keep arriving where the
    model is confident, so a drifting concept is noticed there too.

    Parameters
    ----------
    v : float, default=0.1
        Share of decisions made at random.
    theta, step
        As in :class:`VariableUncertainty`.
    """

    _parameter_constraints: ClassVar[dict] = {
        **VariableUncertainty._parameter_constraints,
        "v": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, v=0.1, theta=1.0, step=0.01):
        self.v = v
        self.theta = theta
        self.step = step

    def _ask(self, confidence, budget, rng):
        if rng.random_sample() < self.v:
            return rng.random_sample() < budget
        return super()._ask(confidence, budget, rng)

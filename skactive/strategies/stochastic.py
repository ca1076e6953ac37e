"""StochasticBatch: sample a batch from the scores instead of taking the top k.

Kirsch et al. (2023, "Stochastic Batch Acquisition") show that top-k of any
per-sample score over-commits to one region and to the noise of the score's
estimate; drawing the batch with probabilities that grow with the score costs
nothing extra and matches BatchBALD and BADGE on many benchmarks. The draw is the
Gumbel top-k trick: add Gumbel noise to the log-weights and take the top k, which
samples k items without replacement in proportion to their weights.
"""

from numbers import Real
from typing import ClassVar

import numpy as np
from scipy.stats import rankdata

from skactive.strategies._base import (
    BatchStrategy,
    check_per_sample_strategy,
    get_strategy_tags,
)
from skactive.strategies.uncertainty import UncertaintySampling
from skactive.utils._compat import HasMethods, Interval, StrOptions
from skactive.utils.ranking import top_k

__all__ = ["StochasticBatch"]


class StochasticBatch(BatchStrategy):
    """Draw the batch at random, each sample weighted by its score.

    The ``base_strategy`` scores the pool; the batch is drawn without replacement
    with weights from those scores:

    - ``"power"``: ``score ** beta`` (PowerBALD with ``BALD()``); scores must be
      non-negative, as BALD's and entropy's are;
    - ``"softmax"``: ``exp(beta * score)``, for scores of any sign;
    - ``"softrank"``: ``rank ** -beta`` with rank 1 the best score, which ignores
      the scale of the scores.

    ``beta`` sets how greedy the draw is: a huge ``beta`` gives the top k, 0 gives
    uniform random sampling. Ties in score are ordered at random.

    Parameters
    ----------
    base_strategy : QueryStrategy or None, default=None
        A strategy that scores samples one by one (``score_samples``), such as
        ``BALD()`` or ``UncertaintySampling()``; its ``estimator`` serves
        standalone ``query`` calls. None is ``UncertaintySampling()`` (entropy).
    mode : {"power", "softmax", "softrank"}, default="power"
        How scores become weights.
    beta : float, default=1.0
        Inverse temperature, non-negative.

    Examples
    --------
    PowerBALD on a random forest:

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skactive.strategies import BALD, StochasticBatch
    >>> X, y = load_iris(return_X_y=True)
    >>> forest = RandomForestClassifier(n_estimators=10, random_state=0)
    >>> forest = forest.fit(X[::10], y[::10])
    >>> strategy = StochasticBatch(BALD(forest), mode="power")
    >>> strategy.query(X, n_samples=5, random_state=0).shape
    (5,)
    """

    _parameter_constraints: ClassVar[dict] = {
        "base_strategy": [HasMethods(["score_samples", "select"]), None],
        "mode": [StrOptions({"power", "softmax", "softrank"})],
        "beta": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, base_strategy=None, mode="power", beta=1.0):
        self.base_strategy = base_strategy
        self.mode = mode
        self.beta = beta

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        base = get_strategy_tags(self._base())
        tags.requires_model = base.requires_model
        tags.reads_pool_rows = base.reads_pool_rows
        tags.classification = base.classification
        tags.regression = base.regression
        tags.multilabel = base.multilabel
        return tags

    def _base(self):
        return (
            UncertaintySampling() if self.base_strategy is None else self.base_strategy
        )

    def _log_weights(self, scores):
        if self.mode == "softmax":
            return self.beta * scores
        if self.mode == "softrank":
            return -self.beta * np.log(rankdata(-scores, method="average"))
        if (scores < 0).any():
            raise ValueError(
                f"mode='power' needs non-negative scores, but "
                f"{type(self._base()).__name__} gave scores down to "
                f"{scores.min():.3g}. Use mode='softmax' or mode='softrank'."
            )
        if self.beta == 0:
            return np.zeros_like(scores)
        with np.errstate(divide="ignore"):
            return self.beta * np.log(scores)  # a score of 0 comes last

    def _select_batch(self, model, X, n_samples, context):
        base = self._base()
        check_per_sample_strategy(base, "StochasticBatch")
        rng = context.random_state
        scores = base.score_samples(model, X, random_state=rng)
        scores = np.asarray(scores, dtype=np.float64)
        keys = self._log_weights(scores) + rng.gumbel(size=scores.shape[0])
        return top_k(keys, n_samples, rng)

"""The base of the strategies that score a chunk from samples of the model.

Samples of the predictive distribution, ``(K, n, C)``, come from
:func:`skactive.models.predict_proba_samples` (MC dropout masks, a committee's
members, a forest's trees); one seed per query, so every chunk of the pool is
scored by the same K draws. The Bayesian strategies (:mod:`.bayesian`) and query
by committee (:mod:`.committee`) sit on it.
"""

from abc import abstractmethod
from numbers import Integral
from typing import ClassVar

from skactive.acquisition import entropy_acquisition
from skactive.models import predict_proba_samples
from skactive.strategies._base import PerSampleStrategy
from skactive.utils._compat import Interval

__all__ = ["SampleDisagreement", "consensus_entropy"]


def consensus_entropy(samples):
    return entropy_acquisition(samples.mean(0))


class SampleDisagreement(PerSampleStrategy):
    """Base of strategies that score a chunk from its samples ``(K, n, C)``."""

    # Pool rows scored per call: samples (K, rows, C) of 20 x 4096 x 10 float32
    # take 3 MiB, so a query's extra memory stays small whatever the pool size.
    chunk_rows = 4096

    _parameter_constraints: ClassVar[dict] = {
        "estimator": "no_validation",
        "n_samples": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, estimator=None, n_samples=None):
        self.estimator = estimator
        self.n_samples = n_samples

    @abstractmethod
    def _disagreement(self, samples):
        """Scores ``(n,)`` of a chunk from its samples ``(K, n, C)``."""

    def _score(self, model, X, random_state):
        # random_state is the query's one seed: every chunk sees the same draws
        # of the model (the same dropout masks).
        samples = predict_proba_samples(model, X, self.n_samples, random_state)
        return self._disagreement(samples)

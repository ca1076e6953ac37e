"""Query strategies: which unlabeled samples to label next.

Every strategy is a scikit-learn estimator holding only parameters, so it can be
cloned, pickled, and searched over with ``GridSearchCV`` as the
``query_strategy`` of an :class:`~skactive.ActiveLearner`.
"""

from skactive.strategies._base import QueryStrategy, top_k
from skactive.strategies.cold_start import KMeansSampling
from skactive.strategies.random import RandomSampling
from skactive.strategies.uncertainty import UncertaintySampling

__all__ = [
    "KMeansSampling",
    "QueryStrategy",
    "RandomSampling",
    "UncertaintySampling",
    "top_k",
]

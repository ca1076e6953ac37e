"""Query strategies: which unlabeled samples to label next.

Every strategy is a scikit-learn estimator holding only parameters, so it can be
cloned, pickled, and searched over with ``GridSearchCV`` as the
``query_strategy`` of an :class:`~skactive.ActiveLearner`.
"""

from skactive.strategies._base import QueryStrategy, top_k
from skactive.strategies.bayesian import (
    BALD,
    BALDAcquisition,
    BatchBALD,
    MeanStd,
    QueryByCommittee,
    VariationRatios,
)
from skactive.strategies.cold_start import KMeansSampling, TypiClust
from skactive.strategies.density import InformationDensity
from skactive.strategies.diversity import (
    BADGE,
    ClusterMargin,
    CoreSet,
    DiverseUncertainty,
    diverse_batch_query,
)
from skactive.strategies.expected import ExpectedErrorReduction, ExpectedModelChange
from skactive.strategies.random import RandomSampling
from skactive.strategies.stochastic import StochasticBatch
from skactive.strategies.uncertainty import UncertaintySampling

__all__ = [
    "BADGE",
    "BALD",
    "BALDAcquisition",
    "BatchBALD",
    "ClusterMargin",
    "CoreSet",
    "DiverseUncertainty",
    "ExpectedErrorReduction",
    "ExpectedModelChange",
    "InformationDensity",
    "KMeansSampling",
    "MeanStd",
    "QueryByCommittee",
    "QueryStrategy",
    "RandomSampling",
    "StochasticBatch",
    "TypiClust",
    "UncertaintySampling",
    "VariationRatios",
    "diverse_batch_query",
    "top_k",
]

"""Query strategies: which unlabeled samples to label next.

Every strategy is a scikit-learn estimator holding only parameters, so it can be
cloned, pickled, and searched over with ``GridSearchCV`` as the
``query_strategy`` of an :class:`~skactive.ActiveLearner`. There are two kinds,
each with one method to write: :class:`PerSampleStrategy` (score a chunk of the
pool) and :class:`BatchStrategy` (choose a whole batch); what a strategy needs is
declared in its :class:`StrategyTags`.
"""

from skactive.strategies._base import (
    BatchStrategy,
    PerSampleStrategy,
    QueryContext,
    QueryStrategy,
    StrategyTags,
    all_strategies,
    get_strategy_tags,
    validate_strategy,
)
from skactive.strategies.bayesian import (
    BALD,
    BALDAcquisition,
    BatchBALD,
    MeanStd,
    VariationRatios,
)
from skactive.strategies.cold_start import KMeansSampling, TypiClust
from skactive.strategies.committee import QueryByCommittee
from skactive.strategies.density import InformationDensity
from skactive.strategies.diversity import (
    BADGE,
    ClusterMargin,
    CoreSet,
    DiverseUncertainty,
    diverse_batch_query,
)
from skactive.strategies.expected import ExpectedErrorReduction, ExpectedModelChange
from skactive.strategies.function import FunctionStrategy
from skactive.strategies.multilabel import (
    MMC,
    LabelCardinalityInconsistency,
    MultilabelUncertainty,
)
from skactive.strategies.random import RandomSampling
from skactive.strategies.regression import (
    ExpectedModelChangeRegression,
    GreedySampling,
    PredictiveStd,
)
from skactive.strategies.selection import ALBL, ActiveLearningByLearning
from skactive.strategies.stochastic import StochasticBatch
from skactive.strategies.stream import (
    EstimatedBudget,
    FixedUncertainty,
    Split,
    StreamRandom,
    StreamStrategy,
    VariableUncertainty,
)
from skactive.strategies.uncertainty import UncertaintySampling
from skactive.utils.ranking import top_k

__all__ = [
    "ALBL",
    "BADGE",
    "BALD",
    "MMC",
    "ActiveLearningByLearning",
    "BALDAcquisition",
    "BatchBALD",
    "BatchStrategy",
    "ClusterMargin",
    "CoreSet",
    "DiverseUncertainty",
    "EstimatedBudget",
    "ExpectedErrorReduction",
    "ExpectedModelChange",
    "ExpectedModelChangeRegression",
    "FixedUncertainty",
    "FunctionStrategy",
    "GreedySampling",
    "InformationDensity",
    "KMeansSampling",
    "LabelCardinalityInconsistency",
    "MeanStd",
    "MultilabelUncertainty",
    "PerSampleStrategy",
    "PredictiveStd",
    "QueryByCommittee",
    "QueryContext",
    "QueryStrategy",
    "RandomSampling",
    "Split",
    "StochasticBatch",
    "StrategyTags",
    "StreamRandom",
    "StreamStrategy",
    "TypiClust",
    "UncertaintySampling",
    "VariableUncertainty",
    "VariationRatios",
    "all_strategies",
    "diverse_batch_query",
    "get_strategy_tags",
    "top_k",
    "validate_strategy",
]

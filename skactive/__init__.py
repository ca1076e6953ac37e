"""skactive: active learning as a scikit-learn citizen.

Choose which samples a person should label next, with estimators and query
strategies that work in ``Pipeline``, ``clone`` and ``GridSearchCV``.
"""

from skactive.acquisition import (
    bald_acquisition,
    entropy_acquisition,
    least_confidence_acquisition,
    margin_acquisition,
)
from skactive.committee import Committee
from skactive.learner import ActiveLearner
from skactive.nets import MCDropout, MLPModule, NetClassifier, TorchMLPClassifier
from skactive.strategies import (
    BALD,
    BALDAcquisition,
    QueryStrategy,
    RandomSampling,
    UncertaintySampling,
    diverse_batch_query,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "BALD",
    "ActiveLearner",
    "BALDAcquisition",
    "Committee",
    "MCDropout",
    "MLPModule",
    "NetClassifier",
    "QueryStrategy",
    "RandomSampling",
    "TorchMLPClassifier",
    "UncertaintySampling",
    "__version__",
    "bald_acquisition",
    "diverse_batch_query",
    "entropy_acquisition",
    "least_confidence_acquisition",
    "margin_acquisition",
]

"""skactive: active learning as a scikit-learn citizen.

Choose which samples a person should label next, with estimators and query
strategies that work in ``Pipeline``, ``clone`` and ``GridSearchCV``.
"""

from skactive.acquisition import (
    entropy_acquisition,
    least_confidence_acquisition,
    margin_acquisition,
)
from skactive.learner import ActiveLearner
from skactive.nets import MLPModule, NetClassifier, TorchMLPClassifier
from skactive.strategies import QueryStrategy, RandomSampling, UncertaintySampling

__version__ = "0.1.0.dev0"

__all__ = [
    "ActiveLearner",
    "MLPModule",
    "NetClassifier",
    "QueryStrategy",
    "RandomSampling",
    "TorchMLPClassifier",
    "UncertaintySampling",
    "__version__",
    "entropy_acquisition",
    "least_confidence_acquisition",
    "margin_acquisition",
]

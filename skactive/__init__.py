"""skactive: active learning as a scikit-learn citizen.

Choose which samples a person should label next, with estimators and query
strategies that work in ``Pipeline``, ``clone`` and ``GridSearchCV``.
"""

from skactive.nets import MLPModule, NetClassifier, TorchMLPClassifier

__version__ = "0.1.0.dev0"

__all__ = ["MLPModule", "NetClassifier", "TorchMLPClassifier", "__version__"]

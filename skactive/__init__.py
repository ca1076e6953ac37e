"""skactive: active learning as a scikit-learn citizen.

Choose which samples a person should label next, with estimators and query
strategies that work in ``Pipeline``, ``clone`` and ``GridSearchCV``.

The names below are imported on first use (PEP 562), so ``import skactive`` is
quick, and torch and skorch are imported only by code that uses a net or a
tensor.
"""

import importlib

__version__ = "0.1.0.dev0"

# Public name -> the module that defines it.
_EXPORTS = {
    "ActiveLearner": "skactive.learner",
    "ActiveRegressor": "skactive.regressor",
    "BALD": "skactive.strategies",
    "BALDAcquisition": "skactive.strategies",
    "Committee": "skactive.models",
    "DeepActiveLearner": "skactive.modal_compat",
    "CommitteeRegressor": "skactive.models",
    "LabelingSession": "skactive.session",
    "MCDropout": "skactive.nets",
    "MLPModule": "skactive.nets",
    "NetClassifier": "skactive.nets",
    "NetRegressor": "skactive.nets",
    "QueryStrategy": "skactive.strategies",
    "RandomSampling": "skactive.strategies",
    "StreamLearner": "skactive.stream",
    "TorchCNNClassifier": "skactive.nets",
    "TorchMLPClassifier": "skactive.nets",
    "TorchMLPRegressor": "skactive.nets",
    "UncertaintySampling": "skactive.strategies",
    "bald_acquisition": "skactive.acquisition",
    "diverse_batch_query": "skactive.strategies",
    "entropy_acquisition": "skactive.acquisition",
    "least_confidence_acquisition": "skactive.acquisition",
    "margin_acquisition": "skactive.acquisition",
    "mc_dropout_bald": "skactive.modal_compat",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'skactive' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted({*globals(), *_EXPORTS})

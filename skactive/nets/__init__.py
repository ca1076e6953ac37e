"""PyTorch classifiers and regressors that scikit-learn treats like its own.

``NetClassifier`` and ``NetRegressor`` train any ``torch.nn.Module`` class with
skorch and pass ``sklearn.utils.estimator_checks.check_estimator``;
``TorchMLPClassifier`` and ``TorchMLPRegressor`` are the multi-layer perceptrons
built on them, the default models of ``ActiveLearner`` and ``ActiveRegressor``.

Why a wrapper and not a ``skorch.NeuralNetClassifier`` subclass: skorch sets public
attributes in ``__init__``, leaks private names through ``get_params``, initializes
callbacks inside ``set_params`` and infers ``classes_`` from encoded targets, each
of which breaks a scikit-learn contract. A subclass would patch those through
skorch's private API and break with its next release. The wrapper is a plain
scikit-learn estimator: its parameters are its own, validation happens in ``fit``,
and it builds a fresh ``skorch.NeuralNet`` into ``net_`` for every fit, using only
skorch's public API. skorch's routing survives: any ``module__*``, ``optimizer__*``,
``criterion__*``, ``callbacks__*``, ``iterator_train__*``, ``iterator_valid__*`` or
``dataset__*`` keyword is a parameter of the wrapper (``get_params``,
``set_params``, ``clone``, ``GridSearchCV``) and is handed to skorch at fit, so
callbacks, history and checkpoints keep working.

``MCDropout`` reads a trained net with dropout as a Bayesian model: its
``predict_proba_samples`` gives predictions under several dropout masks.
"""

from skactive.nets._classifier import NetClassifier
from skactive.nets._cnn import CNNModule, TorchCNNClassifier
from skactive.nets._embedding import penultimate_activations
from skactive.nets._mc_dropout import NO_SAMPLES_HELP, MCDropout, mc_dropout_samples
from skactive.nets._mlp import MLPModule, TorchMLPClassifier, TorchMLPRegressor
from skactive.nets._regressor import NetRegressor

__all__ = [
    "NO_SAMPLES_HELP",
    "CNNModule",
    "MCDropout",
    "MLPModule",
    "NetClassifier",
    "NetRegressor",
    "TorchCNNClassifier",
    "TorchMLPClassifier",
    "TorchMLPRegressor",
    "mc_dropout_samples",
    "penultimate_activations",
]

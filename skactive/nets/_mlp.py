"""TorchMLPClassifier and TorchMLPRegressor: skactive's default models,
multi-layer perceptrons."""

from numbers import Real
from typing import ClassVar

import torch

from skactive.nets._classifier import NetClassifier
from skactive.nets._regressor import NetRegressor
from skactive.utils._compat import Interval, StrOptions

__all__ = ["MLPModule", "TorchMLPClassifier", "TorchMLPRegressor"]

_ACTIVATIONS = {
    "relu": torch.nn.ReLU,
    "tanh": torch.nn.Tanh,
    "logistic": torch.nn.Sigmoid,
    "gelu": torch.nn.GELU,
    "identity": torch.nn.Identity,
}


class MLPModule(torch.nn.Module):
    """A multi-layer perceptron split into a feature trunk and an output head.

    ``trunk`` maps inputs to the last hidden layer (the embedding later read by
    diversity strategies); ``head`` is one linear layer producing logits. Dropout
    layers sit in the trunk after each activation, so MC dropout needs no retraining.

    Parameters
    ----------
    n_features_in : int
        Width of the input.
    n_classes : int
        Number of outputs: logits for a classifier, targets for a regressor.
    hidden_sizes : tuple of int, default=(100,)
        Width of each hidden layer; ``()`` gives a linear model.
    activation : {"relu", "tanh", "logistic", "gelu", "identity"} or type, \
            default="relu"
        Non-linearity after each hidden layer (a name or a ``torch.nn.Module`` class).
    dropout : float, default=0.0
        Dropout probability after each hidden activation; no layer when 0.

    Examples
    --------
    >>> import torch
    >>> module = MLPModule(4, 3, hidden_sizes=(8,))
    >>> module(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    >>> module.trunk(torch.zeros(2, 4)).shape
    torch.Size([2, 8])
    """

    def __init__(
        self,
        n_features_in,
        n_classes,
        hidden_sizes=(100,),
        activation="relu",
        dropout=0.0,
    ):
        super().__init__()
        activation_class = _ACTIVATIONS.get(activation, activation)
        layers = []
        width = n_features_in
        for size in hidden_sizes:
            layers += [torch.nn.Linear(width, size), activation_class()]
            if dropout > 0:
                layers.append(torch.nn.Dropout(dropout))
            width = size
        self.trunk = torch.nn.Sequential(*layers)
        self.head = torch.nn.Linear(width, n_classes)

    def forward(self, X):
        return self.head(self.trunk(X))


class _MLPSpec:
    """The module and optimizer an MLP estimator builds from its parameters."""

    def _module_spec(self):
        hidden_sizes = tuple(int(size) for size in self.hidden_sizes)
        if any(size < 1 for size in hidden_sizes):
            raise ValueError(
                f"hidden_sizes must hold positive integers, got {self.hidden_sizes!r}."
            )
        kwargs = {
            "hidden_sizes": hidden_sizes,
            "activation": self.activation,
            "dropout": self.dropout,
        }
        return MLPModule, kwargs

    def _optimizer_spec(self):
        optimizer, kwargs = super()._optimizer_spec()
        kwargs["weight_decay"] = self.weight_decay
        return optimizer, kwargs


_MLP_CONSTRAINTS = {
    "hidden_sizes": ["array-like"],
    "activation": [StrOptions(set(_ACTIVATIONS)), type],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
}


class TorchMLPClassifier(_MLPSpec, NetClassifier):
    """A multi-layer perceptron classifier in PyTorch; skactive's default model.

    An ``MLPModule`` (feature trunk plus linear head) trained by ``NetClassifier``.
    The defaults follow scikit-learn's ``MLPClassifier`` (one hidden layer of 100
    ReLU units, Adam with learning rate 1e-3, up to 200 epochs stopped when the
    training loss stalls), so it trains well on small tabular data without tuning.

    Parameters
    ----------
    hidden_sizes : tuple of int, default=(100,)
        Width of each hidden layer.
    activation : {"relu", "tanh", "logistic", "gelu", "identity"}, default="relu"
        Hidden non-linearity.
    dropout : float, default=0.0
        Dropout after each hidden layer; set it above 0 for MC dropout (BALD).
    lr : float, default=1e-3
        Learning rate.
    max_epochs : int, default=200
        Maximum number of epochs.
    batch_size : int, default=200
        Mini-batch size in training; see ``NetClassifier`` for inference.
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or type, default="adam"
        Optimizer.
    weight_decay : float, default=0.0
        L2 penalty passed to the optimizer.
    tol : float or None, default=1e-4
        Minimum loss improvement; see ``NetClassifier``.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping.
    classes : array-like or None, default=None
        The full label set, fixed up front.
    random_state : int, RandomState instance or None, default=None
        Seeds initialization, batch order and dropout.
    device : str, default="cpu"
        Torch device.
    verbose : int, default=0
        skorch's per-epoch log when positive.
    criterion, train_split, callbacks, **kwargs
        As in ``NetClassifier``.

    Attributes
    ----------
    classes_, n_features_in_, feature_names_in_, net_, module_, n_iter_
        As in ``NetClassifier``; ``module_`` is an ``MLPModule``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), TorchMLPClassifier(random_state=0))
    >>> bool(model.fit(X, y).score(X, y) > 0.9)
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        **{
            k: v
            for k, v in NetClassifier._parameter_constraints.items()
            if k != "module"
        },
        **_MLP_CONSTRAINTS,
    }

    def __init__(
        self,
        hidden_sizes=(100,),
        *,
        activation="relu",
        dropout=0.0,
        lr=1e-3,
        max_epochs=200,
        batch_size=200,
        optimizer="adam",
        weight_decay=0.0,
        tol=1e-4,
        n_iter_no_change=10,
        criterion=torch.nn.CrossEntropyLoss,
        train_split=None,
        callbacks=None,
        classes=None,
        random_state=None,
        device="cpu",
        verbose=0,
        **kwargs,
    ):
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.dropout = dropout
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.criterion = criterion
        self.train_split = train_split
        self.callbacks = callbacks
        self.classes = classes
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        # Keyword parameters live in one private dict: scikit-learn's checks allow
        # no public attribute that is not named in the signature.
        self._routed_kwargs = kwargs


class TorchMLPRegressor(_MLPSpec, NetRegressor):
    """A multi-layer perceptron regressor in PyTorch; ActiveRegressor's default.

    An ``MLPModule`` with one linear output per target column, trained by
    ``NetRegressor`` with the mean squared error on standardized targets. The
    defaults follow scikit-learn's ``MLPRegressor`` (one hidden layer of 100 ReLU
    units, Adam with learning rate 1e-3, up to 200 epochs stopped when the
    training loss stalls). With ``dropout`` above 0, :meth:`predict_samples`
    gives Monte Carlo dropout samples of the predictions.

    Parameters
    ----------
    hidden_sizes : tuple of int, default=(100,)
        Width of each hidden layer.
    activation : {"relu", "tanh", "logistic", "gelu", "identity"}, default="relu"
        Hidden non-linearity.
    dropout : float, default=0.0
        Dropout after each hidden layer; above 0 for MC dropout.
    lr : float, default=1e-3
        Learning rate.
    max_epochs : int, default=200
        Maximum number of epochs.
    batch_size : int, default=200
        Mini-batch size in training.
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or type, default="adam"
        Optimizer.
    weight_decay : float, default=0.0
        L2 penalty passed to the optimizer.
    tol : float or None, default=1e-4
        Minimum loss improvement; see ``NetRegressor``.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping.
    normalize_y : bool, default=True
        Train on standardized targets; see ``NetRegressor``.
    random_state : int, RandomState instance or None, default=None
        Seeds initialization, batch order and dropout.
    device : str, default="cpu"
        Torch device.
    verbose : int, default=0
        skorch's per-epoch log when positive.
    criterion, train_split, callbacks, **kwargs
        As in ``NetRegressor``.

    Attributes
    ----------
    n_features_in_, feature_names_in_, n_outputs_, net_, module_, n_iter_
        As in ``NetRegressor``; ``module_`` is an ``MLPModule``.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_diabetes(return_X_y=True)
    >>> net = TorchMLPRegressor(dropout=0.2, random_state=0)
    >>> model = make_pipeline(StandardScaler(), net).fit(X, y)
    >>> bool(model.score(X, y) > 0.4)
    True
    >>> model[-1].predict_samples(X[:4], n_samples=10, random_state=0).shape
    (10, 4)
    """

    # MLPModule names its output count n_classes, for classifiers and regressors.
    _output_size_param = "n_classes"

    _parameter_constraints: ClassVar[dict] = {
        **{
            k: v
            for k, v in NetRegressor._parameter_constraints.items()
            if k != "module"
        },
        **_MLP_CONSTRAINTS,
    }

    def __init__(
        self,
        hidden_sizes=(100,),
        *,
        activation="relu",
        dropout=0.0,
        lr=1e-3,
        max_epochs=200,
        batch_size=200,
        optimizer="adam",
        weight_decay=0.0,
        tol=1e-4,
        n_iter_no_change=10,
        normalize_y=True,
        criterion=torch.nn.MSELoss,
        train_split=None,
        callbacks=None,
        random_state=None,
        device="cpu",
        verbose=0,
        **kwargs,
    ):
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.dropout = dropout
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.normalize_y = normalize_y
        self.criterion = criterion
        self.train_split = train_split
        self.callbacks = callbacks
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        # Keyword parameters live in one private dict: scikit-learn's checks allow
        # no public attribute that is not named in the signature.
        self._routed_kwargs = kwargs

"""TorchCNNClassifier: a small convolutional network for image arrays."""

from numbers import Integral, Real
from typing import ClassVar

import torch

from skactive.nets._classifier import NetClassifier
from skactive.utils._compat import Interval

__all__ = ["CNNModule", "TorchCNNClassifier"]


def _image_shape(input_shape):
    """``(channels, height, width)`` of one sample: a 2-D image has one channel,
    a flat row of ``d`` values is a 1 x d image."""
    shape = tuple(int(size) for size in input_shape)
    if len(shape) == 1:
        return (1, 1, shape[0])
    if len(shape) == 2:
        return (1, *shape)
    if len(shape) == 3:
        return shape
    raise ValueError(
        f"TorchCNNClassifier takes images of shape (channels, height, width), "
        f"(height, width) or flat rows; got samples of shape {shape}."
    )


class CNNModule(torch.nn.Module):
    """Convolutions, then a dense trunk and a linear head.

    Each block is a 3 x 3 convolution (padded, so any image size works, down to
    1 x d) and a ReLU; an adaptive average pool brings the maps to 4 x 4, then
    one dense layer of ``hidden_size`` units with dropout forms the trunk (the
    embedding diversity strategies read) and a linear head gives the logits.

    Parameters
    ----------
    input_shape : tuple of int
        One sample's shape: ``(channels, height, width)``, ``(height, width)`` or
        ``(n_features,)``.
    n_classes : int
        Number of logits.
    channels : tuple of int, default=(16, 32)
        Output channels of each convolution.
    hidden_size : int, default=64
        Width of the dense layer.
    dropout : float, default=0.0
        Dropout after the dense layer; no layer when 0.

    Examples
    --------
    >>> import torch
    >>> module = CNNModule((1, 8, 8), 10)
    >>> module(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 10])
    """

    def __init__(
        self, input_shape, n_classes, channels=(16, 32), hidden_size=64, dropout=0.0
    ):
        super().__init__()
        self.image_shape = _image_shape(input_shape)
        layers, width = [], self.image_shape[0]
        for size in channels:
            layers += [torch.nn.Conv2d(width, size, 3, padding=1), torch.nn.ReLU()]
            width = size
        layers += [torch.nn.AdaptiveAvgPool2d(4), torch.nn.Flatten()]
        layers += [torch.nn.Linear(width * 16, hidden_size), torch.nn.ReLU()]
        if dropout > 0:
            layers.append(torch.nn.Dropout(dropout))
        self.trunk = torch.nn.Sequential(*layers)
        self.head = torch.nn.Linear(hidden_size, n_classes)

    def forward(self, X):
        return self.head(self.trunk(X.reshape(X.shape[0], *self.image_shape)))


class TorchCNNClassifier(NetClassifier):
    """A convolutional network classifier for image arrays, in PyTorch.

    A :class:`CNNModule` trained by ``NetClassifier``. ``fit`` takes images as
    an array or tensor of shape ``(n, channels, height, width)`` or
    ``(n, height, width)``; a 2-D array is read as ``1 x n_features`` images, so
    the network also fits tabular data (and scikit-learn's estimator checks).
    With ``dropout`` above 0 it is a Bayesian model for BALD and BatchBALD (MC
    dropout); its dense layer is the embedding of CoreSet and BADGE.

    Parameters
    ----------
    channels : tuple of int, default=(16, 32)
        Output channels of each 3 x 3 convolution.
    hidden_size : int, default=64
        Width of the dense layer.
    dropout : float, default=0.0
        Dropout after the dense layer.
    lr : float, default=1e-3
        Learning rate.
    max_epochs : int, default=100
        Maximum number of epochs.
    batch_size : int, default=64
        Mini-batch size in training.
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
    classes_, n_features_in_, net_, module_, n_iter_
        As in ``NetClassifier``; ``n_features_in_`` counts every value of an
        image.
    input_shape_ : tuple of int
        One sample's shape, when ``X`` had more than two dimensions.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> images = (X / 16).reshape(-1, 1, 8, 8)
    >>> cnn = TorchCNNClassifier(max_epochs=20, random_state=0).fit(images, y)
    >>> cnn.predict_proba(images[:3]).shape
    (3, 10)
    >>> bool(cnn.score(images, y) > 0.9)
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        **{
            k: v
            for k, v in NetClassifier._parameter_constraints.items()
            if k != "module"
        },
        "channels": ["array-like"],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        channels=(16, 32),
        *,
        hidden_size=64,
        dropout=0.0,
        lr=1e-3,
        max_epochs=100,
        batch_size=64,
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
        self.channels = channels
        self.hidden_size = hidden_size
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

    def _module_spec(self):
        channels = tuple(int(size) for size in self.channels)
        if not channels or any(size < 1 for size in channels):
            raise ValueError(
                f"channels must hold positive integers, got {self.channels!r}."
            )
        shape = getattr(self, "input_shape_", None) or (self.n_features_in_,)
        kwargs = {
            "input_shape": _image_shape(shape),
            "channels": channels,
            "hidden_size": self.hidden_size,
            "dropout": self.dropout,
        }
        return CNNModule, kwargs

    def _optimizer_spec(self):
        optimizer, kwargs = super()._optimizer_spec()
        kwargs["weight_decay"] = self.weight_decay
        return optimizer, kwargs

"""NetRegressor: any PyTorch module as a scikit-learn regressor.

The module's outputs are the predicted targets (one per target column); what
every net shares (parameters, skorch routing, training, chunked inference) is in
:mod:`skactive.nets._base`. A net with dropout also gives Monte Carlo dropout
samples of its predictions (:meth:`NetRegressor.predict_samples`), the spread
that regression strategies read.
"""

from numbers import Integral
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import RegressorMixin
from sklearn.utils.validation import check_is_fitted

from skactive.nets._base import BaseNet
from skactive.nets._mc_dropout import mc_dropout_samples
from skactive.utils._compat import _fit_context
from skactive.utils.validation import validate_rows

__all__ = ["NetRegressor"]


class NetRegressor(RegressorMixin, BaseNet):
    """A scikit-learn regressor for any PyTorch module, trained with skorch.

    The module returns one output per target column, trained with the mean
    squared error. Input width and target count are found at ``fit`` and passed
    to the module's constructor as ``n_features_in`` and ``n_outputs`` when it
    accepts those names. Targets are standardized for training (``normalize_y``),
    so the default learning rate suits targets of any scale.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        The network. A class is built anew at every ``fit``, with weights drawn
        from ``random_state``; an instance is copied and trained from its current
        weights.
    criterion : torch.nn.Module class or instance, default=torch.nn.MSELoss
        Loss taking the outputs and float targets of shape ``(n, n_outputs)``.
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or torch.optim.Optimizer class, \
            default="adam"
        Optimizer; its other arguments go through ``optimizer__*`` keywords.
    lr : float, default=1e-3
        Learning rate.
    max_epochs : int, default=200
        Maximum number of passes over the training data.
    batch_size : int, default=200
        Samples per mini-batch in training; inference runs in fixed chunks of
        ``max(batch_size, 1024)`` rows.
    tol : float or None, default=1e-4
        Training stops when the monitored loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs. ``None`` trains for ``max_epochs``.
    n_iter_no_change : int, default=10
        Patience of the stopping rule above.
    normalize_y : bool, default=True
        Train on targets centred and scaled to unit variance (per column), and
        map the outputs back: predictions are in the units of ``y``.
    train_split : callable or None, default=None
        skorch's validation split; None trains on every sample.
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, batch order and dropout.
    device : str, default="cpu"
        Torch device for training and inference.
    verbose : int, default=0
        When positive, skorch prints a line per epoch.
    **kwargs : dict
        skorch-routed parameters (``module__*``, ``optimizer__*``, ...).

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` had string column names.
    n_outputs_ : int
        Number of target columns (1 for a 1-D ``y``).
    net_ : skorch.NeuralNet
        The trained skorch net.
    module_ : torch.nn.Module
        The trained module.
    n_iter_ : int
        Number of epochs run.

    Examples
    --------
    >>> import torch
    >>> from sklearn.datasets import load_diabetes
    >>> class Linear(torch.nn.Module):
    ...     def __init__(self, n_features_in, n_outputs):
    ...         super().__init__()
    ...         self.layer = torch.nn.Linear(n_features_in, n_outputs)
    ...     def forward(self, X):
    ...         return self.layer(X)
    >>> X, y = load_diabetes(return_X_y=True)
    >>> net = NetRegressor(Linear, lr=0.05, max_epochs=100, random_state=0)
    >>> net.fit(X, y).predict(X[:3]).shape
    (3,)
    """

    _output_size_param = "n_outputs"

    _parameter_constraints: ClassVar[dict] = {
        **BaseNet._parameter_constraints,
        "normalize_y": ["boolean"],
    }

    def __init__(
        self,
        module,
        *,
        criterion=torch.nn.MSELoss,
        optimizer="adam",
        lr=1e-3,
        max_epochs=200,
        batch_size=200,
        tol=1e-4,
        n_iter_no_change=10,
        normalize_y=True,
        train_split=None,
        callbacks=None,
        random_state=None,
        device="cpu",
        verbose=0,
        **kwargs,
    ):
        self.module = module
        self.criterion = criterion
        self.optimizer = optimizer
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.normalize_y = normalize_y
        self.train_split = train_split
        self.callbacks = callbacks
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        # Keyword parameters live in one private dict: scikit-learn's checks allow
        # no public attribute that is not named in the signature.
        self._routed_kwargs = kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train a new network on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training features; cast to float32.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Numeric targets.

        Returns
        -------
        self : NetRegressor
            The fitted estimator.
        """
        X, y = validate_rows(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=np.float32,
            y_numeric=True,
            multi_output=True,
            reset=True,
        )
        y = np.asarray(y, dtype=np.float64)
        self._target_1d = y.ndim == 1
        y = y.reshape(y.shape[0], -1)
        self.n_outputs_ = y.shape[1]
        self._y_mean = np.zeros(self.n_outputs_)
        self._y_scale = np.ones(self.n_outputs_)
        if self.normalize_y:
            self._y_mean = y.mean(axis=0)
            scale = y.std(axis=0)
            self._y_scale = np.where(scale > 0, scale, 1.0)
        target = ((y - self._y_mean) / self._y_scale).astype(np.float32)
        self._train(X, target, self.n_outputs_)
        return self

    def _to_targets(self, outputs):
        """Outputs ``(..., n_outputs)`` in the units of ``y``, float64, squeezed
        to ``(...)`` for a 1-D ``y``."""
        targets = outputs.astype(np.float64) * self._y_scale + self._y_mean
        return targets[..., 0] if self._target_1d else targets

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        X = self._validate_predict_data(X)
        return self._to_targets(self._outputs(X, self.n_outputs_))

    def predict_samples(self, X, n_samples=20, random_state=None):
        """Predictions under ``n_samples`` Monte Carlo dropout masks.

        Each mask is one draw of the network (Gal and Ghahramani, 2016); their
        spread is the predictive uncertainty that
        :class:`~skactive.strategies.PredictiveStd` reads.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_rows, n_features)
            Samples.
        n_samples : int, default=20
            Number of dropout masks.
        random_state : int, RandomState instance or None, default=None
            Seeds the masks; the same seed gives the same samples.

        Returns
        -------
        samples : ndarray of shape (n_samples, n_rows) or \
                (n_samples, n_rows, n_outputs)

        Raises
        ------
        TypeError
            When the network has no dropout layer.
        """
        check_is_fitted(self, "net_")
        if not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive int, got {n_samples!r}.")
        X = self._validate_predict_data(X)
        try:
            outputs = mc_dropout_samples(self, X, n_samples, random_state, output="raw")
        except TypeError as error:
            raise TypeError(
                f"{type(self).__name__} has no dropout layer, so it gives no samples "
                "of its predictions: set dropout above 0 (for example "
                "TorchMLPRegressor(dropout=0.2)), or use an ensemble of regressors "
                "(skactive.CommitteeRegressor, RandomForestRegressor)."
            ) from error
        return self._to_targets(outputs)

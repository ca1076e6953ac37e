"""NetClassifier: any PyTorch module as a scikit-learn classifier.

A plain scikit-learn estimator that builds a fresh ``skorch.NeuralNet`` into
``net_`` at every fit; why a wrapper rather than a skorch subclass is explained in
``skactive/nets/__init__.py``.
"""

import copy
import inspect
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet

from skactive.nets._training import ArrayDataset, BatchLoader, LossPlateau
from skactive.utils._compat import Interval, StrOptions, _fit_context, validate_data
from skactive.utils.inputs import inference_mode, iter_padded_chunks, logits_of
from skactive.utils.seeding import draw_seed, private_torch_rng

__all__ = ["NetClassifier"]

_OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}
# Optimizers named by string that get torch's fused kernel unless told otherwise.
_FUSED_OPTIMIZERS = ("adam", "adamw")
# Rows per inference call: large chunks amortize per-call overhead on big pools
# (a third faster than 200 rows at 2e5 x 50), small enough that padding a single
# sample costs well under a millisecond for an MLP.
_MIN_INFERENCE_CHUNK = 1024
# Keyword prefixes that skorch routes to the object it builds.
_ROUTED_PREFIXES = tuple(
    "module optimizer criterion callbacks iterator_train iterator_valid dataset".split()
)


class NetClassifier(ClassifierMixin, BaseEstimator):
    """A scikit-learn classifier for any PyTorch module, trained with skorch.

    The module returns logits; ``predict_proba`` is their softmax. Input width and
    class count are found at ``fit`` and passed to the module's constructor as
    ``n_features_in`` and ``n_classes`` when it accepts those names. Targets may be
    any labels scikit-learn accepts (strings, booleans, non-contiguous integers);
    ``predict`` returns them and ``predict_proba`` columns follow ``classes_``.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        The network. A class is built anew at every ``fit``, with weights drawn
        from ``random_state``. An instance (e.g. a pretrained backbone) is copied
        and trained from its current weights; ``random_state`` then only decides
        the batch order and dropout.
    criterion : torch.nn.Module class or instance, default=torch.nn.CrossEntropyLoss
        Loss taking logits and integer targets.
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or torch.optim.Optimizer class, \
            default="adam"
        Optimizer; its other arguments go through ``optimizer__*`` keywords.
    lr : float, default=1e-3
        Learning rate.
    max_epochs : int, default=200
        Maximum number of passes over the training data.
    batch_size : int, default=200
        Samples per mini-batch in training. Inference runs in fixed chunks of
        ``max(batch_size, 1024)`` rows, the last one zero-padded, so a sample's
        probabilities never depend on which other samples share the call.
    tol : float or None, default=1e-4
        Training stops when the monitored loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs (as in ``MLPClassifier``). ``None`` trains for
        ``max_epochs``. The loss is the validation loss when ``train_split`` is
        set, the training loss otherwise.
    n_iter_no_change : int, default=10
        Patience of the stopping rule above.
    train_split : callable or None, default=None
        skorch's validation split (e.g. ``skorch.dataset.ValidSplit(0.2)``). None
        trains on every sample, so one or two samples are enough to fit.
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (instances or ``(name, callback)`` pairs).
    classes : array-like of shape (n_classes,) or None, default=None
        The full label set, fixed up front (the output layer then has one unit per
        entry even when ``y`` lacks some). None infers the classes from ``y``.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, batch order and dropout. Fitting leaves the
        global numpy and torch random states untouched when this is set.
    device : str, default="cpu"
        Torch device for training and inference.
    verbose : int, default=0
        When positive, skorch prints a line per epoch.
    **kwargs : dict
        skorch-routed parameters: ``module__*``, ``optimizer__*``, ``criterion__*``,
        ``callbacks__*``, ``iterator_train__*``, ``iterator_valid__*``, ``dataset__*``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The sorted labels.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` had string column names.
    net_ : skorch.NeuralNet
        The trained skorch net (``net_.history`` holds the per-epoch losses).
    module_ : torch.nn.Module
        The trained module (the same object as ``net_.module_``).
    n_iter_ : int
        Number of epochs run.

    Examples
    --------
    >>> import torch
    >>> from sklearn.datasets import load_iris
    >>> class Linear(torch.nn.Module):
    ...     def __init__(self, n_features_in, n_classes):
    ...         super().__init__()
    ...         self.layer = torch.nn.Linear(n_features_in, n_classes)
    ...     def forward(self, X):
    ...         return self.layer(X)
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = NetClassifier(Linear, lr=0.05, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        "module": [type, torch.nn.Module],
        "criterion": [type, torch.nn.Module],
        "optimizer": [StrOptions(set(_OPTIMIZERS)), type],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "train_split": [callable, None],
        "callbacks": [list, None],
        "classes": ["array-like", None],
        "random_state": ["random_state"],
        "device": [str, torch.device],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        module,
        *,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer="adam",
        lr=1e-3,
        max_epochs=200,
        batch_size=200,
        tol=1e-4,
        n_iter_no_change=10,
        train_split=None,
        callbacks=None,
        classes=None,
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
        self.train_split = train_split
        self.callbacks = callbacks
        self.classes = classes
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        # Keyword parameters live in one private dict: scikit-learn's checks allow
        # no public attribute that is not named in the signature.
        self._routed_kwargs = kwargs

    # -- parameters -----------------------------------------------------------

    def _routed_params(self):
        """The keyword parameters (``prefix__name``) beyond the signature."""
        return dict(getattr(self, "_routed_kwargs", {}))

    def get_params(self, deep=True):
        """Get parameters, including the skorch-routed ``prefix__name`` ones.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of contained estimators.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        params.update(self._routed_params())
        return params

    def set_params(self, **params):
        """Set parameters, including skorch-routed ones such as ``module__width``.

        Parameters
        ----------
        **params : dict
            Parameter names mapped to new values.

        Returns
        -------
        self : NetClassifier
            This estimator.
        """
        # Like __init__, store any keyword and leave its validation to fit: the
        # skorch-routed ones are not in the signature.
        own = self._get_param_names()
        routed = {name: params.pop(name) for name in list(params) if name not in own}
        if routed:
            self._routed_kwargs = {**self._routed_params(), **routed}
        super().set_params(**params)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -- building the net -----------------------------------------------------

    def _module_spec(self):
        """Return ``(module, keyword arguments from this estimator's own params)``."""
        return self.module, {}

    def _optimizer_spec(self):
        """Return ``(optimizer class, keyword arguments from own params)``."""
        kwargs = {}
        routed = self._routed_params()
        if self.optimizer in _FUSED_OPTIMIZERS and not (
            {"optimizer__fused", "optimizer__foreach"} & set(routed)
        ):
            # One fused kernel per step instead of one per parameter: a third of
            # the step time on small networks.
            kwargs["fused"] = True
        return _OPTIMIZERS.get(self.optimizer, self.optimizer), kwargs

    def _sized_module(self, n_features, n_classes):
        """The module (a class, or a copy of an instance) and its keywords, with
        the input width and class count for a class that takes them."""
        module, module_kwargs = self._module_spec()
        if not isinstance(module, type):
            # Copy so that fitting never trains the object held as a parameter.
            return copy.deepcopy(module), module_kwargs
        if not issubclass(module, torch.nn.Module):
            raise TypeError(
                f"module must be a torch.nn.Module class or instance, got {module!r}."
            )
        signature = inspect.signature(module).parameters
        for name, value in (("n_features_in", n_features), ("n_classes", n_classes)):
            if name in signature:
                module_kwargs[name] = value
        return module, module_kwargs

    def _build_net(self, n_features, n_classes):
        routed = self._routed_params()
        for name in routed:
            if name.partition("__")[0] not in _ROUTED_PREFIXES:
                raise TypeError(
                    f"{type(self).__name__} got an unexpected parameter {name!r}. "
                    "Keyword parameters must start with one of "
                    f"{', '.join(p + '__' for p in _ROUTED_PREFIXES)}."
                )
        module, module_kwargs = self._sized_module(n_features, n_classes)
        optimizer, optimizer_kwargs = self._optimizer_spec()
        if not (
            isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer)
        ):
            raise TypeError(
                f"optimizer must be one of {sorted(_OPTIMIZERS)} or a "
                f"torch.optim.Optimizer class, got {optimizer!r}."
            )
        own = {f"module__{k}": v for k, v in module_kwargs.items()}
        own.update({f"optimizer__{k}": v for k, v in optimizer_kwargs.items()})
        clashes = sorted(set(own) & set(routed))
        if clashes:
            raise ValueError(
                f"{clashes} duplicate parameters that {type(self).__name__} sets "
                "itself; set them through its own parameters instead."
            )
        callbacks = copy.deepcopy(list(self.callbacks or []))
        if self.tol is not None:
            monitor = "train_loss" if self.train_split is None else "valid_loss"
            stopper = LossPlateau(monitor, self.tol, self.n_iter_no_change)
            callbacks.append(("loss_plateau", stopper))
        return NeuralNet(
            module,
            criterion=self.criterion,
            optimizer=optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=BatchLoader,
            iterator_valid=BatchLoader,
            dataset=ArrayDataset,
            train_split=self.train_split,
            callbacks=callbacks,
            device=self.device,
            verbose=self.verbose,
            # skorch does not shuffle by default; a user's keyword still wins.
            **{"iterator_train__shuffle": True, **own, **routed},
        )

    # -- labels ---------------------------------------------------------------

    def _set_classes(self, y, classes):
        if classes is None:
            self.classes_ = unique_labels(y)
        else:
            classes = np.asarray(classes)
            if classes.ndim != 1 or classes.size == 0:
                raise ValueError(
                    "classes must be a non-empty 1-D array-like of labels, got "
                    f"shape {classes.shape}."
                )
            self.classes_ = np.unique(classes)

    def _encode(self, y):
        """Map labels to positions in ``classes_``; unknown labels raise."""
        known = np.isin(y, self.classes_)
        if not known.all():
            unknown = np.unique(np.asarray(y)[~known])
            raise ValueError(
                f"y contains labels {unknown.tolist()[:10]} that are not in "
                f"classes={self.classes_.tolist()}. Add them to the `classes` "
                "parameter, or leave classes=None to infer the classes from y."
            )
        return np.searchsorted(self.classes_, y).astype(np.int64)

    # -- fitting --------------------------------------------------------------

    def _validate_training_data(self, X, y, reset):
        X, y = validate_data(
            self, X, y, accept_sparse="csr", dtype=np.float32, reset=reset
        )
        check_classification_targets(y)
        return X, y

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train a new network on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training features; cast to float32.
        y : array-like of shape (n_samples,)
            Labels.

        Returns
        -------
        self : NetClassifier
            The fitted estimator.
        """
        X, y = self._validate_training_data(X, y, reset=True)
        self._set_classes(y, self.classes)
        y_encoded = self._encode(y)
        seed = draw_seed(self.random_state)
        net = self._build_net(X.shape[1], len(self.classes_))
        with private_torch_rng(seed, self.device) as end_state:
            net.fit(X, y_encoded)
        self.net_ = net
        self._rng_state = end_state[0]
        self.n_iter_ = len(net.history)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None):
        """Train for one epoch on ``(X, y)``, starting from the current weights.

        The first call builds the network, like ``fit`` with ``max_epochs=1``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training features.
        y : array-like of shape (n_samples,)
            Labels; each must be in ``classes_`` after the first call.
        classes : array-like of shape (n_classes,), default=None
            The full label set, used by the first call (then overriding the
            ``classes`` parameter); later calls must give the same set or None.

        Returns
        -------
        self : NetClassifier
            The updated estimator.
        """
        first_call = not hasattr(self, "net_")
        X, y = self._validate_training_data(X, y, reset=first_call)
        if first_call:
            self._set_classes(y, self.classes if classes is None else classes)
            net = self._build_net(X.shape[1], len(self.classes_))
            with private_torch_rng(
                draw_seed(self.random_state), self.device
            ) as end_state:
                net.initialize()
            self.net_, self.n_iter_, self._rng_state = net, 0, end_state[0]
        elif classes is not None and not np.array_equal(
            np.unique(classes), self.classes_
        ):
            raise ValueError(
                f"classes={np.unique(classes).tolist()} differs from the classes of "
                f"the first call to partial_fit, {self.classes_.tolist()}."
            )
        y_encoded = self._encode(y)
        net = self.net_
        with private_torch_rng(self._rng_state, self.device) as end_state:
            # skorch's own partial_fit runs max_epochs epochs; one epoch per call
            # is scikit-learn's convention (MLPClassifier.partial_fit).
            net.notify("on_train_begin", X=X, y=y_encoded)
            try:
                net.fit_loop(X, y_encoded, epochs=1)
            except KeyboardInterrupt:  # how skorch's callbacks stop training
                pass
            net.notify("on_train_end", X=X, y=y_encoded)
        self._rng_state = end_state[0]
        self.n_iter_ += 1
        return self

    # -- inference ------------------------------------------------------------

    @property
    def module_(self):
        """The trained ``torch.nn.Module``."""
        check_is_fitted(self, "net_")
        return self.net_.module_

    def _logits(self, X):
        """Logits of validated ``X`` in fixed-size chunks, as a float32 ndarray."""
        out = np.empty((X.shape[0], len(self.classes_)), dtype=np.float32)
        chunk_size = max(self.batch_size, _MIN_INFERENCE_CHUNK)
        start = 0
        with inference_mode(self.net_.module_) as module:
            for chunk, n_valid in iter_padded_chunks(X, chunk_size, self.device):
                logits = logits_of(module(chunk))
                out[start : start + n_valid] = logits[:n_valid].cpu().numpy()
                start += n_valid
        return out

    def _validate_predict_data(self, X):
        check_is_fitted(self, "net_")
        return validate_data(
            self, X, accept_sparse="csr", dtype=np.float32, reset=False
        )

    def predict_proba(self, X):
        """Class probabilities: the softmax of the module's logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), float32
            Columns follow ``classes_``; rows sum to 1.
        """
        logits = torch.from_numpy(self._logits(self._validate_predict_data(X)))
        return torch.softmax(logits, dim=1).numpy()

    def predict(self, X):
        """Predicted labels, of the same type as the training labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The most probable label of each sample.
        """
        # The argmax of the probabilities, not of the logits: float32 softmax can
        # tie two close logits, and predict must agree with predict_proba.
        proba = self.predict_proba(X)  # checks fittedness before classes_ is read
        return self.classes_[proba.argmax(axis=1)]

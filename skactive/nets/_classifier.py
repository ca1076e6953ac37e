"""NetClassifier: any PyTorch module as a scikit-learn classifier.

The module's outputs are logits; what every net shares (parameters, skorch
routing, training, chunked inference) is in :mod:`skactive.nets._base`.
"""

from typing import ClassVar

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import column_or_1d

from skactive.nets._base import BaseNet
from skactive.utils._compat import _fit_context
from skactive.utils.seeding import draw_seed, private_torch_rng
from skactive.utils.validation import validate_rows

__all__ = ["NetClassifier"]


class NetClassifier(ClassifierMixin, BaseNet):
    """A scikit-learn classifier for any PyTorch module, trained with skorch.

    The module returns logits; ``predict_proba`` is their softmax. Input width and
    class count are found at ``fit`` and passed to the module's constructor as
    ``n_features_in`` and ``n_classes`` when it accepts those names. Targets may be
    any labels scikit-learn accepts (strings, booleans, non-contiguous integers);
    ``predict`` returns them and ``predict_proba`` columns follow ``classes_``.

    A binary indicator matrix ``y`` of shape ``(n_samples, n_labels)`` trains a
    multilabel net (``multilabel_``): one output per label, each trained with a
    sigmoid (``BCEWithLogitsLoss`` replaces the default criterion);
    ``predict_proba`` is then each label's probability and ``predict`` the
    labels above one half, as with ``OneVsRestClassifier``.

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
        The sorted labels; multilabel, the names of ``y``'s columns
        (``classes``, else their positions).
    multilabel_ : bool
        Whether ``y`` was a binary indicator matrix.
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
        **BaseNet._parameter_constraints,
        "classes": ["array-like", None],
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

    # -- labels ---------------------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

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

    def _prepare_targets(self, y, classes):
        """Set ``classes_`` and the mode from ``y`` (and a fixed ``classes``);
        return ``(training targets, number of outputs)``."""
        self.multilabel_ = y.ndim == 2
        if not self.multilabel_:
            self._set_classes(y, classes)
            return self._encode(y), len(self.classes_)
        n_labels = y.shape[1]
        if classes is None:
            self.classes_ = np.arange(n_labels)
        else:
            self.classes_ = np.asarray(classes)
            if self.classes_.shape != (n_labels,):
                raise ValueError(
                    f"classes has shape {self.classes_.shape}, but the indicator "
                    f"matrix y has {n_labels} label columns: in multilabel mode "
                    "classes names the columns of y, one name per column."
                )
        self._indicator_dtype = y.dtype
        return self._encode(y), n_labels

    def _encode(self, y):
        """Map labels to positions in ``classes_`` (unknown labels raise); a
        multilabel indicator matrix to float32 targets of the sigmoid loss."""
        if self.multilabel_:
            if y.ndim != 2 or y.shape[1] != len(self.classes_):
                raise ValueError(
                    f"y has shape {y.shape}, but the network was built for an "
                    f"indicator matrix of {len(self.classes_)} label columns."
                )
            return np.asarray(y, dtype=np.float32)
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
        X, y = validate_rows(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=np.float32,
            reset=reset,
            multi_output=True,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if y.ndim == 2 and type_of_target(y) != "multilabel-indicator":
            raise ValueError(
                f"{type(self).__name__} takes labels of shape (n_samples,) or, for "
                "multilabel classification, a binary indicator matrix of shape "
                f"(n_samples, n_labels); got y of shape {y.shape} with "
                f"{type_of_target(y)} targets."
            )
        return X, y

    def _criterion(self):
        # Multilabel: one sigmoid per label, unless the user chose a loss.
        if self.multilabel_ and self.criterion is torch.nn.CrossEntropyLoss:
            return torch.nn.BCEWithLogitsLoss
        return self.criterion

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
        y_encoded, n_outputs = self._prepare_targets(y, self.classes)
        self._train(X, y_encoded, n_outputs)
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
            _, n_outputs = self._prepare_targets(
                y, self.classes if classes is None else classes
            )
            net = self._build_net(X.shape[1], n_outputs)
            with private_torch_rng(
                draw_seed(self.random_state), self.device
            ) as end_state:
                net.initialize()
            self.net_, self.n_iter_, self._rng_state = net, 0, end_state[0]
        elif (
            classes is not None
            and not self.multilabel_
            and not np.array_equal(np.unique(classes), self.classes_)
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

    def predict_proba(self, X):
        """Class probabilities: the softmax of the module's logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), float32
            Columns follow ``classes_``; rows sum to 1. Multilabel: each
            label's probability, independent of the others.
        """
        X = self._validate_predict_data(X)
        logits = torch.from_numpy(self._outputs(X, len(self.classes_)))
        if self.multilabel_:
            return torch.sigmoid(logits).numpy()
        return torch.softmax(logits, dim=1).numpy()

    def predict(self, X):
        """Predicted labels, of the same type as the training labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_labels)
            The most probable label of each sample; multilabel, the indicator
            of the labels whose probability is above one half.
        """
        # The argmax of the probabilities, not of the logits: float32 softmax can
        # tie two close logits, and predict must agree with predict_proba.
        proba = self.predict_proba(X)  # checks fittedness before classes_ is read
        if self.multilabel_:
            return (proba > 0.5).astype(self._indicator_dtype)
        return self.classes_[proba.argmax(axis=1)]

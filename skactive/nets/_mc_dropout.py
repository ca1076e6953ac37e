"""MC dropout: samples of a network's predictions with its dropout kept on.

Gal and Ghahramani (2016) read a network trained with dropout as a Bayesian model:
each dropout mask is one draw of the weights, so predictions under K masks are K
samples of the predictive distribution. Two choices make skactive's sampler fast
and fit for batch acquisition:

* **Consistent masks.** Sample ``k`` uses one mask per dropout layer for every row
  (Kirsch et al. 2019), so the samples of two rows come from the same K networks.
  BatchBALD needs this: its joint entropy of several rows is only meaningful under
  shared weights, and two copies of a row then get identical samples. The masks
  depend on the seed alone, so a row's samples do not depend on which other rows
  share its call (scoring a pool in chunks gives the same numbers as one call).
* **Shared prefix.** Everything is in eval mode and each dropout layer is replaced
  by a hook that multiplies by its K masks. The rows are expanded K-fold at the
  first dropout layer, so the layers before it run once for all K samples. A
  module whose shape logic breaks under that (a dropout inside a residual branch)
  is run with its input repeated K-fold instead, with the same masks.
"""

import math
from numbers import Integral
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils.validation import check_is_fitted

from skactive.utils._compat import Interval
from skactive.utils.inputs import (
    ThreadHook,
    float32_rows,
    inference_mode,
    iter_padded_chunks,
    logits_of,
    module_device,
    torch_module,
)
from skactive.utils.seeding import draw_seed

__all__ = ["MCDropout", "mc_dropout_samples"]

_CHANNEL_DROPOUT = (torch.nn.Dropout1d, torch.nn.Dropout2d, torch.nn.Dropout3d)
_ALPHA_DROPOUT = (torch.nn.AlphaDropout, torch.nn.FeatureAlphaDropout)
_DROPOUT = (torch.nn.Dropout, *_CHANNEL_DROPOUT, *_ALPHA_DROPOUT)
# SELU's negative saturation value, which alpha dropout sets dropped units to.
_SELU_SATURATION = -1.0507009873554805 * 1.6732632423543772
# Rows (times K) per forward pass: about 8k, so a 256-wide layer holds 8 MiB and
# a pass of a small MLP stays in cache (larger passes were no faster).
_ROWS_PER_PASS = 8192

NO_SAMPLES_HELP = (
    "Give the network dropout (for example TorchMLPClassifier(dropout=0.5)) and "
    "use it as it is or wrapped in skactive.nets.MCDropout, or use a "
    "skactive.Committee, a scikit-learn ensemble (RandomForestClassifier, "
    "ExtraTreesClassifier, BaggingClassifier) or a list of fitted models."
)


def _dropout_layers(module, layers=None):
    """The dropout layers to sample: all of them (p > 0), or those ``layers``
    names, as positions in ``list(module.modules())`` (modAL's
    ``dropout_layer_indexes``) or as names from ``module.named_modules()``."""
    if layers is None:
        return [
            layer
            for layer in module.modules()
            if isinstance(layer, _DROPOUT) and layer.p > 0
        ]
    modules, named = list(module.modules()), dict(module.named_modules())
    chosen = []
    for key in layers:
        layer = named.get(key) if isinstance(key, str) else None
        if isinstance(key, Integral) and -len(modules) <= key < len(modules):
            layer = modules[key]
        if not isinstance(layer, _DROPOUT):
            raise ValueError(
                f"dropout_layers holds {key!r}, which is not a dropout layer of the "
                "module. Give positions in list(module.modules()) or names from "
                "module.named_modules() of its dropout layers: "
                f"{[i for i, m in enumerate(modules) if isinstance(m, _DROPOUT)]} "
                f"or {[n for n, m in named.items() if isinstance(m, _DROPOUT)]}."
            )
        chosen.append(layer)
    return chosen


class _ConsistentDropout:
    """Forward hooks giving every dropout call K masks shared by all rows.

    Masks are drawn from a private generator the first time each dropout call (in
    forward order) is reached, then reused for every chunk.
    """

    def __init__(self, n_samples, seed):
        self.n_samples = n_samples
        self.generator = torch.Generator().manual_seed(seed)
        self.masks = []
        self.share_prefix = True
        self.n_rows = 0
        self._expanded = False
        self._call = 0

    def start_pass(self, n_rows):
        self.n_rows, self._expanded, self._call = n_rows, False, 0

    @property
    def expanded(self):
        return self._expanded or not self.share_prefix

    def _mask(self, layer, feature_shape, like):
        if self._call == len(self.masks):
            if isinstance(layer, (*_CHANNEL_DROPOUT, torch.nn.FeatureAlphaDropout)):
                shape = feature_shape[:1] + (1,) * (len(feature_shape) - 1)
            else:
                shape = feature_shape
            uniform = torch.rand((self.n_samples, 1, *shape), generator=self.generator)
            self.masks.append(uniform >= layer.p)
        keep = self.masks[self._call]
        self._call += 1
        return keep.to(device=like.device)

    def __call__(self, layer, inputs, output):
        x = inputs[0]
        if self.expanded:
            view = x.reshape(self.n_samples, self.n_rows, *x.shape[1:])
        else:
            # The first dropout layer: rows are still the chunk's own; they are
            # expanded here, so the layers before ran once for all K samples.
            view = x.unsqueeze(0)
            self._expanded = True
        keep = self._mask(layer, tuple(x.shape[1:]), x)
        p = layer.p
        if isinstance(layer, _ALPHA_DROPOUT):
            scale = ((1 - p) * (1 + p * _SELU_SATURATION**2)) ** -0.5
            shift = -scale * _SELU_SATURATION * p
            dropped = torch.where(keep, view, view.new_tensor(_SELU_SATURATION))
            out = dropped * scale + shift
        else:
            out = view * (keep.to(view.dtype) / (1 - p))
        return out.reshape(self.n_samples * self.n_rows, *x.shape[1:])


def _forward(module, chunk, sampler, output="softmax"):
    n_rows = chunk.shape[0]
    sampler.start_pass(n_rows)
    if not sampler.share_prefix:
        chunk = chunk.repeat(sampler.n_samples, *([1] * (chunk.ndim - 1)))
    logits = logits_of(module(chunk))
    if logits.shape[0] == n_rows and not sampler.expanded:
        # No dropout layer was reached: every sample is the plain prediction.
        logits = logits.unsqueeze(0).expand(sampler.n_samples, *logits.shape)
    elif logits.shape[0] != sampler.n_samples * n_rows:
        raise RuntimeError(
            f"the module returned {logits.shape[0]} rows for {n_rows} inputs under "
            f"{sampler.n_samples} dropout samples."
        )
    logits = logits.reshape(sampler.n_samples, n_rows, -1)
    logits = logits.float()
    if output == "softmax":
        return torch.softmax(logits, dim=-1)
    return torch.sigmoid(logits) if output == "sigmoid" else logits


def mc_dropout_samples(
    model, X, n_samples, random_state=None, *, output="proba", dropout_layers=None
):
    """Class probabilities of ``model`` under ``n_samples`` MC dropout masks.

    Parameters
    ----------
    model : NetClassifier, skorch net or torch.nn.Module
        A trained network with at least one dropout layer; a module returns logits.
    X : array-like, sparse matrix, DataFrame or torch.Tensor
        Samples.
    n_samples : int
        Number of masks K.
    random_state : int, RandomState instance or None, default=None
        Seeds the masks; the same seed gives the same samples.
    output : {"proba", "raw"}, default="proba"
        ``"proba"``: probabilities from the module's logits, their softmax (one
        label per sample) or, for a multilabel ``NetClassifier``, the sigmoid of
        each (one probability per label); ``"raw"``: the outputs themselves (a
        regressor's predictions).
    dropout_layers : list of int or str, or None, default=None
        Sample only these dropout layers (positions in ``list(module.modules())``
        or names); the others are off, as at inference. None samples all.

    Returns
    -------
    samples : ndarray of shape (n_samples, n_rows, n_outputs), float32
    """
    module = torch_module(model)
    if module is None:
        raise TypeError(f"{type(model).__name__} is not a torch network.")
    layers = _dropout_layers(module, dropout_layers)
    if not layers:
        raise TypeError(
            f"{type(model).__name__} has no dropout layer with p > 0, so MC dropout "
            f"cannot sample it. {NO_SAMPLES_HELP}"
        )
    if output == "proba":
        output = "sigmoid" if getattr(model, "multilabel_", False) else "softmax"
    seed = draw_seed(random_state)
    X = float32_rows(X, model)
    n_total = X.shape[0]
    device = module_device(module)
    # A power of two, so the pool chunks of the strategies (multiples of 1024)
    # split into whole passes.
    chunk_size = 2 ** max(3, int(math.log2(max(_ROWS_PER_PASS // n_samples, 1))))
    chunk_size = min(chunk_size, 2 ** max(3, math.ceil(math.log2(max(n_total, 1)))))
    sampler = _ConsistentDropout(n_samples, seed)
    out = None
    # This thread's passes only: other threads may run the module meanwhile.
    handles = [layer.register_forward_hook(ThreadHook(sampler)) for layer in layers]
    try:
        with inference_mode(module):
            start = 0
            for chunk, n_valid in iter_padded_chunks(X, chunk_size, device):
                if start == 0:
                    try:
                        proba = _forward(module, chunk, sampler, output)
                    except RuntimeError:
                        # The prefix cannot be shared (say, dropout inside a
                        # residual branch): repeat the input instead, same masks.
                        sampler.share_prefix = False
                        sampler.masks.clear()
                        sampler.generator.manual_seed(seed)
                        proba = _forward(module, chunk, sampler, output)
                    out = np.empty((n_samples, n_total, proba.shape[-1]), np.float32)
                else:
                    proba = _forward(module, chunk, sampler, output)
                out[:, start : start + n_valid] = proba[:, :n_valid].cpu().numpy()
                start += n_valid
    finally:
        for handle in handles:
            handle.remove()
    if out is None:
        n_outputs = len(getattr(model, "classes_", ()))
        if output == "raw":
            n_outputs = getattr(model, "n_outputs_", 1)
        out = np.empty((n_samples, 0, n_outputs), dtype=np.float32)
    return out


class MCDropout(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """A network with dropout read as a Bayesian model (Monte Carlo dropout).

    Wraps a trained network, or fits a clone of an unfitted one, and predicts with
    dropout kept on: :meth:`predict_proba_samples` returns the predictions under
    ``n_samples`` dropout masks, :meth:`predict_proba` their mean. BALD, BatchBALD
    and the other Bayesian strategies read the samples. A ``NetClassifier`` with
    dropout needs no wrapper inside an :class:`~skactive.ActiveLearner`; the
    wrapper fixes the sample count and seed, and gives a plain ``torch.nn.Module``
    a classifier's interface.

    Masks are shared by all rows (one network per sample) and depend only on the
    seed, so the samples of a row do not depend on the rest of the call.

    Parameters
    ----------
    estimator : NetClassifier, skorch net or torch.nn.Module
        The network, with at least one dropout layer (``torch.nn.Dropout``,
        ``Dropout1d/2d/3d``, ``AlphaDropout`` or ``FeatureAlphaDropout``). A
        module must return logits. Used as it is when trained; :meth:`fit`
        trains a clone instead.
    n_samples : int, default=10
        Number of dropout masks (Monte Carlo samples).
    random_state : int, RandomState instance or None, default=None
        Seeds the masks; None draws new masks at every call.
    dropout_layers : list of int or str, or None, default=None
        Sample only these dropout layers, as positions in
        ``list(module.modules())`` (modAL's ``dropout_layer_indexes``) or names
        from ``module.named_modules()``; the others stay off. None samples
        every dropout layer.

    Attributes
    ----------
    estimator_ : estimator
        The clone trained by :meth:`fit`; absent when the wrapped network is used
        as it is.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skactive.nets import MCDropout, TorchMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> net = TorchMLPClassifier(dropout=0.5, max_epochs=20, random_state=0)
    >>> model = MCDropout(net.fit(X, y), n_samples=10, random_state=0)
    >>> model.predict_proba_samples(X[:4]).shape
    (10, 4, 3)
    >>> model.predict_proba(X[:4]).shape
    (4, 3)
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": "no_validation",
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "dropout_layers": [list, tuple, None],
    }

    def __init__(
        self, estimator, n_samples=10, *, random_state=None, dropout_layers=None
    ):
        self.estimator = estimator
        self.n_samples = n_samples
        self.random_state = random_state
        self.dropout_layers = dropout_layers

    def fit(self, X, y, **fit_params):
        """Train a clone of ``estimator`` on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training features.
        y : array-like of shape (n_samples,)
            Labels.
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : MCDropout
            The fitted wrapper.
        """
        self._validate_params()
        if isinstance(self.estimator, torch.nn.Module):
            raise TypeError(
                "MCDropout.fit trains a scikit-learn estimator; a torch.nn.Module "
                "is used as already trained. Wrap the module class in "
                "skactive.nets.NetClassifier to train it here."
            )
        self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)
        return self

    def _model(self):
        return getattr(self, "estimator_", self.estimator)

    @property
    def classes_(self):
        """The labels of the network's outputs (positions for a plain module)."""
        model = self._model()
        if isinstance(model, torch.nn.Module):
            raise AttributeError("A plain torch.nn.Module has no classes_.")
        check_is_fitted(model)
        return model.classes_

    @property
    def n_features_in_(self):
        """Number of input features, as the wrapped estimator saw them."""
        return self._model().n_features_in_

    def predict_proba_samples(self, X, n_samples=None, random_state=None):
        """Class probabilities under each of ``n_samples`` dropout masks.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or torch.Tensor
            Samples.
        n_samples : int or None, default=None
            Number of masks; None uses the ``n_samples`` parameter.
        random_state : int, RandomState instance or None, default=None
            Seeds the masks; None uses the ``random_state`` parameter.

        Returns
        -------
        samples : ndarray of shape (n_samples, n_rows, n_classes), float32
        """
        self._validate_params()
        n_samples = self.n_samples if n_samples is None else n_samples
        if random_state is None:
            random_state = self.random_state
        return mc_dropout_samples(
            self._model(),
            X,
            n_samples,
            random_state,
            dropout_layers=self.dropout_layers,
        )

    def predict_proba(self, X):
        """Mean class probabilities over the dropout masks.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or torch.Tensor
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_rows, n_classes), float32
        """
        return self.predict_proba_samples(X).mean(axis=0)

    def predict(self, X):
        """The class of largest mean probability.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or torch.Tensor
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_rows,)
            Labels from ``classes_`` (output positions for a plain module).
        """
        positions = self.predict_proba(X).argmax(axis=1)
        if isinstance(self._model(), torch.nn.Module):
            return positions
        return self.classes_[positions]

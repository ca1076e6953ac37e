"""BaseNet: what every skactive net shares, whatever its output means.

A plain scikit-learn estimator that builds a fresh ``skorch.NeuralNet`` into
``net_`` at every fit; why a wrapper rather than a skorch subclass is explained in
``skactive/nets/__init__.py``. :class:`~skactive.nets.NetClassifier` reads the
module's outputs as logits, :class:`~skactive.nets.NetRegressor` as the targets.
"""

import copy
import inspect
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet

from skactive.nets._training import ArrayDataset, BatchLoader, LossPlateau
from skactive.utils._compat import Interval, StrOptions
from skactive.utils.inputs import inference_mode, iter_padded_chunks, logits_of
from skactive.utils.seeding import draw_seed, private_torch_rng
from skactive.utils.validation import validate_rows

__all__ = ["BaseNet"]

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


class BaseNet(BaseEstimator):
    """Shared plumbing of skactive's nets (not for direct use).

    Subclasses define ``__init__`` with the parameters below (and their own),
    name the module's output-size keyword (``_output_size_param``) and read the
    outputs. Parameters are documented on ``NetClassifier`` and ``NetRegressor``.
    """

    #: The module keyword that receives the number of outputs.
    _output_size_param = "n_classes"

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
        "random_state": ["random_state"],
        "device": [str, torch.device],
        "verbose": ["verbose"],
    }

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
        self : estimator
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

    def _sized_module(self, n_features, n_outputs):
        """The module (a class, or a copy of an instance) and its keywords, with
        the input width and output count for a class that takes them."""
        module, module_kwargs = self._module_spec()
        if not isinstance(module, type):
            # Copy so that fitting never trains the object held as a parameter.
            return copy.deepcopy(module), module_kwargs
        if not issubclass(module, torch.nn.Module):
            raise TypeError(
                f"module must be a torch.nn.Module class or instance, got {module!r}."
            )
        signature = inspect.signature(module).parameters
        sizes = (("n_features_in", n_features), (self._output_size_param, n_outputs))
        for name, value in sizes:
            if name in signature:
                module_kwargs[name] = value
        return module, module_kwargs

    def _criterion(self):
        """The loss the net is trained with."""
        return self.criterion

    def _build_net(self, n_features, n_outputs):
        routed = self._routed_params()
        for name in routed:
            if name.partition("__")[0] not in _ROUTED_PREFIXES:
                raise TypeError(
                    f"{type(self).__name__} got an unexpected parameter {name!r}. "
                    "Keyword parameters must start with one of "
                    f"{', '.join(p + '__' for p in _ROUTED_PREFIXES)}."
                )
        module, module_kwargs = self._sized_module(n_features, n_outputs)
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
            criterion=self._criterion(),
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

    def _train(self, X, y_encoded, n_outputs):
        """Build a net for ``n_outputs`` outputs and train it on validated data."""
        seed = draw_seed(self.random_state)
        net = self._build_net(X.shape[1], n_outputs)
        with private_torch_rng(seed, self.device) as end_state:
            net.fit(X, y_encoded)
        self.net_ = net
        self._rng_state = end_state[0]
        self.n_iter_ = len(net.history)

    # -- inference ------------------------------------------------------------

    @property
    def module_(self):
        """The trained ``torch.nn.Module``."""
        check_is_fitted(self, "net_")
        return self.net_.module_

    def _outputs(self, X, n_outputs):
        """The module's outputs on validated ``X`` in fixed-size chunks, as a
        float32 ndarray ``(n_rows, n_outputs)``."""
        out = np.empty((X.shape[0], n_outputs), dtype=np.float32)
        chunk_size = max(self.batch_size, _MIN_INFERENCE_CHUNK)
        start = 0
        with inference_mode(self.net_.module_) as module:
            for chunk, n_valid in iter_padded_chunks(X, chunk_size, self.device):
                outputs = logits_of(module(chunk)).reshape(chunk.shape[0], -1)
                out[start : start + n_valid] = outputs[:n_valid].cpu().numpy()
                start += n_valid
        return out

    def _validate_predict_data(self, X):
        check_is_fitted(self, "net_")
        return validate_rows(
            self, X, accept_sparse="csr", dtype=np.float32, reset=False
        )

"""Training plumbing of the nets: fast mini-batches and a loss-plateau stop.

skorch's default ``DataLoader`` indexes one sample at a time and collates the
batch in Python; on small tabular data that costs more than the forward and
backward passes. ``ArrayDataset`` keeps the whole array and ``BatchLoader`` slices
it a batch at a time. Anything else (a user's dataset, a ``Subset`` of one) falls
back to torch's ``DataLoader`` so skorch's ``train_split`` keeps working.
``LossPlateau`` stops training by scikit-learn's ``MLPClassifier`` rule.
"""

import numpy as np
import scipy.sparse as sp
import torch
from skorch.callbacks import Callback
from torch.utils.data import DataLoader, Dataset, Subset

from skactive.utils.inputs import rows_to_tensor

__all__ = ["ArrayDataset", "BatchLoader", "LossPlateau"]


class ArrayDataset(Dataset):
    """A dataset over a 2-D float32 array (or CSR matrix) and int64 targets.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or CSR matrix
        Validated float32 features.
    y : ndarray of shape (n_samples,), default=None
        Encoded int64 targets.
    """

    def __init__(self, X, y=None):
        self.X = X
        self.y = y
        self._X_tensor = None if sp.issparse(X) else rows_to_tensor(X)
        self._y_tensor = None if y is None else torch.as_tensor(np.asarray(y))

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, index):
        X, y = self.take(np.asarray([index]))
        return X[0], y[0]

    def take(self, rows):
        """Return ``(X_batch, y_batch)`` tensors for an integer index array."""
        if self._X_tensor is not None:
            X_batch = self._X_tensor[torch.from_numpy(rows)]
        else:
            X_batch = rows_to_tensor(self.X, rows)
        if self._y_tensor is None:
            # skorch unpacks (X, y) pairs; with no target it expects a placeholder.
            y_batch = torch.zeros(len(rows))
        else:
            y_batch = self._y_tensor[torch.from_numpy(rows)]
        return X_batch, y_batch


def _resolve(dataset):
    """Return ``(ArrayDataset, positions)`` or ``(None, None)`` for other datasets."""
    if isinstance(dataset, ArrayDataset):
        return dataset, np.arange(len(dataset))
    if isinstance(dataset, Subset):
        base, positions = _resolve(dataset.dataset)
        if base is not None:
            return base, positions[np.asarray(dataset.indices, dtype=np.int64)]
    return None, None


class BatchLoader:
    """Iterate over mini-batches of an ``ArrayDataset`` by slicing, not collating.

    The signature follows ``torch.utils.data.DataLoader`` where skorch uses it:
    skorch calls ``BatchLoader(dataset, batch_size=..., shuffle=...)``. Shuffling
    draws from torch's global generator, which the estimator seeds inside
    ``torch.random.fork_rng``.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, **kwargs):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.kwargs = kwargs

    def __len__(self):
        n_samples = len(self.dataset)
        if self.drop_last:
            return n_samples // self.batch_size
        return -(-n_samples // self.batch_size)

    def __iter__(self):
        base, positions = _resolve(self.dataset)
        if base is None:
            yield from DataLoader(
                self.dataset,
                batch_size=self.batch_size,
                shuffle=self.shuffle,
                drop_last=self.drop_last,
                **self.kwargs,
            )
            return
        if self.shuffle:
            positions = positions[torch.randperm(len(positions)).numpy()]
        stop = len(self) * self.batch_size
        for start in range(0, min(stop, len(positions)), self.batch_size):
            yield base.take(positions[start : start + self.batch_size])


class LossPlateau(Callback):
    """Stop training when the loss stalls, by scikit-learn's ``MLPClassifier`` rule.

    An epoch counts as no improvement when its loss is above the best loss so far
    minus ``tol``; ``n_iter_no_change`` such epochs in a row stop training.
    skorch's ``EarlyStopping`` measures improvement from the last epoch that
    improved by ``tol``, so a slow steady decline never stops it; this rule does.
    """

    def __init__(self, monitor="train_loss", tol=1e-4, n_iter_no_change=10):
        self.monitor = monitor
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change

    def on_train_begin(self, net, **kwargs):
        self.best_loss_ = np.inf
        self.no_improvement_count_ = 0

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1, self.monitor]
        if loss > self.best_loss_ - self.tol:
            self.no_improvement_count_ += 1
        else:
            self.no_improvement_count_ = 0
        self.best_loss_ = min(self.best_loss_, loss)
        if self.no_improvement_count_ >= self.n_iter_no_change:
            raise KeyboardInterrupt  # skorch's signal to end training

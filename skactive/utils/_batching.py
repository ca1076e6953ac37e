"""Fast mini-batches for skorch training and fixed-layout chunks for inference.

skorch's default ``DataLoader`` indexes one sample at a time and collates the
batch in Python; on small tabular data that costs more than the forward and
backward passes. ``ArrayDataset`` keeps the whole array and ``BatchLoader`` slices
it a batch at a time. Anything else (a user's dataset, a ``Subset`` of one) falls
back to torch's ``DataLoader`` so skorch's ``train_split`` keeps working.
"""

import numpy as np
import scipy.sparse as sp
import torch
from torch.utils.data import DataLoader, Dataset, Subset

__all__ = ["ArrayDataset", "BatchLoader", "iter_padded_chunks", "rows_to_tensor"]


def rows_to_tensor(X, rows=None):
    """Return the rows of a float32 ndarray or CSR matrix as a dense tensor."""
    if rows is not None:
        X = X[rows]
    if sp.issparse(X):
        X = X.toarray()
    # A copy when the input is read-only (memmap) or not contiguous: torch warns
    # on non-writable arrays and would otherwise share their memory.
    X = np.require(X, dtype=np.float32, requirements=["C", "W"])
    return torch.from_numpy(X)


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


def iter_padded_chunks(X, chunk_size):
    """Yield ``(tensor, n_valid)`` chunks of exactly ``chunk_size`` rows.

    The last chunk is padded with zero rows. Every sample then passes through the
    same matrix kernels whatever the size of ``X``, so a sample's output does not
    depend on which other samples share its call (float32 kernels otherwise differ
    in the last bits between batch shapes).
    """
    n_samples = X.shape[0]
    for start in range(0, n_samples, chunk_size):
        chunk = rows_to_tensor(X[start : start + chunk_size])
        n_valid = chunk.shape[0]
        if n_valid < chunk_size:
            padding = chunk.new_zeros((chunk_size - n_valid, chunk.shape[1]))
            chunk = torch.cat([chunk, padding])
        yield chunk, n_valid

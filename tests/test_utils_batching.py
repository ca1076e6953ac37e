"""The mini-batch loader behind NetClassifier's training loop."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch.utils.data import Subset, TensorDataset

from skactive.nets._training import ArrayDataset, BatchLoader
from skactive.utils.inputs import iter_padded_chunks


@pytest.fixture
def data():
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10, dtype=np.int64)
    return X, y


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("to_sparse", [np.asarray, sp.csr_matrix])
def test_batches_cover_every_sample_once(data, drop_last, to_sparse):
    X, y = data
    loader = BatchLoader(
        ArrayDataset(to_sparse(X), y), batch_size=4, drop_last=drop_last
    )
    batches = list(loader)
    assert len(batches) == len(loader) == (2 if drop_last else 3)
    seen = torch.cat([batch_y for _, batch_y in batches]).numpy()
    np.testing.assert_array_equal(seen, y[: len(seen)])
    for batch_X, batch_y in batches:
        np.testing.assert_array_equal(batch_X.numpy(), X[batch_y.numpy()])


def test_shuffle_is_a_permutation_drawn_from_torch(data):
    X, y = data
    loader = BatchLoader(ArrayDataset(X, y), batch_size=3, shuffle=True)
    torch.manual_seed(0)
    first = torch.cat([b for _, b in loader]).numpy()
    torch.manual_seed(0)
    again = torch.cat([b for _, b in loader]).numpy()
    np.testing.assert_array_equal(np.sort(first), y)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, y)


def test_subsets_keep_the_fast_path_and_other_datasets_fall_back(data):
    X, y = data
    subset = Subset(Subset(ArrayDataset(X, y), [1, 3, 5, 7, 9]), [0, 4])
    ((batch_X, batch_y),) = list(BatchLoader(subset, batch_size=8))
    np.testing.assert_array_equal(batch_y.numpy(), [1, 9])
    np.testing.assert_array_equal(batch_X.numpy(), X[[1, 9]])
    tensors = TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    batches = list(BatchLoader(tensors, batch_size=4))
    assert [len(b) for _, b in batches] == [4, 4, 2]


def test_padded_chunks_have_a_fixed_shape(data):
    X, _ = data
    chunks = list(iter_padded_chunks(X, 4))
    assert [n for _, n in chunks] == [4, 4, 2]
    assert all(chunk.shape == (4, 2) for chunk, _ in chunks)
    np.testing.assert_array_equal(chunks[-1][0][2:].numpy(), 0)


def test_read_only_input_is_copied_not_shared(data):
    X, y = data
    X.setflags(write=False)
    dataset = ArrayDataset(X, y)
    assert dataset.take(np.array([0]))[0].numpy().flags.writeable

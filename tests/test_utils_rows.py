"""Row helpers: the same operations on every container a pool may come in."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from skactive.utils.inputs import (
    chunk_rows,
    concat_rows,
    iter_row_chunks,
    n_rows,
    take_rows,
)

BASE = np.arange(30, dtype=float).reshape(10, 3)
CONTAINERS = {
    "ndarray": lambda a: a,
    "dataframe": lambda a: pd.DataFrame(a, columns=list("abc"), index=a[:, 0] * 7),
    "csr": sp.csr_matrix,
    "coo": sp.coo_matrix,
    "tensor": torch.as_tensor,
}


def dense(X):
    if hasattr(X, "iloc"):
        return X.to_numpy()
    if sp.issparse(X):
        return X.toarray()
    return np.asarray(X)


@pytest.mark.parametrize("kind", CONTAINERS)
def test_take_concat_and_chunks_agree_with_numpy(kind):
    X = CONTAINERS[kind](BASE)
    assert n_rows(X) == 10
    rows = np.array([7, 2, 2, 9])
    np.testing.assert_array_equal(dense(take_rows(X, rows)), BASE[rows])
    joined = concat_rows(X, take_rows(X, rows))
    np.testing.assert_array_equal(dense(joined), np.vstack([BASE, BASE[rows]]))
    chunks = list(iter_row_chunks(X, chunk_size=4))
    assert [start for start, _ in chunks] == [0, 4, 8]
    np.testing.assert_array_equal(
        np.vstack([dense(chunk) for _, chunk in chunks]), BASE
    )


def test_dataframes_are_taken_by_position_and_keep_their_columns():
    frame = CONTAINERS["dataframe"](BASE)
    taken = take_rows(frame, [3, 0])
    assert list(taken.columns) == list("abc")
    np.testing.assert_array_equal(taken.to_numpy(), BASE[[3, 0]])
    joined = concat_rows(frame, BASE[:2])  # an array appended to a frame
    assert isinstance(joined, pd.DataFrame)
    assert joined.shape == (12, 3)


@pytest.mark.parametrize("n_features", [1, 50, 784, 100_000])
def test_chunks_are_multiples_of_1024_rows_and_about_8_mib(n_features):
    rows = chunk_rows(np.empty((0, n_features)))
    assert rows % 1024 == 0
    assert 1024 <= rows <= 65536
    if rows > 1024:
        assert rows * n_features * 8 <= 8 * 2**20

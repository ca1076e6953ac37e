"""Shared test setup.

torch's OpenMP threads busy-wait on 2-core machines, which made small fits 4-50x
slower; one intra-op thread keeps the suite fast and its timings stable.

scikit-learn runs its array API check only when scipy was imported with
SCIPY_ARRAY_API=1; setting it here, before scipy loads, runs every check.
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture
def blobs():
    """A small, well-separated three-class problem."""
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=90, centers=3, n_features=4, random_state=0)
    return X.astype(np.float64), y

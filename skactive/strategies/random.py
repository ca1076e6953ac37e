"""RandomSampling: the baseline every strategy must beat."""

import numpy as np

from skactive.strategies._base import QueryStrategy
from skactive.utils._rows import n_rows

__all__ = ["RandomSampling"]


class RandomSampling(QueryStrategy):
    """Query samples uniformly at random, without replacement.

    The baseline of every active learning comparison: a strategy is worth its
    cost only when it beats this one on the same data. It needs no model.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.strategies import RandomSampling
    >>> RandomSampling().query(np.zeros((100, 2)), n_samples=3, random_state=0)
    array([26, 86,  2])
    """

    _parameter_constraints: dict = {}  # noqa: RUF012 - scikit-learn's convention
    _needs_model = False
    _per_sample_scores = False

    def _select(self, model, X, n_samples, X_labeled, rng):
        n = n_rows(X)
        return rng.choice(n, size=min(n_samples, n), replace=False).astype(np.int64)

"""RandomSampling: the baseline every strategy must beat."""

import numpy as np

from skactive.strategies._base import BatchStrategy
from skactive.utils.inputs import n_rows

__all__ = ["RandomSampling"]


class RandomSampling(BatchStrategy):
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

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        tags.requires_model = False
        tags.reads_pool_rows = True  # reads the pool's length only
        tags.reads_dask_pools = True
        tags.regression = tags.multilabel = True
        return tags

    def _select_batch(self, model, X, n_samples, context):
        n = n_rows(X)
        picked = context.random_state.choice(n, size=min(n_samples, n), replace=False)
        return picked.astype(np.int64)

"""Information density: informativeness weighted by how representative a sample is."""

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.preprocessing import normalize
from sklearn.utils import check_random_state
from sklearn.utils.extmath import row_norms, safe_sparse_dot

from skactive.strategies._base import QueryStrategy
from skactive.strategies.uncertainty import UncertaintySampling
from skactive.utils._compat import HasMethods, Interval, StrOptions

__all__ = ["InformationDensity", "mean_similarity"]


def _features(X):
    """``X`` as a float matrix for similarities: sparse stays sparse (CSR)."""
    if hasattr(X, "iloc"):
        X = X.to_numpy()
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    if sp.issparse(X):
        return sp.csr_matrix(X, dtype=np.float64)
    X = np.asarray(X)
    X = X.reshape(X.shape[0], -1)
    return X if X.dtype == np.float32 else X.astype(np.float64)


def mean_similarity(X, metric="cosine", n_reference=2_000, random_state=None):
    """Mean similarity of each row of ``X`` to the rows of ``X``.

    Parameters
    ----------
    X : array-like, sparse matrix, DataFrame or torch.Tensor of shape (n, d)
        The pool.
    metric : {"cosine", "euclidean"}, default="cosine"
        ``"cosine"``: ``(1 + cos(x_i, x_j)) / 2``, in [0, 1]; its mean over
        ``j`` is ``(1 + <x_i / |x_i|, m>) / 2`` with ``m`` the mean unit row,
        exact in one pass over the pool at any size (a zero row has cosine 0
        with everything). ``"euclidean"``: ``1 / (1 + |x_i - x_j|)``, its mean
        over the reference rows, computed in chunks.
    n_reference : int or None, default=2_000
        For ``"euclidean"``: the rows compared with are a seeded random sample
        of this many when the pool is larger (the standard error of each mean
        is then about 2 % of the similarities' spread); None compares with all
        (``O(n^2)`` time, chunked memory).
    random_state : int, RandomState instance or None, default=None
        Draws the reference sample.

    Returns
    -------
    similarity : ndarray of shape (n,), values in (0, 1]
    """
    X = _features(X)
    n = X.shape[0]
    if metric == "cosine":
        units = normalize(X)
        center = np.asarray(units.mean(axis=0)).ravel()
        return (1.0 + np.asarray(units @ center, dtype=np.float64).ravel()) / 2
    reference = X
    if n_reference is not None and n > n_reference:
        rows = check_random_state(random_state).choice(n, n_reference, replace=False)
        reference = X[np.sort(rows)]
    return _mean_inverse_distance(X, reference)


# Floats in one block of row-to-reference distances: 4 Mi (32 MiB in float64).
_PAIRWISE_FLOATS = 2**22


def _mean_inverse_distance(X, reference):
    """Mean of ``1 / (1 + |x - r|)`` over the rows ``r`` of ``reference``, for
    each row of ``X``: blocks of rows against all references, one BLAS product
    each, in place."""
    x_norms = row_norms(X, squared=True)
    reference_norms = row_norms(reference, squared=True)
    rows = max(1, _PAIRWISE_FLOATS // reference.shape[0])
    means = np.empty(X.shape[0])
    for start in range(0, X.shape[0], rows):
        stop = min(start + rows, X.shape[0])
        block = safe_sparse_dot(X[start:stop], reference.T, dense_output=True)
        block = np.asarray(block)
        block *= -2
        block += x_norms[start:stop, None]
        block += reference_norms
        np.maximum(block, 0, out=block)
        np.sqrt(block, out=block)
        block += 1
        np.reciprocal(block, out=block)
        means[start:stop] = block.mean(axis=1)
    return means


class InformationDensity(QueryStrategy):
    """Informativeness times representativeness, so outliers are not queried.

    Settles and Craven (2008): the score of ``x`` is ``u(x) * s(x) ** beta``,
    where ``u`` is the base strategy's score and ``s(x)`` the mean similarity
    of ``x`` to the pool (:func:`mean_similarity`, in the input features). An
    uncertain sample far from everything else scores low. ``u`` must be
    non-negative for the product to make sense: base scores with negative
    values (margin and least confidence are scored as negatives) are shifted
    by their minimum over the pool first, which keeps their order.

    Parameters
    ----------
    base_strategy : QueryStrategy or None, default=None
        Scores samples one by one (``score_samples``); None is entropy
        uncertainty sampling. Its ``estimator`` is not used: the model comes
        from this strategy (``estimator``) or the learner.
    beta : float >= 0, default=1.0
        Weight of the density; 0 gives the base strategy's ranking.
    metric : {"cosine", "euclidean"}, default="cosine"
        See :func:`mean_similarity`.
    n_reference : int or None, default=2_000
        Reference rows for ``"euclidean"`` on large pools (seeded sample).
    estimator : fitted model or None, default=None
        For standalone use; inside an ActiveLearner leave it None.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import InformationDensity
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=500).fit(X[::10], y[::10])
    >>> InformationDensity(estimator=model).query(X, 5, random_state=0).shape
    (5,)
    """

    _parameter_constraints: ClassVar[dict] = {
        "base_strategy": [HasMethods(["score_samples"]), None],
        "beta": [Interval(Real, 0, None, closed="left")],
        "metric": [StrOptions({"cosine", "euclidean"})],
        "n_reference": [Interval(Integral, 1, None, closed="left"), None],
        "estimator": "no_validation",
    }

    def __init__(
        self,
        base_strategy=None,
        beta=1.0,
        metric="cosine",
        n_reference=2_000,
        estimator=None,
    ):
        self.base_strategy = base_strategy
        self.beta = beta
        self.metric = metric
        self.n_reference = n_reference
        self.estimator = estimator

    def _validate_strategy_params(self):
        super()._validate_strategy_params()
        base = self.base_strategy
        if base is not None and not getattr(base, "_per_sample_scores", True):
            raise TypeError(
                f"base_strategy={type(base).__name__}(...) chooses whole batches "
                "and has no score per sample; use a per-sample strategy such as "
                "UncertaintySampling, BALD or ExpectedModelChange."
            )

    def _iter_scores(self, model, X, rng):
        base = self.base_strategy or UncertaintySampling()
        # One seed for the base (MC dropout draws), then the reference sample.
        seed = rng.randint(np.iinfo(np.int32).max)
        utility = base.score_samples(model, X, random_state=seed).astype(np.float64)
        if utility.size and utility.min() < 0:
            utility -= utility.min()
        density = mean_similarity(X, self.metric, self.n_reference, rng)
        yield 0, utility * density**self.beta

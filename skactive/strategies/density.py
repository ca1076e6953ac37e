"""Information density: informativeness weighted by how representative a sample is."""

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.preprocessing import normalize
from sklearn.utils import check_random_state
from sklearn.utils.extmath import row_norms, safe_sparse_dot

from skactive.strategies._base import (
    BatchStrategy,
    check_per_sample_strategy,
    get_strategy_tags,
    validated_at_the_door,
)
from skactive.strategies._points import text_pool_features
from skactive.strategies.uncertainty import UncertaintySampling
from skactive.utils._compat import HasMethods, Interval, StrOptions
from skactive.utils.inputs import as_float_array, iter_row_chunks, n_rows, take_rows
from skactive.utils.ranking import top_k
from skactive.utils.seeding import draw_seed

__all__ = ["InformationDensity", "mean_similarity"]


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
    n = n_rows(X)
    if metric == "cosine":
        # Two passes over chunks: the mean unit row, then each row's cosine to it.
        center = sum(
            np.asarray(normalize(chunk).sum(axis=0, dtype=np.float64)).ravel()
            for chunk in _float_chunks(X)
        ) / max(n, 1)
        cosines = [_unit_dot(chunk, center) for chunk in _float_chunks(X)]
        return (1.0 + _stack(cosines, n)) / 2
    rows = np.arange(n)
    if n_reference is not None and n > n_reference:
        rows = np.sort(check_random_state(random_state).choice(n, n_reference, False))
    reference = as_float_array(take_rows(X, rows), accept_sparse=True)
    return _stack([_mean_inverse_distance(c, reference) for c in _float_chunks(X)], n)


def _float_chunks(X):
    """Row chunks of ``X`` as float arrays (CSR kept sparse): one chunk in memory."""
    for _, chunk in iter_row_chunks(X):
        yield as_float_array(chunk, accept_sparse=True)


def _unit_dot(chunk, center):
    """Cosine of each row of ``chunk`` with ``center`` (0 for a zero row)."""
    return np.asarray(normalize(chunk) @ center.astype(chunk.dtype), np.float64).ravel()


def _stack(parts, n):
    return np.concatenate(parts) if parts else np.empty(n)


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


class InformationDensity(BatchStrategy):
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

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        base = self.base_strategy or UncertaintySampling()
        tags.requires_model = get_strategy_tags(base).requires_model
        tags.per_sample_scores = True
        tags.reads_pool_rows = get_strategy_tags(base).reads_pool_rows
        tags.classification = get_strategy_tags(base).classification
        tags.regression = get_strategy_tags(base).regression
        tags.multilabel = get_strategy_tags(base).multilabel
        return tags

    @validated_at_the_door
    def score_samples(self, model, X, *, random_state=None):
        """The base strategy's scores times the density to the power ``beta``.

        The density of a sample depends on the whole of ``X``, so the scores are
        those of ``X`` as one pool.

        Parameters
        ----------
        model : fitted estimator or torch.nn.Module
            The model.
        X : array-like, sparse matrix, DataFrame or torch.Tensor
            The pool.
        random_state : int, RandomState instance or None, default=None
            Seeds the base strategy's random scores and the reference rows.

        Returns
        -------
        scores : ndarray of shape (n_samples,), non-negative
        """
        base = self.base_strategy or UncertaintySampling()
        check_per_sample_strategy(base, "InformationDensity")
        rng = check_random_state(random_state)
        # One seed for the base (MC dropout draws), then the reference sample.
        seed = draw_seed(rng)
        utility = base.score_samples(model, X, random_state=seed).astype(np.float64)
        if utility.size and utility.min() < 0:
            utility -= utility.min()
        features = text_pool_features(model, X, "InformationDensity")
        density = mean_similarity(features, self.metric, self.n_reference, rng)
        return utility * density**self.beta

    def _select_batch(self, model, X, n_samples, context):
        rng = context.random_state
        return top_k(self.score_samples(model, X, random_state=rng), n_samples, rng)

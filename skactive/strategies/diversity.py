"""Diversity strategies: batches spread over the pool instead of piled on one region.

Both read the model through :mod:`skactive.models`: ``CoreSet`` through
:func:`~skactive.models.embed`, ``BADGE`` through
:func:`~skactive.models.gradient_embedding_factors`. Each pick costs one pass of
``O(n_rows * (n_classes + n_dimensions))`` over the pool; nothing of size
``n_rows ** 2`` or ``n_rows * n_classes * n_dimensions`` is ever built.
"""

from numbers import Integral, Real
from typing import ClassVar

import numpy as np

from skactive.acquisition import (
    margin_acquisition,
    normalized_uncertainty,
)
from skactive.models import embed as default_embed
from skactive.models import (
    gradient_embedding_factors,
    gradient_residual,
    linear_head_reads_raw_features,
    predict_proba,
)
from skactive.strategies._base import BatchStrategy
from skactive.strategies._greedy import (
    LazyKMeansPlusPlus,
    farthest_first,
    points_dtype,
)
from skactive.strategies._points import (
    FLOAT32_SAFE,
    embed_with_labeled,
    lazy_over_chunks,
    over_chunks,
    raw_rows,
    without_overflow,
)
from skactive.utils._compat import Interval, StrOptions
from skactive.utils.inputs import as_float_array, take_rows
from skactive.utils.ranking import top_k
from skactive.utils.validation import check_positive_int

__all__ = [
    "BADGE",
    "ClusterMargin",
    "CoreSet",
    "DiverseUncertainty",
    "diverse_batch_query",
]


def _residual(model, X):
    """``p - onehot(argmax p)`` of ``model`` on ``X`` (``p - [p > 1/2]`` for a
    multilabel model)."""
    return gradient_residual(model, predict_proba(model, X))


def _residual_of(chunk, model, dtype):
    return _residual(model, chunk).astype(dtype, copy=False)


def _uncertainty_of(chunk, model, measure):
    return normalized_uncertainty(predict_proba(model, chunk), measure)


def _factor(chunk, model, embed, which):
    return np.asarray(gradient_embedding_factors(model, chunk, embed)[which])


def _residual_norm_max(chunk, model, embed, dtype):
    """A chunk's residual, its features' squared norms and largest absolute
    values, side by side in the features' dtype (one forward pass for all)."""
    residual, features = gradient_embedding_factors(model, chunk, embed)
    features = np.asarray(features, dtype=dtype)
    out = np.empty((features.shape[0], residual.shape[1] + 2), dtype=dtype)
    out[:, :-2] = residual
    out[:, -2] = np.einsum("ij,ij->i", features, features)
    out[:, -1] = np.abs(features).max(axis=1) if features.shape[1] else 0
    return out


class DiverseUncertainty(BatchStrategy):
    """Ranked batch: each pick trades uncertainty against similarity to the batch.

    Cardoso et al. (2017), the ``uncertainty_batch_sampling`` of modAL. The batch
    is built greedily; each pick maximizes

    ``diversity_weight * (1 - similarity) + (1 - diversity_weight) * uncertainty``

    where ``similarity = 1 / (1 + d)`` with ``d`` the Euclidean distance, in the
    space of :func:`~skactive.models.embed`, to the nearest labeled or already
    chosen sample, and ``uncertainty`` is normalized to [0, 1]. Distances are
    updated incrementally: one pass over the pool per pick.

    Parameters
    ----------
    estimator : fitted model or None, default=None
        For standalone use; inside an ActiveLearner leave it None.
    diversity_weight : float in [0, 1], default=0.5
        0 is uncertainty top-k; 1 ignores uncertainty (farthest-first traversal).
    measure : {"entropy", "margin", "least_confidence"}, default="entropy"
        The uncertainty: entropy over ``log(n_classes)``, one minus the margin, or
        the normalized least confidence.
    embed : callable or None, default=None
        ``embed(model, X) -> (n_rows, n_dimensions)``; None uses
        :func:`skactive.models.embed`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import DiverseUncertainty
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=500).fit(X[::10], y[::10])
    >>> DiverseUncertainty(model).query(X, n_samples=5, random_state=0).shape
    (5,)
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": "no_validation",
        "diversity_weight": [Interval(Real, 0, 1, closed="both")],
        "measure": [StrOptions({"entropy", "margin", "least_confidence"})],
        "embed": [callable, None],
    }

    def __init__(
        self, estimator=None, diversity_weight=0.5, measure="entropy", embed=None
    ):
        self.estimator = estimator
        self.diversity_weight = diversity_weight
        self.measure = measure
        self.embed = embed

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        tags.reads_pool_rows = True
        tags.reads_dask_pools = True
        return tags

    def _select_batch(self, model, X, n_samples, context):
        rng, X_labeled = context.random_state, context.X_labeled
        uncertainty = over_chunks(_uncertainty_of, X, model, self.measure).astype(
            np.float64
        )
        weight = float(self.diversity_weight)
        if weight == 0:
            return top_k(uncertainty, n_samples, rng)
        points, centers = embed_with_labeled(
            self.embed or default_embed, model, X, X_labeled
        )
        base = (1 - weight) * uncertainty

        def gain(rows, nearest):
            dissimilarity = 1.0 - 1.0 / (1.0 + np.sqrt(nearest))  # 1 at infinity
            return base[rows] + weight * dissimilarity

        return farthest_first(points, centers, n_samples, rng, gain)


def diverse_batch_query(model, pool, n_samples=100, diversity_weight=0.5):
    """Indices of a diverse batch of uncertain samples (the user's guide's call).

    ``DiverseUncertainty(model, diversity_weight=diversity_weight).query(pool,
    n_samples=n_samples)``: see :class:`DiverseUncertainty`.

    Parameters
    ----------
    model : fitted classifier, skorch net or torch.nn.Module
        The model.
    pool : array-like, sparse matrix, DataFrame or torch.Tensor
        The unlabeled samples.
    n_samples : int, default=100
        Batch size.
    diversity_weight : float in [0, 1], default=0.5
        0 is uncertainty top-k; 1 ignores uncertainty.

    Returns
    -------
    indices : ndarray of shape (min(n_samples, len(pool)),), int64
        Positions in ``pool``, in the order picked.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=500).fit(X[::10], y[::10])
    >>> diverse_batch_query(model, X, n_samples=4).shape
    (4,)
    """
    n_samples = check_positive_int(n_samples, "n_samples")
    strategy = DiverseUncertainty(model, diversity_weight=diversity_weight)
    return strategy.query(pool, n_samples=n_samples)


class CoreSet(BatchStrategy):
    """Core-set selection: greedy k-center on the model's embedding.

    Sener and Savarese (2018): the batch whose samples, together with the labeled
    ones, cover the pool with the smallest radius. Each pick is the pool sample
    farthest from every labeled and already chosen sample (a 2-approximation of
    the best covering), in the space of :func:`~skactive.models.embed`: the
    penultimate activations of a net, the features otherwise.

    Parameters
    ----------
    estimator : fitted model or None, default=None
        For standalone use (``query``); inside an ActiveLearner leave it None.
    embed : callable or None, default=None
        ``embed(model, X) -> (n_rows, n_dimensions)``; None uses
        :func:`skactive.models.embed`.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.strategies import CoreSet
    >>> X = np.array([[0.0], [0.1], [5.0], [10.0]])
    >>> CoreSet().select(None, X, 2, X_labeled=np.array([[0.0]]), random_state=0)
    array([3, 2])
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": "no_validation",
        "embed": [callable, None],
    }

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        # The default embedding of a non-net is the features: no model needed.
        tags.requires_model = False
        tags.reads_pool_rows = True
        tags.reads_dask_pools = True
        tags.regression = tags.multilabel = True  # distances only: no class read
        return tags

    def __init__(self, estimator=None, embed=None):
        self.estimator = estimator
        self.embed = embed

    def _select_batch(self, model, X, n_samples, context):
        rng, X_labeled = context.random_state, context.X_labeled
        points, centers = embed_with_labeled(
            self.embed or default_embed, model, X, X_labeled
        )
        return farthest_first(points, centers, n_samples, rng)


class BADGE(BatchStrategy):
    """Batch Active learning by Diverse Gradient Embeddings (Ash et al. 2020).

    Each sample is represented by the gradient of the loss at its most probable
    label with respect to the last layer: its norm grows with uncertainty, its
    direction says which way the model would move. k-means++ seeding on these
    embeddings picks a batch that is both uncertain and diverse.

    The embedding ``(p - onehot(argmax p)) h^T`` is never built: distances use
    ``<g_i, g_j> = <p_i - e_i, p_j - e_j> <h_i, h_j>``, so memory is
    ``O(n_rows * (n_classes + n_dimensions))``.

    Parameters
    ----------
    estimator : fitted model or None, default=None
        A net or a linear model (``coef_``), for standalone use; inside an
        ActiveLearner leave it None.
    embed : callable or None, default=None
        ``embed(model, X) -> h``, the last layer's input, for models that are
        neither nets nor linear (any model with ``predict_proba``).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import BADGE
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=500).fit(X[::10], y[::10])
    >>> BADGE(model).query(X, n_samples=5, random_state=0).shape
    (5,)
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": "no_validation",
        "embed": [callable, None],
    }

    def __init__(self, estimator=None, embed=None):
        self.estimator = estimator
        self.embed = embed

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        tags.reads_pool_rows = True
        tags.reads_dask_pools = True
        tags.multilabel = True  # a sigmoid per label: p - [p > 1/2]
        return tags

    def _select_batch(self, model, X, n_samples, context):
        rng = context.random_state
        raw = raw_rows(X)
        if raw is not None and linear_head_reads_raw_features(model, self.embed):
            # h = (x, 1): the pool itself, and the 1 as a bias (no copy).
            residual = over_chunks(_residual_of, X, model, points_dtype(raw))
            features, bias = raw, 1.0
        else:  # h recomputed at each pass, never held whole
            return self._select_lazily(model, X, n_samples, rng)
        # The features keep their precision (float32 from nets and float32 input):
        # they are the large factor, read once per pick; the residual follows.
        features = without_overflow(features)[0]
        residual = residual.astype(points_dtype(features), copy=False)
        kmeans = LazyKMeansPlusPlus(residual, features, bias=bias)
        return kmeans.select(n_samples, rng)

    def _select_lazily(self, model, X, n_samples, rng):
        """k-means++ on features that are recomputed at each pass: the residual,
        the features' norms and their overflow check come from one pass."""
        features = lazy_over_chunks(_factor, X, model, self.embed, 1)
        dtype = points_dtype(features)
        both = over_chunks(_residual_norm_max, X, model, self.embed, dtype)
        residual, norms = both[:, :-2], both[:, -2]
        if dtype == np.float32 and both[:, -1].max(initial=0.0) > FLOAT32_SAFE:
            # float32 squares would overflow: float64, norms recomputed.
            features, norms = features.astype(np.float64), None
            residual = residual.astype(np.float64)
        kmeans = LazyKMeansPlusPlus(residual, features, feature_norms=norms)
        return kmeans.select(n_samples, rng)


class ClusterMargin(BatchStrategy):
    """Cluster-Margin (Citovsky et al. 2021): the least certain samples, spread
    over clusters.

    The ``candidate_factor * n_samples`` samples of smallest margin are clustered
    (agglomerative, average linkage, one cluster per sample to query, in the space
    of :func:`~skactive.models.embed`); the batch then takes one sample per
    cluster, smallest clusters first and the smallest margin within each, round
    robin until full. Margin keeps the batch informative; the clusters keep it
    from piling onto one region. The paper clusters the whole pool once; here
    only the candidates are clustered, at each query, so the strategy keeps no
    state and costs ``O((candidate_factor * n_samples) ** 2)`` beyond one pass.

    Parameters
    ----------
    estimator : fitted model or None, default=None
        For standalone use; inside an ActiveLearner leave it None.
    candidate_factor : int, default=10
        Candidates per sample to query (the paper's ``k_m``).
    embed : callable or None, default=None
        ``embed(model, X) -> (n_rows, n_dimensions)``; None uses
        :func:`skactive.models.embed`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import ClusterMargin
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=500).fit(X[::10], y[::10])
    >>> ClusterMargin(model).query(X, n_samples=5, random_state=0).shape
    (5,)
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": "no_validation",
        "candidate_factor": [Interval(Integral, 1, None, closed="left")],
        "embed": [callable, None],
    }

    def __init__(self, estimator=None, candidate_factor=10, embed=None):
        self.estimator = estimator
        self.candidate_factor = candidate_factor
        self.embed = embed

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        tags.reads_pool_rows = True
        return tags

    def _select_batch(self, model, X, n_samples, context):
        rng = context.random_state
        margin = over_chunks(
            lambda chunk: margin_acquisition(predict_proba(model, chunk)), X
        ).astype(np.float64)
        n_samples = min(n_samples, margin.shape[0])
        candidates = top_k(-margin, self.candidate_factor * n_samples, rng)
        if candidates.shape[0] <= n_samples:
            return candidates
        from sklearn.cluster import AgglomerativeClustering  # imported when used

        function = self.embed or default_embed
        points = as_float_array(
            function(model, take_rows(X, candidates)), dtype=np.float64
        )
        labels = (
            AgglomerativeClustering(n_samples, linkage="average").fit(points).labels_
        )
        counts = np.bincount(labels, minlength=n_samples)
        # Candidates are in margin order, so the rank within a cluster is by margin.
        rank = np.empty(candidates.shape[0], dtype=np.int64)
        for cluster in range(n_samples):  # a loop over clusters, not samples
            members = np.flatnonzero(labels == cluster)
            rank[members] = np.arange(members.shape[0])
        order = np.lexsort((rng.random_sample(labels.shape[0]), counts[labels], rank))
        return candidates[order[:n_samples]]

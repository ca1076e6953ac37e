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
from sklearn.cluster import AgglomerativeClustering

from skactive.acquisition import (
    entropy_acquisition,
    least_confidence_acquisition,
    margin_acquisition,
)
from skactive.models import embed as default_embed
from skactive.models import gradient_embedding_factors, predict_proba
from skactive.strategies._base import QueryStrategy, _validate_n_samples, top_k
from skactive.utils._compat import Interval, StrOptions
from skactive.utils._rows import iter_row_chunks, n_rows, take_rows

__all__ = [
    "BADGE",
    "ClusterMargin",
    "CoreSet",
    "DiverseUncertainty",
    "diverse_batch_query",
]


# Floats in one block of point-to-center distances: 4 Mi, 16 MiB in float32.
_PAIRWISE_FLOATS = 2**22


def _over_chunks(function, X):
    """``function(chunk)`` for consecutive row chunks of ``X``, stacked."""
    return _stack([function(chunk) for _, chunk in iter_row_chunks(X)])


def _embed_with_labeled(function, model, X, X_labeled):
    """Embeddings of the pool and of the labeled samples (None without any)."""
    points = _over_chunks(lambda chunk: function(model, chunk), X)
    if X_labeled is None or n_rows(X_labeled) == 0:
        return points, None
    centers = _over_chunks(lambda chunk: function(model, chunk), X_labeled)
    return points, np.asarray(centers, dtype=points.dtype)


def _stack(parts):
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def _random_argmax(values, rng):
    """Position of the largest value, ties broken at random."""
    best = np.flatnonzero(values == values.max())
    return int(best[0] if best.shape[0] == 1 else rng.choice(best))


def _update_nearest(nearest, points, squared_norms, center):
    """Lower ``nearest`` (squared distance to the closest center) for a new center.

    In place: one matrix-vector product over the embedding and a few passes over
    ``n`` floats, in the embedding's own precision.
    """
    distance = points @ points[center]
    distance *= -2
    distance += squared_norms
    distance += squared_norms[center]
    np.maximum(distance, 0, out=distance)
    np.minimum(nearest, distance, out=nearest)


def _nearest_squared_distances(points, centers):
    """Squared distance of each point to its nearest center.

    Chunks of rows against all centers, one BLAS product each, in the points'
    precision: 2-4x faster than ``pairwise_distances_argmin_min`` in float32.
    """
    centers = np.asarray(centers, dtype=points.dtype)
    center_norms = np.einsum("ij,ij->i", centers, centers)
    rows = max(1, _PAIRWISE_FLOATS // max(centers.shape[0], 1))
    nearest = np.empty(points.shape[0], dtype=np.float64)
    for start in range(0, points.shape[0], rows):
        block = points[start : start + rows]
        distance = block @ centers.T
        distance *= -2
        distance += center_norms
        smallest = distance.min(axis=1)
        smallest += np.einsum("ij,ij->i", block, block)
        nearest[start : start + rows] = np.maximum(smallest, 0)
    return nearest


# Labeled samples whose distances bound everyone's distance before the exact pass.
_BOUND_CENTERS = 64
# The first exact pass covers the rows of highest bound: this many per pick, and
# at least this share of the pool; four times more at each retry.
_CANDIDATES_PER_PICK, _CANDIDATE_SHARE = 32, 1 / 16


def _farthest_first(points, centers, n_samples, rng, gain=None):
    """Greedy batch: each pick maximizes ``gain(rows, nearest)`` over the pool.

    ``nearest`` is the squared distance to the closest center (the labeled rows,
    then the picks too); ``gain`` must not decrease with it. ``None`` is
    ``nearest`` itself: farthest-first traversal, the greedy k-center. Ties are
    broken at random.

    Every pick's gain is at most the previous one's, and a row's gain only falls
    as centers are added; so a row whose gain is already below the last pick's
    before any pick can never be picked, nor change another row's distance.
    Distances to a few labeled rows bound every row's gain from above; the
    greedy runs on the rows of highest bound only, and is accepted when every
    row left out is bounded below its last pick (else it reruns on more rows,
    from the same random state). The picks are those of the greedy
    on the whole pool, at a small fraction of its cost: the exact distances to
    every labeled row and one pass per pick are paid on the candidates only.
    """
    if gain is None:

        def gain(rows, nearest):
            return nearest.copy()

    n_total = points.shape[0]
    n_samples = min(n_samples, n_total)
    chosen = []
    if centers is None or centers.shape[0] == 0:
        first = _random_argmax(gain(slice(None), np.full(n_total, np.inf)), rng)
        chosen.append(first)
        centers = points[first : first + 1]
    if len(chosen) == n_samples:
        return np.asarray(chosen, dtype=np.int64)
    bound_centers = centers
    if centers.shape[0] > 2 * _BOUND_CENTERS:
        spread = np.linspace(0, centers.shape[0] - 1, _BOUND_CENTERS)
        bound_centers = centers[spread.astype(np.int64)]
    squared_norms = np.einsum("ij,ij->i", points, points)
    # Allowance for the rounding of |x|^2 + |c|^2 - 2 <x, c> in the points' dtype.
    slack = (
        64
        * np.finfo(points.dtype).eps
        * (squared_norms.max() + np.einsum("ij,ij->i", centers, centers).max())
    )
    bound = gain(slice(None), _nearest_squared_distances(points, bound_centers) + slack)
    bound[chosen] = -np.inf
    state = rng.get_state()
    n_candidates = max(
        _CANDIDATES_PER_PICK * n_samples, int(_CANDIDATE_SHARE * n_total)
    )
    while True:
        if n_candidates >= n_total:
            rows, left_out = np.arange(n_total), -np.inf
        else:
            split = np.argpartition(bound, n_total - n_candidates)
            rows = np.sort(split[n_total - n_candidates :])
            left_out = bound[split[: n_total - n_candidates]].max()
        picks, last = _greedy_on_rows(
            points, squared_norms, centers, rows, chosen, n_samples, rng, gain
        )
        if last > left_out:
            return np.concatenate([np.asarray(chosen, dtype=np.int64), rows[picks]])
        rng.set_state(state)
        # Four times more rows, or every row bounded above this run's last pick.
        n_candidates = max(4 * n_candidates, np.count_nonzero(bound >= last))
        if n_candidates > n_total // 2:
            n_candidates = n_total


def _greedy_on_rows(points, squared_norms, centers, rows, chosen, n_samples, rng, gain):
    """The greedy of :func:`_farthest_first` on ``rows`` only: the positions
    picked in ``rows`` and the gain of the last pick."""
    local = points[rows]
    local_norms = squared_norms[rows]
    nearest = _nearest_squared_distances(local, centers)
    taken = np.flatnonzero(np.isin(rows, chosen))
    nearest[taken] = 0.0
    picks = []
    last = np.inf
    for _ in range(n_samples - len(chosen)):
        score = gain(rows, nearest)
        score[taken] = -np.inf
        score[picks] = -np.inf
        pick = _random_argmax(score, rng)
        last = score[pick]
        picks.append(pick)
        _update_nearest(nearest, local, local_norms, pick)
    return np.asarray(picks, dtype=np.int64), last


def _normalized_uncertainty(proba, measure):
    """Uncertainty in [0, 1], higher = more uncertain, for each measure."""
    n_classes = proba.shape[1]
    if n_classes < 2:
        return np.zeros(proba.shape[0])
    if measure == "entropy":
        return entropy_acquisition(proba) / np.log(n_classes)
    if measure == "margin":
        return 1.0 - margin_acquisition(proba)
    top = least_confidence_acquisition(proba)
    return (1.0 - top) * n_classes / (n_classes - 1)


class DiverseUncertainty(QueryStrategy):
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
    _per_sample_scores = False

    def __init__(
        self, estimator=None, diversity_weight=0.5, measure="entropy", embed=None
    ):
        self.estimator = estimator
        self.diversity_weight = diversity_weight
        self.measure = measure
        self.embed = embed

    def _select(self, model, X, n_samples, X_labeled, rng):
        uncertainty = _over_chunks(
            lambda chunk: _normalized_uncertainty(
                predict_proba(model, chunk), self.measure
            ),
            X,
        ).astype(np.float64)
        weight = float(self.diversity_weight)
        if weight == 0:
            return top_k(uncertainty, n_samples, rng)
        points, centers = _embed_with_labeled(
            self.embed or default_embed, model, X, X_labeled
        )
        base = (1 - weight) * uncertainty

        def gain(rows, nearest):
            dissimilarity = 1.0 - 1.0 / (1.0 + np.sqrt(nearest))  # 1 at infinity
            return base[rows] + weight * dissimilarity

        return _farthest_first(points, centers, n_samples, rng, gain)


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
    n_samples = _validate_n_samples(n_samples)
    strategy = DiverseUncertainty(model, diversity_weight=diversity_weight)
    return strategy.query(pool, n_samples=n_samples)


class CoreSet(QueryStrategy):
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
    _per_sample_scores = False
    _needs_model = False  # the default embedding of a non-net is the features

    def __init__(self, estimator=None, embed=None):
        self.estimator = estimator
        self.embed = embed

    def _select(self, model, X, n_samples, X_labeled, rng):
        points, centers = _embed_with_labeled(
            self.embed or default_embed, model, X, X_labeled
        )
        return _farthest_first(points, centers, n_samples, rng)


class BADGE(QueryStrategy):
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
    _per_sample_scores = False

    def __init__(self, estimator=None, embed=None):
        self.estimator = estimator
        self.embed = embed

    def _select(self, model, X, n_samples, X_labeled, rng):
        parts = [
            gradient_embedding_factors(model, chunk, self.embed)
            for _, chunk in iter_row_chunks(X)
        ]
        residual = _stack([r for r, _ in parts])
        # The features keep their precision (float32 from nets and float32 input):
        # they are the large factor, read once per pick.
        features = _stack([np.asarray(h) for _, h in parts])
        return _kmeans_plus_plus(residual, features, n_samples, rng)


# Rejected draws in one pick before every row is compared with every center.
_PATIENCE = 3
_BLOCK = 1024


def _kmeans_plus_plus(residual, features, n_samples, rng):
    """k-means++ seeding on the embeddings ``residual[i] (x) features[i]``.

    The first center is the largest embedding (as in BADGE); each next one is
    drawn with probability proportional to its squared distance to the nearest
    center. When every remaining distance is 0 (copies, constant features), the
    next center is drawn uniformly.

    Lazily, and still exactly: each row keeps an upper bound of that distance,
    its distance to the centers it was last compared with. A row drawn from the
    bounds is compared with the newer centers and kept with probability
    ``distance / bound`` (rejection sampling: the kept row follows the exact
    distances); a rejected row keeps its exact distance and the draw is
    repeated. After ``_PATIENCE`` rejections within one pick, every row is
    compared with the centers it has not seen, in one blocked pass. A pick
    mostly costs a cumulative sum over the pool, not a pass over the embeddings.
    """
    n_total = residual.shape[0]
    n_samples = min(n_samples, n_total)
    squared_norms = np.einsum("ij,ij->i", residual, residual) * np.einsum(
        "ij,ij->i", features, features
    )

    def distances(rows, centers):
        """Squared distance of ``rows`` to their nearest center of ``centers``."""
        inner = (residual[rows] @ residual[centers].T) * (
            features[rows] @ features[centers].T
        )
        inner *= -2
        inner += squared_norms[rows, None]
        inner += squared_norms[centers]
        return np.maximum(inner.min(axis=1), 0)

    def compare_all(centers):
        """Lower every row's bound to its distance to ``centers``."""
        block = max(1, _PAIRWISE_FLOATS // len(centers))
        for start in range(0, n_total, block):
            rows = slice(start, min(start + block, n_total))
            np.minimum(bound[rows], distances(rows, centers), out=bound[rows])
        block_sums[:] = blocks.sum(axis=1)

    # The bounds in blocks of _BLOCK rows (zero padded) with each block's sum: a
    # draw reads the block sums and one block, a changed bound one block.
    n_blocks = -(-n_total // _BLOCK)
    blocks = np.zeros((n_blocks, _BLOCK))
    bound = blocks.reshape(-1)
    bound[:n_total] = np.inf
    block_sums = np.zeros(n_blocks)

    def set_bound(row, value):
        bound[row] = value
        block_sums[row // _BLOCK] = blocks[row // _BLOCK].sum()

    def draw():
        """A row drawn with probability ``bound / bound.sum()``."""
        cumulative = np.cumsum(block_sums)
        target = rng.random_sample() * cumulative[-1]
        block = min(int(np.searchsorted(cumulative, target, "right")), n_blocks - 1)
        target = max(target - (cumulative[block - 1] if block else 0.0), 0.0)
        within = np.cumsum(blocks[block])
        row = int(np.searchsorted(within, target, "right"))
        if row == _BLOCK:  # rounding past the block's end: its last positive row
            row = int(np.flatnonzero(blocks[block])[-1])
        return block * _BLOCK + row

    chosen = [_random_argmax(squared_norms, rng)]
    if n_samples == 1:
        return np.asarray(chosen, dtype=np.int64)
    compare_all(chosen)
    compared = 1  # every row has been compared with chosen[:compared]
    while len(chosen) < n_samples:
        set_bound(chosen[-1], 0.0)
        rejected = 0
        while True:
            total = block_sums.sum()
            if not (total > 0 and np.isfinite(total)):
                pick = int(rng.choice(np.setdiff1d(np.arange(n_total), chosen)))
                break
            pick = draw()
            if compared == len(chosen):
                break  # the bounds are the distances
            exact = min(bound[pick], distances([pick], chosen[compared:])[0])
            if rng.random_sample() * bound[pick] < exact:
                break
            set_bound(pick, exact)
            rejected += 1
            if rejected == _PATIENCE:
                compare_all(chosen[compared:])
                compared = len(chosen)
        chosen.append(pick)
    return np.asarray(chosen, dtype=np.int64)


class ClusterMargin(QueryStrategy):
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
    _per_sample_scores = False

    def __init__(self, estimator=None, candidate_factor=10, embed=None):
        self.estimator = estimator
        self.candidate_factor = candidate_factor
        self.embed = embed

    def _select(self, model, X, n_samples, X_labeled, rng):
        margin = _over_chunks(
            lambda chunk: margin_acquisition(predict_proba(model, chunk)), X
        ).astype(np.float64)
        n_samples = min(n_samples, margin.shape[0])
        candidates = top_k(-margin, self.candidate_factor * n_samples, rng)
        if candidates.shape[0] <= n_samples:
            return candidates
        function = self.embed or default_embed
        points = np.asarray(function(model, take_rows(X, candidates)), dtype=np.float64)
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

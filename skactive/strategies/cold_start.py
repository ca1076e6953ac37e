"""Cold start: choosing the first samples to label, before there is a model.

A random initial set can miss a whole class or spend labels on one dense
region. The strategies here look only at the pool's features, so they work
before anything is labeled: as the ``initial_strategy`` of an
:class:`~skactive.ActiveLearner`, or on their own with ``query``.
"""

from numbers import Integral
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from skactive.models import embed
from skactive.strategies._base import BatchStrategy
from skactive.strategies._points import text_pool_features, without_overflow
from skactive.utils._compat import Interval, StrOptions
from skactive.utils.inputs import (
    as_float_array,
    iter_row_chunks,
    materialize,
    n_rows,
    take_rows,
)
from skactive.utils.ranking import rank_within_groups
from skactive.utils.seeding import draw_seed

__all__ = ["KMeansSampling", "TypiClust"]

# Above this many rows the "auto" algorithm switches to MiniBatchKMeans, whose
# cost does not grow with the pool (measured: KMeans on 1e5 x 64 with k=100 takes
# several seconds; MiniBatchKMeans under one).
_MINIBATCH_ROWS = 10_000
# k-means is fitted on at most this many rows: a seeded sample of a larger pool
# (MiniBatchKMeans itself reads about as many: 100 steps of 1,024 rows at most);
# every row is then assigned to its nearest centroid, chunk by chunk, so memory
# stays at the sample's features plus a label per row.
_FIT_ROWS = 100_000


class _LabelFree(BatchStrategy):
    """A batch strategy that reads the pool's features only, never a model."""

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        tags.requires_model = False
        tags.reads_pool_rows = True
        tags.regression = tags.multilabel = True
        return tags


class KMeansSampling(_LabelFree):
    """Query the pool samples nearest the centroids of a k-means clustering.

    A label-free choice that spreads the batch over the pool's dense regions: the
    pool is clustered into ``n_clusters`` (default: one cluster per sample to
    query), and the sample closest to each centroid is taken, the largest
    clusters first. When the batch is larger than the number of clusters, each
    cluster's second-closest sample follows, and so on. Useful as a cold start
    (``ActiveLearner(initial_strategy="kmeans")``), where there is no model yet.

    Features are used as given: scale them first (e.g. ``StandardScaler``) when
    their units differ.

    Parameters
    ----------
    n_clusters : int or None, default=None
        Clusters to form; None uses the batch size.
    algorithm : {"auto", "kmeans", "minibatch"}, default="auto"
        ``KMeans`` or ``MiniBatchKMeans``; "auto" uses the mini-batch version for
        pools of more than 10,000 samples. Either is fitted on at most 100,000
        rows (a seeded sample of a larger pool), and every row is then assigned
        to its nearest centroid chunk by chunk: memory stays near the sample's.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.strategies import KMeansSampling
    >>> X = np.r_[np.zeros((50, 2)), np.full((50, 2), 10.0)]
    >>> X += np.random.RandomState(0).normal(scale=0.1, size=X.shape)
    >>> picked = KMeansSampling().query(X, n_samples=2, random_state=0)
    >>> sorted(X[picked, 0].round())  # one sample from each blob
    [np.float64(0.0), np.float64(10.0)]
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_clusters": [Interval(Integral, 1, None, closed="left"), None],
        "algorithm": [StrOptions({"auto", "kmeans", "minibatch"})],
    }

    def __init__(self, n_clusters=None, algorithm="auto"):
        self.n_clusters = n_clusters
        self.algorithm = algorithm

    def _select_batch(self, model, X, n_samples, context):
        rng = context.random_state
        X = text_pool_features(model, X, "KMeansSampling")
        n = n_rows(X)
        n_clusters = min(n_samples if self.n_clusters is None else self.n_clusters, n)
        kmeans, labels, _ = _cluster(
            X, _sparse_or_dense, n_clusters, self.algorithm, rng
        )
        centers = kmeans.cluster_centers_
        # Squared distance of each sample to its own centroid, chunk by chunk.
        distance = np.empty(n)
        for start, chunk in iter_row_chunks(X):
            rows = slice(start, start + n_rows(chunk))
            distance[rows] = _squared_distances(chunk, centers[labels[rows]])
        # Rank within the cluster (0 = closest to the centroid), then cluster
        # size (largest first), then distance, then a random key for exact ties.
        counts = np.bincount(labels, minlength=centers.shape[0])
        rank = rank_within_groups(labels, counts, np.lexsort((distance, labels)))
        order = np.lexsort((rng.random_sample(n), distance, -counts[labels], rank))
        return order[: min(n_samples, n)].astype(np.int64)


def _squared_distances(chunk, centers):
    """Row-wise ``|x_i - c_i|^2``; a sparse chunk is never densified."""
    chunk = _sparse_or_dense(chunk)
    if sp.issparse(chunk):
        inner = np.asarray(chunk.multiply(centers).sum(axis=1)).ravel()
        norms = np.asarray(chunk.multiply(chunk).sum(axis=1)).ravel()
        squared = norms - 2 * inner + np.einsum("ij,ij->i", centers, centers)
        return np.maximum(squared, 0)
    difference = chunk - centers
    return np.einsum("ij,ij->i", difference, difference)


def _sparse_or_dense(X):
    return as_float_array(X, dtype=np.float64, accept_sparse=True)


def _cluster(X, features_of, n_clusters, algorithm, rng):
    """``(k-means, label of every row, features of all rows or None)``.

    ``features_of(rows)`` embeds a block of rows. k-means is fitted on every row
    of a pool of up to 100,000 rows (whose features are returned), else on a
    seeded sample of 100,000; rows outside it are labeled chunk by chunk.
    """
    n = n_rows(X)
    if n <= _FIT_ROWS:
        features = features_of(materialize(X))
        kmeans = _fit_kmeans(features, n_clusters, algorithm, n, rng)
        return kmeans, kmeans.labels_, features
    sample = np.sort(rng.choice(n, _FIT_ROWS, replace=False))
    kmeans = _fit_kmeans(
        features_of(take_rows(X, sample)), n_clusters, algorithm, n, rng
    )
    labels = np.empty(n, dtype=np.int64)
    for start, chunk in iter_row_chunks(X):
        labels[start : start + n_rows(chunk)] = nearest_centers(
            kmeans, features_of(chunk)
        )
    return kmeans, labels, None


# Rows per block of the centroid assignment: a block's distances to 1,000
# centroids stay in the processor's cache.
_ASSIGN_ROWS = 2048


def nearest_centers(kmeans, features):
    """The index of each row's nearest centroid of a fitted ``kmeans``.

    Dense rows are assigned in blocks, in the rows' own dtype, by one matrix
    product and one argmin per block: ``|c|^2 - 2 x.c`` is the squared distance
    less the row's norm, which does not change the argmin. scikit-learn's
    ``KMeans.predict`` computes the same quantity (in float32 for float32 rows),
    at about 1.5 times the cost (measured: 2e6 x 50 float32 rows, 1,100
    centroids, one thread: 2.8 s against 4.3 s). Sparse rows go to ``predict``.
    Rows past float32's safe range are assigned in float64.
    """
    if sp.issparse(features):
        return kmeans.predict(features)
    features = np.asarray(features)
    centers = np.asarray(kmeans.cluster_centers_, dtype=features.dtype)
    features, centers = without_overflow(features, centers)
    dtype = features.dtype
    scaled = np.ascontiguousarray(-2 * centers.T)
    center_norms = np.einsum("ij,ij->i", centers, centers)
    labels = np.empty(features.shape[0], dtype=np.int64)
    block = np.empty((min(_ASSIGN_ROWS, features.shape[0]), centers.shape[0]), dtype)
    for start in range(0, features.shape[0], _ASSIGN_ROWS):
        rows = np.ascontiguousarray(features[start : start + _ASSIGN_ROWS])
        distances = block[: rows.shape[0]]
        np.matmul(rows, scaled, out=distances)
        distances += center_norms
        labels[start : start + rows.shape[0]] = distances.argmin(axis=1)
    return labels


def _fit_kmeans(features, n_clusters, algorithm, n_pool, rng):
    """k-means (mini-batch above 10,000 rows with "auto"), seeded from ``rng``."""
    minibatch = algorithm == "minibatch" or (
        algorithm == "auto" and n_pool > _MINIBATCH_ROWS
    )
    seed = draw_seed(rng)
    # sklearn.cluster and sklearn.neighbors are imported when a query needs them.
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if minibatch:
        # One initialisation, scikit-learn's default for k-means++ (three cost
        # 1.1 s more at 1,100 clusters); the sample's own labels only when the
        # sample is the pool (a larger pool is assigned whole afterwards).
        kmeans = MiniBatchKMeans(
            n_clusters,
            random_state=seed,
            n_init=1,
            compute_labels=n_pool == features.shape[0],
        )
    else:
        kmeans = KMeans(n_clusters, random_state=seed, n_init=1)
    return kmeans.fit(features)


class TypiClust(_LabelFree):
    """TypiClust: the most typical sample of each of the largest uncovered clusters.

    Hacohen et al. (2022) show that with very few labels, typical samples teach
    more than uncertain ones. The pool is clustered by k-means into
    ``n_labeled + n_samples`` clusters (or ``n_clusters``); clusters holding no
    labeled sample come first, the largest first, and from each the most typical
    sample is taken: the one with the smallest mean distance to its
    ``k_neighbors`` nearest neighbours in its cluster. A larger batch continues
    with each cluster's next most typical sample. Label-free: it reads only
    features (the model's embedding when a model is given), so it serves as a
    cold start, ``ActiveLearner(initial_strategy=TypiClust())``.

    The neighbour search costs the square of a cluster's size, so a cluster of
    more than 4,096 samples is measured on a seeded sample of 4,096 of them
    (neighbours searched within the sample), and its most typical sample is
    taken from that sample: a cold start of 20 to 100 samples from 300,000
    rows takes 3.1 s instead of 8.8 s, at the same accuracy
    (``benchmarks/bench_cold_start.py``).

    Parameters
    ----------
    n_clusters : int or None, default=None
        Clusters to form; None uses the labeled count plus the batch size.
    k_neighbors : int, default=20
        Neighbours whose mean distance measures typicality (fewer in clusters
        that are smaller).
    algorithm : {"auto", "kmeans", "minibatch"}, default="auto"
        As in :class:`KMeansSampling`.

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.strategies import TypiClust
    >>> X = np.r_[np.zeros((50, 2)), np.full((50, 2), 10.0)]
    >>> X += np.random.RandomState(0).normal(scale=0.5, size=X.shape)
    >>> picked = TypiClust().query(X, n_samples=2, random_state=0)
    >>> sorted(X[picked, 0].round())  # the core of each blob
    [np.float64(0.0), np.float64(10.0)]
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_clusters": [Interval(Integral, 1, None, closed="left"), None],
        "k_neighbors": [Interval(Integral, 1, None, closed="left")],
        "algorithm": [StrOptions({"auto", "kmeans", "minibatch"})],
    }

    def __init__(self, n_clusters=None, k_neighbors=20, algorithm="auto"):
        self.n_clusters = n_clusters
        self.k_neighbors = k_neighbors
        self.algorithm = algorithm

    def _select_batch(self, model, X, n_samples, context):
        rng, X_labeled = context.random_state, context.X_labeled
        n, n_labeled = n_rows(X), context.n_labeled
        n_clusters = self.n_clusters or n_labeled + n_samples
        n_clusters = min(n_clusters, n)

        def features_of(rows):  # float32 stays float32, as in scikit-learn's k-means
            return as_float_array(embed(model, rows))

        kmeans, labels, features = _cluster(
            X, features_of, n_clusters, self.algorithm, rng
        )
        counts = np.bincount(labels, minlength=n_clusters)
        covered = np.zeros(n_clusters, dtype=bool)
        if n_labeled:
            covered[nearest_centers(kmeans, features_of(X_labeled))] = True
        if features is None:  # a large pool: each cluster's rows, one at a time

            def features_at(rows):
                return features_of(take_rows(X, rows))

        else:

            def features_at(rows):
                return features[rows]

        n_picks = min(n_samples, n)
        needed = _clusters_that_can_be_picked(counts, covered, n_picks)
        atypical = _atypicality(
            features_at, labels, counts, self.k_neighbors, needed, rng
        )
        tie_break = rng.random_sample(n)
        if n_picks <= np.count_nonzero(counts):
            # One sample per cluster at most: the batch is the most typical
            # sample of each of the first clusters; only theirs are ranked.
            rows = _most_typical(labels, atypical, needed)
            cluster = labels[rows]
            order = np.lexsort(
                (tie_break[rows], atypical[rows], -counts[cluster], covered[cluster])
            )
            return rows[order[:n_picks]].astype(np.int64)
        rank = rank_within_groups(labels, counts, np.lexsort((atypical, labels)))
        order = np.lexsort(
            (tie_break, atypical, -counts[labels], covered[labels], rank)
        )
        return order[:n_picks].astype(np.int64)


def _most_typical(labels, atypical, needed):
    """The row of least atypicality in each ``needed`` cluster (the first such
    row on a tie: the rank-0 row of ``rank_within_groups``)."""
    rows = np.flatnonzero(needed[labels])
    rows = rows[np.lexsort((atypical[rows], labels[rows]))]
    first = np.r_[True, labels[rows[1:]] != labels[rows[:-1]]]
    return rows[first]


def _clusters_that_can_be_picked(counts, covered, n_picks):
    """The clusters whose most typical sample can be in the batch.

    The batch is the most typical sample of each cluster, the clusters ordered
    by (covered, larger first), then by that sample's atypicality. When the
    batch takes one sample from fewer clusters than there are, only the
    clusters ranked at or above the last one taken by that key (ties
    included) can reach it; the others' atypicality changes nothing picked.
    """
    filled = counts > 0
    if n_picks >= np.count_nonzero(filled):
        return filled  # a batch of more than one sample per cluster: all of them
    candidates = np.flatnonzero(filled)
    key = np.lexsort((-counts[candidates], covered[candidates]))
    last = candidates[key[n_picks - 1]]
    cutoff = (covered[last], -counts[last])
    needed = filled & (
        (covered < cutoff[0]) | ((covered == cutoff[0]) & (-counts <= cutoff[1]))
    )
    return needed


# A cluster of more members is measured on a seeded sample of this many: the
# neighbour search costs the square of the members measured (a cold start of 20
# samples from 2e6 rows would otherwise search 1e10 pairs in each cluster).
_MAX_MEMBERS = 4096


def _atypicality(features_at, labels, counts, k_neighbors, needed=None, rng=None):
    """Mean distance of each sample to its nearest neighbours in its cluster
    (the inverse of TypiClust's typicality; a lone sample gets infinity), for
    the clusters ``needed`` (all when None; the others' stay infinite).

    A cluster of more than ``_MAX_MEMBERS`` members is measured on a sample of
    them drawn from ``rng`` (neighbours searched within the sample); the
    members outside it stay infinite, after the sample in the cluster's order.
    """
    from sklearn.neighbors import NearestNeighbors

    atypical = np.full(labels.shape[0], np.inf)
    wanted = counts > 1 if needed is None else (counts > 1) & needed
    rows = np.flatnonzero(wanted[labels])
    rows = rows[np.argsort(labels[rows], kind="stable")]
    bounds = np.concatenate([[0], np.cumsum(counts[wanted])])
    sampler = None
    for i in range(bounds.shape[0] - 1):  # a loop over clusters, not samples
        members = rows[bounds[i] : bounds[i + 1]]
        if members.shape[0] > _MAX_MEMBERS:
            if sampler is None:  # drawn only when needed: smaller pools unchanged
                sampler = np.random.default_rng(draw_seed(rng))
            members = np.sort(sampler.choice(members, _MAX_MEMBERS, replace=False))
        k = min(k_neighbors, members.shape[0] - 1)
        # float64: scikit-learn's float64 search is the faster one (measured:
        # 48 ms against 66 ms for 3,000 x 50 points), and the more exact.
        points = np.asarray(features_at(members), dtype=np.float64)
        neighbors = NearestNeighbors(n_neighbors=k + 1).fit(points)
        distances, _ = neighbors.kneighbors(points)
        atypical[members] = distances[:, 1:].mean(axis=1)  # skip the sample itself
    return atypical

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
from sklearn.cluster import KMeans, MiniBatchKMeans

from skactive.strategies._base import QueryStrategy
from skactive.utils._compat import Interval, StrOptions
from skactive.utils._rows import iter_row_chunks, n_rows

__all__ = ["KMeansSampling"]

# Above this many rows the "auto" algorithm switches to MiniBatchKMeans, whose
# cost does not grow with the pool (measured: KMeans on 1e5 x 64 with k=100 takes
# several seconds; MiniBatchKMeans under one).
_MINIBATCH_ROWS = 10_000


def _dense(chunk):
    if sp.issparse(chunk):
        return chunk.toarray()
    if hasattr(chunk, "detach"):
        return chunk.detach().cpu().numpy()
    return np.asarray(chunk, dtype=np.float64)


def _features(X):
    """``X`` in a form scikit-learn's k-means accepts (keeps sparse sparse)."""
    if sp.issparse(X):
        return X.tocsr()
    return _dense(X)


class KMeansSampling(QueryStrategy):
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
        pools of more than 10,000 samples.

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

    _needs_model = False
    _per_sample_scores = False
    _parameter_constraints: ClassVar[dict] = {
        "n_clusters": [Interval(Integral, 1, None, closed="left"), None],
        "algorithm": [StrOptions({"auto", "kmeans", "minibatch"})],
    }

    def __init__(self, n_clusters=None, algorithm="auto"):
        self.n_clusters = n_clusters
        self.algorithm = algorithm

    def _select(self, model, X, n_samples, X_labeled, rng):
        n = n_rows(X)
        n_clusters = min(n_samples if self.n_clusters is None else self.n_clusters, n)
        minibatch = self.algorithm == "minibatch" or (
            self.algorithm == "auto" and n > _MINIBATCH_ROWS
        )
        seed = int(rng.randint(np.iinfo(np.int32).max))
        if minibatch:
            kmeans = MiniBatchKMeans(n_clusters, random_state=seed, n_init=3)
        else:
            kmeans = KMeans(n_clusters, random_state=seed, n_init=1)
        labels = kmeans.fit(_features(X)).labels_
        centers = kmeans.cluster_centers_
        # Squared distance of each sample to its own centroid, chunk by chunk.
        distance = np.empty(n)
        for start, chunk in iter_row_chunks(X):
            rows = slice(start, start + n_rows(chunk))
            difference = _dense(chunk) - centers[labels[rows]]
            distance[rows] = np.einsum("ij,ij->i", difference, difference)
        # Rank within the cluster (0 = closest to the centroid), then cluster
        # size (largest first), then distance, then a random key for exact ties.
        counts = np.bincount(labels, minlength=centers.shape[0])
        rank = _rank_within(labels, counts, np.lexsort((distance, labels)))
        order = np.lexsort((rng.random_sample(n), distance, -counts[labels], rank))
        return order[: min(n_samples, n)].astype(np.int64)


def _rank_within(groups, counts, grouped):
    """Each sample's rank within its group, given ``grouped``: the samples sorted
    by group (and within a group in the order that defines the rank)."""
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(groups.shape[0], dtype=np.int64)
    rank[grouped] = np.arange(groups.shape[0]) - np.repeat(starts, counts)
    return rank


def _stratified_draw(y, n_samples, rng):
    """Positions of ``n_samples`` labels drawn in proportion to the classes of ``y``.

    Every class gets one sample before any gets a second (when ``n_samples``
    allows; otherwise a random subset of classes gets one each). The rest are
    shared in proportion to the class sizes by largest remainders (each class
    within one of its exact share); within a class the samples are random.
    """
    y = np.asarray(y)
    n = y.shape[0]
    n_samples = min(n_samples, n)
    _, encoded, counts = np.unique(y, return_inverse=True, return_counts=True)
    n_classes = counts.shape[0]
    # A random order, then each sample's rank within its class in that order.
    permutation = rng.permutation(n)
    grouped = permutation[np.argsort(encoded[permutation], kind="stable")]
    rank = _rank_within(encoded, counts, grouped)
    if n_samples <= n_classes:
        firsts = np.flatnonzero(rank == 0)
        return rng.permutation(firsts)[:n_samples].astype(np.int64)
    rest = n_samples - n_classes
    quota = (counts - 1) / (n - n_classes) * rest
    extra = np.floor(quota).astype(np.int64)
    leftover = rest - int(extra.sum())
    by_remainder = np.lexsort((rng.random_sample(n_classes), -(quota - extra)))
    extra[by_remainder[:leftover]] += 1
    chosen = np.flatnonzero(rank <= extra[encoded])
    return rng.permutation(chosen).astype(np.int64)

"""Greedy batch geometry on embeddings: farthest-first traversal and k-means++.

Pure numerics on arrays, shared by the diversity strategies. Each pick costs one
pass of ``O(n_rows * n_dimensions)``; nothing of size ``n_rows ** 2`` is built,
and both greedies prune with distance bounds so that most picks touch a small
share of the pool while choosing exactly what the plain greedy would.

The points may be a float ndarray or any :class:`~skactive.utils.pools.Pool` of
float rows (a simulation's view, a dask pool, a net's embedding recomputed
chunk by chunk): every pass goes through the pool's own operations
(``map_rows``, ``take``, ``rows_between``), in chunks of about 8 MiB, never
asking what kind of pool it is.
"""

import numpy as np
import scipy.sparse as sp

from skactive.utils.inputs import chunk_rows, n_rows
from skactive.utils.pools import as_pool
from skactive.utils.ranking import random_argmax

__all__ = ["LazyKMeansPlusPlus", "farthest_first", "nearest_squared_distances"]

# Floats in one block of point-to-center distances: 4 Mi, 16 MiB in float32.
_PAIRWISE_FLOATS = 2**22
# Labeled samples whose distances bound everyone's distance before the exact pass.
_BOUND_CENTERS = 64
# The first exact pass covers the rows of highest bound: this many per pick, and
# at least this share of the pool; four times more at each retry.
_CANDIDATES_PER_PICK, _CANDIDATE_SHARE = 32, 1 / 16


def _row_norms(block):
    if sp.issparse(block):  # a text pool's tf-idf, kept sparse
        return np.asarray(block.multiply(block).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", block, block)


def _dense_rows(rows, dtype):
    """A few rows (centers, a pick) as a dense array: a sparse pool's too."""
    if sp.issparse(rows):
        return rows.toarray().astype(dtype, copy=False)
    return np.asarray(rows, dtype=dtype)


def _squared_norms(points):
    """Squared norm of every row, chunk by chunk."""
    return as_pool(points).map_rows(_row_norms)


def points_dtype(points):
    """The float dtype of an ndarray or of a pool's rows."""
    return as_pool(points).dtype


def _product(block, vector):
    return block @ vector


def _matvec(points, vector):
    """``points @ vector``, chunk by chunk."""
    return as_pool(points).map_rows(_product, vector)


def _rows(points, rows):
    """Rows of ``points`` (a slice or positions) as an ndarray (a pool's
    chunks holding some read once)."""
    pool = as_pool(points)
    if isinstance(rows, slice):
        return pool.rows_between(rows.start or 0, rows.stop)
    return pool.take(rows)


def _block_rows(points, n_centers):
    """Rows per block of point-to-center distances: at most 4 Mi floats, and
    at most one input chunk."""
    return max(1, min(_PAIRWISE_FLOATS // max(n_centers, 1), chunk_rows(points)))


def _update_nearest(nearest, points, squared_norms, center):
    """Lower ``nearest`` (squared distance to the closest center) for a new center.

    In place: one matrix-vector product over the embedding and a few passes over
    ``n`` floats, in the embedding's own precision.
    """
    distance = _matvec(
        points, _dense_rows(_rows(points, [center]), squared_norms.dtype)[0]
    )
    distance *= -2
    distance += squared_norms
    distance += squared_norms[center]
    np.maximum(distance, 0, out=distance)
    np.minimum(nearest, distance, out=nearest)


def nearest_squared_distances(points, centers):
    """Squared distance of each point to its nearest center.

    Chunks of rows against all centers, one BLAS product each, in the points'
    precision: 2-4x faster than ``pairwise_distances_argmin_min`` in float32.
    A dask pool's blocks are compared where they are, each in its own task.
    """
    pool = as_pool(points)
    centers = _dense_rows(centers, pool.dtype)
    return pool.map_rows(_nearest_in_chunk, centers, _row_norms(centers))


def _nearest_in_chunk(chunk, centers, center_norms):
    """:func:`nearest_squared_distances` of one chunk, in blocks of at most
    4 Mi distances."""
    n_total = n_rows(chunk)
    rows = _block_rows(chunk, centers.shape[0])
    nearest = np.empty(n_total, dtype=np.float64)
    for start in range(0, n_total, rows):
        block = chunk[start : start + rows]
        distance = block @ centers.T
        distance *= -2
        distance += center_norms
        smallest = distance.min(axis=1)
        smallest += _row_norms(block)
        nearest[start : start + rows] = np.maximum(smallest, 0)
    return nearest


def _nearest_gain(rows, nearest):
    return nearest.copy()


def _norms_and_nearest(block, centers):
    """A block's squared norms and squared distances to ``centers``, stacked."""
    return np.stack([_row_norms(block), nearest_squared_distances(block, centers)], 1)


def _norms_and_bounds(points, centers, gain):
    """Every row's squared norm, and an upper bound of its gain: its distance
    to a few centers (one pass over a dask pool for both)."""
    bound_centers = centers
    if centers.shape[0] > 2 * _BOUND_CENTERS:
        spread = np.linspace(0, centers.shape[0] - 1, _BOUND_CENTERS)
        bound_centers = centers[spread.astype(np.int64)]
    # One pass for both (an embedding recomputed per pass is computed once).
    both = as_pool(points).map_rows(_norms_and_nearest, bound_centers)
    squared_norms = both[:, 0].astype(points_dtype(points))  # exact: float32 in
    nearest = both[:, 1].copy()
    # Allowance for the rounding of |x|^2 + |c|^2 - 2 <x, c> in the points' dtype.
    slack = (
        64
        * np.finfo(points_dtype(points)).eps
        * (squared_norms.max() + _row_norms(centers).max())
    )
    nearest += slack
    return squared_norms, gain(slice(None), nearest)


def _candidate_rows(bound, n_candidates):
    """The ``n_candidates`` rows of highest bound, and the largest bound left out."""
    n_total = bound.shape[0]
    if n_candidates >= n_total:
        return np.arange(n_total), -np.inf
    split = np.argpartition(bound, n_total - n_candidates)
    rows = np.sort(split[n_total - n_candidates :])
    return rows, bound[split[: n_total - n_candidates]].max()


def farthest_first(points, centers, n_samples, rng, gain=None):
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
    from the same random state). The picks are those of the greedy on the whole
    pool, at a small fraction of its cost.

    Parameters
    ----------
    points : ndarray of shape (n_rows, n_dimensions), or a Pool of such rows
        The pool's embedding.
    centers : ndarray of shape (n_centers, n_dimensions) or None
        The labeled samples' embedding.
    n_samples : int
        Picks to make.
    rng : RandomState
        Breaks ties.
    gain : callable or None, default=None
        ``gain(rows, nearest) -> scores`` for the rows ``rows`` (an index or a
        slice) whose squared distances to the nearest center are ``nearest``.

    Returns
    -------
    indices : ndarray of shape (min(n_samples, n_rows),), int64
    """
    gain = _nearest_gain if gain is None else gain
    n_total = n_rows(points)
    n_samples = min(n_samples, n_total)
    chosen = []
    if centers is None or centers.shape[0] == 0:
        first = random_argmax(gain(slice(None), np.full(n_total, np.inf)), rng)
        chosen.append(first)
        centers = _dense_rows(_rows(points, [first]), points_dtype(points))
    if len(chosen) == n_samples:
        return np.asarray(chosen, dtype=np.int64)
    squared_norms, bound = _norms_and_bounds(points, centers, gain)
    bound[chosen] = -np.inf
    state = rng.get_state()
    n_candidates = max(
        _CANDIDATES_PER_PICK * n_samples, int(_CANDIDATE_SHARE * n_total)
    )
    while True:
        rows, left_out = _candidate_rows(bound, n_candidates)
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
    """The greedy of :func:`farthest_first` on ``rows`` only: the positions
    picked in ``rows`` and the gain of the last pick."""
    local = _rows(points, rows)
    local_norms = squared_norms[rows]
    nearest = nearest_squared_distances(local, centers)
    taken = np.flatnonzero(np.isin(rows, chosen))
    nearest[taken] = 0.0
    picks = []
    last = np.inf
    for _ in range(n_samples - len(chosen)):
        score = gain(rows, nearest)
        score[taken] = -np.inf
        score[picks] = -np.inf
        pick = random_argmax(score, rng)
        last = score[pick]
        picks.append(pick)
        _update_nearest(nearest, local, local_norms, pick)
    return np.asarray(picks, dtype=np.int64), last


# Rejected draws in one pick before every row is compared with every center.
_PATIENCE = 3
# Rows per block of the bounds: a draw reads the block sums and one block.
_BLOCK = 1024


def _factored_in_blocks(features, residual, squared_norms, center, bias2):
    """:func:`_factored_distances` of a chunk, in blocks of at most 4 Mi."""
    rows = _block_rows(features, center[0].shape[0])
    if features.shape[0] <= rows:
        return _factored_distances(features, residual, squared_norms, center, bias2)
    return np.concatenate(
        [
            _factored_distances(
                features[start : start + rows],
                residual[start : start + rows],
                squared_norms[start : start + rows],
                center,
                bias2,
            )
            for start in range(0, features.shape[0], rows)
        ]
    )


def _factored_distances(features, residual, squared_norms, center, bias2):
    """Squared distances of rows to their nearest center, the embeddings
    ``residual (x) features`` never built; ``center`` is the centers'
    ``(features, residual, squared_norms)``."""
    center_features, center_residual, center_norms = center
    feature_inner = features @ center_features.T
    if bias2:
        feature_inner += bias2
    inner = (residual @ center_residual.T) * feature_inner
    inner *= -2
    inner += squared_norms[:, None]
    inner += center_norms
    return np.maximum(inner.min(axis=1), 0)


class LazyKMeansPlusPlus:
    """k-means++ seeding on the embeddings ``residual[i] (x) features[i]``.

    The first center is the largest embedding (as in BADGE); each next one is
    drawn with probability proportional to its squared distance to the nearest
    center. When every remaining distance is 0 (copies, constant features), the
    next center is drawn uniformly. The embeddings are never built: their inner
    products factorize, ``<g_i, g_j> = <r_i, r_j> <h_i, h_j>``.

    Lazily, and still exactly: each row keeps an upper bound of its distance,
    its distance to the centers it was last compared with. A row drawn from the
    bounds is compared with the newer centers and kept with probability
    ``distance / bound`` (rejection sampling: the kept row follows the exact
    distances); a rejected row keeps its exact distance and the draw is
    repeated. After ``patience`` rejections within one pick, every row is
    compared with the centers it has not seen, in one blocked pass.

    Parameters
    ----------
    residual : ndarray of shape (n_rows, n_classes)
        ``p - onehot(argmax p)``.
    features : ndarray of shape (n_rows, n_dimensions), or a Pool of such rows
        The last layer's input.
    patience : int, default=3
        Rejections in one pick before the full pass.
    bias : float or None, default=None
        A constant last feature that ``features`` leaves out (a linear model's
        intercept input, 1): it adds ``bias ** 2`` to every inner product of
        features, so the pool is never copied to append it.
    feature_norms : ndarray of shape (n_rows,) or None, default=None
        The features' squared norms, when a pass that computed the residual
        had them (a lazy embedding is then computed once less); None computes
        them.
    """

    def __init__(
        self, residual, features, patience=_PATIENCE, bias=None, feature_norms=None
    ):
        self.residual, self.features, self.patience = residual, features, patience
        self.bias2 = 0.0 if bias is None else float(bias) ** 2
        self.n_rows = residual.shape[0]
        if feature_norms is None:  # one pass over the features
            feature_norms = _squared_norms(features)
        self.squared_norms = _row_norms(residual) * (feature_norms + self.bias2)
        # The bounds in blocks of _BLOCK rows (zero padded) with each block's sum.
        self.n_blocks = -(-self.n_rows // _BLOCK)
        self.blocks = np.zeros((self.n_blocks, _BLOCK))
        self.bound = self.blocks.reshape(-1)
        self.bound[: self.n_rows] = np.inf
        self.block_sums = np.zeros(self.n_blocks)

    def distances(self, rows, centers):
        """Squared distance of ``rows`` to their nearest center of ``centers``."""
        residual = self.residual
        rows = np.asarray(rows, dtype=np.int64)
        # The rows and the centers read in one take (one pass where they live).
        both = _rows(self.features, np.r_[rows, np.asarray(centers, np.int64)])
        row_features, center_features = np.split(both, [rows.shape[0]])
        return _factored_distances(
            row_features,
            residual[rows],
            self.squared_norms[rows],
            (center_features, residual[centers], self.squared_norms[centers]),
            self.bias2,
        )

    def compare_all(self, centers):
        """Lower every row's bound to its distance to ``centers``."""
        centers = np.asarray(centers, dtype=np.int64)
        center = (
            _rows(self.features, centers),
            self.residual[centers],
            self.squared_norms[centers],
        )
        # One pass, each chunk where it lives (recomputed, for a lazy embedding).
        distance = as_pool(self.features).map_rows(
            _factored_in_blocks,
            center,
            self.bias2,
            row_args=(self.residual, self.squared_norms),
        )
        bound = self.bound[: self.n_rows]
        np.minimum(bound, distance, out=bound)
        self.block_sums[:] = self.blocks.sum(axis=1)

    def set_bound(self, row, value):
        self.bound[row] = value
        self.block_sums[row // _BLOCK] = self.blocks[row // _BLOCK].sum()

    def draw(self, rng):
        """A row drawn with probability ``bound / bound.sum()``."""
        cumulative = np.cumsum(self.block_sums)
        target = rng.random_sample() * cumulative[-1]
        block = int(np.searchsorted(cumulative, target, "right"))
        block = min(block, self.n_blocks - 1)
        target = max(target - (cumulative[block - 1] if block else 0.0), 0.0)
        within = np.cumsum(self.blocks[block])
        row = int(np.searchsorted(within, target, "right"))
        if row == _BLOCK:  # rounding past the block's end: its last positive row
            row = int(np.flatnonzero(self.blocks[block])[-1])
        return block * _BLOCK + row

    def _next_center(self, chosen, compared, rng):
        """One pick: ``(row, how many centers every row has been compared with)``."""
        self.set_bound(chosen[-1], 0.0)
        for rejected in range(1, self.patience + 2):
            total = self.block_sums.sum()
            if not (total > 0 and np.isfinite(total)):
                rest = np.setdiff1d(np.arange(self.n_rows), chosen)
                return int(rng.choice(rest)), compared
            pick = self.draw(rng)
            if compared == len(chosen):
                return pick, compared  # the bounds are the distances
            exact = min(self.bound[pick], self.distances([pick], chosen[compared:])[0])
            if rng.random_sample() * self.bound[pick] < exact:
                return pick, compared
            self.set_bound(pick, exact)
            if rejected == self.patience:
                self.compare_all(chosen[compared:])
                compared = len(chosen)
        raise AssertionError("unreachable: the bounds are exact after the full pass")

    def select(self, n_samples, rng):
        """The first ``min(n_samples, n_rows)`` centers, in pick order (int64)."""
        n_samples = min(n_samples, self.n_rows)
        chosen = [random_argmax(self.squared_norms, rng)]
        if n_samples > 1:
            self.compare_all(chosen)
        compared = 1  # every row has been compared with chosen[:compared]
        while len(chosen) < n_samples:
            pick, compared = self._next_center(chosen, compared, rng)
            chosen.append(pick)
        return np.asarray(chosen, dtype=np.int64)

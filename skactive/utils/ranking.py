"""Ranking with random ties: top-k over a whole array or streamed over chunks.

Query strategies return positions in priority order, and equal scores must be
ordered at random from ``random_state``, never by position: a pool sorted by
class would otherwise always give its first rows.
"""

import numpy as np
from sklearn.utils import check_random_state

__all__ = [
    "StreamingTopK",
    "candidates",
    "finish_top_k",
    "random_argmax",
    "rank_within_groups",
    "top_k",
]


def _candidates(scores, k):
    """Positions of ``scores`` that can be in a top-k: all >= the k-th largest.

    Keeping every tie of the k-th value lets the final choice among ties be
    random rather than decided by position.
    """
    if scores.shape[0] <= k:
        return np.arange(scores.shape[0])
    kth = np.partition(scores, scores.shape[0] - k)[scores.shape[0] - k]
    return np.flatnonzero(scores >= kth)


def candidates(scores, k):
    """Positions of ``scores`` that can be in a top-k (all >= the k-th largest,
    ties included), in position order."""
    return _candidates(scores, k)


def finish_top_k(positions, scores, k, random_state):
    """The top ``k`` of candidate ``positions`` with ``scores``, best first,
    ties broken at random from ``random_state`` as :func:`top_k` does."""
    return _finish_top_k(positions, scores, k, check_random_state(random_state))


def _finish_top_k(positions, scores, k, rng):
    """The top ``k`` of candidate ``positions`` with ``scores``, ties at random."""
    if scores.shape[0] > k:
        kth = np.partition(scores, scores.shape[0] - k)[scores.shape[0] - k]
        above = np.flatnonzero(scores > kth)
        tied = np.flatnonzero(scores == kth)
        chosen = rng.choice(tied, size=k - above.shape[0], replace=False)
        keep = np.concatenate([above, chosen])
        positions, scores = positions[keep], scores[keep]
    # Sort by score, descending; a random key orders equal scores.
    order = np.lexsort((rng.random_sample(scores.shape[0]), -scores))
    return positions[order].astype(np.int64, copy=False)


def top_k(scores, k, random_state=None):
    """Positions of the ``k`` largest scores, largest first, ties in random order.

    Parameters
    ----------
    scores : ndarray of shape (n,)
        Scores; higher means query first. NaN is not allowed.
    k : int
        How many to return; ``min(k, n)`` are returned.
    random_state : int, RandomState instance or None, default=None
        Breaks ties, both at the k-th place (which of the tied samples get in) and
        in the order of the result.

    Returns
    -------
    indices : ndarray of shape (min(k, n),), int64

    Examples
    --------
    >>> top_k(np.array([0.1, 0.9, 0.5, 0.7]), 2)
    array([1, 3])
    """
    scores = np.asarray(scores)
    rng = check_random_state(random_state)
    return _finish_top_k(np.arange(scores.shape[0]), scores, k, rng)


class StreamingTopK:
    """The top ``k`` of scores that arrive chunk by chunk, in O(chunk + k) memory.

    Each chunk keeps only its candidates (every score >= its k-th largest, ties
    included); the running candidates are pruned when they pass ``4 k``.
    :meth:`result` then breaks the remaining ties at random, exactly as
    :func:`top_k` on the concatenated scores would.

    Parameters
    ----------
    k : int
        How many positions to keep.

    Examples
    --------
    >>> stream = StreamingTopK(2)
    >>> stream.push(0, np.array([0.1, 0.9]))
    >>> stream.push(2, np.array([0.5, 0.7]))
    >>> stream.result(np.random.RandomState(0))
    array([1, 3])
    """

    def __init__(self, k):
        self.k = k
        self._positions, self._scores = [], []
        self._n_kept, self._prune_above = 0, 4 * k

    def push(self, start, scores):
        """Add the scores of the rows ``start, start + 1, ...``."""
        keep = _candidates(scores, self.k)
        self._positions.append(keep + start)
        self._scores.append(scores[keep])
        self._n_kept += keep.shape[0]
        if self._n_kept > self._prune_above:
            positions, scores = self._merged()
            keep = _candidates(scores, self.k)
            self._positions, self._scores = [positions[keep]], [scores[keep]]
            self._n_kept = keep.shape[0]
            # Many ties survive pruning; doubling the bound keeps the total
            # pruning work linear in the pool size even then.
            self._prune_above = max(self._prune_above, 2 * self._n_kept)

    def _merged(self):
        if not self._positions:
            return np.empty(0, dtype=np.int64), np.empty(0)
        return np.concatenate(self._positions), np.concatenate(self._scores)

    def kept(self):
        """``(positions, scores)`` kept so far (the candidates and, until the
        next pruning, a few more): :func:`finish_top_k` of them is
        :meth:`result`."""
        return self._merged()

    def candidates(self):
        """``(positions, scores)`` of the candidates kept so far."""
        positions, scores = self._merged()
        keep = _candidates(scores, self.k)
        return positions[keep], scores[keep]

    def result(self, random_state):
        """Positions of the top ``k``, best first, ties in random order."""
        positions, scores = self._merged()
        rng = check_random_state(random_state)
        return _finish_top_k(positions, scores, self.k, rng)


def random_argmax(values, random_state):
    """Position of the largest value, ties broken at random."""
    best = np.flatnonzero(values == values.max())
    if best.shape[0] == 1:
        return int(best[0])
    return int(check_random_state(random_state).choice(best))


def rank_within_groups(groups, counts, grouped):
    """Each sample's rank within its group.

    Parameters
    ----------
    groups : ndarray of shape (n,), int
        Group of each sample, in ``0 .. len(counts) - 1``.
    counts : ndarray of shape (n_groups,)
        Size of each group.
    grouped : ndarray of shape (n,)
        The samples sorted by group, and within a group in the order that defines
        the rank.

    Returns
    -------
    rank : ndarray of shape (n,), int64
        0 for the first sample of its group in ``grouped``.

    Examples
    --------
    >>> groups = np.array([1, 0, 1, 0])
    >>> rank_within_groups(groups, np.bincount(groups), np.array([3, 1, 0, 2]))
    array([0, 1, 1, 0])
    """
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(groups.shape[0], dtype=np.int64)
    rank[grouped] = np.arange(groups.shape[0]) - np.repeat(starts, counts)
    return rank

"""The first labels of a simulation: random, stratified, or label-free.

Drawn before any model exists: by the learners' ``fit`` in simulation mode
(:class:`~skactive.ActiveLearner`, :class:`~skactive.ActiveRegressor`) and by a
:class:`~skactive.LabelingSession` while nothing is labeled.
``initial_strategy`` names one of these draws or gives a query strategy whose
tags say it needs no model.
"""

import numpy as np

from skactive.strategies import KMeansSampling, get_strategy_tags
from skactive.utils.inputs import n_rows
from skactive.utils.ranking import rank_within_groups

__all__ = ["initial_draw"]


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
    rank = rank_within_groups(encoded, counts, grouped)
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


def initial_draw(initial, X, y, n_initial, rng):
    """Positions of the initial labeled set of a simulation."""
    if initial == "random":
        return rng.choice(n_rows(X), size=n_initial, replace=False)
    if initial == "stratified":
        if np.ndim(y) != 1:
            raise ValueError(
                'initial_strategy="stratified" draws in proportion to the classes '
                "of y, and a multilabel y has no single class per sample: use "
                '"random" or "kmeans".'
            )
        return _stratified_draw(y, n_initial, rng)
    if initial == "kmeans":
        initial = KMeansSampling()
    if get_strategy_tags(initial).requires_model:
        raise ValueError(
            f"initial_strategy={type(initial).__name__}(...) needs a fitted "
            "model, but the initial set is chosen before anything is labeled. "
            'Use "random", "stratified", "kmeans" or a strategy that needs no '
            "model, such as RandomSampling() or KMeansSampling()."
        )
    return initial.select(None, X, n_initial, random_state=rng)

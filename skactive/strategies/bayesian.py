"""Bayesian strategies: query where samples of the model disagree.

Each reads samples of the predictive distribution from
:func:`skactive.models.predict_proba_samples`: MC dropout masks of a net with
dropout, the members of a :class:`~skactive.Committee`, the trees of a random
forest. One seed is drawn per query, so every chunk of the pool is scored by the
same K networks.
"""

from numbers import Integral
from typing import ClassVar

import numpy as np

from skactive.acquisition import (
    bald_acquisition,
    entropy_acquisition,
    mean_std,
    variation_ratios,
)
from skactive.models import predict_proba_samples
from skactive.strategies._base import BatchStrategy
from skactive.strategies._disagreement import SampleDisagreement
from skactive.utils._compat import Interval
from skactive.utils.inputs import iter_row_chunks, n_rows
from skactive.utils.ranking import top_k
from skactive.utils.seeding import draw_seed

__all__ = [
    "BALD",
    "BALDAcquisition",
    "BatchBALD",
    "MeanStd",
    "VariationRatios",
]


class BALD(SampleDisagreement):
    """Bayesian Active Learning by Disagreement (Houlsby et al. 2011).

    Queries the samples whose label would tell most about the model: the mutual
    information between label and parameters, estimated from K samples of the
    model (:func:`~skactive.acquisition.bald_acquisition`). High where the samples
    are each confident but disagree; unlike entropy, it ignores noise that every
    sample of the model agrees on. ``BALDAcquisition`` is the same class.

    Parameters
    ----------
    estimator : model or None, default=None
        For standalone use (``query``): an ``MCDropout``, a ``Committee``, a net
        with dropout, a fitted ensemble or a list of fitted models. Inside an
        :class:`~skactive.ActiveLearner` leave it None.
    n_samples : int or None, default=None
        Monte Carlo dropout masks for a net. None uses the model's own count
        (``MCDropout.n_samples``), or 20 for a net with dropout. A committee or an
        ensemble gives one sample per member whatever this is.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skactive.strategies import BALD
    >>> X, y = load_iris(return_X_y=True)
    >>> forest = RandomForestClassifier(n_estimators=10, random_state=0)
    >>> forest.fit(X[::10], y[::10])
    RandomForestClassifier(n_estimators=10, random_state=0)
    >>> BALD(forest).query(X, n_samples=5, random_state=0).shape
    (5,)
    """

    def _disagreement(self, samples):
        return bald_acquisition(samples)


#: The name of the user's guide: ``BALDAcquisition(MCDropout(model)).query(pool)``.
BALDAcquisition = BALD


class VariationRatios(SampleDisagreement):
    """Query where the fewest samples of the model vote for the modal class.

    ``1 - f / K`` with ``f`` the votes of the most voted class among K samples
    (:func:`~skactive.acquisition.variation_ratios`; Gal et al. 2017). Many
    samples tie, which are then ordered at random.

    Parameters
    ----------
    estimator : model or None, default=None
        As in :class:`BALD`.
    n_samples : int or None, default=None
        Monte Carlo dropout masks for a net. None uses the model's own count
        (``MCDropout.n_samples``), or 20 for a net with dropout. A committee or an
        ensemble gives one sample per member whatever this is.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skactive.strategies import VariationRatios
    >>> X, y = load_iris(return_X_y=True)
    >>> forest = RandomForestClassifier(n_estimators=10, random_state=0)
    >>> forest = forest.fit(X[::10], y[::10])
    >>> VariationRatios(forest).query(X, n_samples=3, random_state=0).shape
    (3,)
    """

    def _disagreement(self, samples):
        return variation_ratios(samples)


class MeanStd(SampleDisagreement):
    """Query where the class probabilities vary most across samples of the model.

    The standard deviation over K samples, averaged over classes
    (:func:`~skactive.acquisition.mean_std`; Kampffmeyer et al. 2016).

    Parameters
    ----------
    estimator : model or None, default=None
        As in :class:`BALD`.
    n_samples : int or None, default=None
        Monte Carlo dropout masks for a net. None uses the model's own count
        (``MCDropout.n_samples``), or 20 for a net with dropout. A committee or an
        ensemble gives one sample per member whatever this is.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skactive.strategies import MeanStd
    >>> X, y = load_iris(return_X_y=True)
    >>> forest = RandomForestClassifier(n_estimators=10, random_state=0)
    >>> forest = forest.fit(X[::10], y[::10])
    >>> MeanStd(forest).query(X, n_samples=3, random_state=0).shape
    (3,)
    """

    def _disagreement(self, samples):
        return mean_std(samples)


# Floats held by one block of candidate scores (configurations x candidates x
# classes): 4 Mi floats, 16 MiB in float32.
_BLOCK_FLOATS = 2**22


class BatchBALD(BatchStrategy):
    """BatchBALD: a batch whose labels jointly tell most about the model.

    Top-k BALD takes the k most informative samples one by one, so a batch spends
    labels on near-copies: once one is labeled, its twin tells little. BatchBALD
    (Kirsch et al. 2019) chooses greedily by the mutual information between the
    *joint* labels of the batch and the model: each pick maximizes
    ``I(y_batch, y_n; model) - I(y_batch; model)``, the information ``y_n`` adds
    given the labels already chosen. Its first pick is BALD's.

    The joint entropy of the batch's labels is exact while the label
    configurations number at most ``max_joint_configs`` (``n_classes ** b`` for a
    batch of ``b``). Beyond, it is estimated from that many configurations drawn
    afresh at each step from the model, the same number from each member
    (stratified), all in log space. Candidates are evaluated lazily (Minoux's
    lazy greedy): a sample's gain never exceeds its gain at an earlier step
    (mutual information is submodular), so only samples whose last gain still
    beats the best one found are recomputed. With exact configurations the choice
    is the plain greedy one; with sampled ones the last estimate serves as the
    bound (measured: the same joint information as evaluating every candidate).

    The samples must share their draws of the model across the pool, which
    committees, ensembles and skactive's MC dropout (one mask per sample for
    every row) do.

    **Candidate prefilter.** The pool is scored chunk by chunk, and only the
    ``n_candidates`` samples of highest BALD keep their samples ``(K, C)``: the
    memory is ``K * n_candidates * C`` floats, not ``K * n_pool * C`` (20 x 1e6 x
    10 is 1.5 GiB in float64). A sample's gain never exceeds its BALD, so a
    sample left out could only have been picked where a pick's gain fell below
    the largest BALD left out; ``benchmarks/bench_memory.py`` measures the joint
    information lost against the whole pool.

    Parameters
    ----------
    estimator : model or None, default=None
        As in :class:`BALD`.
    n_samples : int or None, default=None
        Monte Carlo dropout masks for a net. None uses the model's own count
        (``MCDropout.n_samples``), or 20 for a net with dropout. A committee or an
        ensemble gives one sample per member whatever this is.
    max_joint_configs : int, default=1000
        Label configurations of the batch kept: the exact joint while
        ``n_classes ** b`` fits, sampled configurations beyond. Time and memory of
        each pick grow linearly with it.
    n_candidates : int or None, default=10_000
        Samples of highest BALD among which the batch is chosen (at least the
        batch size); None keeps the whole pool.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skactive.strategies import BatchBALD
    >>> X, y = load_iris(return_X_y=True)
    >>> forest = RandomForestClassifier(n_estimators=10, random_state=0)
    >>> forest = forest.fit(X[::10], y[::10])
    >>> BatchBALD(forest).query(X, n_samples=5, random_state=0).shape
    (5,)
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": "no_validation",
        "n_samples": [Interval(Integral, 1, None, closed="left"), None],
        "max_joint_configs": [Interval(Integral, 1, None, closed="left")],
        "n_candidates": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        estimator=None,
        n_samples=None,
        max_joint_configs=1000,
        n_candidates=10_000,
    ):
        self.estimator = estimator
        self.n_samples = n_samples
        self.max_joint_configs = max_joint_configs
        self.n_candidates = n_candidates

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        tags.reads_pool_rows = True  # scored chunk by chunk
        return tags

    def _select_batch(self, model, X, n_samples, context):
        rng = context.random_state
        seed = draw_seed(rng)
        keep = n_rows(X) if self.n_candidates is None else self.n_candidates
        rows, samples = _top_bald_samples(
            model, X, self.n_samples, seed, max(keep, n_samples)
        )
        picks = _batchbald(samples, n_samples, self.max_joint_configs, rng)
        return rows[picks]


def _top_bald_samples(model, X, n_samples, seed, n_keep):
    """``(rows, samples)`` of the ``n_keep`` rows of highest BALD, in pool order.

    Chunk by chunk, with the same seed for every chunk (one draw of the model
    for the whole pool): only the kept rows' samples ``(K, n_keep, C)`` and one
    chunk's are in memory. Equal BALD at the cut keeps the earlier rows.
    """
    rows, scores, kept = np.empty(0, dtype=np.int64), np.empty(0), None
    for start, chunk in iter_row_chunks(X):
        samples = np.asarray(predict_proba_samples(model, chunk, n_samples, seed))
        bald = np.asarray(bald_acquisition(samples), dtype=np.float64)
        if np.isnan(bald).any():
            raise ValueError(
                "BatchBALD got NaN probabilities; check the model and the pool."
            )
        rows = np.concatenate([rows, start + np.arange(bald.shape[0])])
        scores = np.concatenate([scores, bald])
        kept = samples if kept is None else np.concatenate([kept, samples], axis=1)
        if rows.shape[0] > n_keep:
            best = np.sort(np.lexsort((rows, -scores))[:n_keep])
            rows, scores, kept = rows[best], scores[best], kept[:, best]
    return rows, kept


def _batchbald(samples, n_samples, max_configs, rng):
    """Greedy BatchBALD picks from ``samples`` ``(K, N, C)``, in pick order."""
    import torch  # BatchBALD runs in torch

    # BALD in the samples' own precision, as the BALD strategy computes it, so
    # the first pick is BALD's; the greedy steps run in float32.
    bald = np.asarray(bald_acquisition(samples), dtype=np.float64)
    probs = torch.as_tensor(np.asarray(samples, dtype=np.float32))
    n_members, n_pool, n_classes = probs.shape
    n_samples = min(n_samples, n_pool)
    if np.isnan(bald).any():
        raise ValueError(
            "BatchBALD got NaN probabilities; check the model and the pool."
        )
    conditional = entropy_acquisition(probs).double().mean(0).numpy()

    def log_probs(rows):  # (K, len(rows), C) for the chosen rows only
        return probs[:, rows].double().clamp(min=1e-30).log()

    chosen = [int(top_k(bald, 1, rng)[0])]
    # Upper bounds of each gain: its last computed value (submodularity).
    bounds = bald.copy()
    bounds[chosen[0]] = -np.inf
    # log p(configuration | member k), configurations x members.
    log_joint = log_probs(chosen[0]).T.contiguous()
    exact = n_classes <= max_configs
    if not exact:
        log_joint = _sample_configurations(log_probs(chosen), max_configs, rng)
    while len(chosen) < n_samples:
        gains_of = _gain_function(probs, log_joint, exact, conditional)
        pick = _lazy_argmax(bounds, gains_of, log_joint.shape[0] * n_classes, rng)
        chosen.append(pick)
        bounds[pick] = -np.inf
        if exact and log_joint.shape[0] * n_classes <= max_configs:
            log_joint = (log_joint[:, None, :] + log_probs(pick).T[None]).reshape(
                -1, n_members
            )
        else:
            # Fresh draws at every step: the estimate of one step does not carry
            # the sampling error of the last.
            exact = False
            log_joint = _sample_configurations(log_probs(chosen), max_configs, rng)
    return np.asarray(chosen, dtype=np.int64)


def _gain_function(probs, log_joint, exact, conditional):
    """Map candidate positions to ``H(y_n | y_batch) - H(y_n | model)``.

    ``H(y_n | y_batch)`` averages, over configurations of the batch's labels, the
    entropy of ``y_n`` under the posterior of the members given the
    configuration; exact configurations are weighted by their probability,
    sampled ones equally.
    """
    import torch  # BatchBALD runs in torch

    n_members = probs.shape[0]
    posterior = torch.softmax(log_joint, dim=1).float()  # (M, K)
    if exact:
        weights = torch.exp(torch.logsumexp(log_joint, dim=1) - np.log(n_members))
    else:
        weights = torch.full((log_joint.shape[0],), 1.0 / log_joint.shape[0])
    weights = weights.float()

    def gains(candidates):
        block = probs[:, torch.from_numpy(candidates)]  # (K, B, C)
        n_block, n_classes = block.shape[1], block.shape[2]
        mixed = posterior @ block.reshape(n_members, -1)  # (M, B*C)
        entropy = torch.special.entr(mixed).view(-1, n_block, n_classes).sum(-1)
        joint = (weights @ entropy).double().numpy()
        return joint - conditional[candidates]

    return gains


def _lazy_argmax(bounds, gains_of, floats_per_candidate, rng):
    """The candidate of largest gain, recomputing only those whose bound can win.

    Equal bounds are visited in random order, so equal gains are won at random.
    """
    order = np.lexsort((rng.random_sample(bounds.shape[0]), -bounds))
    block_size = max(16, min(4096, _BLOCK_FLOATS // max(floats_per_candidate, 1)))
    best_gain, best = -np.inf, int(order[0])
    start = 0
    size = min(64, block_size)
    while start < order.shape[0] and bounds[order[start]] > best_gain:
        candidates = order[start : start + size]
        candidates = candidates[np.isfinite(bounds[candidates])]
        if candidates.size == 0:
            break
        gains = gains_of(candidates)
        bounds[candidates] = gains
        top = int(np.argmax(gains))
        if gains[top] > best_gain:
            best_gain, best = gains[top], int(candidates[top])
        start += size
        size = min(2 * size, block_size)
    return best


def _sample_configurations(log_probs_chosen, n_draws, rng):
    """Label configurations of the chosen rows drawn from the model, stratified.

    Each member draws the same number of configurations (its labels independent
    given the member), so the draws follow the mixture over members with less
    variance than drawing the member at random (as batchbald_redux also does).
    Returns their log-likelihood under every member, ``(n_draws, K)``.
    """
    import torch  # BatchBALD runs in torch

    n_members, n_chosen, _ = log_probs_chosen.shape
    per_member = max(1, n_draws // n_members)
    cumulative = torch.cumsum(log_probs_chosen.exp(), dim=-1).numpy()  # (K, b, C)
    uniform = rng.random_sample((n_members, per_member, n_chosen, 1))
    uniform *= cumulative[:, None, :, -1:]
    labels = (cumulative[:, None] < uniform).sum(-1)  # (K, S, b)
    labels = np.minimum(labels, cumulative.shape[-1] - 1).reshape(-1, n_chosen)
    rows = torch.arange(n_chosen)[None, :]
    likelihood = log_probs_chosen[:, rows, torch.from_numpy(labels)]  # (K, M, b)
    return likelihood.sum(-1).T.contiguous()


def __getattr__(name):
    # QueryByCommittee moved to skactive.strategies.committee; its old path works.
    if name == "QueryByCommittee":
        from skactive.strategies.committee import QueryByCommittee

        return QueryByCommittee
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

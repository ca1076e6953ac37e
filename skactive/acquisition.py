"""Acquisition functions: pure math on arrays of class probabilities.

Each function takes probabilities of shape ``(..., n_classes)`` (the last axis holds
the classes: ``(n_samples, n_classes)`` for one model, ``(n_models, n_samples,
n_classes)`` for samples of a Bayesian model) and returns one value per row, of shape
``(...)``. A numpy array in gives a numpy array out, a torch tensor gives a tensor on
the same device, and the dtype is kept (float32 stays float32).

Orientation follows the names, as users of these functions expect:

* :func:`entropy_acquisition`: higher is more uncertain.
* :func:`least_confidence_acquisition`: the largest probability; lower is more
  uncertain.
* :func:`margin_acquisition`: the gap between the two largest probabilities; lower
  is more uncertain.

Probabilities of exactly 0 and 1 are safe: ``0 * log(0)`` counts as 0.

Disagreement functions take samples of a Bayesian model or the members of a
committee, of shape ``(n_members, ..., n_classes)`` (the first axis holds the
members or Monte Carlo samples), and return one value per row, of shape ``(...)``;
higher is more disagreement, so query the largest values first:

* :func:`bald_acquisition`: mutual information between the label and the model.
* :func:`variation_ratios`: the share of members outside the modal vote.
* :func:`mean_std`: the standard deviation over members, averaged over classes.
* :func:`vote_entropy`: the entropy of the members' votes.
* :func:`kl_to_consensus`: the mean KL divergence of each member to their mean.
"""

import sys

import numpy as np

__all__ = [
    "bald_acquisition",
    "entropy_acquisition",
    "kl_to_consensus",
    "least_confidence_acquisition",
    "margin_acquisition",
    "mean_std",
    "normalized_uncertainty",
    "score_orientation",
    "variation_ratios",
    "vote_entropy",
]


def _is_tensor(values):
    """Whether ``values`` is a torch tensor; torch is not imported to find out
    (a tensor cannot exist before it is), so numpy users never pay for it."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(values, torch.Tensor)


def _as_probabilities(probs, name):
    """Return ``probs`` as a floating ndarray or tensor with a class axis."""
    if not _is_tensor(probs):
        probs = np.asarray(probs)
        if not np.issubdtype(probs.dtype, np.floating):
            if probs.dtype == object or not np.issubdtype(probs.dtype, np.number):
                raise TypeError(
                    f"{name} expects an array of probabilities, got dtype "
                    f"{probs.dtype}."
                )
            probs = probs.astype(np.float64)
    elif not probs.is_floating_point():
        import torch

        probs = probs.to(torch.get_default_dtype())
    if probs.ndim < 1 or probs.shape[-1] == 0:
        raise ValueError(
            f"{name} expects probabilities of shape (..., n_classes) with at least "
            f"one class, got shape {tuple(probs.shape)}."
        )
    return probs


def entropy_acquisition(probs):
    """Shannon entropy of each probability vector, in nats.

    Higher entropy means a more uncertain prediction, so query the largest values
    first. It is 0 for a one-hot vector and ``log(n_classes)`` for a uniform one.

    Parameters
    ----------
    probs : ndarray or torch.Tensor of shape (..., n_classes)
        Class probabilities, each row summing to 1.

    Returns
    -------
    entropy : ndarray or torch.Tensor of shape (...)
        Same type, dtype and device as ``probs``.

    Examples
    --------
    >>> import numpy as np
    >>> entropy_acquisition(np.array([[0.5, 0.5], [1.0, 0.0]])).round(4)
    array([0.6931, 0.    ])
    """
    probs = _as_probabilities(probs, "entropy_acquisition")
    if _is_tensor(probs):
        import torch

        return torch.special.entr(probs).sum(dim=-1)
    # log of the smallest normal number instead of log(0): p * log(p) is then an
    # exact 0 at p = 0, with no warning and no mask; einsum fuses the product and
    # the sum, about 1.7x faster than scipy.special.entr(p).sum(-1).
    tiny = np.finfo(probs.dtype).tiny
    log_probs = np.log(np.maximum(probs, tiny))
    entropy = np.einsum("...c,...c->...", probs, log_probs)
    np.negative(entropy, out=entropy)
    # Rounding can leave -0.0 or -1e-17 on one-hot rows; entropy is never negative.
    return np.maximum(entropy, 0, out=entropy)


def least_confidence_acquisition(probs):
    """Confidence of each prediction: its largest class probability.

    Lower confidence means a more uncertain prediction, so query the smallest
    values first (sort ascending).

    Parameters
    ----------
    probs : ndarray or torch.Tensor of shape (..., n_classes)
        Class probabilities.

    Returns
    -------
    confidence : ndarray or torch.Tensor of shape (...)
        Same type, dtype and device as ``probs``; values in ``[1 / n_classes, 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> least_confidence_acquisition(np.array([[0.2, 0.8], [0.5, 0.5]]))
    array([0.8, 0.5])
    """
    probs = _as_probabilities(probs, "least_confidence_acquisition")
    if _is_tensor(probs):
        return probs.amax(dim=-1)
    return probs.max(axis=-1)


def margin_acquisition(probs):
    """Margin of each prediction: largest minus second-largest class probability.

    A smaller margin means the model hesitates between two classes, so query the
    smallest values first (sort ascending). With a single class the margin is the
    probability itself (1).

    Parameters
    ----------
    probs : ndarray or torch.Tensor of shape (..., n_classes)
        Class probabilities.

    Returns
    -------
    margin : ndarray or torch.Tensor of shape (...)
        Same type, dtype and device as ``probs``; values in ``[0, 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> margin_acquisition(np.array([[0.1, 0.3, 0.6], [0.5, 0.5, 0.0]]))
    array([0.3, 0. ])
    """
    probs = _as_probabilities(probs, "margin_acquisition")
    if probs.shape[-1] == 1:
        first = probs[..., 0]
        return first.clone() if _is_tensor(first) else first.copy()
    if _is_tensor(probs):
        top2 = probs.topk(2, dim=-1).values
        return top2[..., 0] - top2[..., 1]
    top2 = np.partition(probs, -2, axis=-1)[..., -2:]
    return top2[..., 1] - top2[..., 0]


# Which way each of our functions points: +1 when higher means query first.
# UncertaintySampling uses it so that any of the three can be passed by name or as
# the function itself; a user's own function must score higher = query first.
_ORIENTATION = {
    entropy_acquisition: 1.0,
    least_confidence_acquisition: -1.0,
    margin_acquisition: -1.0,
}


def score_orientation(function):
    """1.0 when higher values of ``function`` mean more uncertain, else -1.0.

    Entropy grows with uncertainty; margin and least confidence (the top
    probability) shrink with it. Any other function is taken as higher = more
    uncertain.

    Examples
    --------
    >>> score_orientation(margin_acquisition)
    -1.0
    """
    return _ORIENTATION.get(function, 1.0)


def _as_samples(samples, name):
    """Return ``samples`` as probabilities with a member axis and a class axis."""
    samples = _as_probabilities(samples, name)
    if samples.ndim < 2 or samples.shape[0] == 0:
        raise ValueError(
            f"{name} expects samples of shape (n_members, ..., n_classes) with at "
            f"least one member, got shape {tuple(samples.shape)}. Get them from "
            "skactive.models.predict_proba_samples."
        )
    return samples


def _clip_nonnegative(values):
    """Clamp float rounding below zero (a difference of entropies) to zero."""
    if _is_tensor(values):
        return values.clamp_(min=0)
    return np.maximum(values, 0, out=values)


def _votes(samples):
    """Vote counts ``(..., n_classes)``: how many members predict each class."""
    n_classes = samples.shape[-1]
    if _is_tensor(samples):
        import torch

        votes = torch.nn.functional.one_hot(samples.argmax(dim=-1), n_classes)
        return votes.sum(dim=0).to(samples.dtype)
    one_hot = samples.argmax(axis=-1)[..., None] == np.arange(n_classes)
    return one_hot.sum(axis=0, dtype=samples.dtype)


def bald_acquisition(samples):
    """BALD: mutual information between a sample's label and the model parameters.

    The entropy of the mean prediction minus the mean entropy of the members'
    predictions (Houlsby et al. 2011). It is large where the members are each
    confident but disagree (epistemic uncertainty), and 0 where they agree, however
    uncertain each of them is. Values lie in ``[0, log(n_classes)]``.

    Parameters
    ----------
    samples : ndarray or torch.Tensor of shape (n_members, ..., n_classes)
        Class probabilities from each Monte Carlo sample or committee member.

    Returns
    -------
    mutual_information : ndarray or torch.Tensor of shape (...)
        Same type, dtype and device as ``samples``; higher is queried first.

    Examples
    --------
    Two members, sure of opposite classes on the first sample and agreeing on the
    second:

    >>> import numpy as np
    >>> samples = np.array([[[1.0, 0.0], [0.5, 0.5]], [[0.0, 1.0], [0.5, 0.5]]])
    >>> bald_acquisition(samples).round(4)
    array([0.6931, 0.    ])
    """
    samples = _as_samples(samples, "bald_acquisition")
    mean_entropy = entropy_acquisition(samples).mean(0)
    information = entropy_acquisition(samples.mean(0)) - mean_entropy
    return _clip_nonnegative(information)


def kl_to_consensus(samples):
    """Mean Kullback-Leibler divergence of each member's prediction to the consensus.

    The consensus is the members' mean prediction; this is McCallum and Nigam's
    (1998) disagreement for query by committee. With the arithmetic-mean consensus
    it equals :func:`bald_acquisition`, computed here from its own definition.

    Parameters
    ----------
    samples : ndarray or torch.Tensor of shape (n_members, ..., n_classes)
        Class probabilities from each committee member or Monte Carlo sample.

    Returns
    -------
    divergence : ndarray or torch.Tensor of shape (...)
        Same type, dtype and device as ``samples``; non-negative, higher is queried
        first.

    Examples
    --------
    >>> import numpy as np
    >>> samples = np.array([[[0.9, 0.1]], [[0.1, 0.9]]])
    >>> kl_to_consensus(samples).round(4)
    array([0.3681])
    """
    samples = _as_samples(samples, "kl_to_consensus")
    consensus = samples.mean(0)
    if _is_tensor(samples):
        import torch

        # kl_div(log q, p) is p * (log p - log q), with 0 where p is 0.
        tiny = torch.finfo(samples.dtype).tiny
        log_consensus = consensus.clamp(min=tiny).log()
        divergence = torch.nn.functional.kl_div(
            log_consensus.expand_as(samples), samples, reduction="none"
        )
        return _clip_nonnegative(divergence.sum(dim=-1).mean(dim=0))
    tiny = np.finfo(samples.dtype).tiny
    log_ratio = np.log(np.maximum(samples, tiny)) - np.log(np.maximum(consensus, tiny))
    divergence = np.einsum("k...c,k...c->...", samples, log_ratio) / samples.shape[0]
    return _clip_nonnegative(np.asarray(divergence, dtype=samples.dtype))


def variation_ratios(samples):
    """Share of members that do not vote for the most voted class.

    ``1 - f / n_members``, with ``f`` the number of members whose most probable
    class is the modal one (Freeman 1965; Gal et al. 2017). It is 0 when all members
    agree and at most ``1 - 1 / n_classes``.

    Parameters
    ----------
    samples : ndarray or torch.Tensor of shape (n_members, ..., n_classes)
        Class probabilities from each member or Monte Carlo sample.

    Returns
    -------
    ratio : ndarray or torch.Tensor of shape (...)
        Same type, dtype and device as ``samples``; higher is queried first.

    Examples
    --------
    >>> import numpy as np
    >>> samples = np.array([[[0.9, 0.1]], [[0.2, 0.8]], [[0.7, 0.3]], [[0.6, 0.4]]])
    >>> variation_ratios(samples)
    array([0.25])
    """
    samples = _as_samples(samples, "variation_ratios")
    counts = _votes(samples)
    modal = counts.amax(dim=-1) if _is_tensor(counts) else counts.max(-1)
    return 1 - modal / samples.shape[0]


def vote_entropy(samples):
    """Entropy of the members' votes (each member votes for its most probable class).

    The classic disagreement of query by committee (Dagan and Engelson 1995): 0 when
    all members vote alike, ``log(min(n_members, n_classes))`` at most.

    Parameters
    ----------
    samples : ndarray or torch.Tensor of shape (n_members, ..., n_classes)
        Class probabilities (or one-hot votes) from each member.

    Returns
    -------
    entropy : ndarray or torch.Tensor of shape (...)
        Same type, dtype and device as ``samples``; higher is queried first.

    Examples
    --------
    >>> import numpy as np
    >>> samples = np.array([[[0.9, 0.1]], [[0.2, 0.8]]])
    >>> vote_entropy(samples).round(4)
    array([0.6931])
    """
    samples = _as_samples(samples, "vote_entropy")
    return entropy_acquisition(_votes(samples) / samples.shape[0])


def mean_std(samples):
    """Standard deviation of each class probability over members, averaged over classes.

    The mean standard deviation of Kampffmeyer et al. (2016): ``mean_c
    sqrt(E[p_c^2] - E[p_c]^2)`` with the expectation over members. It is 0 when
    the members agree.

    Parameters
    ----------
    samples : ndarray or torch.Tensor of shape (n_members, ..., n_classes)
        Class probabilities from each member or Monte Carlo sample.

    Returns
    -------
    std : ndarray or torch.Tensor of shape (...)
        Same type, dtype and device as ``samples``; higher is queried first.

    Examples
    --------
    >>> import numpy as np
    >>> samples = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    >>> mean_std(samples)
    array([0.5])
    """
    samples = _as_samples(samples, "mean_std")
    if _is_tensor(samples):
        return samples.std(dim=0, correction=0).mean(dim=-1)
    return samples.std(axis=0).mean(axis=-1)


def normalized_uncertainty(probs, measure="entropy"):
    """Uncertainty in [0, 1]: 0 for a one-hot row, 1 for the uniform one.

    Parameters
    ----------
    probs : array-like of shape (n_samples, n_classes)
        Class probabilities.
    measure : {"entropy", "margin", "least_confidence"}, default="entropy"
        Entropy over its maximum ``log(n_classes)``; one minus the margin
        between the top two classes; or one minus the top probability, scaled
        by ``n_classes / (n_classes - 1)``.

    Returns
    -------
    uncertainty : ndarray of shape (n_samples,)

    Examples
    --------
    >>> normalized_uncertainty([[1.0, 0.0], [0.5, 0.5]], "margin").tolist()
    [0.0, 1.0]
    """
    probs = np.asarray(probs, dtype=np.float64)
    n_classes = probs.shape[1]
    if n_classes < 2:
        return np.zeros(probs.shape[0])
    if measure == "entropy":
        return entropy_acquisition(probs) / np.log(n_classes)
    if measure == "margin":
        return 1.0 - margin_acquisition(probs)
    top = least_confidence_acquisition(probs)
    return (1.0 - top) * n_classes / (n_classes - 1)

"""Decision-theoretic strategies: expected model change and expected error reduction.

Settles (2009), sections 3.4 and 3.5. ``ExpectedModelChange`` is closed form on
the last layer (one pass over the pool); ``ExpectedErrorReduction`` retrains the
model once per candidate and label, so it suits small pools and fast models, or
subsampled candidates.
"""

import copy
import itertools
from numbers import Integral
from typing import ClassVar

import numpy as np
from joblib import effective_n_jobs
from scipy.special import xlogy
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils.parallel import Parallel, delayed

from skactive.models import last_layer_inputs, predict_proba
from skactive.strategies._base import BatchStrategy, PerSampleStrategy
from skactive.utils._compat import Interval, StrOptions, is_linear_classifier
from skactive.utils.inputs import concat_rows, iter_row_chunks, n_rows, take_rows
from skactive.utils.progress import progress_bar
from skactive.utils.ranking import top_k

__all__ = ["ExpectedErrorReduction", "ExpectedModelChange"]


def expected_gradient_length(proba, features):
    """``sum_c p_c ||(p - e_c) h^T||``: the expected norm of the last layer's
    loss gradient, were the sample labeled with a class drawn from ``p``.

    ``||(p - e_c) h^T|| = ||p - e_c|| ||h||`` and
    ``||p - e_c||^2 = ||p||^2 - 2 p_c + 1``, so nothing of size
    ``n_classes * n_dimensions`` is built.
    """
    proba = np.asarray(proba, dtype=np.float64)
    squared = np.einsum("ij,ij->i", proba, proba)
    residual_norms = np.sqrt(np.maximum(squared[:, None] - 2 * proba + 1, 0))
    feature_norms = np.sqrt(np.einsum("ij,ij->i", features, features))
    return np.einsum("ij,ij->i", proba, residual_norms) * feature_norms


class ExpectedModelChange(PerSampleStrategy):
    """Expected gradient length: query where a label would move the model most.

    Settles, Craven and Ray (2008). The score of a sample is the expectation,
    under the model's predicted class distribution ``p``, of the norm of the
    cross-entropy gradient with respect to the last layer's weights were the
    sample added with that label: ``sum_c p_c ||p - e_c|| ||h||``, where ``h``
    is the last layer's input (a net's penultimate activations; for a linear
    model, the features with a constant 1 for the intercept). Closed form,
    vectorized, one chunked pass over the pool.

    For a binary linear model (one weight vector) the gradient norm is
    ``|p_1 - y| ||h||``, :math:`\\sqrt{2}` times smaller than the two-class
    softmax's: the same ranking.

    Parameters
    ----------
    estimator : fitted model or None, default=None
        A net or a linear model (``coef_``), for standalone use; inside an
        ActiveLearner leave it None.
    embed : callable or None, default=None
        ``embed(model, X) -> h``, the last layer's input, for other models with
        ``predict_proba``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import ExpectedModelChange
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=500).fit(X[::10], y[::10])
    >>> ExpectedModelChange(model).query(X, n_samples=5, random_state=0).shape
    (5,)
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": "no_validation",
        "embed": [callable, None],
    }

    def __init__(self, estimator=None, embed=None):
        self.estimator = estimator
        self.embed = embed

    def _score(self, model, X, random_state):
        return expected_gradient_length(*last_layer_inputs(model, X, self.embed))


def _warm_start_param(model):
    """The parameter that makes ``model`` refit from its current solution: a
    linear classifier's ``warm_start`` (also as the last step of a Pipeline).
    None for models whose warm start means something else (forests add trees).
    """
    if isinstance(model, Pipeline):
        if any(hasattr(step, "vocabulary_") for _, step in model.steps[:-1]):
            # A vectorizer refitted on one more text may change its vocabulary,
            # and the last step's width with it: the old solution would not fit.
            return None
        name, last = model.steps[-1]
        inner = _warm_start_param(last)
        return None if inner is None else f"{name}__{inner}"
    if is_linear_classifier(model) and "warm_start" in model.get_params(deep=False):
        return "warm_start"
    return None


def _retraining(model, retrain):
    """How ``model`` takes one more labeled sample: the resolved ``retrain``."""
    can_partial_fit = callable(getattr(model, "partial_fit", None))
    can_warm_start = _warm_start_param(model) is not None
    if retrain == "auto":
        if can_partial_fit:
            return "partial_fit"
        return "warm_start" if can_warm_start else "refit"
    if retrain == "partial_fit" and not can_partial_fit:
        raise TypeError(
            f"retrain='partial_fit' needs a model with partial_fit; "
            f"{type(model).__name__} has none. Use retrain='refit' or 'auto'."
        )
    if retrain == "warm_start" and not can_warm_start:
        raise TypeError(
            f"retrain='warm_start' needs a linear classifier with a warm_start "
            f"parameter (LogisticRegression, ..., or a Pipeline ending in one, "
            "without a vectorizer whose vocabulary a refit changes); "
            f"{type(model).__name__} is not one. Use retrain='refit' or 'auto'."
        )
    if retrain == "refit" and not hasattr(model, "get_params"):
        raise TypeError(
            f"{type(model).__name__} cannot be cloned and refitted; "
            "ExpectedErrorReduction needs a scikit-learn-style estimator."
        )
    return retrain


def _with_label(model, how, X_labeled, y_labeled, x, label):
    """The model retrained with the labeled set plus ``(x, label)``."""
    if how == "partial_fit":
        updated = copy.deepcopy(model)
        updated.partial_fit(x, np.asarray([label], dtype=y_labeled.dtype))
        return updated
    X_new = concat_rows(X_labeled, x)
    y_new = np.append(y_labeled, np.asarray([label], dtype=y_labeled.dtype))
    if how == "warm_start":
        updated = copy.deepcopy(model)
        updated.set_params(**{_warm_start_param(model): True})
        return updated.fit(X_new, y_new)
    return clone(model).fit(X_new, y_new)


def _pool_loss(model, X_eval, loss):
    """Mean expected loss on ``X_eval`` under the model's own predictions."""
    total = 0.0
    for _, chunk in iter_row_chunks(X_eval):
        proba = np.asarray(predict_proba(model, chunk), dtype=np.float64)
        if loss == "log_loss":
            total += -xlogy(proba, proba).sum()
        else:
            total += (1.0 - proba.max(axis=1)).sum()
    return total / n_rows(X_eval)


def _expected_losses(
    model, how, X_labeled, y_labeled, X_candidates, proba, X_eval, loss, classes
):
    """``sum_c p_c loss(model + (x, c))`` for each candidate row."""
    losses = np.zeros(n_rows(X_candidates))
    for row in range(n_rows(X_candidates)):
        x = take_rows(X_candidates, [row])
        for column, label in enumerate(classes):
            if proba[row, column] > 0:  # a label of probability 0 weighs nothing
                updated = _with_label(model, how, X_labeled, y_labeled, x, label)
                losses[row] += proba[row, column] * _pool_loss(updated, X_eval, loss)
    return losses


class ExpectedErrorReduction(BatchStrategy):
    """Query the sample whose label is expected to lower the pool's loss most.

    Roy and McCallum (2001). For each candidate ``x`` and each class ``c``, the
    model is retrained with ``(x, c)`` added to the labeled set, and its expected
    loss on the evaluation pool is measured under its own predictions (the
    labels of the pool being unknown):

    - ``"log_loss"``: the mean entropy of the predicted distributions;
    - ``"zero_one"``: the mean of ``1 - max_k p(k | u)``.

    The score of ``x`` is ``sum_c p(c | x) loss(x, c)``; the batch is the
    ``n_samples`` candidates of lowest score. Costs ``n_candidates * n_classes``
    retrainings, each followed by predictions on ``n_eval`` rows: subsample both
    for large pools.

    Parameters
    ----------
    estimator : fitted model or None, default=None
        For standalone use (with ``X_labeled`` and ``y_labeled``); inside an
        ActiveLearner leave it None.
    loss : {"log_loss", "zero_one"}, default="log_loss"
        The loss whose expectation on the pool is reduced.
    n_candidates : int or None, default=None
        Candidates scored, drawn at random (seeded) from the pool; None scores
        every sample. At least ``n_samples`` are drawn.
    n_eval : int or None, default=None
        Pool samples the loss is measured on, drawn at random (seeded); None uses
        the whole pool.
    retrain : {"auto", "partial_fit", "warm_start", "refit"}, default="auto"
        How the model takes the extra sample: ``"partial_fit"`` updates a copy
        of the fitted model with the one sample (naive Bayes, SGD, nets);
        ``"warm_start"`` refits a copy of a linear classifier on the augmented
        set from its current solution; ``"refit"`` fits a clone from scratch.
        ``"auto"`` takes the first the model supports.
    n_jobs : int or None, default=None
        Candidates are scored in parallel with joblib.
    verbose : int, default=0
        When positive, a tqdm bar counts the candidate blocks scored.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.strategies import ExpectedErrorReduction
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=500).fit(X[::10], y[::10])
    >>> strategy = ExpectedErrorReduction(model, n_candidates=20, n_eval=50)
    >>> strategy.query(
    ...     X, n_samples=3, X_labeled=X[::10], y_labeled=y[::10], random_state=0
    ... ).shape
    (3,)
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": "no_validation",
        "loss": [StrOptions({"log_loss", "zero_one"})],
        "n_candidates": [Interval(Integral, 1, None, closed="left"), None],
        "n_eval": [Interval(Integral, 1, None, closed="left"), None],
        "retrain": [StrOptions({"auto", "partial_fit", "warm_start", "refit"})],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator=None,
        loss="log_loss",
        n_candidates=None,
        n_eval=None,
        retrain="auto",
        n_jobs=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.loss = loss
        self.n_candidates = n_candidates
        self.n_eval = n_eval
        self.retrain = retrain
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        tags.requires_labels = True
        tags.reads_pool_rows = True  # reads only the candidates' and eval rows
        return tags

    def _select_batch(self, model, X, n_samples, context):
        rng = context.random_state
        X_labeled, y_labeled = context.X_labeled, context.y_labeled
        n_pool = n_rows(X)
        n_samples = min(n_samples, n_pool)
        candidates = _subsample(n_pool, self.n_candidates, n_samples, rng)
        evaluation = _subsample(n_pool, self.n_eval, 1, rng)
        losses = self._expected_losses(
            model,
            take_rows(X, candidates),
            take_rows(X, evaluation),
            X_labeled,
            y_labeled,
        )
        return candidates[top_k(-losses, n_samples, rng)]

    def _expected_losses(self, model, X_candidates, X_eval, X_labeled, y_labeled):
        """The expected pool loss after labeling each candidate (lower first)."""
        how = _retraining(model, self.retrain)
        proba = np.asarray(predict_proba(model, X_candidates), dtype=np.float64)
        classes = getattr(model, "classes_", None)
        if classes is None or len(classes) != proba.shape[1]:
            raise TypeError(
                f"ExpectedErrorReduction needs the model's classes_ to name the "
                f"columns of predict_proba; {type(model).__name__} has "
                f"{'none' if classes is None else len(classes)} for "
                f"{proba.shape[1]} columns."
            )
        n_parts = min(n_rows(X_candidates), 4 * effective_n_jobs(self.n_jobs))
        bounds = np.linspace(0, n_rows(X_candidates), n_parts + 1).astype(int)
        parts = Parallel(n_jobs=self.n_jobs, return_as="generator")(
            delayed(_expected_losses)(
                model,
                how,
                X_labeled,
                y_labeled,
                take_rows(X_candidates, np.arange(start, stop)),
                proba[start:stop],
                X_eval,
                self.loss,
                classes,
            )
            for start, stop in itertools.pairwise(bounds)
        )
        bar = progress_bar(n_parts, "candidate blocks", self.verbose)
        losses = []
        for part in parts:
            losses.append(part)
            bar.update(1)
        bar.close()
        return np.concatenate(losses)


def _subsample(n_pool, size, at_least, rng):
    """Sorted positions of a seeded sample of ``size`` rows (all when None)."""
    if size is None or max(size, at_least) >= n_pool:
        return np.arange(n_pool)
    return np.sort(rng.choice(n_pool, max(size, at_least), replace=False))

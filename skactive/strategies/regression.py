"""Query strategies for regression: predictive spread, greedy sampling, EMCM.

* :class:`PredictiveStd`: the predictive standard deviation of an ensemble, a
  committee, a Gaussian process or a Bayesian linear model
  (:func:`skactive.models.predict_std`);
* :class:`GreedySampling`: GSx, GSy and iGS (Wu, Lin & Huang, 2019), the
  samples farthest from the labeled ones in the input space, the output space,
  or both;
* :class:`ExpectedModelChangeRegression`: EMCM (Cai, Zhang & Zhou, 2013), the
  expected length of the gradient step a new label would cause, estimated with
  bootstrap models.

``RandomSampling``, ``CoreSet`` (on the features or a net's embedding) and the
label-free ``KMeansSampling`` and ``TypiClust`` serve regression as they are.
"""

from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.base import clone

from skactive.models import embed, model_input, predict_std
from skactive.strategies._base import BatchStrategy, PerSampleStrategy
from skactive.strategies._greedy import farthest_first
from skactive.strategies._points import embed_with_labeled
from skactive.utils._compat import Interval, StrOptions
from skactive.utils.inputs import (
    as_float_array,
    iter_row_chunks,
    n_rows,
    take_rows,
)
from skactive.utils.ranking import StreamingTopK, random_argmax

__all__ = ["ExpectedModelChangeRegression", "GreedySampling", "PredictiveStd"]

# Floats in one block of pool-to-labeled distances: 4 Mi, 32 MiB.
_PAIRWISE_FLOATS = 2**22


def _regression_tags(tags):
    tags.classification, tags.regression = False, True
    return tags


class PredictiveStd(PerSampleStrategy):
    """Query the samples whose prediction is most uncertain: the largest
    predictive standard deviation.

    The spread comes from :func:`skactive.models.predict_std`: the model's own
    (``GaussianProcessRegressor``, ``BayesianRidge``, ``ARDRegression``), else
    the standard deviation over the members of an ensemble
    (``RandomForestRegressor``, ``BaggingRegressor``, ...), a
    :class:`~skactive.CommitteeRegressor` or a list of fitted regressors: query
    by committee for regression. A :class:`~skactive.nets.TorchMLPRegressor`
    with dropout gives Monte Carlo dropout samples, their masks drawn once per
    query.

    Parameters
    ----------
    n_samples : int or None, default=None
        Dropout masks for a net; None uses the net's default (20). An ensemble
        gives one sample per member whatever this is.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> forest = RandomForestRegressor(n_estimators=10, random_state=0)
    >>> forest = forest.fit(X[:50], y[:50])
    >>> PredictiveStd().select(forest, X[50:], 3, random_state=0).shape
    (3,)
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_samples": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, n_samples=None):
        self.n_samples = n_samples

    def __skactive_tags__(self):
        return _regression_tags(super().__skactive_tags__())

    def _score(self, model, X, random_state):
        # random_state is the query's one seed: every chunk of the pool sees the
        # same dropout masks of a net.
        return predict_std(model, X, self.n_samples, random_state)


def _chunk_features(model, chunk):
    """A chunk's features in the model's space, as dense float64."""
    return as_float_array(embed(model, chunk), dtype=np.float64)


def _predictions(model, X):
    """``model.predict`` on ``X``, chunk by chunk, as float64 ``(n,)``."""
    parts = [
        np.ravel(model.predict(model_input(model, chunk)))
        for _, chunk in iter_row_chunks(X)
    ]
    return np.concatenate(parts).astype(np.float64) if parts else np.empty(0)


def _distances(block, centers):
    """Euclidean distances ``(len(block), len(centers))``."""
    squared = (
        np.einsum("ij,ij->i", block, block)[:, None]
        - 2 * block @ centers.T
        + np.einsum("ij,ij->i", centers, centers)[None, :]
    )
    return np.sqrt(np.maximum(squared, 0))


def _improved_greedy(points, predictions, centers, targets, n_samples, rng):
    """iGS: each pick maximizes ``min_m ||x - x_m|| * |f(x) - y_m|`` over the
    labeled samples and the picks so far (a pick's target is its prediction)."""
    n_total = n_rows(points)
    nearest = np.empty(n_total)
    rows = max(1, _PAIRWISE_FLOATS // centers.shape[0])
    for start, block in iter_row_chunks(points, rows):
        block = as_float_array(block, dtype=np.float64)
        stop = start + block.shape[0]
        gaps = np.abs(predictions[start:stop, None] - targets[None, :])
        nearest[start:stop] = (_distances(block, centers) * gaps).min(axis=1)
    chosen = []
    for _ in range(min(n_samples, n_total)):
        pick = random_argmax(nearest, rng)
        chosen.append(pick)
        nearest[pick] = -np.inf
        center = as_float_array(take_rows(points, [pick]), dtype=np.float64)
        for start, block in iter_row_chunks(points):
            block = as_float_array(block, dtype=np.float64)
            stop = start + block.shape[0]
            gap = np.abs(predictions[start:stop] - predictions[pick])
            product = _distances(block, center)[:, 0] * gap
            np.minimum(nearest[start:stop], product, out=nearest[start:stop])
    return np.asarray(chosen, dtype=np.int64)


class GreedySampling(BatchStrategy):
    """Greedy sampling for regression: GSx, GSy and iGS (Wu, Lin & Huang, 2019).

    Each pick is the sample farthest from every labeled sample and every earlier
    pick, a pick counting as labeled with its predicted target:

    - ``space="x"`` (GSx): in the input space, ``min_m ||x - x_m||`` (farthest-
      first traversal, the same greedy as :class:`CoreSet`; needs no model);
    - ``space="y"`` (GSy): in the output space, ``min_m |f(x) - y_m|``;
    - ``space="xy"`` (iGS, improved greedy sampling): both at once,
      ``min_m ||x - x_m|| * |f(x) - y_m|``, the paper's best performer.

    Distances are measured on the model's features: the pool as it is for a
    model that reads it directly, the transform of a ``Pipeline``'s steps, a
    net's penultimate layer. Ties are broken at random.

    Parameters
    ----------
    space : {"x", "y", "xy"}, default="xy"
        Where distances are measured.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = Ridge().fit(X[:20], y[:20])
    >>> GreedySampling().select(model, X[20:], 4, X_labeled=X[:20],
    ...                         y_labeled=y[:20], random_state=0).shape
    (4,)
    """

    _parameter_constraints: ClassVar[dict] = {"space": [StrOptions({"x", "y", "xy"})]}

    def __init__(self, space="xy"):
        self.space = space

    def __skactive_tags__(self):
        tags = _regression_tags(super().__skactive_tags__())
        tags.requires_labels = self.space != "x"
        tags.requires_model = self.space != "x"
        tags.reads_pool_rows = True
        return tags

    def _select_batch(self, model, X, n_samples, context):
        if context.n_labeled == 0:
            raise ValueError(
                f"GreedySampling(space={self.space!r}) measures distances to the "
                "labeled samples, but there are none: label a first batch (at "
                "random, or with KMeansSampling) before using it."
            )
        rng = context.random_state
        if self.space == "y":
            predictions = _predictions(model, X)[:, None]
            targets = np.asarray(context.y_labeled, dtype=np.float64)[:, None]
            return farthest_first(predictions, targets, n_samples, rng)
        # CoreSet's points: the pool itself (no copy) for raw features.
        points, centers = embed_with_labeled(embed, model, X, context.X_labeled)
        if self.space == "x":
            return farthest_first(points, centers, n_samples, rng)
        targets = np.asarray(context.y_labeled, dtype=np.float64)
        predictions = _predictions(model, X)
        return _improved_greedy(
            points, predictions, centers.astype(np.float64), targets, n_samples, rng
        )


class ExpectedModelChangeRegression(BatchStrategy):
    """Expected model change maximization for regression (EMCM; Cai, Zhang &
    Zhou, 2013).

    A new label ``y`` at ``x`` moves a linear model by a gradient step
    ``(f(x) - y) x``; its expected length is estimated with ``n_bootstraps``
    models fitted on bootstrap resamples of the labeled set, whose predictions
    stand in for the unknown ``y``:
    ``score(x) = ||x|| * mean_k |f(x) - f_k(x)|``, ``x`` in the model's feature
    space (the pool itself, or a ``Pipeline``'s transform). The resamples are
    drawn from the query's random stream, so a seeded learner repeats its query.

    Parameters
    ----------
    n_bootstraps : int, default=4
        Bootstrap models (the paper uses 4).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = Ridge().fit(X[:20], y[:20])
    >>> ExpectedModelChangeRegression().select(
    ...     model, X[20:], 4, X_labeled=X[:20], y_labeled=y[:20], random_state=0
    ... ).shape
    (4,)
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_bootstraps": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, n_bootstraps=4):
        self.n_bootstraps = n_bootstraps

    def __skactive_tags__(self):
        tags = _regression_tags(super().__skactive_tags__())
        tags.requires_labels = True
        tags.reads_pool_rows = True
        return tags

    def _bootstrap_models(self, model, context):
        X_labeled, y_labeled = context.X_labeled, np.asarray(context.y_labeled)
        n_labeled = context.n_labeled
        if n_labeled < 2:
            raise ValueError(
                "ExpectedModelChangeRegression fits bootstrap models on the labeled "
                f"set, which holds {n_labeled} sample(s); label at least 2 first."
            )
        models = []
        for _ in range(self.n_bootstraps):
            rows = context.random_state.randint(0, n_labeled, n_labeled)
            member = clone(model)
            X_member = model_input(member, take_rows(X_labeled, rows))
            models.append(member.fit(X_member, y_labeled[rows]))
        return models

    def _select_batch(self, model, X, n_samples, context):
        members = self._bootstrap_models(model, context)
        stream = StreamingTopK(n_samples)
        for start, chunk in iter_row_chunks(X):
            predicted = _predictions(model, chunk)
            change = np.mean(
                [np.abs(predicted - _predictions(m, chunk)) for m in members], axis=0
            )
            features = _chunk_features(model, chunk)
            stream.push(start, change * np.linalg.norm(features, axis=1))
        return stream.result(context.random_state)

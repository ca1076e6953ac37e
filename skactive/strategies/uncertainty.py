"""UncertaintySampling: query where the model's class probabilities are least sure."""

from typing import ClassVar

import numpy as np

from skactive.acquisition import (
    entropy_acquisition,
    least_confidence_acquisition,
    margin_acquisition,
    score_orientation,
)
from skactive.models import predict_proba
from skactive.strategies._base import PerSampleStrategy
from skactive.utils._compat import StrOptions

__all__ = ["UncertaintySampling"]

_BY_NAME = {
    "entropy": entropy_acquisition,
    "least_confidence": least_confidence_acquisition,
    "margin": margin_acquisition,
}


def _checked_probabilities(model, proba):
    """``proba``, or a clear error when its rows are not distributions.

    A model gives distributions or it does not (a multilabel model never does),
    so the first 1,024 rows of each chunk are checked: a tenth of the query's
    time on the whole chunk, nothing measurable on these rows.
    """
    proba = np.asarray(proba)
    head = proba[:1024]
    totals = head.sum(axis=1)
    if np.abs(totals - 1.0).max(initial=0.0) > 1e-3 or head.min(initial=0.0) < -1e-6:
        bad = np.flatnonzero((np.abs(totals - 1.0) > 1e-3) | (head < -1e-6).any(1))
        raise ValueError(
            f"{type(model).__name__}.predict_proba gave row {bad[0]} summing to "
            f"{totals[bad[0]]:.3g}: not a distribution over classes (a multilabel "
            "model such as OneVsRestClassifier scores each label on its own). "
            "Uncertainty sampling needs class probabilities whose rows sum to 1; "
            "for a multilabel model use MultilabelUncertainty() (or MMC(), "
            "LabelCardinalityInconsistency()), which read each label's "
            "probability."
        )
    return proba


class UncertaintySampling(PerSampleStrategy):
    """Query the samples whose predicted class probabilities are most uncertain.

    Parameters
    ----------
    estimator : fitted classifier, skorch net, torch.nn.Module or None, \
            default=None
        The model, for standalone use (``query``). Anything with
        ``predict_proba`` works, and so does a module returning logits. Inside an
        :class:`~skactive.ActiveLearner` leave it None: the learner passes its own
        fitted model.
    acquisition_fn : {"entropy", "margin", "least_confidence"} or callable, \
            default="entropy"
        How uncertainty is measured from the probabilities:

        - ``"entropy"`` (or :func:`~skactive.entropy_acquisition`): highest
          entropy first;
        - ``"margin"`` (or :func:`~skactive.margin_acquisition`): smallest gap
          between the two most probable classes first;
        - ``"least_confidence"`` (or
          :func:`~skactive.least_confidence_acquisition`): lowest top
          probability first;
        - any other callable maps probabilities ``(n, n_classes)`` to scores
          ``(n,)``, **higher queried first**. Use a module-level function (not a
          lambda) when the strategy is pickled or used with ``n_jobs``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive import UncertaintySampling, entropy_acquisition
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=500).fit(X[::10], y[::10])
    >>> strategy = UncertaintySampling(model, acquisition_fn=entropy_acquisition)
    >>> strategy.query(X, n_samples=5, random_state=0).shape
    (5,)
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": "no_validation",
        "acquisition_fn": [StrOptions(set(_BY_NAME)), callable],
    }

    def __init__(self, estimator=None, acquisition_fn="entropy"):
        self.estimator = estimator
        self.acquisition_fn = acquisition_fn

    def _score(self, model, X, random_state):
        function = _BY_NAME.get(self.acquisition_fn, self.acquisition_fn)
        sign = score_orientation(function)
        scores = function(_checked_probabilities(model, predict_proba(model, X)))
        if not isinstance(scores, np.ndarray):
            scores = np.asarray(
                scores.detach().cpu() if hasattr(scores, "detach") else scores
            )
        return scores if sign > 0 else np.negative(scores)

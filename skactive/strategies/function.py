"""FunctionStrategy: a plain function as a query strategy.

modAL's users write strategies as functions, ``f(classifier, X_pool,
n_instances=1)`` returning positions (or ``(positions, samples)``), and
imbalanced-learn's ``FunctionSampler`` makes a function a sampler the same way.
:class:`FunctionStrategy` wraps such a function, or a function of the model's
class probabilities, so that it can be the ``query_strategy`` of a learner, be
cloned and searched over; a learner given a bare function wraps it itself.
"""

import inspect
from typing import ClassVar

import numpy as np

from skactive.strategies._base import BatchStrategy
from skactive.strategies.uncertainty import UncertaintySampling
from skactive.utils._compat import StrOptions

__all__ = ["FunctionStrategy"]


def _takes(function):
    """``"proba"`` for a function of one argument, ``"model"`` otherwise."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature
        return "model"
    positional = [
        p
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        and p.default is p.empty
    ]
    return "proba" if len(positional) == 1 else "model"


def _n_instances_keyword(function):
    """Whether ``function`` takes ``n_instances`` (by name or ``**kwargs``)."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return "n_instances" in parameters or any(
        p.kind is p.VAR_KEYWORD for p in parameters.values()
    )


class FunctionStrategy(BatchStrategy):
    """A function as a query strategy, with modAL's signature or of probabilities.

    Parameters
    ----------
    function : callable
        Either modAL's query function, ``function(model, X_pool, n_instances=n)``
        (``n_instances`` passed when the function takes it) returning the
        positions to query, or ``(positions, samples)`` as modAL's do; the model
        is the learner's fitted estimator, with its own ``predict_proba`` and
        ``predict``. Or a function of class probabilities ``(n, n_classes)``
        returning one score per sample, higher queried first, scored chunk by
        chunk as :class:`UncertaintySampling` does.
    takes : {"auto", "model", "proba"}, default="auto"
        What the function reads; ``"auto"``: a function of one required argument
        takes probabilities, any other takes the model and the pool.

    Examples
    --------
    modAL's custom query function, unchanged:

    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive import ActiveLearner
    >>> def least_sure(classifier, X, n_instances=1):
    ...     utility = 1 - classifier.predict_proba(X).max(axis=1)
    ...     return np.argsort(-utility)[:n_instances]
    >>> X, y = load_iris(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(), query_strategy=least_sure,
    ...                         batch_size=3).fit(X[::10], y[::10])
    >>> learner.query(X).shape
    (3,)
    >>> by_proba = FunctionStrategy(lambda proba: 1 - proba.max(axis=1))
    >>> learner.set_params(query_strategy=by_proba).query(X).tolist() == (
    ...     learner.set_params(query_strategy=least_sure).query(X).tolist())
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        "function": [callable],
        "takes": [StrOptions({"auto", "model", "proba"})],
    }

    def __init__(self, function=None, takes="auto"):
        self.function = function
        self.takes = takes

    def _reads(self):
        return _takes(self.function) if self.takes == "auto" else self.takes

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        # The user's function decides what it serves; probabilities are
        # distributions over classes.
        by_model = self.function is not None and self._reads() == "model"
        tags.regression = tags.multilabel = by_model
        tags.reads_pool_rows = self.function is not None and not by_model
        return tags

    def _select_batch(self, model, X, n_samples, context):
        if self._reads() == "proba":
            scorer = UncertaintySampling(acquisition_fn=self.function)
            return scorer.select(model, X, n_samples, random_state=context.random_state)
        if _n_instances_keyword(self.function):
            answer = self.function(model, X, n_instances=n_samples)
        else:
            answer = self.function(model, X)
        if isinstance(answer, tuple):  # modAL's (positions, samples)
            answer = answer[0]
        positions = np.atleast_1d(np.asarray(answer)).ravel()
        expected = min(n_samples, X.shape[0] if hasattr(X, "shape") else len(X))
        name = getattr(self.function, "__name__", type(self.function).__name__)
        if positions.shape[0] != expected:
            raise ValueError(
                f"The query function {name} returned {positions.shape[0]} "
                f"position(s) for a batch of {expected}: return n_instances "
                "positions (take n_instances=1 as an argument), or set the "
                f"learner's batch_size={positions.shape[0]}."
            )
        return positions

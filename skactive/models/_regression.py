"""Regressor capabilities: the members' predictions and the predictive spread.

A regression strategy that measures disagreement or uncertainty asks for one of
two capabilities: :func:`predict_samples`, one prediction per member of an
ensemble or committee, and :func:`predict_std`, the predictive standard deviation,
taken from the model when it has its own (a Gaussian process, Bayesian ridge)
and from the members' spread otherwise.
"""

import inspect

import numpy as np
from sklearn.pipeline import Pipeline

from skactive.models._classification import model_input, pipeline_head
from skactive.utils.inputs import isinstance_if_imported, n_rows

__all__ = ["predict_samples", "predict_std"]

#: Ensembles whose ``estimators_`` are not predictions of the target each:
#: boosting's members fit residuals, stage after stage.
_STAGEWISE = ("GradientBoostingRegressor", "HistGradientBoostingRegressor")

NO_SPREAD_HELP = (
    "Use a model that has it: an ensemble (RandomForestRegressor, "
    "ExtraTreesRegressor, BaggingRegressor), skactive.CommitteeRegressor over any "
    "regressors, GaussianProcessRegressor or BayesianRidge (predict(X, "
    "return_std=True)), or a list of fitted regressors."
)


def _columns(X, columns):
    return X.iloc[:, columns] if hasattr(X, "iloc") else X[:, columns]


def _regression_members(model):
    """``(members, feature_subsets)`` of a regression ensemble, or None."""
    if isinstance(model, (list, tuple)):
        if not model:
            raise ValueError("The list of models is empty; give at least one.")
        if not all(hasattr(member, "predict") for member in model):
            raise TypeError("Each model in the list must be a fitted regressor.")
        return list(model), None
    if isinstance_if_imported(model, "sklearn.ensemble", *_STAGEWISE):
        return None
    estimators = getattr(model, "estimators_", None)
    if estimators is None or hasattr(model, "classes_"):
        return None
    members = (
        list(np.ravel(estimators))
        if isinstance(estimators, np.ndarray)
        else list(estimators)
    )
    if not members or not all(hasattr(m, "predict") for m in members):
        return None
    return members, getattr(model, "estimators_features_", None)


def _accepted(method, **kwargs):
    """The keywords among ``kwargs`` that ``method`` takes (a committee's
    ``predict_samples(X)`` takes none; a net's takes the mask count and seed)."""
    try:
        parameters = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return {}
    return {name: value for name, value in kwargs.items() if name in parameters}


def predict_samples(model, X, n_samples=None, random_state=None):
    """Each member's prediction of the target on ``X``.

    Dispatches on what the model is, duck typing first:

    1. anything with a ``predict_samples(X)`` method
       (:class:`~skactive.CommitteeRegressor`, a net with dropout, whose
       samples are Monte Carlo dropout masks, a user's class);
    2. a ``Pipeline``: ``X`` goes through every step but the last, which is asked;
    3. a scikit-learn regression ensemble with ``estimators_`` (random forest,
       extra trees, bagging with its feature subsets, voting, AdaBoost); gradient
       boosting is refused, its stages fit residuals, not the target;
    4. a list of fitted regressors.

    Parameters
    ----------
    model : fitted regressor or list of fitted regressors
        The model.
    X : array-like, sparse matrix or DataFrame of shape (n_rows, n_features)
        Samples.
    n_samples : int or None, default=None
        Dropout masks for a net (None: the net's default, 20); an ensemble gives
        one sample per member whatever this is.
    random_state : int, RandomState instance or None, default=None
        Seeds the masks of a net: the same seed, the same samples.

    Returns
    -------
    samples : ndarray of shape (n_members, n_rows)

    Raises
    ------
    TypeError
        When the model has no members; the message names models that have.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> forest = RandomForestRegressor(n_estimators=5, random_state=0).fit(X, y)
    >>> predict_samples(forest, X[:8]).shape
    (5, 8)
    """
    method = getattr(model, "predict_samples", None)
    if callable(method):
        options = {"random_state": random_state}
        if n_samples is not None:
            options["n_samples"] = n_samples
        return np.asarray(method(X, **_accepted(method, **options)), dtype=float)
    if isinstance(model, Pipeline):
        head, X = pipeline_head(model, X)
        return predict_samples(head, X, n_samples, random_state)
    found = _regression_members(model)
    if found is None:
        raise TypeError(
            f"{type(model).__name__} gives no predictions of several members, which "
            f"this query strategy needs. {NO_SPREAD_HELP}"
        )
    members, subsets = found
    if hasattr(X, "iloc") and subsets is not None:
        X = X.to_numpy()  # bagging trains its members on arrays
    samples = np.empty((len(members), n_rows(X)))
    for k, member in enumerate(members):
        X_member = X if subsets is None else _columns(X, subsets[k])
        samples[k] = np.ravel(member.predict(model_input(member, X_member)))
    return samples


def _predicts_std(model):
    """Whether ``model.predict`` takes ``return_std`` (GP, Bayesian ridge)."""
    predict = getattr(model, "predict", None)
    if not callable(predict) or isinstance(model, Pipeline):
        return False
    try:
        return "return_std" in inspect.signature(predict).parameters
    except (TypeError, ValueError):
        return False


def predict_std(model, X, n_samples=None, random_state=None):
    """The predictive standard deviation of a regressor on ``X``.

    The model's own when its ``predict`` takes ``return_std``
    (``GaussianProcessRegressor``, ``BayesianRidge``, ``ARDRegression``, a
    pipeline ending in one); otherwise the standard deviation over the members
    of :func:`predict_samples` (an ensemble, a committee).

    Parameters
    ----------
    model : fitted regressor or list of fitted regressors
        The model.
    X : array-like, sparse matrix or DataFrame of shape (n_rows, n_features)
        Samples.
    n_samples, random_state
        For the samples of a net with dropout, as in :func:`predict_samples`.

    Returns
    -------
    std : ndarray of shape (n_rows,)

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import BayesianRidge
    >>> X, y = load_diabetes(return_X_y=True)
    >>> predict_std(BayesianRidge().fit(X, y), X[:3]).shape
    (3,)
    """
    if isinstance(model, Pipeline) and _predicts_std(model.steps[-1][1]):
        head, X = pipeline_head(model, X)
        return predict_std(head, X, n_samples, random_state)
    if _predicts_std(model):
        _, std = model.predict(model_input(model, X), return_std=True)
        return np.ravel(np.asarray(std, dtype=float))
    return predict_samples(model, X, n_samples, random_state).std(axis=0)

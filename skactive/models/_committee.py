"""Committee and CommitteeRegressor: several models trained as one.

A committee's disagreement is its uncertainty: where members trained on different
resamples (or with different seeds, or of different kinds) predict different
classes, a label teaches the most. ``Committee`` is an ordinary scikit-learn
classifier (it passes ``check_estimator``) whose ``predict_proba_samples`` returns
each member's probabilities, which ``QueryByCommittee``, ``BALD``, ``BatchBALD``
and the other Bayesian strategies read. ``CommitteeRegressor`` is its regression
twin: ``predict_samples`` gives each member's prediction, whose spread
:class:`~skactive.strategies.PredictiveStd` reads (query by committee for
regression).
"""

from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
)
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted

from skactive.models._classification import ensemble_samples
from skactive.utils._compat import StrOptions, validate_data
from skactive.utils.inputs import n_rows, take_rows
from skactive.utils.seeding import draw_seed

__all__ = ["Committee", "CommitteeRegressor"]


def _stratified_bootstrap(y, rng):
    """Rows drawn with replacement within each class, keeping the class counts.

    Every member then sees every class, so no probability column goes missing and
    no member fails on a single-class resample.
    """
    _, encoded = np.unique(y, return_inverse=True)
    order = np.argsort(encoded, kind="stable")
    counts = np.bincount(encoded)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    offsets = (rng.random_sample(len(y)) * np.repeat(counts, counts)).astype(np.intp)
    return order[starts + offsets]


def _seed_member(member, seed):
    """Set every ``random_state`` of ``member`` (nested ones too) to ``seed``."""
    seeds = {
        name: seed
        for name in member.get_params(deep=True)
        if name == "random_state" or name.endswith("__random_state")
    }
    return member.set_params(**seeds) if seeds else member


def _fit_member(member, X, y, fit_params):
    return member.fit(X, y, **fit_params)


class _BaseCommittee(MetaEstimatorMixin, BaseEstimator):
    """What both committees share: cloning, seeding and resampling the members,
    training them in parallel, validating their input."""

    _parameter_constraints: ClassVar[dict] = {
        "estimators": [list],
        "bootstrap": ["boolean"],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimators,
        *,
        bootstrap=True,
        n_jobs=None,
        random_state=None,
    ):
        self.estimators = estimators
        self.bootstrap = bootstrap
        self.n_jobs = n_jobs
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        members = self.estimators if isinstance(self.estimators, list) else []
        member_tags = [get_tags(member) for member in members]
        tags.input_tags.sparse = bool(member_tags) and all(
            t.input_tags.sparse for t in member_tags
        )
        tags.input_tags.allow_nan = bool(member_tags) and all(
            t.input_tags.allow_nan for t in member_tags
        )
        tags.input_tags.string = any(t.input_tags.string for t in member_tags)
        return tags

    def _check_estimators(self):
        if not self.estimators:
            raise ValueError(
                f"estimators is empty; give a list of at least one {self._kind}, "
                f"for example {self._example}."
            )
        for member in self.estimators:
            if not (hasattr(member, "fit") and hasattr(member, "get_params")):
                raise TypeError(
                    f"Each of estimators must be a scikit-learn {self._kind} (with "
                    f"fit and get_params), got {member!r}."
                )

    def _validate(self, X, *y, reset=True):
        tags = self.__sklearn_tags__()
        return validate_data(
            self,
            X,
            *y,
            accept_sparse=["csr", "csc"] if tags.input_tags.sparse else False,
            # Object arrays become numbers here unless a member takes strings: a
            # bootstrap resample may miss the one bad row a member would reject.
            dtype=None if tags.input_tags.string else "numeric",
            ensure_all_finite=not tags.input_tags.allow_nan,
            reset=reset,
        )

    def fit(self, X, y, **fit_params):
        """Train every member (on its resample) on ``(X, y)``.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Training features, passed to the members as given (a DataFrame keeps
            its columns).
        y : array-like of shape (n_samples,)
            Labels (targets, for a regressor).
        **fit_params : dict
            Passed to every member's ``fit``; per-sample arrays (such as
            ``sample_weight``) follow the member's resample.

        Returns
        -------
        self : object
            The fitted committee.
        """
        self._validate_params()
        self._check_estimators()
        X_valid, y = self._validate(X, y)
        y = self._check_targets(y)
        # Members see the user's container (a DataFrame keeps its column names).
        X = X if hasattr(X, "iloc") else X_valid
        n_samples = n_rows(X)
        rng = check_random_state(self.random_state)
        seeds = draw_seed(rng, size=len(self.estimators))
        jobs = []
        for member, seed in zip(self.estimators, seeds):
            member_rng = np.random.RandomState(seed)
            member = _seed_member(clone(member), int(member_rng.randint(2**31 - 1)))
            if self.bootstrap:
                rows = self._bootstrap(y, member_rng)
            else:
                rows = np.arange(n_samples)
            params = {
                name: take_rows(value, rows)
                if getattr(value, "shape", (None,))[:1] == (n_samples,)
                else value
                for name, value in fit_params.items()
            }
            jobs.append(
                delayed(_fit_member)(member, take_rows(X, rows), y[rows], params)
            )
        self.estimators_ = Parallel(n_jobs=self.n_jobs)(jobs)
        return self

    def _check_predict_input(self, X):
        check_is_fitted(self)
        X_valid = self._validate(X, reset=False)
        return X if hasattr(X, "iloc") else X_valid


class Committee(ClassifierMixin, _BaseCommittee):
    """A committee of classifiers: clones of its members, each trained on a resample.

    Each member is a clone of one of ``estimators`` with its ``random_state``
    parameters (at any depth) set from the committee's ``random_state``, as
    ``BaggingClassifier`` does, so the same classifier listed five times gives five
    different members. With ``bootstrap=True`` each is trained on a stratified
    bootstrap resample (rows drawn with replacement within each class, class counts
    kept), so every member sees every class.

    Parameters
    ----------
    estimators : list of estimators
        The members, unfitted classifiers. Kinds may differ (a heterogeneous
        committee); list one classifier several times for a homogeneous one.
    bootstrap : bool, default=True
        Train each member on a stratified bootstrap resample; otherwise on all rows.
    voting : {"soft", "hard"}, default="soft"
        ``"soft"``: ``predict_proba`` is the mean of the members' probabilities.
        ``"hard"``: the share of members voting for each class.
    n_jobs : int or None, default=None
        Members trained in parallel with joblib.
    random_state : int, RandomState instance or None, default=None
        Seeds the resamples and the members.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted members.
    classes_ : ndarray of shape (n_classes,)
        Labels seen in ``fit``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` was a DataFrame with string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skactive import Committee
    >>> X, y = load_iris(return_X_y=True)
    >>> committee = Committee(
    ...     [LogisticRegression(max_iter=500), DecisionTreeClassifier()] * 2,
    ...     random_state=0,
    ... ).fit(X, y)
    >>> committee.predict_proba_samples(X[:5]).shape
    (4, 5, 3)
    """

    _parameter_constraints: ClassVar[dict] = {
        **_BaseCommittee._parameter_constraints,
        "voting": [StrOptions({"soft", "hard"})],
    }

    def __init__(
        self,
        estimators,
        *,
        bootstrap=True,
        voting="soft",
        n_jobs=None,
        random_state=None,
    ):
        self.estimators = estimators
        self.bootstrap = bootstrap
        self.voting = voting
        self.n_jobs = n_jobs
        self.random_state = random_state

    _kind = "classifier"
    _example = "[LogisticRegression()] * 5"

    def _check_targets(self, y):
        if type_of_target(y) == "continuous":
            raise ValueError(
                "Committee is a committee of classifiers and y holds continuous "
                "targets: use skactive.CommitteeRegressor for regressors."
            )
        check_classification_targets(y)
        self.classes_ = unique_labels(y)
        return y

    def _bootstrap(self, y, rng):
        return _stratified_bootstrap(y, rng)

    def predict_proba_samples(self, X, n_samples=None, random_state=None):
        """Each member's class probabilities, columns following ``classes_``.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_rows, n_features)
            Samples.
        n_samples : None
            Ignored: a committee gives one sample per member. Accepted so a
            committee answers the same call as a net with MC dropout.
        random_state : None
            Ignored; members predict deterministically.

        Returns
        -------
        samples : ndarray of shape (n_members, n_rows, n_classes)
            A member without ``predict_proba`` gives a one-hot vote.
        """
        X = self._check_predict_input(X)
        return ensemble_samples(self.estimators_, self.classes_, X)

    def predict_proba(self, X):
        """Class probabilities: the mean of the members' (soft) or their vote shares.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_rows, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_rows, n_classes)
        """
        samples = self.predict_proba_samples(X)
        if self.voting == "soft":
            return samples.mean(axis=0)
        votes = samples.argmax(axis=-1)[..., None] == np.arange(len(self.classes_))
        return votes.mean(axis=0)

    def predict(self, X):
        """The class with the largest probability (soft) or the most votes (hard).

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_rows, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_rows,)
        """
        positions = self.predict_proba(X).argmax(axis=1)  # checks fittedness first
        return self.classes_[positions]


class CommitteeRegressor(RegressorMixin, _BaseCommittee):
    """A committee of regressors: clones of its members, each trained on a
    bootstrap resample; it predicts their mean.

    Members are cloned and seeded as in :class:`Committee`. Their spread is the
    committee's uncertainty: :meth:`predict_samples` gives every member's
    prediction, which :class:`~skactive.strategies.PredictiveStd` reads (query
    by committee for regression, Burbidge et al. 2007).

    Parameters
    ----------
    estimators : list of estimators
        The members, unfitted regressors; kinds may differ.
    bootstrap : bool, default=True
        Train each member on a bootstrap resample (rows drawn with replacement);
        otherwise on all rows, when the members differ by seed or kind.
    n_jobs : int or None, default=None
        Members trained in parallel with joblib.
    random_state : int, RandomState instance or None, default=None
        Seeds the resamples and the members.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted members.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` was a DataFrame with string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skactive import CommitteeRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> committee = CommitteeRegressor(
    ...     [Ridge(), DecisionTreeRegressor(max_depth=3)] * 2, random_state=0
    ... ).fit(X, y)
    >>> committee.predict_samples(X[:5]).shape
    (4, 5)
    """

    _kind = "regressor"
    _example = "[Ridge()] * 5"

    def _check_targets(self, y):
        if y.ndim != 1:
            raise ValueError(
                f"CommitteeRegressor takes one target column, got y of shape {y.shape}."
            )
        return np.asarray(y, dtype=np.float64)

    def _bootstrap(self, y, rng):
        return rng.randint(0, len(y), len(y))

    def predict_samples(self, X):
        """Each member's prediction.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_rows, n_features)
            Samples.

        Returns
        -------
        samples : ndarray of shape (n_members, n_rows)
        """
        X = self._check_predict_input(X)
        return np.stack(
            [np.ravel(member.predict(X)) for member in self.estimators_]
        ).astype(np.float64)

    def predict(self, X):
        """The mean of the members' predictions.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_rows, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_rows,)
        """
        return self.predict_samples(X).mean(axis=0)

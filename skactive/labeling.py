"""Label quality: simulated noisy annotators, and finding the labels to recheck.

People mislabel, and the uncertain samples active learning asks about are the
ones they get wrong most. :class:`SimulatedOracle` stands in for an annotator
with a known error rate in simulations (``ActiveLearner`` with a ``budget`` and
``active_learning_curve`` accept it where they take ``y``), so a strategy's
cost under noise can be measured. :func:`find_label_issues` ranks the labeled
samples by how likely their label is wrong, in the style of confident learning
(Northcutt et al. 2021).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

__all__ = ["SimulatedOracle", "find_label_issues"]

_NOISE = ("uniform", "class_conditional")


class SimulatedOracle:
    """An annotator who answers from ``y`` but errs at rate ``noise_rate``.

    Each sample's answer is drawn once per simulation: with probability
    ``noise_rate`` it is another class than the true one, otherwise the true
    one. ``noise`` says which other class:

    - ``"uniform"``: any other class, uniformly;
    - ``"class_conditional"``: always the same confusion for a class, the next
      class of the sorted label set (cyclic), as annotators who confuse "3"
      with "5" do: systematic noise, harder to average away.

    Pass it where ``y`` goes in a simulation: ``ActiveLearner(...,
    budget=...).fit(X, oracle)`` or ``active_learning_curve(learner, X,
    oracle, X_test, y_test)``. The test labels stay clean, so the curves show
    what the noise costs.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The true labels.
    noise_rate : float in [0, 1), default=0.0
        Probability that an answer is wrong.
    noise : {"uniform", "class_conditional"}, default="uniform"
        Which wrong class.
    random_state : int, RandomState instance or None, default=None
        Fixes the answers. None: each simulation draws its own from the
        learner's ``random_state`` (so repeats of a learning curve see
        different annotators, and the strategies of one repeat the same).

    Examples
    --------
    >>> import numpy as np
    >>> from skactive.labeling import SimulatedOracle
    >>> y = np.repeat([0, 1, 2], 1000)
    >>> oracle = SimulatedOracle(y, noise_rate=0.1, random_state=0)
    >>> round(float(np.mean(oracle.labels() != y)), 2)
    0.1
    >>> oracle.label([0, 1, 2]).shape
    (3,)
    """

    def __init__(self, y, noise_rate=0.0, noise="uniform", random_state=None):
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-dimensional, got shape {y.shape}.")
        if (
            isinstance(noise_rate, bool)
            or not isinstance(noise_rate, Real)
            or not 0 <= noise_rate < 1
        ):
            raise ValueError(
                f"noise_rate must be a probability in [0, 1), got {noise_rate!r}."
            )
        if noise not in _NOISE:
            raise ValueError(f"noise must be one of {_NOISE}, got {noise!r}.")
        self.y = y
        self.noise_rate = noise_rate
        self.noise = noise
        self.random_state = random_state
        self._answers = None

    def __len__(self):
        return self.y.shape[0]

    def __repr__(self):
        return (
            f"SimulatedOracle(<{len(self)} labels>, noise_rate={self.noise_rate}, "
            f"noise={self.noise!r}, random_state={self.random_state!r})"
        )

    def labels(self, random_state=None):
        """Every sample's answer: ``y`` with a ``noise_rate`` share changed.

        Parameters
        ----------
        random_state : int, RandomState instance or None, default=None
            Used when the oracle's own ``random_state`` is None.

        Returns
        -------
        answers : ndarray of shape (n_samples,), the dtype of ``y``
        """
        seed = self.random_state if self.random_state is not None else random_state
        if isinstance(seed, Integral):
            seed = np.random.RandomState(seed)  # the same answers at every call
        rng = check_random_state(seed)
        classes, codes = np.unique(self.y, return_inverse=True)
        n_classes = classes.shape[0]
        wrong = rng.random_sample(self.y.shape[0]) < self.noise_rate
        if n_classes < 2:
            return self.y.copy()
        if self.noise == "uniform":
            shift = rng.randint(1, n_classes, size=self.y.shape[0])
        else:
            shift = np.ones(self.y.shape[0], dtype=np.int64)
        codes = np.where(wrong, (codes + shift) % n_classes, codes)
        return classes[codes]

    def label(self, indices):
        """The answers for ``indices``, the same ones at every call.

        For hand-driven loops: ``learner.teach(X_pool[picked],
        oracle.label(picked))``. Drawn once, with the oracle's ``random_state``.
        """
        if self._answers is None:
            self._answers = self.labels()
        return self._answers[np.asarray(indices)]


def _model_and_data(learner_or_estimator, X, y):
    """The estimator to cross-validate and the labeled set to check."""
    from skactive.learner import ActiveLearner

    model = learner_or_estimator
    if isinstance(model, ActiveLearner):
        if X is None and y is None:
            check_is_fitted(model, "estimator_")
            X, y = model.X_labeled_, model.y_labeled_
        model = model._base_estimator()
    if X is None or y is None:
        raise ValueError(
            "find_label_issues needs X and y, the labeled samples to check; only "
            "a fitted ActiveLearner supplies its own (X_labeled_, y_labeled_)."
        )
    if not hasattr(model, "fit") or not hasattr(model, "predict_proba"):
        raise TypeError(
            f"find_label_issues needs an estimator with fit and predict_proba, or "
            f"an ActiveLearner; got {type(model).__name__}."
        )
    return model, X, np.asarray(y)


def find_label_issues(learner_or_estimator, X=None, y=None, *, cv=5, random_state=0):
    """Labeled samples whose label is likely wrong, most suspicious first.

    Out-of-fold probabilities ``p`` come from ``cv``-fold stratified cross
    validation of a clone of the estimator. Class ``k``'s threshold ``t_k`` is
    the mean ``p_k`` over the samples labeled ``k`` (the model's confidence in a
    typical member). A sample is flagged, as in confident learning's confident
    joint, when the class it most confidently belongs to, among the classes
    whose ``p_k >= t_k``, is not its label. Flagged samples are ranked by their
    normalized margin ``p_label - max_{k != label} p_k``, lowest first.

    Parameters
    ----------
    learner_or_estimator : ActiveLearner or classifier
        An ``ActiveLearner`` (its estimator is cross-validated; without ``X``
        and ``y``, on its own labeled set) or any classifier with
        ``predict_proba``.
    X : array-like of shape (n_samples, n_features), default=None
        The labeled samples.
    y : array-like of shape (n_samples,), default=None
        Their labels, as given by the annotators.
    cv : int, default=5
        Folds; lowered to the size of the smallest class (at least 2).
    random_state : int, RandomState instance or None, default=0
        Shuffles the folds.

    Returns
    -------
    indices : ndarray of shape (n_flagged,), int64
        Positions in ``X`` (for a learner's own set, in ``X_labeled_``) of the
        flagged samples, most likely wrong first.
    scores : ndarray of shape (n_flagged,)
        Their normalized margins, in [-1, 0]: lower is more suspicious.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.labeling import find_label_issues
    >>> X, y = load_iris(return_X_y=True)
    >>> y_noisy = y.copy()
    >>> y_noisy[[0, 60, 120]] = [2, 0, 1]
    >>> indices, scores = find_label_issues(
    ...     LogisticRegression(max_iter=1000), X, y_noisy
    ... )
    >>> sorted(set(indices[:3].tolist()) & {0, 60, 120})
    [0, 60, 120]
    """
    model, X, y = _model_and_data(learner_or_estimator, X, y)
    if isinstance(cv, bool) or not isinstance(cv, Integral) or cv < 2:
        raise ValueError(f"cv must be an integer >= 2, got {cv!r}.")
    classes, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
    if classes.shape[0] < 2:
        raise ValueError("find_label_issues needs at least two classes in y.")
    n_splits = min(cv, int(counts.min()))
    if n_splits < 2:
        rare = classes[counts < 2].tolist()
        raise ValueError(
            f"Classes {rare[:10]} have a single labeled sample: no fold can "
            "check it. Label more samples of them, or leave them out of X, y."
        )
    folds = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    proba = cross_val_predict(clone(model), X, y, cv=folds, method="predict_proba")
    proba = np.asarray(proba, dtype=np.float64)
    rows = np.arange(y.shape[0])
    given = proba[rows, codes]
    thresholds = np.bincount(codes, weights=given, minlength=classes.shape[0])
    thresholds /= counts
    confident = np.where(proba >= thresholds, proba, -np.inf)
    suspected = confident.argmax(axis=1)
    flagged = np.isfinite(confident.max(axis=1)) & (suspected != codes)
    others = proba.copy()
    others[rows, codes] = -np.inf
    margin = given - others.max(axis=1)
    indices = np.flatnonzero(flagged)
    order = np.argsort(margin[indices], kind="stable")
    return indices[order].astype(np.int64), margin[indices[order]]

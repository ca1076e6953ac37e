"""ActiveRegressor: active learning for a continuous target.

The same loop as :class:`~skactive.ActiveLearner` (:class:`skactive._loop.ActiveLoop`):
``fit`` by hand or as a simulation, ``query``, ``teach``, ``should_stop``,
``history_``, atomic failures, seeded and picklable. What differs is the task:
targets are numbers, there is no label set, the default model is
:class:`~skactive.nets.TorchMLPRegressor`, the default strategy is improved
greedy sampling (:class:`~skactive.strategies.GreedySampling`), and only
strategies tagged for regression are taken.
"""

from typing import ClassVar

import numpy as np
from sklearn.base import RegressorMixin

from skactive._loop import ActiveLoop
from skactive.oracle import SimulatedOracle
from skactive.strategies import GreedySampling
from skactive.utils._compat import HasMethods, StrOptions

__all__ = ["ActiveRegressor"]


class ActiveRegressor(RegressorMixin, ActiveLoop):
    """A regressor that chooses which samples to have labeled next.

    It wraps any regressor (by default a PyTorch MLP trained with skorch), holds
    the labeled set, retrains on it, and asks its query strategy for the most
    informative samples of an unlabeled pool: the same ``fit`` / ``query`` /
    ``teach`` grammar as :class:`~skactive.ActiveLearner`.

    Parameters
    ----------
    estimator : regressor or None, default=None
        The model, cloned and refitted on the labeled set after every change: any
        scikit-learn regressor (a ``Pipeline`` too), a forest or a
        ``GaussianProcessRegressor`` for :class:`~skactive.strategies.PredictiveStd`,
        a :class:`~skactive.CommitteeRegressor`, or a skorch net. None means
        :class:`~skactive.nets.TorchMLPRegressor` with its defaults.
    query_strategy : QueryStrategy, callable or None, default=None
        How the batch is chosen, among the strategies that serve regression
        (``skactive.strategies.all_strategies("regression")`` lists them, such
        as :class:`~skactive.strategies.GreedySampling` and
        :class:`~skactive.strategies.PredictiveStd`). None means
        ``GreedySampling(space="xy")`` (iGS). A function with modAL's signature,
        ``f(regressor, X_pool)``, is wrapped as a
        :class:`~skactive.strategies.FunctionStrategy`.
    batch_size : int, default=10
        Samples per query (a ``query`` call can override it).
    budget : int or None, default=None
        None: ``fit`` trains on all of ``(X, y)`` and the learner is driven by hand.
        An integer turns ``fit`` into a simulation: ``y`` is a hidden oracle,
        ``n_initial`` targets are drawn, then ``batch_size`` are queried at a time
        until ``budget`` targets are used.
    n_initial : int, default=10
        Size of the initial labeled set in simulation mode.
    initial_strategy : {"random", "kmeans"} or QueryStrategy, default="random"
        How simulation mode chooses its first samples: at random, nearest the
        centroids of a k-means clustering of ``X``, or a strategy that needs no
        model.
    stopping : list of StoppingCriterion or None, default=None
        Criteria from :mod:`skactive.stopping` that read no class probabilities
        (``MaxLabels``, ``PerformancePlateau`` on a regression score, ...).
    random_state : int, RandomState instance or None, default=None
        Drives the initial draw, tie-breaking, random strategies and the
        estimator's own seeds, as in ``ActiveLearner``.
    callbacks : list of RoundCallback or None, default=None
        Observers of every round; see :mod:`skactive.callbacks`.
    sample_params : tuple of str, default=("sample_weight",)
        The fit parameters that hold one entry per sample.
    verbose : int, default=0
        When positive, a simulation shows a tqdm progress bar.

    Attributes
    ----------
    estimator_ : regressor
        The model fitted on the labeled set.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` had string column names.
    X_labeled_ : array-like of shape (n_labeled, n_features)
        The labeled samples, in the container given to ``fit``.
    y_labeled_ : ndarray of shape (n_labeled,)
        Their targets, as floats.
    labeled_indices_ : ndarray of shape (n_labeled,), int64
        Simulation mode only: positions in ``X`` of the labeled samples, in the
        order they were labeled.
    stopping_, callbacks_, stop_reason_, stop_code_, n_rounds_, history_
        As in :class:`~skactive.ActiveLearner`.
    cold_start_ : bool
        Always False: a regressor needs no second class to be fitted.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> from skactive import ActiveRegressor
    >>> from skactive.strategies import PredictiveStd
    >>> X, y = load_diabetes(return_X_y=True)
    >>> forest = RandomForestRegressor(n_estimators=20, random_state=0)
    >>> learner = ActiveRegressor(forest, PredictiveStd(), random_state=0)
    >>> learner = learner.fit(X[:20], y[:20])
    >>> indices = learner.query(X[20:], batch_size=5)
    >>> indices.shape, indices.dtype
    ((5,), dtype('int64'))
    >>> learner.teach(X[20:][indices], y[20:][indices]).y_labeled_.shape
    (25,)

    A simulation with improved greedy sampling (the default strategy):

    >>> from sklearn.linear_model import Ridge
    >>> sim = ActiveRegressor(Ridge(), budget=40, random_state=0).fit(X, y)
    >>> [round["n_labels"] for round in sim.history_]
    [10, 20, 30, 40]
    """

    _task = "regression"
    _one_class_fallback = False

    _parameter_constraints: ClassVar[dict] = {
        **ActiveLoop._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict"]), None],
        "initial_strategy": [StrOptions({"random", "kmeans"}), HasMethods(["select"])],
    }

    def __init__(
        self,
        estimator=None,
        query_strategy=None,
        *,
        batch_size=10,
        budget=None,
        n_initial=10,
        initial_strategy="random",
        stopping=None,
        random_state=None,
        callbacks=None,
        sample_params=("sample_weight",),
        verbose=0,
    ):
        self.estimator = estimator
        self.query_strategy = query_strategy
        self.batch_size = batch_size
        self.budget = budget
        self.n_initial = n_initial
        self.initial_strategy = initial_strategy
        self.stopping = stopping
        self.random_state = random_state
        self.callbacks = callbacks
        self.sample_params = sample_params
        self.verbose = verbose

    def _default_estimator(self):
        # The default net, imported when it is used: skorch and torch take 3 s.
        from skactive.nets import TorchMLPRegressor

        return TorchMLPRegressor()

    def _default_strategy(self):
        return GreedySampling()

    def _check_targets(self, y, reset):
        if y.ndim != 1:
            raise ValueError(
                f"y should be a 1d array of targets, got an array of shape "
                f"{y.shape}: ActiveRegressor learns one target."
            )
        if y.dtype.kind not in "biuf":
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError) as error:
                raise ValueError(
                    f"{type(self).__name__} needs numeric targets, but y holds "
                    f"{y.dtype} values ({y[:3].tolist()!r}...). For class labels "
                    "use skactive.ActiveLearner."
                ) from error
        y = np.asarray(y, dtype=np.float64)
        if not np.isfinite(y).all():
            raise ValueError(
                f"y holds {int((~np.isfinite(y)).sum())} NaN or infinite target(s); "
                "every labeled sample needs a finite target."
            )
        return y

    def _oracle_answers(self, y):
        if isinstance(y, SimulatedOracle):
            raise TypeError(
                "SimulatedOracle answers with wrong classes, which a regression "
                "target has none of: pass the targets themselves as y (add noise "
                "to them to simulate an imprecise annotator)."
            )
        return y

"""ActiveLearner: the meta-estimator that owns the labeled set and the model.

Two ways to drive it:

* by hand (``budget=None``): ``fit`` on a small labeled set, then ``query`` a
  pool, have a person label the batch, ``teach`` it, and repeat;
* as a simulation (``budget`` set): ``fit(X, y)`` hides ``y``, draws
  ``n_initial`` labels (``initial_strategy``), then queries ``batch_size`` at a
  time, revealing labels from ``y``, until ``budget`` labels are used or a
  stopping criterion fires. The learner is then an ordinary classifier trained on
  those labels, which ``GridSearchCV`` and ``cross_val_score`` can compare across
  query strategies.

The whole loop is in :meth:`ActiveLearner.fit`, as scikit-learn's
``SelfTrainingClassifier`` keeps its loop in ``fit``; what happened is recorded
in public fitted attributes (``history_``, ``labeled_indices_``, ``n_rounds_``,
``stop_reason_``) and reported round by round to ``callbacks``. The first
labels are drawn by :mod:`skactive._initial`, which serves this loop only; the
plumbing shared with any meta-estimator (validation, seeded fits, predictions) is
in :mod:`skactive._learner_base`.
"""

import time
from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from skactive._initial import initial_draw
from skactive._learner_base import (
    BaseActiveLearner,
    restore_on_error,
    take_fit_params,
)
from skactive.callbacks import copy_callbacks
from skactive.stopping import clone_criteria
from skactive.utils._compat import HasMethods, Interval, StrOptions, _fit_context
from skactive.utils.inputs import PoolRows, concat_rows, n_rows, take_rows
from skactive.utils.progress import progress_bar
from skactive.utils.seeding import draw_seed
from skactive.utils.validation import check_positive_int

__all__ = ["ActiveLearner"]


class ActiveLearner(ClassifierMixin, BaseActiveLearner):
    """A classifier that chooses which samples to have labeled next.

    It wraps any classifier (by default a PyTorch MLP trained with skorch),
    holds the labeled set, retrains on it, and asks its query strategy for the
    most informative samples of an unlabeled pool.

    Parameters
    ----------
    estimator : classifier or None, default=None
        The model, cloned and refitted on the labeled set after every change. Any
        scikit-learn classifier works (a ``Pipeline`` too: its preprocessing is
        then refitted on the labeled set each round), and so does a skorch
        ``NeuralNetClassifier``: float64 input is cast to float32 for it, and
        its ``classes`` is set when this learner's label set is fixed. None means
        :class:`~skactive.nets.TorchMLPClassifier` with its defaults.
    query_strategy : QueryStrategy or None, default=None
        How the batch is chosen; see :mod:`skactive.strategies`. None means
        ``UncertaintySampling()`` (entropy). Leave the strategy's own
        ``estimator`` unset: the learner passes its fitted model.
    batch_size : int, default=10
        Samples per query (a ``query`` call can override it).
    budget : int or None, default=None
        None: ``fit`` trains on all of ``(X, y)`` and the learner is driven by hand
        with ``query`` and ``teach``. An integer turns ``fit`` into a simulation:
        ``y`` is a hidden oracle, ``n_initial`` labels are drawn at random, then
        ``batch_size`` are queried at a time until ``budget`` labels are used
        (all of ``X`` when it has fewer samples).
    n_initial : int, default=10
        Size of the initial labeled set in simulation mode.
    initial_strategy : {"random", "stratified", "kmeans"} or QueryStrategy, \
            default="random"
        How simulation mode chooses its ``n_initial`` first labels:

        - ``"random"``: uniformly at random;
        - ``"stratified"``: in proportion to the classes of the oracle ``y``, each
          class at least once when ``n_initial`` allows. It reads the hidden
          labels, which a real cold start cannot: treat its results as an upper
          bound on what a good initial set gives;
        - ``"kmeans"``: label-free, the samples nearest the centroids of a k-means
          clustering of ``X`` (:class:`~skactive.strategies.KMeansSampling`);
        - a query strategy that needs no model (``RandomSampling``,
          ``KMeansSampling``, ...).

        It also serves ``query`` (by hand or in a simulation) while the labeled
        set holds a single class that the estimator cannot be fitted on (a rare
        class not yet seen): ``"random"`` and ``"stratified"`` then query at
        random, ``"kmeans"`` with :class:`~skactive.strategies.KMeansSampling`,
        with a :class:`ColdStartWarning`, until a second class is labeled.
    stopping : list of StoppingCriterion or None, default=None
        Criteria from :mod:`skactive.stopping`. In simulation mode they are
        checked after every round and the simulation ends when one fires; in a
        hand-driven loop, :meth:`should_stop` checks them. The learner works on
        clones (``stopping_``).
    classes : array-like of shape (n_classes,) or None, default=None
        The full label set, fixed up front: ``classes_`` is then this set, a label
        outside it is an error, and an estimator with a ``classes`` parameter
        (nets, whose output size is fixed) gets it. None: ``classes_`` is the set
        of labels seen, and grows when ``teach`` brings a new one. In simulation
        mode it defaults to the labels of the oracle ``y``.
    random_state : int, RandomState instance or None, default=None
        Drives the initial draw, tie-breaking between equal scores, random
        strategies, and (when set) the estimator's own seeds: every
        ``random_state`` parameter of the estimator left at None gets a seed
        drawn from it, and each fit runs on a private torch random stream seeded
        from it, so skorch nets are reproducible too. Stopping criteria with a
        ``random_state`` left at None get a seed derived from it as well.
    callbacks : list of RoundCallback or None, default=None
        Observers of every round (the initial fit, each simulated query, each
        ``teach``): objects with ``on_round(learner, record)``, see
        :mod:`skactive.callbacks`. The learner calls copies of them
        (``callbacks_``), so the objects given here never change.
    sample_params : tuple of str, default=("sample_weight",)
        The fit parameters that hold one entry per sample, and so follow their
        samples into the labeled set (``teach`` then needs them for the new
        samples); a name matches ``name`` or ``step__name`` of a pipeline. Every
        other fit parameter is passed as it is to every refit.
    verbose : int, default=0
        When positive, a simulation shows a tqdm progress bar of the labels
        used against the budget (needs the ``progress`` extra).

    Attributes
    ----------
    estimator_ : classifier
        The model fitted on the labeled set.
    classes_ : ndarray of shape (n_classes,)
        The label set; ``predict_proba`` columns follow it.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` had string column names.
    X_labeled_ : array-like of shape (n_labeled, n_features)
        The labeled samples, in the container given to ``fit`` (ndarray,
        DataFrame or sparse matrix).
    y_labeled_ : ndarray of shape (n_labeled,)
        Their labels.
    labeled_indices_ : ndarray of shape (n_labeled,), int64
        Simulation mode only: positions in the ``X`` given to ``fit`` of the
        labeled samples, in the order they were labeled.
    stopping_ : list of StoppingCriterion
        Fitted clones of ``stopping``, holding what they recorded round by round.
    callbacks_ : list of RoundCallback
        The copies of ``callbacks`` the rounds were reported to.
    stop_reason_ : str or None
        Why the simulation ended (the criterion that fired, or the budget), or,
        after :meth:`should_stop`, why to stop now; None while nothing says stop.
    cold_start_ : bool
        True while the estimator could not be fitted on the labels so far (a
        single class): ``estimator_`` then predicts that class, and queries use
        the label-free ``initial_strategy``.
    n_rounds_ : int
        Rounds after the initial fit: simulated queries and ``teach`` calls.
    history_ : list of dict
        One entry per round (the initial fit, each simulated query, each
        ``teach``), with keys ``round`` (0 for the initial fit),
        ``n_labels`` (labels after the round), ``indices``
        (positions of the round's new samples: into the ``X`` given to ``fit`` in
        simulation mode, into ``X_labeled_`` otherwise), ``query_time`` and
        ``fit_time`` (seconds). Replaying ``indices`` round by round rebuilds the
        learning curve; ``pandas.DataFrame(history_)`` tabulates it.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive import ActiveLearner
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=1000), random_state=0)
    >>> learner.fit(X[:20], y[:20])
    ActiveLearner(estimator=LogisticRegression(max_iter=1000), random_state=0)
    >>> indices = learner.query(X[20:], batch_size=5)
    >>> indices.shape, indices.dtype
    ((5,), dtype('int64'))
    >>> learner.teach(X[20:][indices], y[20:][indices]).y_labeled_.shape
    (25,)

    Simulation mode, where ``y`` acts as the oracle:

    >>> sim = ActiveLearner(LogisticRegression(max_iter=1000), budget=60,
    ...                     batch_size=10, random_state=0).fit(X, y)
    >>> [round["n_labels"] for round in sim.history_]
    [10, 20, 30, 40, 50, 60]
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods(["fit"]), None],
        "query_strategy": [HasMethods(["select"]), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "budget": [Interval(Integral, 1, None, closed="left"), None],
        "n_initial": [Interval(Integral, 1, None, closed="left")],
        "initial_strategy": [
            StrOptions({"random", "stratified", "kmeans"}),
            HasMethods(["select"]),
        ],
        "stopping": [list, tuple, None],
        "classes": ["array-like", None],
        "random_state": ["random_state"],
        "callbacks": [list, tuple, None],
        "sample_params": [list, tuple],
        "verbose": ["verbose"],
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
        classes=None,
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
        self.classes = classes
        self.random_state = random_state
        self.callbacks = callbacks
        self.sample_params = sample_params
        self.verbose = verbose

    # -- the loop -----------------------------------------------------------------

    @restore_on_error
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit on a labeled set, or run a simulation when ``budget`` is set.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            The labeled samples; in simulation mode, the whole pool.
        y : array-like of shape (n_samples,) or SimulatedOracle
            Their labels; in simulation mode, the hidden oracle, which may be a
            :class:`~skactive.oracle.SimulatedOracle` that answers with noise.
        **fit_params : dict
            Passed to the estimator's ``fit`` at every refit. Those with one entry
            per sample (such as ``sample_weight``) follow their samples into the
            labeled set.

        Returns
        -------
        self : ActiveLearner
            The fitted learner.
        """
        y = self._oracle_answers(y)
        X, y = self._validate_X_y(X, y, reset=True)
        self._strategy()  # checked before anything is drawn or fitted
        simulate = self.budget is not None
        rng, labeled, budget = self._start(X, y)
        aligned, self._other_fit_params = self._split_fit_params(fit_params, n_rows(X))
        # The label set the estimator is told: the oracle's in a simulation.
        fixed = self.classes_ if simulate or self.classes is not None else None
        is_labeled = np.zeros(n_rows(X), dtype=bool)
        is_labeled[labeled] = True
        new, query_time = labeled, 0.0
        bar = progress_bar(budget, "labels", self.verbose and simulate)
        while True:
            bar.update(new.shape[0])
            X_labeled, params = X, aligned
            if simulate:
                X_labeled = take_rows(X, labeled)
                params = take_fit_params(aligned, labeled)
                self.labeled_indices_ = labeled
            self.estimator_, fit_time = self._fit_clone(
                X_labeled,
                y[labeled],
                {**params, **self._other_fit_params},
                fixed,
                self._estimator_seed,
            )
            self.X_labeled_, self.y_labeled_ = X_labeled, y[labeled]
            self._labeled_params = params
            self._end_round(new, labeled.shape[0], query_time, fit_time)
            if not simulate:
                self._query_seed = draw_seed(rng)
                return self
            at_budget = labeled.shape[0] >= budget
            pool = np.flatnonzero(~is_labeled)
            # The unlabeled rows as a view: strategies read them in chunks.
            X_pool = None if at_budget and not self.stopping_ else PoolRows(X, pool)
            if self.stopping_ and self._check_stopping(X_pool):
                self._query_seed = draw_seed(rng)
                bar.close()
                return self
            if at_budget:
                self._stop_checked_round = len(self.history_)
                self.stop_reason_ = f"budget: {labeled.shape[0]} labels are used."
                self._query_seed = draw_seed(rng)
                bar.close()
                return self
            start = time.perf_counter()
            picked = self.current_strategy().select(
                self.estimator_,
                X_pool,
                min(self.batch_size, budget - labeled.shape[0]),
                X_labeled=X_labeled,
                y_labeled=y[labeled],
                random_state=rng,
            )
            query_time = time.perf_counter() - start
            new = pool[picked]
            is_labeled[new] = True
            labeled = np.concatenate([labeled, new])

    def _start(self, X, y):
        """Check the parameters, draw the first labels and reset the fitted state.

        Returns ``(random state, positions of the first labels, budget)``: all of
        ``X`` by hand, the initial draw in a simulation.
        """
        simulate = self.budget is not None
        if simulate and self.budget < self.n_initial:
            raise ValueError(
                f"budget={self.budget} is smaller than n_initial={self.n_initial}: "
                "the initial random draw alone would spend more than the budget. "
                "Raise budget or lower n_initial."
            )
        stopping = clone_criteria(self.stopping)  # checked before anything is drawn
        callbacks = copy_callbacks(self.callbacks)
        rng = check_random_state(self.random_state)
        n_total = n_rows(X)
        self.classes_ = self._label_set(y)
        budget = min(self.budget, n_total) if simulate else n_total
        labeled = np.arange(n_total, dtype=np.int64)
        if simulate:
            labeled = initial_draw(
                self.initial_strategy, X, y, min(self.n_initial, budget), rng
            )
            labeled = np.asarray(labeled, dtype=np.int64)
        self._rng, self._estimator_seed = rng, draw_seed(rng)
        seeded = None if self.random_state is None else self._estimator_seed
        self.stopping_ = clone_criteria(stopping, seeded)
        self.callbacks_ = callbacks
        self.history_, self.stop_reason_, self._stop_checked_round = [], None, None
        return rng, labeled, budget

    # -- the hand-driven loop -----------------------------------------------------

    def query(self, X_pool, batch_size=None):
        """Positions of the most informative samples of ``X_pool``.

        Parameters
        ----------
        X_pool : {array-like, sparse matrix, DataFrame} of shape \
                (n_samples, n_features)
            The unlabeled pool (sparse where the estimator accepts it), or a
            ``PoolRows`` view of rows of one (checked whole, never copied).
        batch_size : int or None, default=None
            How many to return; None uses the ``batch_size`` parameter. A batch
            larger than the pool returns the whole pool, ranked.

        Returns
        -------
        indices : ndarray of shape (min(batch_size, n_samples),), int64
            Unique positions in ``X_pool``, most informative first; ties between
            equal scores are broken at random from ``random_state``. A function
            of the learner's state: asking again before the next ``teach`` (or
            ``fit``) returns the same batch.
        """
        check_is_fitted(self, "estimator_")
        batch_size = check_positive_int(
            self.batch_size if batch_size is None else batch_size, "batch_size"
        )
        X_pool = self._validate_pool(X_pool)
        # A stream of its own, seeded by the latest fit or teach: asking again
        # without teaching gives the same batch, and a failed query changes nothing.
        return self.current_strategy().select(
            self.estimator_,
            X_pool,
            batch_size,
            X_labeled=self.X_labeled_,
            y_labeled=self.y_labeled_,
            random_state=np.random.RandomState(self._query_seed),
        )

    @restore_on_error
    def teach(self, X_new, y_new, **fit_params):
        """Add labeled samples and refit; on any error the learner is unchanged.

        Parameters
        ----------
        X_new : {array-like, sparse matrix, DataFrame} of shape \
                (n_new, n_features)
            The newly labeled samples.
        y_new : array-like of shape (n_new,)
            Their labels. A new label grows ``classes_`` unless ``classes`` fixed
            the label set (then it is an error).
        **fit_params : dict
            Per-sample fit parameters for the new samples; required for each one
            that ``fit`` was given (e.g. ``sample_weight``).

        Returns
        -------
        self : ActiveLearner
            The refitted learner.
        """
        check_is_fitted(self, "estimator_")
        X_new, y_new = self._validate_X_y(X_new, y_new, reset=False)
        classes = self._label_set(y_new, seen=self.classes_)
        aligned, other = self._split_fit_params(fit_params, n_rows(X_new))
        if set(aligned) != set(self._labeled_params) or other:
            raise ValueError(
                f"teach got fit parameters {sorted(fit_params)}, but fit was given "
                f"per-sample parameters {sorted(self._labeled_params)}: pass exactly "
                "those, with one entry per new sample."
            )
        X = concat_rows(self.X_labeled_, X_new)
        y = np.concatenate([self.y_labeled_, y_new])
        params = {
            name: concat_rows(np.asarray(value), np.asarray(aligned[name]))
            for name, value in self._labeled_params.items()
        }
        fixed = None if self.classes is None else classes
        estimator, fit_time = self._fit_clone(
            X, y, {**params, **self._other_fit_params}, fixed, self._estimator_seed
        )
        # Nothing above changed self; commit everything at once.
        new = np.arange(n_rows(self.X_labeled_), n_rows(X), dtype=np.int64)
        self.X_labeled_, self.y_labeled_ = X, y
        self._labeled_params = params
        self.classes_ = classes
        self.estimator_ = estimator
        self._query_seed = draw_seed(self._rng)  # new labels, a new query stream
        self._end_round(new, n_rows(X), 0.0, fit_time)
        return self

    def should_stop(self, X_pool=None):
        """Whether a stopping criterion says to stop after the latest round.

        Checks each criterion of ``stopping_`` once per round (a round is the
        initial ``fit`` or a ``teach``); calling again in the same round returns
        the same answer without recording anything twice. Sets
        ``stop_reason_`` to the reason of the first criterion that fires, or
        None.

        Parameters
        ----------
        X_pool : {array-like, sparse matrix, DataFrame} or None, default=None
            The samples still unlabeled; required by criteria that look at the
            pool (:class:`~skactive.stopping.MaxUncertainty`,
            :class:`~skactive.stopping.StabilizingPredictions`).

        Returns
        -------
        stop : bool
            True when a criterion fired.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skactive.stopping import MaxLabels
        >>> X, y = load_iris(return_X_y=True)
        >>> learner = ActiveLearner(LogisticRegression(), batch_size=10,
        ...                         stopping=[MaxLabels(30)], random_state=0)
        >>> learner = learner.fit(X[::15], y[::15])  # 10 labels
        >>> pool = np.delete(np.arange(150), np.arange(0, 150, 15))
        >>> while not learner.should_stop(X[pool]):
        ...     picked = learner.query(X[pool])
        ...     learner = learner.teach(X[pool[picked]], y[pool[picked]])
        ...     pool = np.delete(pool, picked)
        >>> learner.stop_reason_
        'MaxLabels: 30 samples are labeled (n_labels=30).'
        """
        check_is_fitted(self, "estimator_")
        if self._stop_checked_round == len(self.history_):
            return self.stop_reason_ is not None
        if X_pool is not None:
            X_pool = self._validate_pool(X_pool)
        return self._check_stopping(X_pool)

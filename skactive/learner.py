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

The loop (``fit``, ``query``, ``teach``, ``should_stop``) is
:class:`skactive._loop.ActiveLoop`, shared with
:class:`~skactive.ActiveRegressor`; this module holds what makes the learner a
classifier: its label set (``classes_``, fixed or growing), the targets it
accepts, its default model and strategy, and probabilities whose columns follow
``classes_``.
"""

from typing import ClassVar

import numpy as np
from sklearn.base import ClassifierMixin, is_regressor
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, unique_labels

from skactive._learner_base import estimator_has
from skactive._loop import ActiveLoop
from skactive.strategies import MultilabelUncertainty, UncertaintySampling
from skactive.utils._compat import HasMethods, StrOptions
from skactive.utils.validation import indicator_label_set

__all__ = ["ActiveLearner"]


class ActiveLearner(ClassifierMixin, ActiveLoop):
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
    query_strategy : QueryStrategy, callable or None, default=None
        How the batch is chosen; see :mod:`skactive.strategies`
        (:func:`~skactive.strategies.all_strategies` lists them). None means
        ``UncertaintySampling()`` (entropy). Leave the strategy's own
        ``estimator`` unset: the learner passes its fitted model. A function
        with modAL's signature, ``f(classifier, X_pool, n_instances=1)``, or of
        class probabilities, is wrapped as a
        :class:`~skactive.strategies.FunctionStrategy`.
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
    stop_code_ : str or None
        The same as a short code a program can test (scikit-learn's
        ``termination_condition_``): ``"budget"``, or the criterion's
        ``stop_code`` (``"max_labels"``, ``"target_score"``, ``"plateau"``,
        ``"max_uncertainty"``, ``"stabilizing_predictions"``); None with
        ``stop_reason_``.
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
    query_strategy_ : QueryStrategy
        Only for a strategy that learns (tagged ``learns``, such as
        :class:`~skactive.strategies.ActiveLearningByLearning`): the fitted copy
        that queries and keeps what it learned (``weights_``, ``history_``);
        ``set_params(query_strategy=...)`` starts a new one.

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
        **ActiveLoop._parameter_constraints,
        "initial_strategy": [
            StrOptions({"random", "stratified", "kmeans"}),
            HasMethods(["select"]),
        ],
        "classes": ["array-like", None],
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

    @property
    def _task(self):
        return "multilabel" if getattr(self, "multilabel_", False) else "classification"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self._base_estimator())
        if inner.classifier_tags is not None:  # a regressor is refused at fit
            tags.classifier_tags.multi_label = inner.classifier_tags.multi_label
        return tags

    # -- the task's hooks ---------------------------------------------------------

    def _default_estimator(self):
        # The default net, imported when it is used: skorch and torch take 3 s.
        from skactive.nets import TorchMLPClassifier

        return TorchMLPClassifier()

    def _default_strategy(self):
        if self._task == "multilabel":
            return MultilabelUncertainty()
        return UncertaintySampling()

    def _check_targets(self, y, reset):
        if reset and is_regressor(self._base_estimator()):
            raise TypeError(
                f"ActiveLearner is for classifiers, and estimator="
                f"{type(self._base_estimator()).__name__}(...) is a regressor: use "
                "skactive.ActiveRegressor, the same loop for continuous targets "
                "(its strategies: GreedySampling, PredictiveStd, ...; a modAL "
                "query function works there too)."
            )
        multilabel = y.ndim == 2
        if reset:
            self.multilabel_ = multilabel
        elif multilabel != self.multilabel_:
            raise ValueError(
                f"y has shape {y.shape}, but the learner was fitted on "
                + ("an indicator matrix" if self.multilabel_ else "1-D labels")
                + ": teach labels of the same kind as fit."
            )
        if multilabel:
            return y
        try:
            check_classification_targets(y)
        except ValueError as error:
            raise ValueError(
                f"{type(self).__name__} is a classifier and needs class labels, but "
                f"y looks like a regression target ({error}). Use "
                "skactive.ActiveRegressor for a continuous target, or bin the "
                "target into classes."
            ) from error
        return y

    def _start_labels(self, y):
        self.classes_ = self._label_set(y)

    def _fixed_labels(self, simulate):
        # The label set the estimator is told: the oracle's in a simulation.
        return self.classes_ if simulate or self.classes is not None else None

    def _taught_labels(self, y_new):
        classes = self._label_set(y_new, seen=self.classes_)
        return (None if self.classes is None else classes), {"classes_": classes}

    def _label_set(self, y, seen=None):
        """The label set after seeing ``y`` (on top of ``seen``); checks ``y``."""
        if self.multilabel_:
            return indicator_label_set(y, self.classes, seen)
        if self.classes is None:
            return unique_labels(y) if seen is None else unique_labels(seen, y)
        classes = np.unique(np.asarray(self.classes))
        unknown = ~np.isin(y, classes)
        if unknown.any():
            raise ValueError(
                f"y contains labels {np.unique(y[unknown]).tolist()[:10]} that are "
                f"not in classes={classes.tolist()}. Add them to the `classes` "
                "parameter, or leave classes=None to let the label set grow."
            )
        return classes

    def _widen_classes(self):
        """Add the fitted estimator's own fixed labels (a net's ``classes``) to
        ``classes_``, so that ``predict_proba`` keeps every column."""
        inner = getattr(self.estimator_, "classes_", None)
        if self.multilabel_ or inner is None or isinstance(inner, list):
            return
        if not np.isin(inner, self.classes_).all():
            self.classes_ = np.union1d(self.classes_, inner)

    # -- probabilities ------------------------------------------------------------

    @available_if(estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from ``estimator_``, columns following ``classes_``.

        A class in ``classes_`` that the labeled set lacks gets probability 0.
        Multilabel (``multilabel_``): the estimator's own answer, an array of
        each label's probability (``OneVsRestClassifier``, a net) or a list of
        one ``(n_samples, 2)`` array per label (forests,
        ``MultiOutputClassifier``); :func:`skactive.models.predict_label_proba`
        reads either as ``(n_samples, n_labels)``.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        X = self._predict_input(X)
        if self.multilabel_:
            return self.estimator_.predict_proba(X)
        proba = np.asarray(self.estimator_.predict_proba(X))
        return self._align_columns(proba)

    @available_if(estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    @available_if(estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of ``estimator_`` (its columns, its ``classes_``).

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        X = self._predict_input(X)
        return self.estimator_.decision_function(X)

    def _align_columns(self, proba):
        inner = getattr(self.estimator_, "classes_", None)
        n_classes = self.classes_.shape[0]
        if inner is not None and proba.shape[1] == len(inner):
            inner = np.asarray(inner)
            if inner.shape == self.classes_.shape and np.array_equal(
                inner, self.classes_
            ):
                return proba
            aligned = np.zeros((proba.shape[0], n_classes), dtype=proba.dtype)
            aligned[:, np.searchsorted(self.classes_, inner)] = proba
            return aligned
        if proba.shape[1] == n_classes:
            return proba
        raise ValueError(
            f"estimator_ returned {proba.shape[1]} probability columns for the "
            f"{n_classes} classes {self.classes_.tolist()[:10]}. A net with a fixed "
            "output size needs the full label set: pass classes=[...] to "
            "ActiveLearner."
        )

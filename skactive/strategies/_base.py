"""The two kinds of query strategy, and what a strategy declares it needs.

A strategy owns nothing but its parameters. Its public methods validate, then
call the one private method a subclass writes (the template of
imbalanced-learn's ``fit_resample`` / ``_fit_resample``):

* :class:`PerSampleStrategy`: the author writes ``_score(model, X, random_state)``
  returning one score per row of a chunk (higher means query first). The base
  scores the pool chunk by chunk, checks every score, draws one seed per query
  (the same for every chunk, so a random model such as MC dropout is one draw for
  the whole pool) and keeps a streamed top-k with random ties;
* :class:`BatchStrategy`: the author writes ``_select_batch(model, X, n_samples,
  context)`` choosing the whole batch, from the model, the pool and a
  :class:`QueryContext` (the labeled set, its labels, the random state). The base
  checks the answer: unique int64 positions, the right length.

What a strategy needs is declared in its tags (:class:`StrategyTags`, read with
:func:`get_strategy_tags`): whether it reads a fitted model, the labels of the
labeled set, and whether it gives per-sample scores. Other code reads the tags
and never a strategy's private attributes.
"""

import copy
import functools
import inspect
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from sklearn import config_context, get_config
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from skactive.utils.inputs import iter_row_chunks, n_rows
from skactive.utils.pools import as_pool
from skactive.utils.ranking import finish_top_k
from skactive.utils.registry import declared_tags, iter_subclasses
from skactive.utils.seeding import draw_seed
from skactive.utils.validation import check_positive_int

__all__ = [
    "BatchStrategy",
    "PerSampleStrategy",
    "QueryContext",
    "QueryStrategy",
    "StrategyTags",
    "all_strategies",
    "check_per_sample_strategy",
    "get_strategy_tags",
    "strategy_names",
    "validate_strategy",
    "validated_at_the_door",
]


@dataclass
class StrategyTags:
    """What a query strategy needs and gives, declared by the strategy.

    Attributes
    ----------
    requires_model : bool, default=True
        It reads a fitted model. False for label-free strategies
        (``RandomSampling``, ``KMeansSampling``, ``TypiClust``, ``CoreSet`` on raw
        features), which can choose the initial labeled set.
    requires_labels : bool, default=False
        It reads the labels of the labeled set (``ExpectedErrorReduction``
        retrains on them): ``select`` then needs ``X_labeled`` and
        ``y_labeled``.
    per_sample_scores : bool, default=False
        It gives one score per sample (``score_samples``), so it can be the
        ``base_strategy`` of ``StochasticBatch`` or ``InformationDensity``.
    reads_pool_rows : bool, default=False
        It reads the :class:`~skactive.utils.pools.Pool` object itself (a
        simulation's unlabeled rows, not copied), through its operations or the
        row helpers of :mod:`skactive.utils.inputs`. Per-sample strategies do
        (the base reads the chunks); any other gets the rows in the user's
        container, copied out.
    reads_dask_pools : bool, default=False
        It reads a pool whose rows live elsewhere (``Pool.distributed``: a
        dask pool) in blocks, where they are. Per-sample strategies always can
        (their blocks are scored in place); the others refuse one.
    classification : bool, default=True
        It serves classifiers: :class:`~skactive.ActiveLearner` takes it.
    regression : bool, default=False
        It serves regressors: :class:`~skactive.ActiveRegressor` takes it
        (``PredictiveStd``, ``GreedySampling``, the label-free and diversity
        strategies).
    multilabel : bool, default=False
        It serves multilabel classifiers: an ``ActiveLearner`` fitted on a binary
        indicator matrix takes it (``MultilabelUncertainty``, ``MMC``, the
        label-free strategies, ``CoreSet``, ``BADGE``).
    learns : bool, default=False
        It learns from round to round and keeps what it learned in fitted
        attributes (``ActiveLearningByLearning``): a learner queries with its
        fitted copy, ``query_strategy_``; the parameters never change.
    """

    requires_model: bool = True
    requires_labels: bool = False
    per_sample_scores: bool = False
    reads_pool_rows: bool = False
    reads_dask_pools: bool = False
    classification: bool = True
    regression: bool = False
    multilabel: bool = False
    learns: bool = False


def get_strategy_tags(strategy):
    """The :class:`StrategyTags` of a strategy (defaults for other objects).

    Examples
    --------
    >>> from skactive.strategies import RandomSampling
    >>> get_strategy_tags(RandomSampling()).requires_model
    False
    """
    return declared_tags(strategy, StrategyTags)


@dataclass(frozen=True)
class QueryContext:
    """What a batch strategy may read besides the model and the pool.

    Attributes
    ----------
    X_labeled : array-like of shape (n_labeled, n_features) or None
        The labeled samples.
    y_labeled : ndarray of shape (n_labeled,) or None
        Their labels.
    random_state : RandomState
        The query's random stream: every random choice draws from it.
    """

    X_labeled: object
    y_labeled: object
    random_state: np.random.RandomState

    @property
    def n_labeled(self):
        """Number of labeled samples (0 without a labeled set)."""
        return 0 if self.X_labeled is None else n_rows(self.X_labeled)


def check_per_sample_strategy(strategy, owner):
    """Raise a TypeError unless ``strategy`` gives per-sample scores."""
    if not get_strategy_tags(strategy).per_sample_scores:
        raise TypeError(
            f"base_strategy={type(strategy).__name__}(...) of {owner} chooses whole "
            "batches and has no score per sample; use a per-sample strategy such "
            "as UncertaintySampling(), BALD() or ExpectedModelChange()."
        )


def validate_strategy(strategy):
    """Check a strategy's parameters now, as its first query would.

    A learner calls it in ``fit``, so a typo such as
    ``acquisition_fn="margins"`` fails before any label is spent. A
    ``base_strategy`` is checked too, and must give per-sample scores.
    """
    if isinstance(strategy, BaseEstimator):
        strategy._validate_params()
    base = getattr(strategy, "base_strategy", None)
    if base is not None:
        check_per_sample_strategy(base, type(strategy).__name__)
        validate_strategy(base)


def validated_at_the_door(method):
    """Make a public strategy method validate the parameters, once.

    The ``_fit_context`` of strategies: the parameters (and a ``base_strategy``'s)
    are checked unless ``sklearn.config_context(skip_parameter_validation=True)``
    is set, and every call nested inside (a base strategy's scores, ``select``
    under ``query``) trusts its caller, as scikit-learn's
    ``prefer_skip_nested_validation=True`` does. A learner validates its
    strategy at its own door (``fit``, ``query``) and calls ``select`` under
    that setting.
    """

    @functools.wraps(method)
    def validated(self, *args, **kwargs):
        if get_config()["skip_parameter_validation"]:
            return method(self, *args, **kwargs)
        validate_strategy(self)
        with config_context(skip_parameter_validation=True):
            return method(self, *args, **kwargs)

    return validated


def _check_labeled(strategy, X_labeled, y_labeled):
    """``y_labeled`` as an array, checked against ``X_labeled``."""
    name = type(strategy).__name__
    if X_labeled is None or y_labeled is None:
        raise ValueError(
            f"{name} retrains the model on the labeled samples: pass both "
            "X_labeled= and y_labeled= to query/select (an ActiveLearner passes "
            "them itself)."
        )
    y_labeled = np.asarray(y_labeled)
    # One label (or, multilabel, one indicator row) per labeled sample.
    if y_labeled.ndim not in (1, 2) or y_labeled.shape[0] != n_rows(X_labeled):
        raise ValueError(
            f"y_labeled must hold one label per row of X_labeled: got shape "
            f"{y_labeled.shape} for {n_rows(X_labeled)} rows."
        )
    return y_labeled


class QueryStrategy(BaseEstimator, metaclass=ABCMeta):
    """Common base of query strategies: ``query``, ``select`` and the tags.

    A strategy is a scikit-learn estimator holding only parameters, so it can be
    cloned, pickled and searched over with ``GridSearchCV`` as the
    ``query_strategy`` of an :class:`~skactive.ActiveLearner`. Write a strategy
    by subclassing :class:`PerSampleStrategy` or :class:`BatchStrategy`; this
    class is for ``isinstance`` checks. The hook a subclass writes is abstract,
    so a class without it fails when it is made, not at its first query; a
    strategy without parameters needs no ``_parameter_constraints``.
    """

    #: scikit-learn's parameter validation reads it; each strategy adds its own.
    _parameter_constraints: ClassVar[dict] = {}

    def __skactive_tags__(self):
        """This strategy's :class:`StrategyTags`; subclasses extend them."""
        return StrategyTags()

    def _standalone_model(self):
        """The ``estimator`` parameter, or that of ``base_strategy``."""
        model = getattr(self, "estimator", None)
        if model is None and hasattr(self, "base_strategy"):
            model = getattr(self.base_strategy, "estimator", None)
        return model

    def _without_model(self):
        """A shallow copy holding no model (nor does its ``base_strategy``): what
        a dask task carries, the model travelling once, on its own."""
        stripped = copy.copy(self)
        if getattr(stripped, "estimator", None) is not None:
            stripped.estimator = None
        base = getattr(stripped, "base_strategy", None)
        if isinstance(base, QueryStrategy):
            stripped.base_strategy = base._without_model()
        return stripped

    @validated_at_the_door
    def query(
        self,
        X_pool,
        n_samples=10,
        *,
        X_labeled=None,
        y_labeled=None,
        random_state=None,
    ):
        """Indices of the ``n_samples`` most informative samples of ``X_pool``.

        Standalone use, with the model given as this strategy's ``estimator``
        (or its ``base_strategy``'s). Inside an :class:`~skactive.ActiveLearner`,
        the learner calls :meth:`select` with its own fitted model instead.

        Parameters
        ----------
        X_pool : array-like, sparse matrix, DataFrame or torch.Tensor of shape \
                (n_samples, n_features)
            The unlabeled pool, in a form the model accepts.
        n_samples : int, default=10
            Batch size; the whole pool (ranked) is returned when it is larger.
        X_labeled : array-like of shape (n_labeled, n_features), default=None
            The labeled samples, for strategies that use them (diversity).
        y_labeled : array-like of shape (n_labeled,), default=None
            Their labels, for strategies that retrain on them
            (:class:`ExpectedErrorReduction`).
        random_state : int, RandomState instance or None, default=None
            Breaks ties between equal scores, and drives random strategies.

        Returns
        -------
        indices : ndarray of shape (min(n_samples, len(X_pool)),), int64
            Unique positions in ``X_pool``, most informative first.
        """
        model = self._standalone_model()
        if model is None and get_strategy_tags(self).requires_model:
            raise ValueError(
                f"{type(self).__name__}.query needs a fitted model: pass it as "
                f"{type(self).__name__}(estimator=model), or use the strategy as "
                "the query_strategy of an ActiveLearner."
            )
        return self.select(
            model,
            X_pool,
            n_samples,
            X_labeled=X_labeled,
            y_labeled=y_labeled,
            random_state=random_state,
        )

    @validated_at_the_door
    def select(
        self,
        model,
        X,
        n_samples,
        *,
        X_labeled=None,
        y_labeled=None,
        random_state=None,
    ):
        """Choose a batch from ``X`` for ``model`` (the learner's entry point).

        Parameters
        ----------
        model : fitted estimator, torch.nn.Module or None
            The model whose uncertainty is measured (None for label-free
            strategies).
        X : array-like, sparse matrix, DataFrame, torch.Tensor or Pool
            The pool (a learner passes the :class:`~skactive.utils.pools.Pool`
            it built; a simulation's is a view of the unlabeled rows).
        n_samples : int
            Batch size; ``min(n_samples, len(X))`` indices are returned.
        X_labeled : array-like or None, default=None
            The labeled samples.
        y_labeled : array-like or None, default=None
            Their labels (read by strategies that retrain on them).
        random_state : int, RandomState instance or None, default=None
            Breaks ties and drives random choices.

        Returns
        -------
        indices : ndarray of shape (min(n_samples, len(X)),), int64
            Unique positions in ``X``, most informative first.
        """
        n_samples = check_positive_int(n_samples, "n_samples")
        rng = check_random_state(random_state)
        pool = as_pool(X)  # one pool object; a learner's is already built
        tags = get_strategy_tags(self)
        if pool.distributed and not tags.reads_dask_pools:
            raise ValueError(
                f"{type(self).__name__} cannot query a dask pool yet. Strategies "
                f"that can: {strategy_names(reads_dask_pools=True)}; or compute "
                "the pool (X.compute()) when it fits in memory."
            )
        if pool.n_rows == 0:
            return np.empty(0, dtype=np.int64)
        if tags.requires_labels:
            y_labeled = _check_labeled(self, X_labeled, y_labeled)
        X = pool if tags.reads_pool_rows else pool.materialize()
        context = QueryContext(X_labeled, y_labeled, rng)
        return self._choose(model, X, n_samples, context)

    @abstractmethod
    def _choose(self, model, X, n_samples, context):
        """The batch: written by the two bases, :class:`PerSampleStrategy` (a
        subclass writes ``_score``) and :class:`BatchStrategy` (``_select_batch``)."""

    def score_samples(self, model, X, *, random_state=None):
        """Per-sample scores; only strategies tagged ``per_sample_scores`` have them.

        Parameters
        ----------
        model : fitted estimator or torch.nn.Module
            The model.
        X : array-like, sparse matrix, DataFrame or torch.Tensor
            Samples.
        random_state : int, RandomState instance or None, default=None
            Seeds random scores.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        raise TypeError(
            f"{type(self).__name__} chooses whole batches and gives no score per "
            "sample; use select or query."
        )


class PerSampleStrategy(QueryStrategy):
    """Base of strategies that score each sample: write ``_score``.

    ``_score(model, X, random_state)`` gets a chunk ``X`` of the pool and returns
    one finite score per row, higher queried first. ``random_state`` is an int
    seed drawn once per query and the same for every chunk: use it for scores
    that are random (MC dropout masks), ignore it otherwise. The base chunks the
    pool (``chunk_rows`` rows per chunk, or about 8 MiB of input when None),
    checks the scores' shape and that none is NaN, and takes the top-k, ties in
    random order, in memory O(chunk + k).

    Examples
    --------
    Query the samples whose top two classes are closest in log-odds:

    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.models import predict_proba
    >>> from skactive.strategies import PerSampleStrategy
    >>> class LogOddsMargin(PerSampleStrategy):
    ...     def _score(self, model, X, random_state):
    ...         top2 = np.sort(np.log(predict_proba(model, X)), axis=1)[:, -2:]
    ...         return top2[:, 0] - top2[:, 1]  # higher = closer = query first
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=500).fit(X[::10], y[::10])
    >>> LogOddsMargin().select(model, X, 3, random_state=0).shape
    (3,)
    >>> LogOddsMargin().score_samples(model, X[:2]).shape
    (2,)
    """

    #: Rows per scored chunk; None: about 8 MiB of input (a multiple of 1024).
    chunk_rows = None

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        tags.per_sample_scores = True
        tags.reads_pool_rows = True  # the base reads the chunks
        tags.reads_dask_pools = True  # dask scores the blocks
        return tags

    @abstractmethod
    def _score(self, model, X, random_state):
        """One finite score per row of the chunk ``X``; higher is queried first."""

    def _scored_chunks(self, model, X, seed):
        """``(start, checked scores)`` for consecutive chunks of ``X``."""
        for start, chunk in iter_row_chunks(X, self.chunk_rows):
            scores = np.asarray(self._score(model, chunk, seed))
            if scores.shape != (n_rows(chunk),):
                raise ValueError(
                    f"{type(self).__name__} produced scores of shape {scores.shape} "
                    f"for {n_rows(chunk)} samples; expected one score per sample."
                )
            if np.isnan(scores).any():
                raise ValueError(
                    f"{type(self).__name__} produced NaN scores; the model's "
                    "probabilities contain NaN (check the model and the pool)."
                )
            yield start, scores

    @validated_at_the_door
    def score_samples(self, model, X, *, random_state=None):
        """Informativeness of each sample of ``X``; higher means query first.

        Parameters
        ----------
        model : fitted estimator or torch.nn.Module
            The model whose uncertainty is measured.
        X : array-like, sparse matrix, DataFrame or torch.Tensor
            Samples.
        random_state : int, RandomState instance or None, default=None
            Seeds strategies whose scores are random (MC dropout samples); the
            others ignore it.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        seed = draw_seed(random_state)
        parts = [scores for _, scores in self._scored_chunks(model, X, seed)]
        return np.concatenate(parts) if parts else np.empty(0)

    def _choose(self, model, X, n_samples, context):
        rng = context.random_state
        # The pool streams the top-k where its rows are; the scorer carries no
        # model (the model travels once, on its own, to a dask pool's blocks).
        positions, scores = as_pool(X).top_k(
            self._without_model()._scored_chunks, model, n_samples, draw_seed(rng)
        )
        return finish_top_k(positions, scores, n_samples, rng)


class BatchStrategy(QueryStrategy):
    """Base of strategies that choose a whole batch at once: write ``_select_batch``.

    ``_select_batch(model, X, n_samples, context)`` gets the model (None for a
    label-free strategy used before any model), the non-empty pool ``X``, the
    batch size and a :class:`QueryContext`, and returns positions in ``X`` in
    priority order. Every random choice draws from ``context.random_state``.
    The base checks the answer: ``min(n_samples, len(X))`` unique positions in
    range, returned as int64. Declare what the strategy needs by extending
    ``__skactive_tags__``.

    Examples
    --------
    Query the samples farthest from the labeled set's mean, label-free:

    >>> import numpy as np
    >>> from skactive.strategies import BatchStrategy
    >>> class FarFromLabeled(BatchStrategy):
    ...     def __skactive_tags__(self):
    ...         tags = super().__skactive_tags__()
    ...         tags.requires_model = False
    ...         return tags
    ...     def _select_batch(self, model, X, n_samples, context):
    ...         center = np.asarray(context.X_labeled).mean(axis=0)
    ...         distance = np.linalg.norm(X - center, axis=1)
    ...         return np.argsort(-distance)[:n_samples]
    >>> X = np.arange(10.0).reshape(5, 2)
    >>> FarFromLabeled().query(X, 2, X_labeled=X[:1])
    array([4, 3])
    """

    @abstractmethod
    def _select_batch(self, model, X, n_samples, context):
        """``min(n_samples, len(X))`` unique positions in ``X``, priority order."""

    def _choose(self, model, X, n_samples, context):
        indices = np.asarray(self._select_batch(model, X, n_samples, context))
        n_pool = n_rows(X)
        expected = min(n_samples, n_pool)
        if (
            indices.shape != (expected,)
            or not np.issubdtype(indices.dtype, np.integer)
            or (expected and (indices.min() < 0 or indices.max() >= n_pool))
            or np.unique(indices).shape[0] != expected
        ):
            raise ValueError(
                f"{type(self).__name__}._select_batch returned {indices!r}; "
                f"expected {expected} unique integer positions in [0, {n_pool})."
            )
        return indices.astype(np.int64, copy=False)


# -- the registry ---------------------------------------------------------------

_TASKS = ("classification", "regression", "multilabel")
_TAG_FILTERS = ("requires_model", "requires_labels", "per_sample_scores")
_TAG_FILTERS += ("reads_dask_pools",)


def all_strategies(task=None, **tags):
    """skactive's pool strategies, sorted by name, filtered by their tags.

    scikit-learn's ``all_estimators`` for strategies: every public, concrete
    :class:`QueryStrategy` of :mod:`skactive.strategies`, each read through the
    tags of its default instance. Every list of strategies the library shows
    (those serving a learner's task, those reading a dask pool) comes from
    here, so a new strategy is its class and its export, nothing else.

    Parameters
    ----------
    task : {"classification", "regression", "multilabel"} or None, default=None
        Only the strategies serving this task (their tag of that name is True).
    **tags : bool
        Only those whose tag has this value: ``requires_model``,
        ``requires_labels``, ``per_sample_scores`` or ``reads_dask_pools``.

    Returns
    -------
    strategies : list of (name, class) tuples

    Examples
    --------
    >>> from skactive.strategies import all_strategies
    >>> [name for name, _ in all_strategies("regression", requires_model=True)]
    ... # doctest: +NORMALIZE_WHITESPACE
    ['ActiveLearningByLearning', 'ExpectedModelChangeRegression',
     'GreedySampling', 'PredictiveStd']
    """
    if task is not None and task not in _TASKS:
        raise ValueError(f"task must be one of {_TASKS} or None, got {task!r}.")
    unknown = sorted(set(tags) - set(_TAG_FILTERS))
    if unknown:
        raise TypeError(
            f"all_strategies got unknown tag filters {unknown}; it filters by "
            f"{list(_TAG_FILTERS)}."
        )
    found = {
        cls.__name__: cls
        for cls in iter_subclasses(QueryStrategy)
        if cls.__module__.startswith("skactive.strategies.")
        and not cls.__name__.startswith("_")
        and not inspect.isabstract(cls)
    }
    kept = []
    for name, cls in sorted(found.items()):
        declared = get_strategy_tags(cls())
        if task is not None and not getattr(declared, task):
            continue
        if all(getattr(declared, tag) == value for tag, value in tags.items()):
            kept.append((name, cls))
    return kept


def strategy_names(task=None, **tags):
    """The names of :func:`all_strategies`, for a message: ``"A, B and C"``.

    Examples
    --------
    >>> strategy_names("regression", requires_model=True)[-63:]
    'ExpectedModelChangeRegression, GreedySampling and PredictiveStd'
    """
    names = [name for name, _ in all_strategies(task, **tags)]
    return " and ".join([", ".join(names[:-1]), names[-1]] if names[1:] else names)

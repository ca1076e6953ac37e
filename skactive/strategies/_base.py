"""The QueryStrategy base class: validation, chunked scoring, top-k and ties.

A strategy owns nothing but its parameters. Public methods validate and then call
the one private method a subclass writes (the template of imbalanced-learn's
``fit_resample`` / ``_fit_resample``):

* per-sample strategies write ``_score(model, X_chunk) -> (n_chunk,)`` (higher
  means query first); the base class scores the pool chunk by chunk and keeps a
  running top-k, so extra memory is one chunk's worth, not the pool's;
* batch-aware strategies write ``_select(model, X, n_samples, X_labeled,
  random_state) -> indices`` instead;
* strategies that retrain on the labels (``_needs_labels = True``) write
  ``_select_labeled(model, X, n_samples, X_labeled, y_labeled, random_state)``.
"""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from skactive.utils._rows import iter_row_chunks, n_rows

__all__ = ["QueryStrategy", "top_k"]


def _validate_n_samples(n_samples, name="n_samples"):
    if isinstance(n_samples, bool) or not isinstance(n_samples, Integral):
        raise TypeError(
            f"{name} must be a positive integer, got {n_samples!r} of type "
            f"{type(n_samples).__name__}."
        )
    if n_samples < 1:
        raise ValueError(f"{name} must be a positive integer, got {n_samples}.")
    return int(n_samples)


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
    if y_labeled.ndim != 1 or y_labeled.shape[0] != n_rows(X_labeled):
        raise ValueError(
            f"y_labeled must hold one label per row of X_labeled: got shape "
            f"{y_labeled.shape} for {n_rows(X_labeled)} rows."
        )
    return y_labeled


def _candidates(scores, k):
    """Positions of ``scores`` that can be in a top-k: all >= the k-th largest.

    Keeping every tie of the k-th value lets the final choice among ties be
    random rather than decided by position.
    """
    if scores.shape[0] <= k:
        return np.arange(scores.shape[0])
    kth = np.partition(scores, scores.shape[0] - k)[scores.shape[0] - k]
    return np.flatnonzero(scores >= kth)


def top_k(scores, k, random_state=None):
    """Positions of the ``k`` largest scores, largest first, ties in random order.

    Parameters
    ----------
    scores : ndarray of shape (n,)
        Scores; higher means query first. NaN is not allowed.
    k : int
        How many to return; ``min(k, n)`` are returned.
    random_state : int, RandomState instance or None, default=None
        Breaks ties, both at the k-th place (which of the tied samples get in) and
        in the order of the result.

    Returns
    -------
    indices : ndarray of shape (min(k, n),), int64

    Examples
    --------
    >>> top_k(np.array([0.1, 0.9, 0.5, 0.7]), 2)
    array([1, 3])
    """
    scores = np.asarray(scores)
    rng = check_random_state(random_state)
    return _finish_top_k(np.arange(scores.shape[0]), scores, k, rng)


def _finish_top_k(positions, scores, k, rng):
    """The top ``k`` of candidate ``positions`` with ``scores``, ties at random."""
    if scores.shape[0] > k:
        kth = np.partition(scores, scores.shape[0] - k)[scores.shape[0] - k]
        above = np.flatnonzero(scores > kth)
        tied = np.flatnonzero(scores == kth)
        chosen = rng.choice(tied, size=k - above.shape[0], replace=False)
        keep = np.concatenate([above, chosen])
        positions, scores = positions[keep], scores[keep]
    # Sort by score, descending; a random key orders equal scores.
    order = np.lexsort((rng.random_sample(scores.shape[0]), -scores))
    return positions[order].astype(np.int64, copy=False)


class QueryStrategy(BaseEstimator):
    """Base class of query strategies.

    A strategy is a scikit-learn estimator holding only parameters, so it can be
    cloned, pickled and searched over with ``GridSearchCV`` as the
    ``query_strategy`` of an :class:`~skactive.ActiveLearner`. Subclasses write
    ``_score`` (one score per sample, higher = query first) or ``_select`` (a whole
    batch at once).

    Used on its own, a strategy built with a fitted ``estimator`` answers
    ``query(X_pool, n_samples)``.

    Examples
    --------
    A strategy of one's own needs one method. Here, query the samples whose top
    two classes are closest in log-odds:

    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive.models import predict_proba
    >>> from skactive.strategies import QueryStrategy
    >>> class LogOddsMargin(QueryStrategy):
    ...     _parameter_constraints = {}
    ...     def _score(self, model, X):
    ...         top2 = np.sort(np.log(predict_proba(model, X)), axis=1)[:, -2:]
    ...         return top2[:, 0] - top2[:, 1]  # higher = closer = query first
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=500).fit(X[::10], y[::10])
    >>> LogOddsMargin().select(model, X, 3, random_state=0).shape
    (3,)
    """

    #: Whether the strategy reads a fitted model (RandomSampling does not).
    _needs_model = True
    #: Whether the strategy scores samples one by one (``score_samples``); batch
    #: strategies that choose a whole batch at once set it False.
    _per_sample_scores = True
    #: Whether the strategy reads the labels of the labeled samples (expected
    #: error reduction retrains on them).
    _needs_labels = False

    def _validate_strategy_params(self):
        """Check parameters; subclasses extend (scikit-learn's constraints)."""
        self._validate_params()

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

        Standalone use, with the model given as this strategy's ``estimator``.
        Inside an :class:`~skactive.ActiveLearner`, the learner calls
        :meth:`select` with its own fitted model instead.

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
        if model is None and self._needs_model:
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

    def _standalone_model(self):
        """The model ``query`` uses: the ``estimator`` parameter, if any."""
        return getattr(self, "estimator", None)

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
        model : fitted estimator or torch.nn.Module
            The model whose uncertainty is measured.
        X : array-like, sparse matrix, DataFrame or torch.Tensor
            The pool.
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
        self._validate_strategy_params()
        n_samples = _validate_n_samples(n_samples)
        rng = check_random_state(random_state)
        if n_rows(X) == 0:
            return np.empty(0, dtype=np.int64)
        if self._needs_labels:
            y_labeled = _check_labeled(self, X_labeled, y_labeled)
            return self._select_labeled(model, X, n_samples, X_labeled, y_labeled, rng)
        return self._select(model, X, n_samples, X_labeled, rng)

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
        self._validate_strategy_params()
        if not self._per_sample_scores:
            raise TypeError(
                f"{type(self).__name__} chooses whole batches and gives no score per "
                "sample; use select or query."
            )
        rng = check_random_state(random_state)
        parts = [scores for _, scores in self._iter_scores(model, X, rng)]
        return np.concatenate(parts) if parts else np.empty(0)

    def _iter_scores(self, model, X, rng):
        """Yield ``(start, scores)`` for consecutive chunks of ``X``.

        Strategies whose scores are random override it to fix one seed per call,
        so every chunk is scored by the same draw of the model.
        """
        for start, chunk in iter_row_chunks(X):
            yield start, self._checked_score(model, chunk)

    def _checked_score(self, model, chunk, scores=None):
        if scores is None:
            scores = self._score(model, chunk)
        scores = np.asarray(scores)
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
        return scores

    def _score(self, model, X):
        raise NotImplementedError(
            f"{type(self).__name__} must implement _score or _select."
        )

    def _select(self, model, X, n_samples, X_labeled, rng):
        """Streamed top-k: per chunk keep the candidates, then choose among them."""
        positions, kept_scores = [], []
        n_kept, prune_above = 0, 4 * n_samples
        for start, scores in self._iter_scores(model, X, rng):
            keep = _candidates(scores, n_samples)
            positions.append(keep + start)
            kept_scores.append(scores[keep])
            n_kept += keep.shape[0]
            if n_kept > prune_above:
                # Prune the running candidates so memory stays O(chunk + k).
                merged_positions = np.concatenate(positions)
                merged_scores = np.concatenate(kept_scores)
                keep = _candidates(merged_scores, n_samples)
                positions, kept_scores = [merged_positions[keep]], [merged_scores[keep]]
                n_kept = keep.shape[0]
                # Many ties survive pruning; doubling the bound keeps the total
                # pruning work linear in the pool size even then.
                prune_above = max(prune_above, 2 * n_kept)
        return _finish_top_k(
            np.concatenate(positions), np.concatenate(kept_scores), n_samples, rng
        )

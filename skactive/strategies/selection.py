"""ActiveLearningByLearning: a bandit that learns which strategy to use.

No strategy wins on every data set, and a user labeling for real has no test set
to find out which one wins on theirs. This selector treats the candidate
strategies as the arms of a bandit (EXP3, Auer et al. 2002, as in Hsu & Lin's
Active Learning by Learning, AAAI 2015) and learns from the labels it collects.

The reward differs from ALBL's. ALBL scores the model, after it trained on them,
on every queried sample weighted by one over its query probability: a training
accuracy, optimistic for a model that fits its labels. Here each batch holds a
share of *probes* drawn uniformly from the pool; before their labels arrive,
both the model that chose this round and the model of the round before predict
them. When the labels come, the gain in score from the previous model to the
current one, on samples neither was trained on, is the reward of the candidate
whose batch made the difference. Uniform probes make it an unbiased estimate of
the pool-wide gain (the prequential, test-then-train evaluation of Dawid 1984;
the bias of scoring on actively chosen samples is studied by Farquhar, Gal &
Rainforth, ICLR 2021), and pairing the two models on the same probes removes
the variance that the samples' own difficulty would add. It fits no model.
"""

import hashlib
import pickle
from numbers import Real
from typing import ClassVar

import numpy as np
from sklearn.base import clone, is_regressor

from skactive.strategies._base import (
    BatchStrategy,
    QueryStrategy,
    get_strategy_tags,
    validate_strategy,
)
from skactive.strategies.multilabel import MultilabelUncertainty
from skactive.strategies.random import RandomSampling
from skactive.strategies.regression import GreedySampling, PredictiveStd
from skactive.strategies.uncertainty import UncertaintySampling
from skactive.utils._compat import Interval
from skactive.utils.inputs import n_rows, take_rows

__all__ = ["ALBL", "ActiveLearningByLearning"]


def _row_keys(X):
    """One digest per row of ``X`` (ndarray, sparse, DataFrame, list), to find a
    probe among the rows a learner taught; a loop over a batch, not a pool."""
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    if hasattr(X, "toarray"):
        X = X.toarray()
    if isinstance(X, np.ndarray):
        rows = [np.ascontiguousarray(row).tobytes() for row in X]
    else:
        rows = [pickle.dumps(row) for row in X]
    return [hashlib.blake2b(row, digest_size=16).hexdigest() for row in rows]


def _task(model, y_labeled):
    y = None if y_labeled is None else np.asarray(y_labeled)
    if y is not None and y.ndim == 2:
        return "multilabel"
    return "regression" if is_regressor(model) else "classification"


def _item_scores(task, predicted, y, scale):
    """Per-item score of predictions against labels: higher is better."""
    predicted, y = np.asarray(predicted), np.asarray(y)
    if task == "classification":
        return (predicted.astype(y.dtype, copy=False) == y).astype(float)
    if task == "multilabel":
        return (predicted == y).mean(axis=1).astype(float)
    return -((predicted.astype(float) - y.astype(float)) ** 2) / scale


def exp3_probabilities(gains, learning_rate, min_probability):
    """EXP3's draw: ``(1 - K p_min) softmax(learning_rate * gains) + p_min``.

    Examples
    --------
    >>> exp3_probabilities(np.array([0.0, 0.0]), 1.0, 0.1).tolist()
    [0.5, 0.5]
    """
    logits = learning_rate * np.asarray(gains, dtype=float)
    weights = np.exp(logits - logits.max())
    k = weights.shape[0]
    floor = min(min_probability, 1.0 / k)
    return (1.0 - k * floor) * weights / weights.sum() + floor


class ActiveLearningByLearning(BatchStrategy):
    """Learn which candidate strategy to use from the labels collected.

    Each round the selector draws one candidate with the probabilities of EXP3
    (``weights_``), lets it choose the batch but for a ``probe_share`` drawn
    uniformly from the pool, and records both models' predictions on the
    probes. When their labels arrive (the next query sees them in the labeled
    set), the gain in score of the current model over the previous one on the
    probes, divided by the probability of the candidate that chose the batch in
    between, is added to that candidate's estimated gain (EXP3's unbiased
    estimate). Random sampling is always a candidate and every candidate keeps
    at least ``min_probability``, so the selector never stops exploring.

    Scores: accuracy (classification), the share of labels right (multilabel),
    minus the squared error over the labels' variance (regression). No model is
    fitted by the selector; a round costs the drawn candidate's query and two
    predictions on the probes.

    Parameters
    ----------
    strategies : list of query strategies or None, default=None
        The candidates. None: random sampling, margin and entropy uncertainty
        (and BADGE for a net) for a classifier; random, ``GreedySampling`` and
        ``PredictiveStd`` (when the model gives a std) for a regressor; random
        and ``MultilabelUncertainty`` for a multilabel model.
    probe_share : float in [0, 1), default=0.1
        Share of each batch drawn uniformly from the pool to measure the
        reward (at least one sample when the batch has two or more).
    learning_rate : float > 0, default=5.0
        EXP3's step on the estimated gains (score units, e.g. accuracy).
    min_probability : float in [0, 1), default=0.1
        Floor of every candidate's probability (capped at one over their number).
    estimator : fitted estimator or None, default=None
        The model, for standalone use (``query``); inside a learner leave it
        None.

    Attributes
    ----------
    strategies_ : list of query strategies
        The candidates in use.
    weights_ : ndarray of shape (n_strategies,)
        The probabilities of the latest round's draw.
    gains_ : ndarray of shape (n_strategies,)
        EXP3's importance-weighted cumulative gains.
    history_ : list of dict
        One record per round: ``n_labeled``, ``strategy`` (its index),
        ``name``, ``probabilities``, ``n_probes``, and ``reward`` with
        ``credited`` (the candidate it went to) once measured, else None.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skactive import ActiveLearner
    >>> from skactive.strategies import ActiveLearningByLearning
    >>> X, y = load_iris(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=500),
    ...                         query_strategy=ActiveLearningByLearning(),
    ...                         batch_size=5, budget=40, random_state=0).fit(X, y)
    >>> selector = learner.query_strategy_
    >>> len(selector.history_), round(float(selector.weights_.sum()), 6)
    (6, 1.0)
    """

    _parameter_constraints: ClassVar[dict] = {
        "strategies": [list, None],
        "probe_share": [Interval(Real, 0, 1, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "min_probability": [Interval(Real, 0, 1, closed="left")],
        "estimator": "no_validation",
    }

    def __init__(
        self,
        strategies=None,
        *,
        probe_share=0.1,
        learning_rate=5.0,
        min_probability=0.1,
        estimator=None,
    ):
        self.strategies = strategies
        self.probe_share = probe_share
        self.learning_rate = learning_rate
        self.min_probability = min_probability
        self.estimator = estimator

    def __skactive_tags__(self):
        tags = super().__skactive_tags__()
        tags.regression = tags.multilabel = True
        tags.learns = True
        tags.reads_pool_rows = True  # each candidate reads the pool its own way
        return tags

    def _validate_params(self):
        super()._validate_params()
        for strategy in self.strategies or ():
            if not isinstance(strategy, QueryStrategy):
                raise TypeError(
                    "strategies must hold query strategies such as "
                    f"UncertaintySampling(); got {type(strategy).__name__}."
                )
            validate_strategy(strategy)

    # -- candidates ---------------------------------------------------------------

    def _default_candidates(self, model, task):
        if task == "regression":
            candidates = [RandomSampling(), GreedySampling()]
            if hasattr(model, "predict_std") or hasattr(model, "estimators_"):
                candidates.append(PredictiveStd())
            return candidates
        if task == "multilabel":
            return [RandomSampling(), MultilabelUncertainty()]
        candidates = [
            RandomSampling(),
            UncertaintySampling(acquisition_fn="margin"),
            UncertaintySampling(acquisition_fn="entropy"),
        ]
        if hasattr(model, "module_"):  # a skorch net: its embedding for BADGE
            from skactive.strategies.diversity import BADGE

            candidates.append(BADGE())
        return candidates

    def _candidates(self, model, task):
        if self.strategies is None:
            return self._default_candidates(model, task)
        candidates = [clone(strategy) for strategy in self.strategies]
        for strategy in candidates:
            if not getattr(get_strategy_tags(strategy), task):
                raise ValueError(
                    f"strategies holds {type(strategy).__name__}(), which does not "
                    f"serve {task}; give candidates that do."
                )
        if not any(isinstance(s, RandomSampling) for s in candidates):
            candidates.insert(0, RandomSampling())  # never worse than random
        return candidates

    # -- the reward ---------------------------------------------------------------

    def _measured_reward(self, pending, context):
        """The pending round's probes' gain, from the labels taught since."""
        start = pending["n_labeled"]
        if context.n_labeled <= start or pending["credited"] is None:
            return None
        new = take_rows(context.X_labeled, np.arange(start, context.n_labeled))
        y_new = np.asarray(context.y_labeled)[start:]
        where = {key: i for i, key in enumerate(_row_keys(new))}
        found = [
            (j, where[key]) for j, key in enumerate(pending["keys"]) if key in where
        ]
        if not found:
            return None
        probe, taught = (np.array(part, dtype=np.intp) for part in zip(*found))
        y = y_new[taught]
        task, scale = pending["task"], pending["scale"]
        now = _item_scores(task, pending["current"][probe], y, scale)
        before = _item_scores(task, pending["previous"][probe], y, scale)
        return float(np.mean(now - before))

    # -- the round ----------------------------------------------------------------

    def _next_base(self, pending, model, task, context):
        """The round's starting state: what it learned up to these labels."""
        if pending is None or context.n_labeled < pending["n_labeled"]:
            # The first round (or labels were taken away): start afresh.
            strategies = self._candidates(model, task)
            return {
                "strategies": strategies,
                "gains": np.zeros(len(strategies)),
                "previous": None,
                "reward": None,
                "rewarded": None,
                "credited": None,
                "credited_probability": None,
            }
        gains = pending["base"]["gains"].copy()
        reward = self._measured_reward(pending, context)
        if reward is not None:
            # EXP3's unbiased estimate: the gain over the draw's probability.
            gains[pending["credited"]] += reward / pending["credited_probability"]
        return {
            "strategies": pending["base"]["strategies"],
            "gains": gains,
            "previous": pending["model"],
            "reward": reward,
            "rewarded": None if reward is None else pending["credited"],
            # The batch chosen last round turned that model into this one.
            "credited": pending["strategy"],
            "credited_probability": pending["probability"],
        }

    def _select_batch(self, model, X, n_samples, context):
        rng = context.random_state
        task = _task(model, context.y_labeled)
        pending = getattr(self, "_pending", None)
        repeat = pending is not None and pending["n_labeled"] == context.n_labeled
        # Asked again before new labels: the same round, redone from its start.
        base = (
            pending["base"]
            if repeat
            else self._next_base(pending, model, task, context)
        )
        strategies = base["strategies"]
        probabilities = exp3_probabilities(
            base["gains"], self.learning_rate, self.min_probability
        )
        k = int(rng.choice(len(strategies), p=probabilities))
        n_pool, n_batch = n_rows(X), min(n_samples, n_rows(X))
        n_probes = 0
        if self.probe_share > 0 and n_batch >= 2:
            n_probes = max(1, round(self.probe_share * n_batch))
        probes = rng.choice(n_pool, size=n_probes, replace=False).astype(np.int64)
        chosen = strategies[k].select(
            model,
            X,
            n_batch,
            X_labeled=context.X_labeled,
            y_labeled=context.y_labeled,
            random_state=rng,
        )
        chosen = np.asarray(chosen)[~np.isin(chosen, probes)][: n_batch - n_probes]
        # Probes first: a session hands out the head of a longer list of
        # spares, and a probe whose label never comes measures nothing.
        batch = np.concatenate([probes, chosen]).astype(np.int64)

        self._commit(
            context,
            base,
            k,
            probabilities,
            n_probes,
            task,
            model,
            self._probed(model, X, probes, base, task, context),
            repeat,
        )
        return batch

    @staticmethod
    def _probed(model, X, probes, base, task, context):
        """What the next round needs to score the probes: their digests, both
        models' predictions, the regression scale."""
        keys, current, previous = [], np.empty(0), np.empty(0)
        if probes.shape[0] and base["credited"] is not None:
            probe_rows = take_rows(X, probes)
            keys = _row_keys(probe_rows)
            current = np.asarray(model.predict(probe_rows))
            previous = np.asarray(base["previous"].predict(probe_rows))
        y = None if context.y_labeled is None else np.asarray(context.y_labeled)
        scale = 1.0
        if task == "regression" and y is not None and y.size > 1:
            scale = float(np.var(y)) or 1.0
        return {"keys": keys, "current": current, "previous": previous, "scale": scale}

    def _commit(
        self, context, base, k, probabilities, n_probes, task, model, probed, repeat
    ):
        """Record the round; nothing before this changed self."""
        strategies = base["strategies"]
        record = {
            "n_labeled": context.n_labeled,
            "strategy": k,
            "name": type(strategies[k]).__name__,
            "probabilities": probabilities,
            "n_probes": n_probes,
            "reward": base["reward"],
            "credited": base["rewarded"],
        }
        history = list(getattr(self, "history_", []))
        self._pending = {
            "n_labeled": context.n_labeled,
            "base": base,
            "strategy": k,
            "probability": float(probabilities[k]),
            "credited": base["credited"],
            "credited_probability": base["credited_probability"],
            "model": model,
            "task": task,
            **probed,
        }
        self.strategies_ = strategies
        self.gains_ = base["gains"].copy()
        self.weights_ = probabilities
        self.history_ = [*(history[:-1] if repeat else history), record]


#: The short name.
ALBL = ActiveLearningByLearning

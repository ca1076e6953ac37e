"""Query strategies for multilabel classification: each sample has a set of labels.

Each reads each label's probability from
:func:`skactive.models.predict_label_proba` (``OneVsRestClassifier``,
``MultiOutputClassifier``, forests, a multilabel ``TorchMLPClassifier``):

* :class:`MultilabelUncertainty`: binary relevance, the uncertainty of each
  label's classifier, averaged or maximized over the labels;
* :class:`MMC`: maximum loss reduction with maximal confidence (Yang et al.,
  2009), the expected loss of the label set the model would predict, its size
  predicted from the labeled set;
* :class:`LabelCardinalityInconsistency`: how far the number of predicted labels
  is from the labeled set's average (Li & Guo, 2013).

``RandomSampling``, ``CoreSet``, ``BADGE`` (its gradient embedding taken with a
sigmoid per label), ``KMeansSampling`` and ``TypiClust`` serve multilabel
learners as they are.
"""

from typing import ClassVar

import numpy as np

from skactive.models import predict_label_proba
from skactive.strategies._base import BatchStrategy, PerSampleStrategy
from skactive.utils._compat import StrOptions
from skactive.utils.inputs import iter_row_chunks
from skactive.utils.ranking import StreamingTopK

__all__ = ["MMC", "LabelCardinalityInconsistency", "MultilabelUncertainty"]


def _multilabel_tags(tags):
    tags.classification, tags.multilabel = False, True
    return tags


def _check_labels(strategy, context):
    y_labeled = np.asarray(context.y_labeled)
    if y_labeled.ndim != 2 or y_labeled.shape[0] == 0:
        raise ValueError(
            f"{type(strategy).__name__} reads the labeled set's label sets: pass "
            "y_labeled as a non-empty binary indicator matrix of shape "
            f"(n_labeled, n_labels), got shape {y_labeled.shape}."
        )
    return y_labeled


class MultilabelUncertainty(PerSampleStrategy):
    """Binary-relevance uncertainty: each label's classifier's uncertainty,
    aggregated over the labels.

    A label of probability ``p`` is uncertain by ``1 - |2p - 1|`` (``"margin"``,
    1 at one half, 0 when sure) or by its binary entropy (``"entropy"``, in
    bits); a sample scores the mean of its labels' uncertainties or their
    maximum (Brinker 2006; modAL's ``avg_score`` and ``max_score`` rank by the
    same kind of quantity).

    Parameters
    ----------
    aggregate : {"mean", "max"}, default="mean"
        How the labels' uncertainties combine.
    measure : {"margin", "entropy"}, default="margin"
        A label's uncertainty.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> X, Y = make_multilabel_classification(200, n_classes=4, random_state=0)
    >>> model = OneVsRestClassifier(LogisticRegression()).fit(X[:50], Y[:50])
    >>> MultilabelUncertainty("max").select(model, X[50:], 3, random_state=0).shape
    (3,)
    """

    _parameter_constraints: ClassVar[dict] = {
        "aggregate": [StrOptions({"mean", "max"})],
        "measure": [StrOptions({"margin", "entropy"})],
    }

    def __init__(self, aggregate="mean", measure="margin"):
        self.aggregate = aggregate
        self.measure = measure

    def __skactive_tags__(self):
        return _multilabel_tags(super().__skactive_tags__())

    def _score(self, model, X, random_state):
        proba = np.clip(predict_label_proba(model, X), 0.0, 1.0)
        if self.measure == "margin":
            uncertainty = 1.0 - np.abs(2.0 * proba - 1.0)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                terms = proba * np.log2(proba) + (1 - proba) * np.log2(1 - proba)
            uncertainty = -np.nan_to_num(terms)
        if self.aggregate == "mean":
            return uncertainty.mean(axis=1)
        return uncertainty.max(axis=1)


class _LabelSetStrategy(BatchStrategy):
    """A multilabel batch strategy that reads the labeled set's label sets."""

    _parameter_constraints: ClassVar[dict] = {}

    def __skactive_tags__(self):
        tags = _multilabel_tags(super().__skactive_tags__())
        tags.requires_labels = True
        tags.reads_pool_rows = True
        return tags


def _sorted_normalized(proba):
    """Each row's label probabilities, largest first, summing to one."""
    ordered = -np.sort(-proba, axis=1)
    total = ordered.sum(axis=1, keepdims=True)
    return ordered / np.where(total > 0, total, 1.0)


class MMC(_LabelSetStrategy):
    """Maximum loss reduction with maximal confidence (Yang et al., 2009).

    The model is expected to predict ``k`` labels for a sample, ``k`` read from
    its sorted, normalized label probabilities by a logistic regression trained
    on the labeled set (the number of labels each labeled sample has); its label
    set ``y_hat`` is the ``k`` most probable labels. A sample then scores the
    expected loss of that prediction, ``sum_l (1 - y_hat_l f_l) / 2`` with
    ``y_hat_l`` in ``{-1, +1}`` and ``f_l = 2 p_l - 1``: high where the model is
    least confident in the label set it would give.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> X, Y = make_multilabel_classification(200, n_classes=4, random_state=0)
    >>> model = OneVsRestClassifier(LogisticRegression()).fit(X[:50], Y[:50])
    >>> MMC().select(model, X[50:], 3, X_labeled=X[:50], y_labeled=Y[:50],
    ...              random_state=0).shape
    (3,)
    """

    def _label_count_model(self, model, context):
        """``features -> predicted number of labels``, fitted on the labeled set."""
        y_labeled = _check_labels(self, context)
        counts = y_labeled.sum(axis=1).astype(np.int64)
        if np.unique(counts).shape[0] == 1:
            return lambda features: np.full(features.shape[0], counts[0])
        # Imported here: importing skactive's strategies stays light.
        from sklearn.linear_model import LogisticRegression

        features = _sorted_normalized(predict_label_proba(model, context.X_labeled))
        regression = LogisticRegression(max_iter=1000).fit(features, counts)
        return regression.predict

    def _select_batch(self, model, X, n_samples, context):
        predict_count = self._label_count_model(model, context)
        stream = StreamingTopK(n_samples)
        for start, chunk in iter_row_chunks(X):
            proba = np.clip(predict_label_proba(model, chunk), 0.0, 1.0)
            count = predict_count(_sorted_normalized(proba))
            # y_hat = +1 on the `count` most probable labels of each row.
            rank = np.argsort(np.argsort(-proba, axis=1, kind="stable"), axis=1)
            y_hat = np.where(rank < count[:, None], 1.0, -1.0)
            stream.push(start, ((1.0 - y_hat * (2.0 * proba - 1.0)) / 2.0).sum(1))
        return stream.result(context.random_state)


class LabelCardinalityInconsistency(_LabelSetStrategy):
    """Query the samples whose predicted number of labels is farthest from the
    labeled set's average number of labels (Li & Guo, 2013).

    A sample scores ``|#{l : p_l > 1/2} - mean_i |y_i||``; the many ties
    between equal counts are broken at random.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> X, Y = make_multilabel_classification(200, n_classes=4, random_state=0)
    >>> model = OneVsRestClassifier(LogisticRegression()).fit(X[:50], Y[:50])
    >>> LabelCardinalityInconsistency().select(
    ...     model, X[50:], 3, X_labeled=X[:50], y_labeled=Y[:50], random_state=0
    ... ).shape
    (3,)
    """

    def _select_batch(self, model, X, n_samples, context):
        cardinality = _check_labels(self, context).sum(axis=1).mean()
        stream = StreamingTopK(n_samples)
        for start, chunk in iter_row_chunks(X):
            predicted = (predict_label_proba(model, chunk) > 0.5).sum(axis=1)
            stream.push(start, np.abs(predicted - cardinality))
        return stream.result(context.random_state)

"""Multilabel active learning: the strategies against hand computations, the
label-probability capability, the multilabel net, and the learner's grammar."""

import pickle

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_multilabel_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import MultiOutputClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skactive import ActiveLearner
from skactive.models import is_multilabel, predict_label_proba, predict_proba_samples
from skactive.nets import TorchMLPClassifier
from skactive.strategies import (
    BADGE,
    MMC,
    CoreSet,
    KMeansSampling,
    LabelCardinalityInconsistency,
    MultilabelUncertainty,
    RandomSampling,
    UncertaintySampling,
)


class FixedProba(ClassifierMixin, BaseEstimator):
    """Each label's probability is the feature of the same column."""

    def fit(self, X, y):
        self.multilabel_ = True
        return self

    def predict_proba(self, X):
        return np.asarray(X, dtype=float)


@pytest.fixture(scope="module")
def data():
    X, Y = make_multilabel_classification(
        600, n_features=20, n_classes=5, random_state=0
    )
    return X, Y


def test_binary_relevance_uncertainty_mean_and_max():
    P = np.array([[0.5, 0.0, 1.0], [0.6, 0.6, 0.6], [0.9, 0.9, 0.1], [0.0, 0, 0]])
    model = FixedProba().fit(P, None)
    # margin uncertainty 1 - |2p - 1|: rows [1, 0, 0], [.8]*3, [.2]*3, [0]*3
    mean = MultilabelUncertainty("mean").score_samples(model, P)
    np.testing.assert_allclose(mean, [1 / 3, 0.8, 0.2, 0.0])
    top = MultilabelUncertainty("max").score_samples(model, P)
    np.testing.assert_allclose(top, [1.0, 0.8, 0.2, 0.0])
    entropy = MultilabelUncertainty("mean", "entropy").score_samples(model, P)
    h = -(0.6 * np.log2(0.6) + 0.4 * np.log2(0.4))
    np.testing.assert_allclose(entropy[:2], [1 / 3, h])
    picked = MultilabelUncertainty("max").select(model, P, 2, random_state=0)
    np.testing.assert_array_equal(picked, [0, 1])


def test_mmc_scores_the_loss_of_the_predicted_label_set():
    # Every labeled sample has exactly two labels: k = 2 for every row.
    Y_labeled = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]])
    P = np.array([[0.9, 0.8, 0.1], [0.6, 0.55, 0.5], [0.9, 0.2, 0.1]])
    model = FixedProba().fit(P, None)
    expected = []
    for p in P:
        y_hat = np.where(np.argsort(np.argsort(-p)) < 2, 1.0, -1.0)
        expected.append(((1 - y_hat * (2 * p - 1)) / 2).sum())
    picked = MMC().select(model, P, 3, X_labeled=P, y_labeled=Y_labeled, random_state=0)
    np.testing.assert_array_equal(picked, np.argsort(expected)[::-1])
    assert expected[1] == max(expected)  # the least confident label set


def test_mmc_learns_the_label_count_from_the_labeled_set(data):
    X, Y = data
    model = OneVsRestClassifier(LogisticRegression(max_iter=500)).fit(X[:80], Y[:80])
    first = MMC().select(
        model, X[80:], 10, X_labeled=X[:80], y_labeled=Y[:80], random_state=0
    )
    assert np.unique(first).shape == (10,)
    np.testing.assert_array_equal(
        MMC().select(
            model, X[80:], 10, X_labeled=X[:80], y_labeled=Y[:80], random_state=0
        ),
        first,
    )
    with pytest.raises(ValueError, match="binary indicator matrix"):
        MMC().select(
            model, X[80:], 3, X_labeled=X[:80], y_labeled=Y[:80, 0], random_state=0
        )


def test_label_cardinality_inconsistency():
    Y_labeled = np.array([[1, 1, 0], [1, 0, 0]])  # mean cardinality 1.5
    P = np.array([[0.9, 0.9, 0.9], [0.9, 0.1, 0.1], [0.1, 0.1, 0.1], [0.9, 0.9, 0]])
    model = FixedProba().fit(P, None)
    picked = LabelCardinalityInconsistency().select(
        model, P, 2, X_labeled=P[:2], y_labeled=Y_labeled, random_state=0
    )
    # Predicted counts 3, 1, 0, 2: inconsistencies 1.5, .5, 1.5, .5.
    np.testing.assert_array_equal(np.sort(picked), [0, 2])


@pytest.mark.parametrize(
    "model",
    [
        OneVsRestClassifier(LogisticRegression(max_iter=500)),
        MultiOutputClassifier(LogisticRegression(max_iter=500)),
        RandomForestClassifier(n_estimators=5, random_state=0),
        DecisionTreeClassifier(random_state=0),
        TorchMLPClassifier((16,), max_epochs=20, random_state=0),
        make_pipeline(StandardScaler(), OneVsRestClassifier(LogisticRegression())),
    ],
    ids=lambda m: type(m).__name__,
)
def test_every_multilabel_model_gives_each_labels_probability(data, model):
    X, Y = data
    model.fit(X[:200], Y[:200])
    assert is_multilabel(model)
    proba = predict_label_proba(model, X[200:210])
    assert proba.shape == (10, 5)
    assert ((proba >= 0) & (proba <= 1)).all()
    agree = (proba > 0.5) == np.asarray(model.predict(X[200:210]), dtype=bool)
    assert agree.mean() > 0.95


def test_a_label_never_set_in_training_has_probability_zero(data):
    X, Y = data
    Y = Y.copy()
    Y[:100, 2] = 0
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(
        X[:100], Y[:100]
    )
    np.testing.assert_array_equal(predict_label_proba(forest, X[:7])[:, 2], 0.0)
    assert not is_multilabel(LogisticRegression().fit(X[:100], Y[:100, 0]))


def test_the_multilabel_net_trains_one_sigmoid_per_label(data):
    X, Y = data
    net = TorchMLPClassifier(dropout=0.2, random_state=0).fit(X[:400], Y[:400])
    assert net.multilabel_ and net.classes_.tolist() == [0, 1, 2, 3, 4]
    proba = net.predict_proba(X[400:])
    assert proba.shape == (200, 5) and not np.allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(net.predict(X[400:]), (proba > 0.5).astype(int))
    assert f1_score(Y[400:], net.predict(X[400:]), average="micro") > 0.6
    samples = predict_proba_samples(net, X[400:410], 6, 0)
    assert samples.shape == (6, 10, 5)
    assert ((samples > 0) & (samples < 1)).all()  # sigmoids, not a softmax
    named = TorchMLPClassifier((8,), max_epochs=2, classes=list("abcde"))
    assert named.fit(X, Y).classes_.tolist() == list("abcde")
    with pytest.raises(ValueError, match="one name per column"):
        TorchMLPClassifier((8,), max_epochs=2, classes=list("abc")).fit(X, Y)
    with pytest.raises(ValueError, match="binary indicator matrix"):
        TorchMLPClassifier((8,), max_epochs=2).fit(X, Y + Y[:, ::-1])  # 0, 1, 2


@pytest.mark.parametrize(
    "strategy",
    [
        None,
        MultilabelUncertainty("max"),
        MMC(),
        LabelCardinalityInconsistency(),
        RandomSampling(),
        CoreSet(),
        KMeansSampling(),
    ],
    ids=repr,
)
def test_a_seeded_multilabel_simulation(data, strategy):
    X, Y = data
    model = OneVsRestClassifier(LogisticRegression(max_iter=500))
    runs = [
        ActiveLearner(model, strategy, budget=60, random_state=0).fit(X, Y)
        for _ in range(2)
    ]
    learner = runs[0]
    np.testing.assert_array_equal(learner.labeled_indices_, runs[1].labeled_indices_)
    assert np.unique(learner.labeled_indices_).shape == (60,)
    assert learner.multilabel_ and learner.y_labeled_.shape == (60, 5)
    assert learner.predict(X[:4]).shape == (4, 5)
    assert predict_label_proba(learner, X[:4]).shape == (4, 5)


def test_badge_on_a_multilabel_net_uses_a_sigmoid_per_label(data):
    X, Y = data
    net = TorchMLPClassifier((16,), max_epochs=20, random_state=0)
    learner = ActiveLearner(net, BADGE(), budget=40, random_state=0).fit(X, Y)
    assert np.unique(learner.labeled_indices_).shape == (40,)


def test_teach_takes_label_rows_and_refuses_a_new_column(data):
    X, Y = data
    model = OneVsRestClassifier(LogisticRegression(max_iter=500))
    learner = ActiveLearner(model, MMC(), random_state=0).fit(X[:50], Y[:50])
    picked = learner.query(X[50:], batch_size=5)
    learner.teach(X[50:][picked], Y[50:][picked])
    assert learner.y_labeled_.shape == (55, 5)
    before = pickle.dumps(learner)
    wider = np.hstack([Y[100:105], np.ones((5, 1), dtype=Y.dtype)])
    with pytest.raises(ValueError, match="cannot be added later"):
        learner.teach(X[100:105], wider)
    with pytest.raises(ValueError, match="same kind as fit"):
        learner.teach(X[100:105], Y[100:105, 0])
    with pytest.raises(ValueError, match="not a binary indicator matrix"):
        learner.teach(X[100:105], Y[100:105] + Y[100:105, ::-1])
    assert pickle.dumps(learner) == before


def test_a_fixed_label_set_names_the_columns(data):
    X, Y = data
    names = ["sports", "politics", "science", "art", "travel"]
    model = OneVsRestClassifier(LogisticRegression(max_iter=500))
    learner = ActiveLearner(model, classes=names, random_state=0).fit(X[:30], Y[:30])
    assert learner.classes_.tolist() == names
    with pytest.raises(ValueError, match="one name per column"):
        ActiveLearner(model, classes=names[:3]).fit(X[:30], Y[:30])


@pytest.mark.parametrize("strategy", [UncertaintySampling(), None], ids=repr)
def test_single_label_and_multilabel_strategies_do_not_mix(data, strategy):
    X, Y = data
    model = OneVsRestClassifier(LogisticRegression(max_iter=500))
    if strategy is not None:
        with pytest.raises(
            ValueError,
            match="serving multilabel: ActiveLearningByLearning, BADGE, CoreSet",
        ):
            ActiveLearner(model, strategy, budget=20).fit(X, Y)
    with pytest.raises(
        ValueError, match=r"it serves multilabel \(ActiveLearner on an indicator"
    ):
        ActiveLearner(LogisticRegression(), MMC(), budget=20).fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="multilabel y has no single class"):
        ActiveLearner(model, budget=20, initial_strategy="stratified").fit(X, Y)

"""Stream-based selective sampling: the budget, the strategies' decisions, the
stream learner's simulation and its hand-driven loop."""

import pickle

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from skactive import StreamLearner
from skactive.strategies import (
    EstimatedBudget,
    FixedUncertainty,
    Split,
    StreamRandom,
    VariableUncertainty,
)


def xor_blobs(n_samples=5000, n_blobs=30, random_state=0):
    """scikit-activeml's stream tutorial data: blobs whose class is the XOR of
    the signs of their center's coordinates, arriving in random order."""
    rng = np.random.RandomState(random_state)
    centers = rng.uniform(-4, 4, (n_blobs, 2))
    blob = rng.randint(0, n_blobs, n_samples)
    X = centers[blob] + rng.normal(scale=0.5, size=(n_samples, 2))
    y = ((centers[blob, 0] > 0) ^ (centers[blob, 1] > 0)).astype(int)
    return X, y


def _xor_model():
    """A model for XOR from its first labels: the product feature separates it."""
    return make_pipeline(
        PolynomialFeatures(2), StandardScaler(), LogisticRegression(max_iter=500)
    )


class Confident:
    """A fitted model whose top probability is the first feature."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X):
        top = np.asarray(X, dtype=float)[:, 0]
        return np.column_stack([top, 1 - top])


def test_the_budget_estimate_is_zliobaites():
    manager = EstimatedBudget(budget=0.3, window=10)
    spent = 0.0
    for asked in [True, True, False, True, False, False]:
        assert manager.allows() == (spent / 10 < 0.3)
        manager.record(asked)
        spent = spent * 9 / 10 + asked
        assert manager.spent_ == pytest.approx(spent)


def test_variable_uncertainty_moves_its_threshold():
    strategy = VariableUncertainty(theta=0.8, step=0.1)
    X = np.array([[0.7], [0.75], [0.79], [0.95]])
    asked = strategy.decide(
        Confident(), X, EstimatedBudget(1.0, 1000), np.random.RandomState(0)
    )
    # 0.7 < 0.8: asked, theta 0.72; 0.75 > 0.72: not, theta 0.792;
    # 0.79 < 0.792: asked, theta 0.7128; 0.95: not.
    np.testing.assert_array_equal(asked, [True, False, True, False])
    assert strategy.theta_ == pytest.approx(0.7128 * 1.1)


def test_fixed_uncertainty_and_split():
    X = np.array([[0.5], [0.54], [0.56], [0.9]])
    asked = FixedUncertainty().decide(
        Confident(), X, EstimatedBudget(0.1, 1000), np.random.RandomState(0)
    )
    # The default threshold: 1/2 + 0.1 * (1 - 1/2) = 0.55.
    np.testing.assert_array_equal(asked, [True, True, False, False])
    X = np.random.RandomState(1).uniform(0.5, 1, (200, 1))
    none_random = Split(v=0.0).decide(
        Confident(), X, EstimatedBudget(1.0, 10**6), np.random.RandomState(0)
    )
    variable = VariableUncertainty().decide(
        Confident(), X, EstimatedBudget(1.0, 10**6), np.random.RandomState(0)
    )
    np.testing.assert_array_equal(none_random, variable)


@pytest.mark.parametrize(
    "strategy", [VariableUncertainty(), Split(), StreamRandom()], ids=repr
)
def test_a_stream_spends_its_budget_within_one_point(strategy):
    X, y = xor_blobs()
    learner = StreamLearner(_xor_model(), strategy, budget=0.1, random_state=0).fit(
        X, y
    )
    share = learner.n_labeled_ / learner.n_seen_
    assert abs(share - 0.1) <= 0.01, share
    assert learner.labels_spent_[-1] == learner.n_labeled_ == learner.asked_.sum()
    assert np.all(np.diff(learner.labels_spent_) >= 0)
    accuracy = learner.prequential_accuracy_
    first = np.flatnonzero(~np.isnan(accuracy))[0]
    assert np.isnan(accuracy[:first]).all() and (accuracy[first:] <= 1).all()
    assert accuracy[-1] > 0.8


def test_fixed_uncertainty_never_overspends():
    X, y = xor_blobs(2000)
    learner = StreamLearner(
        _xor_model(), FixedUncertainty(), budget=0.1, random_state=0
    ).fit(X, y)
    assert learner.n_labeled_ / learner.n_seen_ <= 0.11


def test_the_hand_loop_makes_the_simulations_decisions():
    X, y = xor_blobs(1500)
    params = {"budget": 0.2, "batch_size": 10, "random_state": 3}
    simulated = StreamLearner(_xor_model(), **params).fit(X, y)
    by_hand = StreamLearner(_xor_model(), **params)
    asked = np.zeros(len(X), dtype=bool)
    for start in range(0, len(X), 10):
        batch = X[start : start + 10]
        picked = by_hand.query(batch)
        asked[start + picked] = True
        if picked.size:
            by_hand.teach(batch[picked], y[start : start + 10][picked])
    np.testing.assert_array_equal(asked, simulated.asked_)
    np.testing.assert_array_equal(by_hand.predict(X[:50]), simulated.predict(X[:50]))
    again = StreamLearner(_xor_model(), **params).fit(X, y)
    np.testing.assert_array_equal(again.asked_, simulated.asked_)


def test_incremental_models_and_a_sliding_window():
    X, y = xor_blobs(1500)
    sgd = SGDClassifier(loss="log_loss", random_state=0)
    incremental = StreamLearner(sgd, budget=0.2, random_state=0).fit(X, y)
    assert incremental.estimator_.classes_.tolist() == [0, 1]
    windowed = StreamLearner(_xor_model(), budget=0.2, window=50, random_state=0).fit(
        X, y
    )
    assert windowed.X_labeled_.shape == (50, 2)
    last = np.flatnonzero(windowed.asked_)[-50:]
    np.testing.assert_array_equal(windowed.X_labeled_, X[last])
    by_hand = StreamLearner(sgd, budget=0.5)
    picked = by_hand.query(X[:20])
    with pytest.raises(ValueError, match=r"classes=\[\.\.\.\]"):
        for start in range(0, 200, 20):
            picked = by_hand.query(X[start : start + 20])
            by_hand.teach(X[start : start + 20][picked], y[start : start + 20][picked])


def test_bad_calls_change_nothing():
    X, y = xor_blobs(300)
    learner = StreamLearner(classes=[0, 1], budget=0.5, random_state=0)
    with pytest.raises(ValueError, match="call query"):
        learner.teach(X[:2], y[:2])
    picked = learner.query(X[:20])
    learner.teach(X[:20][picked], y[:20][picked])
    before = pickle.dumps(learner)
    with pytest.raises(ValueError, match="outside classes"):
        learner.teach(X[:2], np.array([0, 7]))
    with pytest.raises(ValueError, match="features"):
        learner.query(X[:5, :1])
    assert pickle.dumps(learner) == before
    assert learner.predict(X[:3]).shape == (3,)


def test_a_torch_net_learns_the_stream_incrementally():
    from skactive.nets import TorchMLPClassifier

    X, y = xor_blobs(800)
    net = TorchMLPClassifier((16,), lr=0.05, random_state=0)
    learner = StreamLearner(net, budget=0.2, random_state=0).fit(X, y)
    labels = y[learner.asked_]
    # The j-th label asked (from 0) brings the second class: one epoch of
    # partial_fit on the j + 1 labels so far, then one per label after it.
    j = int(np.flatnonzero(labels != labels[0])[0])
    assert learner.estimator_.n_iter_ == labels.shape[0] - j
    assert learner.prequential_accuracy_[-1] > 0.6


def test_a_stream_of_texts():
    from sklearn.feature_extraction.text import TfidfVectorizer

    rng = np.random.RandomState(0)
    words = {0: "refund late broken angry", 1: "thanks great love works"}
    y = rng.randint(0, 2, 1500)
    texts = [
        " ".join(rng.choice(words[c].split(), 3)) + f" order{rng.randint(99)}"
        for c in y
    ]
    model = make_pipeline(TfidfVectorizer(), LogisticRegression())
    learner = StreamLearner(model, budget=0.1, random_state=0).fit(texts, y)
    assert abs(learner.n_labeled_ / learner.n_seen_ - 0.1) <= 0.01
    assert learner.prequential_accuracy_[-1] > 0.9
    assert learner.X_labeled_.dtype == object
    by_hand = StreamLearner(model, budget=0.5)
    picked = by_hand.query(texts[:10])
    assert picked.dtype == np.int64
    by_hand.teach([texts[i] for i in picked], y[picked])
    with pytest.raises(ValueError, match="fitted on raw text"):
        by_hand.query(np.zeros((3, 2)))


def test_every_learner_keeps_a_random_state_the_user_set_and_fills_the_rest():
    from sklearn.datasets import make_classification
    from sklearn.linear_model import SGDClassifier, SGDRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skactive import ActiveLearner, ActiveRegressor

    X, y = make_classification(300, random_state=0)

    def logistic_sgd(random_state=None):  # predict_proba, which a stream needs
        return SGDClassifier(loss="log_loss", random_state=random_state)

    cases = [
        (StreamLearner, logistic_sgd, dict(budget=1.0, window=50), y),
        (ActiveLearner, SGDClassifier, {}, y),
        (ActiveRegressor, SGDRegressor, {}, X[:, 0] * 2.0),
    ]
    for learner_class, model_class, params, target in cases:
        for set_by_user in (7, None):
            model = make_pipeline(
                StandardScaler(), model_class(random_state=set_by_user)
            )
            learner = learner_class(model, random_state=0, **params).fit(X, target)
            step = learner.estimator_.steps[-1][1]
            if set_by_user is None:  # filled from the learner's seed
                assert isinstance(step.random_state, int), learner_class
            else:
                assert step.random_state == 7, learner_class
            bare = model_class(random_state=set_by_user)
            learner = learner_class(bare, random_state=0, **params).fit(X, target)
            if set_by_user is not None:
                assert learner.estimator_.random_state == 7, learner_class

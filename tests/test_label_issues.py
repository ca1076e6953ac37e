"""Simulated noisy oracles and label-issue finding."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skactive import ActiveLearner
from skactive.evaluation import active_learning_curve
from skactive.label_issues import find_label_issues
from skactive.oracle import SimulatedOracle
from skactive.strategies import RandomSampling


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def _model():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))


@pytest.mark.parametrize("noise", ["uniform", "class_conditional"])
@pytest.mark.parametrize("rate", [0.0, 0.1, 0.3])
def test_oracle_errs_at_its_rate_in_the_way_it_says(noise, rate):
    y = np.repeat(np.array(["a", "b", "c", "d"]), 2500)
    answers = SimulatedOracle(y, rate, noise, random_state=0).labels()
    wrong = answers != y
    # Binomial(10,000, rate): five standard deviations.
    assert abs(wrong.mean() - rate) <= 5 * np.sqrt(rate * (1 - rate) / 1e4) + 1e-12
    assert set(answers) <= set(y)
    codes, answer_codes = (
        np.searchsorted(["a", "b", "c", "d"], v) for v in (y, answers)
    )
    shift = (answer_codes - codes)[wrong] % 4
    if noise == "class_conditional":
        assert np.all(shift == 1)  # always the next class
    elif rate > 0:
        counts = np.bincount(shift, minlength=4)[1:]
        assert counts.min() > 0.8 * counts.mean()  # the three others alike


def test_oracle_answers_are_reproducible_and_stable():
    y = np.arange(1000) % 3
    oracle = SimulatedOracle(y, 0.2, random_state=7)
    np.testing.assert_array_equal(oracle.labels(), oracle.labels())
    np.testing.assert_array_equal(oracle.labels(random_state=1), oracle.labels())
    free = SimulatedOracle(y, 0.2)
    np.testing.assert_array_equal(free.labels(3), free.labels(3))
    assert np.any(free.labels(3) != free.labels(4))
    picked = [5, 17, 500]
    np.testing.assert_array_equal(free.label(picked), free.label(picked))
    assert len(oracle) == 1000 and "noise_rate=0.2" in repr(oracle)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"noise_rate": 1.0}, "noise_rate"),
        ({"noise_rate": -0.1}, "noise_rate"),
        ({"noise_rate": True}, "noise_rate"),
        ({"noise": "pairwise"}, "noise"),
    ],
)
def test_oracle_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SimulatedOracle([0, 1, 1], **kwargs)
    with pytest.raises(ValueError, match="1-dimensional"):
        SimulatedOracle(np.zeros((3, 2)))


def test_a_simulation_learns_from_the_oracle_answers(digits):
    X, y = digits
    oracle = SimulatedOracle(y, 0.3)
    learner = ActiveLearner(_model(), budget=200, batch_size=50, random_state=0)
    learner.fit(X, oracle)
    truth = y[learner.labeled_indices_]
    wrong = (learner.y_labeled_ != truth).mean()
    assert 0.15 < wrong < 0.45
    again = ActiveLearner(_model(), budget=200, batch_size=50, random_state=0)
    np.testing.assert_array_equal(again.fit(X, oracle).y_labeled_, learner.y_labeled_)
    with pytest.raises(ValueError, match="budget="):
        ActiveLearner(_model()).fit(X, oracle)


def test_noisy_annotators_lower_the_learning_curve(digits):
    X, y = digits
    learner = ActiveLearner(_model(), budget=200, batch_size=50, n_initial=50)
    curves = {
        rate: active_learning_curve(
            learner,
            X[:1200],
            SimulatedOracle(y[:1200], rate),
            X[1200:],
            y[1200:],
            query_strategies={"random": RandomSampling()},
            n_repeats=2,
            random_state=0,
        )
        for rate in (0.0, 0.4)
    }
    clean, noisy = (curves[rate].aulc()["random"].mean() for rate in (0.0, 0.4))
    assert noisy < clean - 0.03


def test_find_label_issues_catches_flipped_digits(digits):
    X, y = digits
    noisy = SimulatedOracle(y, 0.1, random_state=0).labels()
    flipped = noisy != y
    indices, scores = find_label_issues(_model(), X, noisy)
    assert indices.dtype == np.int64 and np.unique(indices).shape == indices.shape
    assert np.all(np.diff(scores) >= 0) and np.all((scores >= -1) & (scores <= 0))
    precision = flipped[indices].mean()
    recall = flipped[indices].sum() / flipped.sum()
    # Chance precision is the noise rate, 10 %.
    assert precision > 0.8 and recall > 0.6
    top = indices[:50]
    assert flipped[top].mean() > 0.9


def test_find_label_issues_on_a_learners_labeled_set(digits):
    X, y = digits
    noisy = SimulatedOracle(y, 0.15, random_state=1).labels()
    learner = ActiveLearner(_model(), random_state=0).fit(X[:600], noisy[:600])
    indices, scores = find_label_issues(learner)
    expected = find_label_issues(_model(), X[:600], noisy[:600])
    np.testing.assert_array_equal(indices, expected[0])
    np.testing.assert_allclose(scores, expected[1])
    assert (noisy[:600] != y[:600])[indices].mean() > 0.6


def test_find_label_issues_bad_input(digits):
    X, y = digits
    with pytest.raises(ValueError, match="needs X and y"):
        find_label_issues(_model())
    with pytest.raises(TypeError, match="predict_proba"):
        find_label_issues(LinearSVC(), X, y)
    with pytest.raises(ValueError, match="cv must be"):
        find_label_issues(_model(), X, y, cv=1)
    lonely = y.copy()
    lonely[0] = 99
    with pytest.raises(ValueError, match="single labeled sample"):
        find_label_issues(_model(), X, lonely)
    with pytest.raises(ValueError, match="two classes"):
        find_label_issues(_model(), X[:10], np.zeros(10))
    # Folds are lowered to the smallest class: 3 of each class still works.
    rows = np.concatenate([np.flatnonzero(y == c)[:3] for c in range(10)])
    indices, _ = find_label_issues(_model(), X[rows], y[rows], cv=5)
    assert indices.shape[0] < rows.shape[0]


def test_find_label_issues_reads_a_learner_by_its_public_attributes(digits):
    X, y = digits
    unfitted = ActiveLearner(_model())
    # An unfitted learner lends its estimator when X and y are given ...
    indices, _ = find_label_issues(unfitted, X[:300], y[:300])
    expected, _ = find_label_issues(_model(), X[:300], y[:300])
    np.testing.assert_array_equal(indices, expected)
    # ... and without one there is nothing to cross-validate.
    with pytest.raises(ValueError, match="unfitted learner without an estimator"):
        find_label_issues(ActiveLearner(), X[:300], y[:300])

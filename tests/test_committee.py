"""Committee: resampling, seeding, voting and the samples it gives strategies.

scikit-learn's estimator checks run over Committee in test_common.py.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from skactive import Committee
from skactive.models import predict_proba_samples
from skactive.models._committee import _stratified_bootstrap


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(
        n_samples=120, centers=3, n_features=4, cluster_std=3, random_state=0
    )
    return X, y


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=60), st.integers(0, 2**31 - 1))
def test_stratified_bootstrap_keeps_each_class_count_within_the_class(labels, seed):
    y = np.array(labels)
    rows = _stratified_bootstrap(y, np.random.RandomState(seed))
    assert rows.shape == y.shape
    np.testing.assert_array_equal(np.sort(y[rows]), np.sort(y))


def test_hand_computation_without_bootstrap(blobs):
    """Two logistic regressions on all rows: samples, soft mean and hard votes."""
    X, y = blobs
    members = [LogisticRegression(C=0.01), LogisticRegression(C=10.0)]
    soft = Committee(members, bootstrap=False).fit(X, y)
    by_hand = [LogisticRegression(C=c).fit(X, y).predict_proba(X) for c in (0.01, 10.0)]
    samples = soft.predict_proba_samples(X)
    np.testing.assert_allclose(samples, np.stack(by_hand))
    np.testing.assert_allclose(soft.predict_proba(X), (by_hand[0] + by_hand[1]) / 2)
    np.testing.assert_array_equal(predict_proba_samples(soft, X), samples)

    hard = Committee(members, bootstrap=False, voting="hard").fit(X, y)
    votes = np.stack([p.argmax(1) for p in by_hand])
    shares = np.stack([(votes == c).mean(0) for c in range(3)], axis=1)
    np.testing.assert_allclose(hard.predict_proba(X), shares)
    np.testing.assert_array_equal(hard.predict(X), shares.argmax(1))


def test_members_are_bootstrapped_and_seeded_from_random_state(blobs):
    X, y = blobs
    committee = Committee([DecisionTreeClassifier()] * 4, random_state=0).fit(X, y)
    again = Committee([DecisionTreeClassifier()] * 4, random_state=0).fit(X, y)
    other = Committee([DecisionTreeClassifier()] * 4, random_state=1).fit(X, y)
    samples = committee.predict_proba_samples(X)
    np.testing.assert_array_equal(samples, again.predict_proba_samples(X))
    assert not np.array_equal(samples, other.predict_proba_samples(X))
    # Four different members from one listed estimator, each seeing every class.
    assert len({s.tobytes() for s in samples}) == 4
    assert all(len(m.classes_) == 3 for m in committee.estimators_)
    seeds = {m.random_state for m in committee.estimators_}
    assert len(seeds) == 4 and None not in seeds


def test_fit_leaves_the_listed_estimators_untouched(blobs):
    X, y = blobs
    member = DecisionTreeClassifier()
    Committee([member, member]).fit(X, y)
    assert not hasattr(member, "tree_") and member.random_state is None


def test_parallel_fitting_gives_the_same_members(blobs):
    X, y = blobs
    one = Committee([LogisticRegression()] * 3, random_state=0).fit(X, y)
    two = Committee([LogisticRegression()] * 3, random_state=0, n_jobs=2).fit(X, y)
    np.testing.assert_allclose(
        one.predict_proba_samples(X), two.predict_proba_samples(X)
    )


def test_sample_weight_follows_each_members_resample(blobs):
    X, y = blobs
    weight = np.linspace(0.1, 2, len(y))
    committee = Committee([LogisticRegression()], bootstrap=False).fit(
        X, y, sample_weight=weight
    )
    by_hand = LogisticRegression().fit(X, y, sample_weight=weight)
    np.testing.assert_allclose(committee.predict_proba(X), by_hand.predict_proba(X))
    # With bootstrap, the weights are taken at the resampled rows (no length error).
    Committee([LogisticRegression()] * 2, random_state=0).fit(
        X, y, sample_weight=weight
    )


def test_a_dataframe_reaches_the_members_with_its_columns(blobs):
    X, y = blobs
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    committee = Committee([LogisticRegression()] * 2, random_state=0).fit(frame, y)
    assert all(
        list(m.feature_names_in_) == ["a", "b", "c", "d"] for m in committee.estimators_
    )
    np.testing.assert_array_equal(committee.feature_names_in_, ["a", "b", "c", "d"])
    assert committee.predict_proba_samples(frame).shape == (2, 120, 3)


def test_string_labels_and_a_member_without_predict_proba(blobs):
    X, y = blobs
    labels = np.array(["cat", "dog", "eel"])[y]
    committee = Committee([LogisticRegression(), LinearSVC()], random_state=0).fit(
        X, labels
    )
    samples = committee.predict_proba_samples(X)
    np.testing.assert_array_equal(
        committee.classes_[samples[1].argmax(1)], committee.estimators_[1].predict(X)
    )
    assert set(committee.predict(X)) <= {"cat", "dog", "eel"}


@pytest.mark.parametrize(
    "estimators, error, match",
    [
        ([], ValueError, "at least one"),
        ([LogisticRegression(), "tree"], TypeError, "scikit-learn classifier"),
        ((LogisticRegression(),), ValueError, "estimators"),
    ],
)
def test_bad_estimators_are_rejected(blobs, estimators, error, match):
    X, y = blobs
    with pytest.raises(error, match=match):
        Committee(estimators).fit(X, y)


def test_bad_voting_is_rejected(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="voting"):
        Committee([LogisticRegression()], voting="median").fit(X, y)


def test_a_committee_of_classifiers_names_the_regressor_one_for_continuous_y():
    X = np.random.RandomState(0).normal(size=(30, 3))
    with pytest.raises(ValueError, match="CommitteeRegressor"):
        Committee([DecisionTreeClassifier()] * 2).fit(X, X[:, 0] * 1.37)


def test_a_committee_of_regressors_predicts_the_members_mean():
    from sklearn.datasets import make_friedman1
    from sklearn.linear_model import Ridge
    from sklearn.tree import DecisionTreeRegressor

    from skactive import CommitteeRegressor

    X, y = make_friedman1(n_samples=80, random_state=0)
    committee = CommitteeRegressor(
        [DecisionTreeRegressor(), Ridge()] * 2, random_state=0
    ).fit(X, y)
    samples = committee.predict_samples(X[:10])
    expected = np.stack([m.predict(X[:10]) for m in committee.estimators_])
    np.testing.assert_array_equal(samples, expected)
    np.testing.assert_allclose(committee.predict(X[:10]), expected.mean(axis=0))
    # Two trees on different bootstrap resamples differ; a seed repeats them.
    assert not np.array_equal(samples[0], samples[2])
    again = CommitteeRegressor(
        [DecisionTreeRegressor(), Ridge()] * 2, random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(again.predict_samples(X[:10]), samples)
    without = CommitteeRegressor([Ridge()] * 2, bootstrap=False).fit(X, y)
    np.testing.assert_array_equal(*without.predict_samples(X[:10]))
    with pytest.raises(ValueError, match="at least one regressor"):
        CommitteeRegressor([]).fit(X, y)
    with pytest.raises(ValueError, match="1d array"):
        CommitteeRegressor([Ridge()]).fit(X, np.column_stack([y, y]))

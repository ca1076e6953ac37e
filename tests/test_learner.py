"""ActiveLearner: the loop, simulation mode, bad input, model selection."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits, make_blobs
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC
from skorch import NeuralNetClassifier

from skactive import (
    ActiveLearner,
    RandomSampling,
    TorchMLPClassifier,
    UncertaintySampling,
    entropy_acquisition,
)


@pytest.fixture
def data():
    X, y = make_blobs(n_samples=240, centers=3, n_features=4, random_state=0)
    return X, y


@pytest.fixture
def learner(data):
    X, y = data
    return ActiveLearner(LogisticRegression(), batch_size=5, random_state=0).fit(
        X[:12], y[:12]
    )


def assert_unchanged(learner, action, error, match):
    """``action`` raises ``error`` and leaves every bit of the learner as it was."""
    before = pickle.dumps(learner)
    with pytest.raises(error, match=match):
        action()
    assert pickle.dumps(learner) == before


# -- the loop -------------------------------------------------------------------------


def test_fit_sets_the_fitted_state(data, learner):
    X, y = data
    assert isinstance(learner.estimator_, LogisticRegression)
    assert learner.estimator is not learner.estimator_
    np.testing.assert_array_equal(learner.classes_, np.unique(y[:12]))
    assert learner.n_features_in_ == 4
    np.testing.assert_array_equal(learner.X_labeled_, X[:12])
    np.testing.assert_array_equal(learner.y_labeled_, y[:12])
    assert [r["n_labels"] for r in learner.history_] == [12]


def test_query_returns_unique_positions_most_uncertain_first(data, learner):
    X, _ = data
    pool = X[12:]
    indices = learner.query(pool)
    assert indices.dtype == np.int64
    assert indices.shape == (5,)
    assert np.unique(indices).shape == (5,)
    entropy = entropy_acquisition(learner.predict_proba(pool))
    np.testing.assert_array_equal(indices, np.argsort(-entropy, kind="stable")[:5])
    assert learner.query(pool, batch_size=9).shape == (9,)


def test_teach_appends_and_refits(data, learner):
    X, y = data
    pool, oracle = X[12:], y[12:]
    old_estimator = learner.estimator_
    indices = learner.query(pool)
    learner.teach(pool[indices], oracle[indices])
    assert learner.X_labeled_.shape == (17, 4)
    np.testing.assert_array_equal(learner.y_labeled_[12:], oracle[indices])
    assert learner.estimator_ is not old_estimator
    expected = LogisticRegression().fit(learner.X_labeled_, learner.y_labeled_)
    np.testing.assert_allclose(
        learner.predict_proba(X), expected.predict_proba(X), rtol=1e-6
    )
    assert [r["n_labels"] for r in learner.history_] == [12, 17]
    np.testing.assert_array_equal(learner.history_[1]["indices"], np.arange(12, 17))


def test_a_new_label_grows_the_classes(data):
    X, y = data
    first_two = np.flatnonzero(y < 2)[:10]
    learner = ActiveLearner(LogisticRegression()).fit(X[first_two], y[first_two])
    np.testing.assert_array_equal(learner.classes_, [0, 1])
    assert learner.predict_proba(X).shape == (240, 2)
    third = np.flatnonzero(y == 2)[:3]
    learner.teach(X[third], y[third])
    np.testing.assert_array_equal(learner.classes_, [0, 1, 2])
    assert learner.predict_proba(X).shape == (240, 3)


def test_fixed_classes_give_full_probability_columns(data):
    X, y = data
    first_two = np.flatnonzero(y < 2)[:10]
    learner = ActiveLearner(LogisticRegression(), classes=[0, 1, 2])
    learner.fit(X[first_two], y[first_two])
    proba = learner.predict_proba(X)
    assert proba.shape == (240, 3)
    np.testing.assert_array_equal(proba[:, 2], 0.0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_fixed_classes_size_a_net_output(data):
    X, y = data
    first_two = np.flatnonzero(y < 2)[:10]
    learner = ActiveLearner(
        TorchMLPClassifier(max_epochs=5), classes=[0, 1, 2], random_state=0
    ).fit(X[first_two], y[first_two])
    np.testing.assert_array_equal(learner.estimator_.classes_, [0, 1, 2])
    assert learner.predict_proba(X).shape == (240, 3)


def test_fixed_classes_and_seeds_reach_a_net_inside_a_pipeline(data):
    X, y = data
    first_two = np.flatnonzero(y < 2)[:10]
    learner = ActiveLearner(
        make_pipeline(StandardScaler(), TorchMLPClassifier(max_epochs=5)),
        classes=[0, 1, 2],
        random_state=0,
    ).fit(X[first_two], y[first_two])
    net = learner.estimator_[-1]
    np.testing.assert_array_equal(net.classes_, [0, 1, 2])
    assert isinstance(net.random_state, int)
    assert learner.predict_proba(X).shape == (240, 3)
    # A value the user set is never overwritten.
    mine = ActiveLearner(
        TorchMLPClassifier(max_epochs=2, random_state=5), random_state=0
    )
    assert mine.fit(X[:10], y[:10]).estimator_.random_state == 5


def test_string_labels(data):
    X, y = data
    names = np.array(["cat", "dog", "emu"])[y]
    learner = ActiveLearner(LogisticRegression(), random_state=0).fit(
        X[:20], names[:20]
    )
    indices = learner.query(X[20:])
    learner.teach(X[20:][indices], names[20:][indices])
    assert set(learner.predict(X)) <= {"cat", "dog", "emu"}


def test_predict_methods_delegate(data, learner):
    X, _ = data
    model = learner.estimator_
    np.testing.assert_array_equal(learner.predict(X), model.predict(X))
    np.testing.assert_array_equal(
        learner.decision_function(X), model.decision_function(X)
    )
    np.testing.assert_allclose(
        learner.predict_log_proba(X), np.log(model.predict_proba(X))
    )
    assert learner.score(X, data[1]) == model.score(X, data[1])


def test_methods_follow_the_estimator(data):
    X, y = data
    svc = ActiveLearner(LinearSVC()).fit(X, y)
    assert not hasattr(svc, "predict_proba")
    assert hasattr(svc, "decision_function")
    assert not hasattr(ActiveLearner(LinearSVC()), "predict_proba")


def test_the_default_learner_is_an_uncertainty_sampling_net(data):
    X, y = data
    learner = ActiveLearner(random_state=0).fit(X[:30], y[:30])
    assert isinstance(learner.estimator_, TorchMLPClassifier)
    assert isinstance(learner.estimator_.random_state, int)  # drawn from ours
    indices = learner.query(X[30:], batch_size=4)
    expected = UncertaintySampling(learner.estimator_).query(X[30:], 4)
    np.testing.assert_array_equal(indices, expected)
    learner.teach(X[30:][indices], y[30:][indices])
    assert learner.score(X, y) > 0.9


def test_same_random_state_same_queries_and_models(data):
    X, y = data
    runs = []
    for _ in range(2):
        learner = ActiveLearner(
            TorchMLPClassifier(max_epochs=20), RandomSampling(), random_state=7
        ).fit(X[:20], y[:20])
        indices = learner.query(X[20:])
        learner.teach(X[20:][indices], y[20:][indices])
        runs.append((indices, learner.predict_proba(X)))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_pickled_learner_gives_the_same_next_query(data):
    X, y = data
    for strategy in (RandomSampling(), UncertaintySampling()):
        learner = ActiveLearner(
            TorchMLPClassifier(max_epochs=10), strategy, random_state=0
        ).fit(X[:20], y[:20])
        learner.query(X[20:])  # advance the random stream first
        copy = pickle.loads(pickle.dumps(learner))
        np.testing.assert_array_equal(copy.query(X[20:]), learner.query(X[20:]))


def test_ties_are_broken_by_random_state_not_position():
    X = np.zeros((50, 2))
    y = np.array([0, 1] * 25)
    picks = {
        tuple(
            ActiveLearner(LogisticRegression(), random_state=seed)
            .fit(X[:10], y[:10])
            .query(X)
        )
        for seed in range(10)
    }
    assert len(picks) == 10  # equal probabilities everywhere: ties decided by seed
    assert tuple(range(10)) not in picks


# -- containers --------------------------------------------------------------------


def test_dataframes_stay_dataframes_and_queries_are_positional(data):
    X, y = data
    columns = ["a", "b", "c", "d"]
    frame = pd.DataFrame(X, columns=columns, index=np.arange(240)[::-1] + 1000)
    scale_two = ColumnTransformer(
        [("scale", StandardScaler(), ["a", "b"])], remainder="drop"
    )
    learner = ActiveLearner(
        make_pipeline(scale_two, LogisticRegression()), random_state=0
    ).fit(frame.iloc[:20], y[:20])
    pool = frame.iloc[20:]
    indices = learner.query(pool)
    assert indices.max() < 220
    learner.teach(pool.iloc[indices], y[20:][indices])
    assert isinstance(learner.X_labeled_, pd.DataFrame)
    assert list(learner.X_labeled_.columns) == columns
    assert learner.X_labeled_.shape == (30, 4)
    np.testing.assert_array_equal(learner.feature_names_in_, columns)


def test_sparse_pools_and_labeled_sets(data):
    X, y = data
    X_sparse = sp.csr_matrix(np.where(np.abs(X) > 3, X, 0.0))
    learner = ActiveLearner(LogisticRegression(), random_state=0)
    learner.fit(X_sparse[:20], y[:20])
    indices = learner.query(X_sparse[20:])
    dense = ActiveLearner(LogisticRegression(), random_state=0)
    dense.fit(X_sparse[:20].toarray(), y[:20])
    np.testing.assert_array_equal(indices, dense.query(X_sparse[20:].toarray()))
    learner.teach(X_sparse[20:][indices], y[20:][indices])
    assert sp.issparse(learner.X_labeled_)
    assert learner.X_labeled_.shape == (30, 4)


class _DigitsModule(torch.nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)
        )

    def forward(self, X):
        return self.layers(X)


def test_a_users_plain_skorch_net_on_digits():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0  # float64: the learner casts it to float32 for the net
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    net = NeuralNetClassifier(
        _DigitsModule,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=0.01,
        max_epochs=30,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
    )
    results = []
    for _ in range(2):
        learner = ActiveLearner(
            net, batch_size=50, classes=np.arange(10), random_state=0
        ).fit(X_train[:50], y_train[:50])
        for _ in range(3):
            indices = learner.query(X_train[50:])
            learner.teach(X_train[50:][indices], y_train[50:][indices])
        results.append((indices, learner.predict_proba(X_test)))
    assert learner.y_labeled_.shape == (200,)
    np.testing.assert_array_equal(learner.estimator_.classes, np.arange(10))
    assert learner.score(X_test, y_test) > 0.85
    # Seeded from random_state: the same queries and the same model twice.
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


# -- simulation mode ----------------------------------------------------------------


def test_simulation_labels_the_budget_in_rounds(data):
    X, y = data
    learner = ActiveLearner(
        LogisticRegression(), budget=47, batch_size=10, n_initial=12, random_state=0
    ).fit(X, y)
    assert [r["n_labels"] for r in learner.history_] == [12, 22, 32, 42, 47]
    rounds = [r["indices"] for r in learner.history_]
    labeled = np.concatenate(rounds)
    np.testing.assert_array_equal(labeled, learner.labeled_indices_)
    assert np.unique(labeled).shape == (47,)
    np.testing.assert_array_equal(learner.X_labeled_, X[labeled])
    np.testing.assert_array_equal(learner.y_labeled_, y[labeled])
    # Each round's batch is what the strategy chose from the rest of the pool.
    replay = LogisticRegression().fit(X[labeled[:22]], y[labeled[:22]])
    pool = np.setdiff1d(np.arange(240), labeled[:22])
    entropy = entropy_acquisition(replay.predict_proba(X[pool]))
    np.testing.assert_array_equal(
        rounds[2], pool[np.argsort(-entropy, kind="stable")[:10]]
    )
    # The final model is trained on exactly the labeled set.
    final = LogisticRegression().fit(X[labeled], y[labeled])
    np.testing.assert_allclose(learner.predict_proba(X), final.predict_proba(X))


def test_simulation_is_reproducible_and_seed_dependent(data):
    X, y = data

    def run(seed):
        return (
            ActiveLearner(LogisticRegression(), budget=30, random_state=seed)
            .fit(X, y)
            .labeled_indices_
        )

    np.testing.assert_array_equal(run(0), run(0))
    assert not np.array_equal(run(0), run(1))


def test_a_budget_beyond_the_pool_labels_everything(data):
    X, y = data
    learner = ActiveLearner(
        LogisticRegression(), budget=10_000, batch_size=100, random_state=0
    ).fit(X[:50], y[:50])
    assert learner.y_labeled_.shape == (50,)
    assert learner.history_[-1]["n_labels"] == 50


def test_simulation_classes_are_the_oracles_labels(data):
    X, y = data
    learner = ActiveLearner(
        TorchMLPClassifier(max_epochs=5), budget=3, n_initial=3, random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(learner.classes_, [0, 1, 2])
    assert learner.predict_proba(X).shape == (240, 3)


class RecordingLogisticRegression(LogisticRegression):
    """Remembers the sample weights of its last fit."""

    def fit(self, X, y, sample_weight=None):
        self.seen_weight_ = sample_weight
        return super().fit(X, y, sample_weight=sample_weight)


def test_sample_weights_follow_their_samples_in_simulation(data):
    X, y = data
    weight = np.arange(240, dtype=float) + 1
    learner = ActiveLearner(
        RecordingLogisticRegression(), budget=40, random_state=0
    ).fit(X, y, sample_weight=weight)
    np.testing.assert_array_equal(
        learner.estimator_.seen_weight_, weight[learner.labeled_indices_]
    )


def test_sample_weights_follow_their_samples_through_teach(data):
    X, y = data
    weight = np.arange(240, dtype=float) + 1
    learner = ActiveLearner(RecordingLogisticRegression()).fit(
        X[:20], y[:20], sample_weight=weight[:20]
    )
    learner.teach(X[30:35], y[30:35], sample_weight=weight[30:35])
    np.testing.assert_array_equal(
        learner.estimator_.seen_weight_, np.r_[weight[:20], weight[30:35]]
    )
    assert_unchanged(
        learner,
        lambda: learner.teach(X[40:42], y[40:42]),
        ValueError,
        "sample_weight",
    )


# -- model selection ----------------------------------------------------------------


def test_grid_search_over_query_strategies(data):
    X, y = data
    search = GridSearchCV(
        ActiveLearner(LogisticRegression(), budget=30, batch_size=10, random_state=0),
        {
            "query_strategy": [
                RandomSampling(),
                UncertaintySampling(acquisition_fn="margin"),
            ]
        },
        cv=3,
        n_jobs=2,
    )
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_estimator_.y_labeled_.shape == (30,)
    assert search.score(X, y) > 0.8


def test_learner_as_the_last_step_of_a_pipeline(data):
    X, y = data
    pipe = make_pipeline(
        StandardScaler(),
        ActiveLearner(LogisticRegression(), budget=30, batch_size=10, random_state=0),
    )
    search = GridSearchCV(
        pipe,
        {"activelearner__query_strategy": [RandomSampling(), UncertaintySampling()]},
        cv=3,
    )
    search.fit(X, y)
    assert search.best_estimator_[-1].y_labeled_.shape == (30,)
    assert search.predict_proba(X).shape == (240, 3)


def test_a_pipeline_estimator_refits_its_preprocessing_on_the_labeled_set(data):
    X, y = data
    learner = ActiveLearner(
        make_pipeline(StandardScaler(), LogisticRegression()),
        budget=30,
        random_state=0,
    ).fit(X, y)
    scaler = learner.estimator_[0]
    np.testing.assert_allclose(scaler.mean_, learner.X_labeled_.mean(axis=0))


def test_uncertainty_beats_random_on_digits_at_150_labels():
    """StandardScaler + LogisticRegression, 20 random labels, then batches of 10
    to 150 labels; mean test accuracy over 5 seeds."""
    X, y = load_digits(return_X_y=True)
    strategies = {
        "random": RandomSampling(),
        "entropy": UncertaintySampling(acquisition_fn="entropy"),
        "margin": UncertaintySampling(acquisition_fn="margin"),
    }
    accuracy = {name: [] for name in strategies}
    for seed in range(5):
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=seed
        )
        for name, strategy in strategies.items():
            learner = ActiveLearner(
                make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
                strategy,
                budget=150,
                batch_size=10,
                n_initial=20,
                random_state=seed,
            ).fit(X_train, y_train)
            assert learner.y_labeled_.shape == (150,)
            accuracy[name].append(learner.score(X_test, y_test))
    mean = {name: np.mean(scores) for name, scores in accuracy.items()}
    assert mean["entropy"] > mean["random"]
    assert mean["margin"] > mean["random"]


# -- bad input: each one a clear error that leaves the learner as it was ------------


def test_query_before_fit():
    with pytest.raises(NotFittedError):
        ActiveLearner(LogisticRegression()).query(np.zeros((3, 4)))


def test_pool_with_the_wrong_number_of_features(learner):
    assert_unchanged(
        learner,
        lambda: learner.query(np.zeros((5, 3))),
        ValueError,
        "X has 3 features, but ActiveLearner is expecting 4 features",
    )


def test_nan_in_the_pool_when_the_estimator_rejects_it(data, learner):
    pool = data[0][12:].copy()
    pool[3, 1] = np.nan
    assert_unchanged(learner, lambda: learner.query(pool), ValueError, "NaN")


def test_nan_in_taught_samples_fails_the_refit_and_changes_nothing(data, learner):
    X, y = data
    bad = X[12:15].copy()
    bad[0, 0] = np.nan
    assert_unchanged(learner, lambda: learner.teach(bad, y[12:15]), ValueError, "NaN")


def test_teach_with_mismatched_lengths(data, learner):
    X, y = data
    assert_unchanged(
        learner,
        lambda: learner.teach(X[12:15], y[12:14]),
        ValueError,
        "inconsistent numbers of samples",
    )


def test_teach_with_a_2d_y(data, learner):
    X, y = data
    assert_unchanged(
        learner,
        lambda: learner.teach(X[12:15], np.c_[y[12:15], y[12:15]]),
        ValueError,
        "same kind as fit",
    )


def test_teach_with_a_column_vector_warns_like_fit(data, learner):
    X, y = data
    with pytest.warns(DataConversionWarning):
        learner.teach(X[12:15], y[12:15, None])
    assert learner.y_labeled_.shape == (15,)


def test_teach_with_an_unknown_label_when_classes_are_fixed(data):
    X, y = data
    learner = ActiveLearner(LogisticRegression(), classes=[0, 1, 2]).fit(X[:12], y[:12])
    assert_unchanged(
        learner,
        lambda: learner.teach(X[12:14], np.array([1, 7])),
        ValueError,
        r"labels \[7\] that are not in classes=\[0, 1, 2\]",
    )


def test_teach_with_the_wrong_number_of_features(data, learner):
    assert_unchanged(
        learner,
        lambda: learner.teach(np.zeros((2, 5)), np.array([0, 1])),
        ValueError,
        "X has 5 features, but ActiveLearner is expecting 4 features",
    )


def test_teach_mixing_label_types(data, learner):
    X, _ = data
    assert_unchanged(
        learner,
        lambda: learner.teach(X[12:14], np.array(["a", "b"])),
        ValueError,
        "Mix of label input types",
    )


def test_a_refit_that_fails_changes_nothing(data):
    X, y = data
    learner = ActiveLearner(FailingOnSize(fail_at=15)).fit(X[:12], y[:12])
    assert_unchanged(
        learner, lambda: learner.teach(X[12:15], y[12:15]), RuntimeError, "refit"
    )


class FailingOnSize(LogisticRegression):
    """A classifier whose fit fails at a given training-set size."""

    def __init__(self, fail_at=15):
        super().__init__()
        self.fail_at = fail_at

    def fit(self, X, y, sample_weight=None):
        if len(y) == self.fail_at:
            raise RuntimeError("refit failed on purpose")
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("batch_size", [0, -2])
def test_non_positive_batch_size_in_query(data, learner, batch_size):
    assert_unchanged(
        learner,
        lambda: learner.query(data[0], batch_size=batch_size),
        ValueError,
        "batch_size must be a positive integer",
    )


def test_non_positive_batch_size_parameter(data):
    X, y = data
    with pytest.raises(ValueError, match="batch_size"):
        ActiveLearner(LogisticRegression(), batch_size=0).fit(X, y)


def test_batch_larger_than_the_pool_returns_the_whole_pool(data, learner):
    pool = data[0][12:20]
    indices = learner.query(pool, batch_size=100)
    np.testing.assert_array_equal(np.sort(indices), np.arange(8))


def test_budget_smaller_than_n_initial(data):
    X, y = data
    with pytest.raises(ValueError, match="budget=5 is smaller than n_initial=10"):
        ActiveLearner(LogisticRegression(), budget=5, n_initial=10).fit(X, y)


def test_an_estimator_without_predict_proba_names_the_wrapper(data):
    X, y = data
    learner = ActiveLearner(LinearSVC(), random_state=0).fit(X[:12], y[:12])
    assert_unchanged(
        learner, lambda: learner.query(X[12:]), TypeError, "CalibratedClassifierCV"
    )
    with pytest.raises(TypeError, match="CalibratedClassifierCV"):
        ActiveLearner(LinearSVC(), budget=20).fit(X, y)


def test_a_strategy_with_its_own_model_is_refused(data):
    X, y = data
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match=r"Pass the strategy without an estimator"):
        ActiveLearner(LogisticRegression(), UncertaintySampling(model)).fit(X, y)


def test_an_empty_pool_gives_an_empty_batch(learner):
    indices = learner.query(np.zeros((0, 4)))
    assert indices.shape == (0,)
    assert indices.dtype == np.int64


# -- properties --------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    n_pool=st.integers(1, 80),
    batch_size=st.integers(1, 100),
    seed=st.integers(0, 2**31 - 1),
    random=st.booleans(),
)
def test_query_and_teach_invariants(n_pool, batch_size, seed, random):
    X, y = make_blobs(n_samples=100, centers=3, n_features=3, random_state=1)
    strategy = RandomSampling() if random else UncertaintySampling()
    learner = ActiveLearner(LogisticRegression(), strategy, random_state=seed)
    learner.fit(X[:20], y[:20])
    pool, oracle = X[20 : 20 + n_pool], y[20 : 20 + n_pool]
    copy = clone(learner).fit(X[:20], y[:20])
    indices = learner.query(pool, batch_size=batch_size)
    np.testing.assert_array_equal(indices, copy.query(pool, batch_size=batch_size))
    assert indices.dtype == np.int64
    assert indices.shape == (min(batch_size, n_pool),)
    assert np.unique(indices).shape == indices.shape
    assert 0 <= indices.min() and indices.max() < n_pool
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few samples of a class: convergence notes
        learner.teach(pool[indices], oracle[indices])
    assert learner.y_labeled_.shape == (20 + indices.shape[0],)
    assert learner.history_[-1]["n_labels"] == 20 + indices.shape[0]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), cuts=st.lists(st.integers(1, 30), max_size=3))
def test_taught_in_batches_it_asks_what_it_asks_fitted_at_once(seed, cuts):
    """The query stream is a function of random_state and the number of labels,
    so a reopened labeling session (a fresh fit) asks what the uninterrupted one
    (taught batch after batch) asks, random strategies included."""
    X, y = make_blobs(n_samples=150, centers=3, n_features=3, random_state=1)
    first = 20
    ends = sorted({first + c for c in cuts} | {60})
    taught = ActiveLearner(LogisticRegression(), RandomSampling(), random_state=seed)
    taught.fit(X[:first], y[:first])
    for start, end in zip([first, *ends[:-1]], ends, strict=True):
        taught.teach(X[start:end], y[start:end])
    at_once = clone(taught).fit(X[:60], y[:60])
    pool = X[60:]
    np.testing.assert_array_equal(taught.query(pool, 10), at_once.query(pool, 10))
    other = clone(taught).fit(X[:59], y[:59])  # another count, another stream
    assert not np.array_equal(other.query(pool, 10), at_once.query(pool, 10))


# -- a failed fit changes nothing; strategies are checked at fit; queries repeat --


def _state(learner):
    """Everything a learner holds, comparable across calls."""
    return pickle.dumps(learner)


def test_a_failed_fit_leaves_a_fitted_learner_exactly_as_it_was():
    X, y = load_digits(return_X_y=True)
    learner = ActiveLearner(LogisticRegression(max_iter=500), random_state=0)
    learner.fit(X[:60], y[:60])
    before, proba = _state(learner), learner.predict_proba(X[:5])
    X_bad = X[:40].copy()
    X_bad[3, 3] = np.nan  # the estimator's fit raises, after classes_ would change
    y_bad = np.where(y[:40] == 0, 10, y[:40])
    with pytest.raises(ValueError, match="NaN"):
        learner.fit(X_bad, y_bad)
    assert _state(learner) == before
    np.testing.assert_array_equal(learner.predict_proba(X[:5]), proba)
    np.testing.assert_array_equal(learner.classes_, np.arange(10))


def test_a_failed_simulation_leaves_the_learner_as_it_was():
    X, y = load_digits(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(max_iter=500), budget=30, batch_size=10, random_state=0
    ).fit(X[:300], y[:300])
    before = _state(learner)

    class Fails(RandomSampling):
        def _select_batch(self, model, X, n_samples, context):
            raise RuntimeError("annotator left")

    learner.set_params(query_strategy=Fails())
    with pytest.raises(RuntimeError, match="annotator left"):
        learner.fit(X[:300], y[:300])
    learner.set_params(query_strategy=None)
    assert _state(learner) == before


@pytest.mark.parametrize("budget", [None, 30])
def test_a_strategy_typo_fails_at_fit_not_at_the_first_query(budget):
    X, y = load_digits(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(max_iter=500),
        UncertaintySampling(acquisition_fn="margins"),
        budget=budget,
        batch_size=10,
    )
    with pytest.raises(ValueError, match="acquisition_fn"):
        learner.fit(X[:100], y[:100])
    assert not hasattr(learner, "estimator_")


def test_a_batch_strategy_as_a_base_fails_at_fit():
    from skactive.strategies import BatchBALD, StochasticBatch

    X, y = load_digits(return_X_y=True)
    learner = ActiveLearner(LogisticRegression(), StochasticBatch(BatchBALD()))
    with pytest.raises(TypeError, match="whole batches"):
        learner.fit(X[:50], y[:50])


def test_query_is_a_function_of_the_learners_state():
    X, y = load_digits(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(max_iter=500), RandomSampling(), random_state=0
    ).fit(X[:20], y[:20])
    pool = X[20:]
    first = learner.query(pool, batch_size=10)
    np.testing.assert_array_equal(learner.query(pool, batch_size=10), first)
    restored = pickle.loads(pickle.dumps(learner))
    np.testing.assert_array_equal(restored.query(pool, batch_size=10), first)
    learner.teach(pool[first], y[20:][first])
    moved = learner.query(pool, batch_size=10)
    assert not np.array_equal(moved, first)  # new labels, a new draw
    np.testing.assert_array_equal(learner.query(pool, batch_size=10), moved)


@pytest.mark.parametrize("seed", range(5))
def test_a_simulation_starting_on_one_class_keeps_going(seed):
    from sklearn.datasets import make_classification

    from skactive._learner_base import ColdStartWarning

    X, y = make_classification(n_samples=400, weights=[0.95], random_state=0)
    learner = ActiveLearner(
        LogisticRegression(), budget=40, batch_size=5, n_initial=5, random_state=seed
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        learner.fit(X, y)
    assert [entry["n_labels"] for entry in learner.history_][-1] == 40
    if np.unique(learner.y_labeled_).shape[0] > 1:
        assert isinstance(learner.estimator_, LogisticRegression)
        assert not learner.cold_start_
    else:
        assert learner.cold_start_
        np.testing.assert_array_equal(learner.predict(X[:3]), learner.y_labeled_[:3])
    if any(issubclass(w.category, ColdStartWarning) for w in caught):
        assert "single class" in str(caught[0].message)


def test_a_hand_loop_on_one_class_waits_for_a_second():
    from skactive._learner_base import ColdStartWarning

    X, y = load_digits(return_X_y=True)
    zeros, ones = np.flatnonzero(y == 0)[:5], np.flatnonzero(y == 1)[:3]
    learner = ActiveLearner(
        LogisticRegression(max_iter=500), initial_strategy="kmeans", random_state=0
    )
    with pytest.warns(ColdStartWarning, match="KMeansSampling"):
        learner.fit(X[zeros], y[zeros])
    assert learner.cold_start_
    np.testing.assert_array_equal(learner.predict(X[:4]), [0, 0, 0, 0])
    np.testing.assert_allclose(learner.predict_proba(X[:4]).sum(axis=1), 1.0)
    assert learner.query(X, batch_size=4).shape == (4,)
    learner.teach(X[ones], y[ones])
    assert not learner.cold_start_
    assert learner.score(X[np.r_[zeros, ones]], y[np.r_[zeros, ones]]) == 1.0
    with pytest.raises(ValueError, match="contains NaN"):  # a real error
        ActiveLearner(LogisticRegression()).fit(np.full((4, 2), np.nan), [0, 1, 0, 1])


def test_teach_keeps_categorical_columns_categorical():
    from sklearn.compose import make_column_selector

    frame = pd.DataFrame(
        {
            "colour": pd.Categorical(["red", "blue", "red", "blue"]),
            "size": [1.0, 2.0, 3.0, 4.0],
        }
    )
    new = pd.DataFrame({"colour": pd.Categorical(["green", "red"]), "size": [5.0, 6.0]})
    columns = ColumnTransformer(
        [("onehot", OneHotEncoder(), make_column_selector(dtype_include="category"))],
        remainder="passthrough",
    )
    learner = ActiveLearner(make_pipeline(columns, LogisticRegression()))
    learner.fit(frame, [0, 1, 0, 1]).teach(new, [1, 0])
    colour = learner.X_labeled_["colour"]
    assert isinstance(colour.dtype, pd.CategoricalDtype)
    assert list(colour.cat.categories) == ["blue", "red", "green"]
    assert colour.tolist() == ["red", "blue", "red", "blue", "green", "red"]
    # The selector still finds the column: 3 one-hot columns plus size.
    assert learner.estimator_[:-1].transform(learner.X_labeled_).shape == (6, 4)


def test_a_nets_fixed_classes_widen_the_learners():
    net = TorchMLPClassifier(classes=[0, 1, 2], max_epochs=5, random_state=0)
    X, y = load_digits(return_X_y=True)
    keep = np.isin(y, [0, 2])
    learner = ActiveLearner(net, random_state=0).fit(X[keep][:40], y[keep][:40])
    np.testing.assert_array_equal(learner.classes_, [0, 1, 2])
    np.testing.assert_allclose(
        learner.predict_proba(X[:10]).sum(axis=1), 1.0, atol=1e-5
    )


def test_uncertainty_refuses_probabilities_that_are_not_distributions():
    from sklearn.multiclass import OneVsRestClassifier

    X, y = load_digits(return_X_y=True)
    multilabel = OneVsRestClassifier(LogisticRegression(max_iter=200))
    labels = np.stack([y % 2, y > 4], axis=1)
    model = multilabel.fit(X[:200], labels[:200])
    with pytest.raises(ValueError, match="not a distribution over classes"):
        UncertaintySampling(model).query(X[200:300], 5)


@pytest.mark.parametrize("dtype", [np.int64, np.int8, np.bool_, np.float16])
def test_a_raw_skorch_net_takes_any_numeric_input(dtype):
    X, y = load_digits(return_X_y=True)
    net = NeuralNetClassifier(
        _DigitsModule,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=2,
        train_split=None,
        verbose=0,
        lr=0.01,
    )
    X = (X > 8) if dtype is np.bool_ else X
    learner = ActiveLearner(net, classes=np.arange(10), random_state=0)
    learner.fit(X[:100].astype(dtype), y[:100])
    assert learner.predict_proba(X[100:110].astype(dtype)).shape == (10, 10)
    assert learner.query(X[100:200].astype(dtype), batch_size=3).shape == (3,)


def test_a_regression_target_names_the_regression_learner():
    X, _ = load_digits(return_X_y=True)
    with pytest.raises(ValueError, match="ActiveRegressor for a continuous target"):
        ActiveLearner(LogisticRegression()).fit(X[:50], np.linspace(0, 1, 50))


def test_per_sample_fit_parameters_are_declared_not_guessed():
    from sklearn.linear_model import SGDClassifier

    X, y = load_digits(return_X_y=True)
    rows = np.concatenate([np.flatnonzero(y == c)[:1] for c in range(10)])
    # intercept_init has 10 entries for 10 samples, but is not per sample.
    learner = ActiveLearner(SGDClassifier(random_state=0), random_state=0)
    learner.fit(X[rows], y[rows], intercept_init=np.zeros(10))
    learner.teach(X[20:25], y[20:25])  # nothing more to pass
    assert learner.y_labeled_.shape == (15,)
    # A declared one follows its samples, through a pipeline's step name too.
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    learner = ActiveLearner(pipe, random_state=0)
    weights = np.linspace(1, 2, 10)
    learner.fit(X[rows], y[rows], logisticregression__sample_weight=weights)
    with pytest.raises(ValueError, match="sample_weight"):
        learner.teach(X[20:22], y[20:22])
    learner.teach(X[20:22], y[20:22], logisticregression__sample_weight=[1.0, 1.0])
    assert learner.y_labeled_.shape == (12,)
    with pytest.raises(ValueError, match="declared per-sample"):
        ActiveLearner(LogisticRegression()).fit(X[:10], y[:10], sample_weight=[1.0])


def test_a_verbose_simulation_shows_its_labels_against_the_budget(capsys):
    X, y = load_digits(return_X_y=True)
    ActiveLearner(
        LogisticRegression(max_iter=300), budget=40, batch_size=10, verbose=1,
        random_state=0,
    ).fit(X[:400], y[:400])  # fmt: skip
    err = capsys.readouterr().err
    assert "labels" in err and "40/40" in err


def test_a_learner_without_its_hooks_fails_when_it_is_made():
    from skactive._loop import ActiveLoop

    class Half(ActiveLoop):
        def _check_targets(self, y, reset):
            return y

    with pytest.raises(TypeError, match="abstract method"):
        Half()

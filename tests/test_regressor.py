"""ActiveRegressor: the active learning loop for a continuous target.

scikit-learn's estimator checks run over its configurations in test_common.py.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.ensemble import RandomForestRegressor
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from skactive import ActiveLearner, ActiveRegressor, CommitteeRegressor
from skactive.nets import TorchMLPRegressor
from skactive.oracle import SimulatedOracle
from skactive.stopping import MaxLabels
from skactive.strategies import (
    BALD,
    CoreSet,
    ExpectedModelChangeRegression,
    GreedySampling,
    InformationDensity,
    KMeansSampling,
    PredictiveStd,
    RandomSampling,
    StochasticBatch,
    TypiClust,
    UncertaintySampling,
)


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X, y


def _state(learner):
    return pickle.dumps(
        {k: v for k, v in vars(learner).items() if not k.startswith("_rng")}
    )


def test_a_simulation_spends_its_budget_in_batches(diabetes):
    X, y = diabetes
    learner = ActiveRegressor(Ridge(), budget=47, batch_size=10, random_state=0)
    learner.fit(X, y)
    assert [r["n_labels"] for r in learner.history_] == [10, 20, 30, 40, 47]
    assert learner.labeled_indices_.dtype == np.int64
    assert np.unique(learner.labeled_indices_).shape == (47,)
    np.testing.assert_array_equal(learner.y_labeled_, y[learner.labeled_indices_])
    assert learner.stop_reason_ == "budget: 47 labels are used."
    assert learner.n_rounds_ == 4 and not learner.cold_start_
    # The learner is the model fitted on those labels.
    direct = Ridge().fit(X[learner.labeled_indices_], y[learner.labeled_indices_])
    np.testing.assert_allclose(learner.predict(X), direct.predict(X))
    assert learner.score(X, y) == pytest.approx(direct.score(X, y))


def test_the_default_strategy_is_improved_greedy_sampling(diabetes):
    X, y = diabetes
    default = ActiveRegressor(Ridge(), budget=30, random_state=3).fit(X, y)
    igs = ActiveRegressor(Ridge(), GreedySampling("xy"), budget=30, random_state=3)
    np.testing.assert_array_equal(
        default.labeled_indices_, igs.fit(X, y).labeled_indices_
    )


def test_a_seeded_simulation_repeats_itself_with_the_default_net(diabetes):
    X, y = diabetes
    model = make_pipeline(StandardScaler(), TorchMLPRegressor((16,), max_epochs=20))
    runs = [
        ActiveRegressor(model, budget=30, random_state=0).fit(X[:200], y[:200])
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0].labeled_indices_, runs[1].labeled_indices_)
    np.testing.assert_array_equal(runs[0].predict(X[:5]), runs[1].predict(X[:5]))
    learner = ActiveRegressor(budget=15, random_state=0).fit(X[:100], y[:100])
    assert isinstance(learner.estimator_, TorchMLPRegressor)


def test_a_hand_driven_loop(diabetes):
    X, y = diabetes
    learner = ActiveRegressor(
        RandomForestRegressor(n_estimators=10, random_state=0),
        PredictiveStd(),
        random_state=0,
    ).fit(X[:20], y[:20])
    pool = X[20:]
    picked = learner.query(pool, batch_size=7)
    assert picked.dtype == np.int64 and np.unique(picked).shape == (7,)
    np.testing.assert_array_equal(learner.query(pool, batch_size=7), picked)
    spread = np.std(
        [tree.predict(pool) for tree in learner.estimator_.estimators_], axis=0
    )
    np.testing.assert_array_equal(np.sort(spread[picked]), np.sort(spread)[-7:])
    learner.teach(pool[picked], y[20:][picked])
    assert learner.y_labeled_.shape == (27,)
    assert learner.history_[-1]["indices"].tolist() == list(range(20, 27))


@pytest.mark.parametrize(
    "X_new, y_new, match",
    [
        ("width", None, "features"),
        (None, "strings", "numeric targets"),
        (None, "nan", "NaN"),
        (None, "2d", "1d array"),
    ],
)
def test_a_bad_teach_changes_nothing(diabetes, X_new, y_new, match):
    X, y = diabetes
    learner = ActiveRegressor(Ridge(), random_state=0).fit(X[:20], y[:20])
    before = _state(learner)
    next_query = learner.query(X[20:], batch_size=5)
    X_bad = X[20:25, :5] if X_new == "width" else X[20:25]
    y_bad = {
        None: y[20:25],
        "strings": np.array(["a", "b", "c", "d", "e"]),
        "nan": np.array([1.0, np.nan, 2.0, 3.0, 4.0]),
        "2d": np.ones((5, 2)),
    }[y_new]
    with pytest.raises(ValueError, match=match):
        learner.teach(X_bad, y_bad)
    assert _state(learner) == before
    np.testing.assert_array_equal(learner.query(X[20:], batch_size=5), next_query)


def test_string_targets_name_the_classifier_learner(diabetes):
    X, _ = diabetes
    with pytest.raises(ValueError, match=r"skactive\.ActiveLearner"):
        ActiveRegressor(Ridge()).fit(X[:4], ["a", "b", "a", "b"])


@pytest.mark.parametrize(
    "strategy", [UncertaintySampling(), BALD(), StochasticBatch(BALD())]
)
def test_a_classification_strategy_is_refused_naming_the_regression_ones(
    diabetes, strategy
):
    X, y = diabetes
    with pytest.raises(
        ValueError,
        match="serving regression: ActiveLearningByLearning, CoreSet, ExpectedModel",
    ):
        ActiveRegressor(Ridge(), strategy, budget=20).fit(X, y)


@pytest.mark.parametrize(
    "strategy", [PredictiveStd(), GreedySampling(), ExpectedModelChangeRegression()]
)
def test_the_classifier_learner_refuses_a_regression_strategy(strategy):
    X = np.random.RandomState(0).normal(size=(30, 3))
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(ValueError, match=r"it serves regression \(ActiveRegressor\)"):
        ActiveLearner(LogisticRegression(), strategy).fit(X, y)


def test_a_noisy_oracle_and_a_stratified_start_are_refused(diabetes):
    X, y = diabetes
    with pytest.raises(TypeError, match="pass the targets themselves"):
        ActiveRegressor(Ridge(), budget=20).fit(X, SimulatedOracle(y))
    with pytest.raises(InvalidParameterError, match="initial_strategy"):
        ActiveRegressor(Ridge(), budget=20, initial_strategy="stratified").fit(X, y)


@pytest.mark.parametrize(
    "strategy",
    [
        GreedySampling("x"),
        GreedySampling("y"),
        GreedySampling("xy"),
        PredictiveStd(),
        ExpectedModelChangeRegression(),
        RandomSampling(),
        CoreSet(),
        KMeansSampling(),
        TypiClust(),
        StochasticBatch(PredictiveStd()),
        InformationDensity(PredictiveStd()),
    ],
    ids=repr,
)
def test_every_regression_strategy_runs_a_seeded_simulation(strategy):
    X, y = make_friedman1(n_samples=150, random_state=0)
    model = CommitteeRegressor([Ridge(alpha=0.1)] * 3, random_state=0)
    runs = [
        ActiveRegressor(model, strategy, budget=40, random_state=1).fit(X, y)
        for _ in range(2)
    ]
    assert np.unique(runs[0].labeled_indices_).shape == (40,)
    np.testing.assert_array_equal(runs[0].labeled_indices_, runs[1].labeled_indices_)


def test_grid_search_over_strategies_scores_r2(diabetes):
    X, y = diabetes
    learner = ActiveRegressor(Ridge(alpha=0.1), budget=40, random_state=0)
    strategies = [RandomSampling(), GreedySampling("x"), GreedySampling("y")]
    grid = {"query_strategy": strategies}
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(learner, grid, cv=cv).fit(X, y)
    assert search.cv_results_["mean_test_score"].shape == (3,)
    manual = cross_val_score(
        learner.set_params(query_strategy=GreedySampling("x")), X, y, cv=cv
    )
    assert search.cv_results_["mean_test_score"][1] == pytest.approx(manual.mean())
    assert search.best_estimator_.history_[-1]["n_labels"] == 40


def test_a_pickled_learner_asks_the_same_next_batch(diabetes):
    X, y = diabetes
    learner = ActiveRegressor(
        GaussianProcessRegressor(), PredictiveStd(), random_state=0
    ).fit(X[:15], y[:15])
    again = pickle.loads(pickle.dumps(learner))
    np.testing.assert_array_equal(
        again.query(X[15:], batch_size=6), learner.query(X[15:], batch_size=6)
    )
    _, std = learner.estimator_.predict(X[15:], return_std=True)
    top = learner.query(X[15:], batch_size=6)
    np.testing.assert_allclose(np.sort(std[top]), np.sort(std)[-6:])


def test_a_data_frame_pool_and_stopping(diabetes):
    X, y = diabetes
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    learner = ActiveRegressor(
        Ridge(), budget=60, stopping=[MaxLabels(30)], random_state=0
    ).fit(frame, y)
    assert learner.history_[-1]["n_labels"] == 30
    assert learner.stop_reason_.startswith("MaxLabels")
    arrays = ActiveRegressor(
        Ridge(), budget=60, stopping=[MaxLabels(30)], random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(learner.labeled_indices_, arrays.labeled_indices_)
    assert list(learner.feature_names_in_) == list(frame.columns)


def test_one_labeled_sample_is_enough_to_start(diabetes):
    X, y = diabetes
    learner = ActiveRegressor(Ridge(), GreedySampling("x")).fit(X[:1], y[:1])
    assert not learner.cold_start_
    assert learner.query(X[1:], batch_size=3).shape == (3,)
    with pytest.raises(ValueError, match="at least 2"):
        ActiveRegressor(Ridge(), ExpectedModelChangeRegression()).fit(
            X[:1], y[:1]
        ).query(X[1:])


def test_a_failing_regressor_raises_instead_of_a_placeholder(diabetes):
    X, _ = diabetes

    class Refuses(Ridge):
        def fit(self, X, y, sample_weight=None):
            raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        ActiveRegressor(Refuses()).fit(X[:5], np.zeros(5))

"""Round callbacks: the public hook the learner's loop reports every round to."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from skactive import ActiveLearner
from skactive.callbacks import RoundCallback, ScoreRecorder


class Rounds(RoundCallback):
    """Records what it is told, and what the learner looks like then."""

    def __init__(self):
        self.seen = []

    def on_round(self, learner, record):
        self.seen.append(
            (record["round"], record["n_labels"], learner.y_labeled_.shape[0])
        )


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


def test_a_simulation_reports_every_round_after_its_refit(iris):
    X, y = iris
    given = Rounds()
    learner = ActiveLearner(
        LogisticRegression(),
        budget=40,
        batch_size=10,
        callbacks=[given],
        random_state=0,
    ).fit(X, y)
    seen = learner.callbacks_[0].seen
    assert seen == [(0, 10, 10), (1, 20, 20), (2, 30, 30), (3, 40, 40)]
    assert [entry["round"] for entry in learner.history_] == [0, 1, 2, 3]
    assert learner.n_rounds_ == 3
    assert given.seen == []  # the parameter is never changed
    assert learner.callbacks_[0] is not given


def test_a_hand_driven_loop_reports_fit_and_each_teach(iris):
    X, y = iris
    learner = ActiveLearner(LogisticRegression(), callbacks=[Rounds()])
    learner.fit(X[::10], y[::10])
    learner.teach(X[1:4], y[1:4]).teach(X[5:6], y[5:6])
    assert learner.callbacks_[0].seen == [(0, 15, 15), (1, 18, 18), (2, 19, 19)]
    assert learner.n_rounds_ == 2


def test_a_refit_starts_the_callbacks_afresh(iris):
    X, y = iris
    learner = ActiveLearner(
        LogisticRegression(), budget=20, batch_size=10, callbacks=[Rounds()]
    )
    learner.fit(X, y)
    learner.fit(X, y)
    assert len(learner.callbacks_[0].seen) == 2


def test_score_recorder_scores_each_rounds_model(iris):
    X, y = iris
    recorder = ScoreRecorder(X[1::2], y[1::2])
    learner = ActiveLearner(
        LogisticRegression(),
        budget=30,
        batch_size=10,
        callbacks=[recorder],
        random_state=0,
    ).fit(X[::2], y[::2])
    recorded = learner.callbacks_[0]
    assert recorded.n_labels_ == [10, 20, 30]
    # The last score is the final model's.
    assert recorded.scores_[-1] == learner.score(X[1::2], y[1::2])
    assert all(0.0 <= score <= 1.0 for score in recorded.scores_)
    assert not hasattr(recorder, "scores_")


def test_score_recorder_takes_a_scorer(iris):
    X, y = iris
    learner = ActiveLearner(
        LogisticRegression(),
        budget=20,
        batch_size=10,
        callbacks=[ScoreRecorder(X, y, scoring="neg_log_loss")],
        random_state=0,
    ).fit(X, y)
    assert all(score < 0 for score in learner.callbacks_[0].scores_)


def test_an_object_without_on_round_is_refused_before_anything_changes(iris):
    X, y = iris
    learner = ActiveLearner(LogisticRegression()).fit(X[::10], y[::10])
    before = learner.estimator_
    learner.set_params(callbacks=[object()])
    with pytest.raises(TypeError, match="on_round"):
        learner.fit(X, y)
    assert learner.estimator_ is before
    assert learner.y_labeled_.shape == (15,)


def test_the_base_hook_does_nothing(iris):
    X, y = iris
    learner = ActiveLearner(
        LogisticRegression(), budget=20, batch_size=10, callbacks=[RoundCallback()]
    ).fit(X, y)
    np.testing.assert_array_equal(
        [entry["n_labels"] for entry in learner.history_], [10, 20]
    )

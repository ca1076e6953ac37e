"""skactive.stopping: each criterion stops at the round where it should."""

import pickle
from typing import ClassVar

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skactive import ActiveLearner, UncertaintySampling
from skactive.stopping import (
    MaxLabels,
    MaxUncertainty,
    Plateau,
    StabilizingPredictions,
    StoppingCriterion,
    TargetScore,
)


@pytest.fixture(scope="module")
def task():
    """A problem where accuracy climbs gradually over a few hundred labels."""
    X, y = make_classification(
        n_samples=900,
        n_features=20,
        n_informative=8,
        n_classes=3,
        class_sep=0.8,
        random_state=0,
    )
    return X[:600], y[:600], X[600:], y[600:]


def _simulation(stopping=None, budget=200, **params):
    return ActiveLearner(
        LogisticRegression(max_iter=300),
        UncertaintySampling(acquisition_fn="margin"),
        budget=budget,
        batch_size=10,
        n_initial=10,
        stopping=stopping,
        random_state=0,
        **params,
    )


def _first(flags):
    """Index of the first True, or None."""
    hits = np.flatnonzero(flags)
    return int(hits[0]) if hits.size else None


def _middle_record(values):
    """The middle one of the rounds (after the first) that beat every earlier
    round: a value first reached there, neither at the start nor at the end."""
    values = np.asarray(values)
    records = [
        index
        for index in range(1, values.shape[0] - 1)
        if values[index] > values[:index].max()
    ]
    assert records, values
    return records[len(records) // 2]


def _assert_stopped_at(stopped, reference, round_index):
    """``stopped`` ran the same rounds as ``reference`` up to ``round_index``."""
    n_labels = [entry["n_labels"] for entry in reference.history_]
    assert len(stopped.history_) == round_index + 1
    n = n_labels[round_index]
    assert stopped.y_labeled_.shape[0] == n
    np.testing.assert_array_equal(
        stopped.labeled_indices_, reference.labeled_indices_[:n]
    )


ALL_CRITERIA = [
    MaxLabels(50),
    TargetScore(0.9),
    Plateau(patience=2, min_delta=0.01),
    StabilizingPredictions(stop_set_size=100, window=2, threshold=0.95),
    MaxUncertainty(threshold=0.2, measure="entropy"),
]


@pytest.mark.parametrize("criterion", ALL_CRITERIA, ids=lambda c: type(c).__name__)
def test_criteria_are_clonable_estimators(criterion):
    twin = clone(criterion)
    assert twin is not criterion
    assert twin.get_params() == criterion.get_params()
    assert isinstance(twin, StoppingCriterion)
    assert type(criterion).__name__ in repr(criterion)


def test_grid_search_over_stopping_criteria(task):
    X, y, _, _ = task
    search = GridSearchCV(
        _simulation(budget=60),
        {"stopping": [[MaxLabels(20)], [MaxLabels(50)]]},
        cv=2,
    ).fit(X, y)
    labels = [
        entry["n_labels"] for entry in search.best_estimator_.history_
    ]  # the refit on all of X stops where its criterion says
    assert labels[-1] in (20, 50)
    assert len(search.cv_results_["params"]) == 2


# -- each criterion on a simulation where the right round is known ------------


def test_max_labels_stops_at_the_first_round_with_enough_labels(task):
    X, y, _, _ = task
    reference = _simulation().fit(X, y)
    stopped = _simulation([MaxLabels(35)]).fit(X, y)
    _assert_stopped_at(stopped, reference, 3)  # 10, 20, 30, 40 labels
    assert stopped.stop_reason_ == "MaxLabels: 40 samples are labeled (n_labels=35)."
    assert reference.stop_reason_ == "budget: 200 labels are used."
    # The same, as codes a program can test.
    assert (stopped.stop_code_, reference.stop_code_) == ("max_labels", "budget")


def test_target_score_stops_at_the_first_round_reaching_it(task):
    X, y, X_val, y_val = task
    recorder = TargetScore(2.0, X_val, y_val)  # never reached: records every round
    reference = _simulation([recorder]).fit(X, y)
    scores = np.array(reference.stopping_[0].scores_)
    assert len(scores) == len(reference.history_)
    expected = _middle_record(scores)
    target = scores[expected]
    assert _first(scores >= target) == expected
    stopped = _simulation([TargetScore(target, X_val, y_val)]).fit(X, y)
    _assert_stopped_at(stopped, reference, expected)
    assert stopped.stop_reason_.startswith("TargetScore: validation score")
    assert recorder.get_params()["target"] == 2.0  # the parameter is untouched
    assert not hasattr(recorder, "scores_")


def _plateau_round(scores, patience, min_delta):
    """The rule, written out independently of the class."""
    best, waited = scores[0], 0
    for index, score in enumerate(scores[1:], start=1):
        if score > best + min_delta:
            best, waited = score, 0
        else:
            waited += 1
            if waited >= patience:
                return index
    return None


def test_plateau_stops_after_patience_rounds_without_improvement(task):
    X, y, X_val, y_val = task
    reference = _simulation([TargetScore(2.0, X_val, y_val)], budget=300).fit(X, y)
    scores = reference.stopping_[0].scores_
    for patience, min_delta in [(2, 0.0), (3, 0.005), (1, 0.02)]:
        expected = _plateau_round(scores, patience, min_delta)
        assert expected is not None and expected < len(scores) - 1
        stopped = _simulation(
            [Plateau(patience, min_delta, X_val, y_val)], budget=300
        ).fit(X, y)
        _assert_stopped_at(stopped, reference, expected)
        assert stopped.stop_reason_.startswith("Plateau:")


def test_stabilizing_predictions_stops_when_the_mean_kappa_is_high(task):
    X, y, _, _ = task
    recorder = StabilizingPredictions(stop_set_size=200, window=10**6)
    reference = _simulation([recorder]).fit(X, y)
    kappas = np.array(reference.stopping_[0].kappas_)
    assert len(kappas) == len(reference.history_) - 1  # none at the first round
    window = 3
    rolling = np.convolve(kappas, np.ones(window) / window, mode="valid")
    # (less a rounding margin: the criterion averages with np.mean)
    threshold = float(np.sort(rolling)[len(rolling) // 2]) - 1e-9
    # Round r has kappas[: r]; the rolling mean ending at kappa i is known at i + 1.
    expected = _first(rolling >= threshold) + window
    stopped = _simulation(
        [StabilizingPredictions(200, window=window, threshold=threshold)]
    ).fit(X, y)
    _assert_stopped_at(stopped, reference, expected)
    assert stopped.stop_reason_.startswith("StabilizingPredictions:")
    np.testing.assert_array_equal(
        stopped.stopping_[0].stop_set_, reference.stopping_[0].stop_set_
    )


def test_max_uncertainty_stops_when_the_pool_is_confident(task):
    X, y, _, _ = task
    recorder = MaxUncertainty(threshold=0.0)
    reference = _simulation([recorder], budget=300).fit(X, y)
    largest = np.array(reference.stopping_[0].max_uncertainties_)
    expected = _middle_record(-largest)
    threshold = float(largest[expected])
    assert _first(largest <= threshold) == expected
    stopped = _simulation([MaxUncertainty(threshold)], budget=300).fit(X, y)
    _assert_stopped_at(stopped, reference, expected)
    assert stopped.stop_reason_.startswith("MaxUncertainty:")


def test_first_criterion_to_fire_gives_the_reason(task):
    X, y, X_val, y_val = task
    stopped = _simulation([TargetScore(0.0, X_val, y_val), MaxLabels(10)]).fit(X, y)
    assert len(stopped.history_) == 1
    assert stopped.stop_reason_.startswith("TargetScore")


# -- scripted learners: the rules on known sequences --------------------------


class Scripted(ClassifierMixin, BaseEstimator):
    """Returns the next scripted score, predictions or probabilities per call."""

    def __init__(self, scores=(), predictions=(), probabilities=()):
        self.scores = scores
        self.predictions = predictions
        self.probabilities = probabilities

    def fit(self, X, y):
        return self

    def next_round(self, index):
        self.round_ = index
        self.y_labeled_ = np.zeros(10 * (index + 1))
        return self

    def score(self, X, y):
        return self.scores[self.round_]

    def predict(self, X):
        return np.asarray(self.predictions[self.round_])

    def predict_proba(self, X):
        return np.asarray(self.probabilities[self.round_], dtype=np.float64)


def _fire_rounds(criterion, learner, n_rounds, X_pool=None):
    return [
        criterion.check(learner.next_round(index), X_pool) is not None
        for index in range(n_rounds)
    ]


def test_plateau_rule_on_a_scripted_sequence():
    scores = [0.5, 0.6, 0.605, 0.61, 0.7, 0.69, 0.7, 0.7]
    fired = _fire_rounds(
        Plateau(patience=2, min_delta=0.01, X_val=[[0]], y_val=[0]),
        Scripted(scores=scores),
        len(scores),
    )
    # 0.605 and 0.61 do not beat 0.6 by more than 0.01: fires at round 3; the
    # criterion keeps counting afterwards (0.7 resets, then 0.69 and 0.7 wait).
    assert fired == [False, False, False, True, False, False, True, True]


def test_stabilizing_predictions_rule_on_scripted_predictions():
    base = np.arange(20) % 3
    changed = base.copy()
    changed[:4] = (changed[:4] + 1) % 3
    rounds = [changed, base, base, base, base]
    criterion = StabilizingPredictions(stop_set_size=20, window=2, threshold=0.99)
    fired = _fire_rounds(criterion, Scripted(predictions=rounds), 5, np.zeros((20, 1)))
    assert criterion.kappas_[0] < 0.9
    assert criterion.kappas_[1:] == [1.0, 1.0, 1.0]
    assert fired == [False, False, False, True, True]


def test_kappa_of_identical_constant_predictions_is_one():
    rounds = [np.zeros(5), np.zeros(5)]
    criterion = StabilizingPredictions(stop_set_size=5, window=1, threshold=1.0)
    assert _fire_rounds(criterion, Scripted(predictions=rounds), 2, np.ones((5, 1)))[1]


@pytest.mark.parametrize("measure", ["least_confidence", "entropy", "margin"])
def test_max_uncertainty_is_normalized_to_the_unit_interval(measure):
    uniform = np.full((3, 4), 0.25)
    one_hot = np.eye(4)[[0, 1, 2]]
    mixed = np.array([[0.97, 0.01, 0.01, 0.01], [1.0, 0, 0, 0], [0.5, 0.5, 0, 0]])
    criterion = MaxUncertainty(threshold=0.5, measure=measure)
    fired = _fire_rounds(
        criterion,
        Scripted(probabilities=[uniform, one_hot, mixed]),
        3,
        np.zeros((3, 1)),
    )
    assert criterion.max_uncertainties_[:2] == pytest.approx([1.0, 0.0])
    assert fired[:2] == [False, True]
    # The most uncertain row of ``mixed`` is the 50/50 one: maximal margin
    # uncertainty, half of the least-confidence scale, and 1/2 of log 4 in entropy.
    assert criterion.max_uncertainties_[2] == pytest.approx(
        {"least_confidence": 2 / 3, "entropy": 0.5, "margin": 1.0}[measure]
    )


def test_max_uncertainty_of_an_empty_pool_stops():
    criterion = MaxUncertainty()
    reason = criterion.check(Scripted().next_round(0), np.zeros((0, 2)))
    assert reason == "MaxUncertainty: the pool is empty."


# -- the hand-driven loop ------------------------------------------------------


def _hand_learner(task, stopping):
    X, y, _, _ = task
    learner = ActiveLearner(
        LogisticRegression(max_iter=300),
        batch_size=10,
        stopping=stopping,
        random_state=0,
    )
    return learner.fit(X[:20], y[:20]), X[20:], y[20:]


def test_should_stop_checks_once_per_round(task):
    _, _, X_val, y_val = task
    learner, X_pool, y_pool = _hand_learner(task, [TargetScore(2.0, X_val, y_val)])
    assert learner.should_stop() is False
    assert learner.should_stop() is False
    assert len(learner.stopping_[0].scores_) == 1  # the second call recorded nothing
    picked = learner.query(X_pool)
    learner.teach(X_pool[picked], y_pool[picked])
    assert learner.should_stop() is False
    assert len(learner.stopping_[0].scores_) == 2
    assert learner.stop_reason_ is None


def test_should_stop_without_criteria_is_false(task):
    learner, X_pool, _ = _hand_learner(task, None)
    assert learner.should_stop(X_pool) is False
    assert learner.stopping_ == [] and learner.stop_reason_ is None


@pytest.mark.parametrize(
    ("criterion", "pool", "message"),
    [
        (TargetScore(0.9), True, r"X_val and y_val were not given"),
        (Plateau(), True, r"Plateau\(..., X_val=X_val, y_val=y_val\)"),
        (MaxUncertainty(), False, r"learner.should_stop\(X_pool\)"),
        (StabilizingPredictions(), False, r"none was given"),
    ],
)
def test_missing_inputs_are_clear_errors_that_change_nothing(
    task, criterion, pool, message
):
    learner, X_pool, _ = _hand_learner(task, [MaxLabels(10**6), criterion])
    before = pickle.dumps(learner)
    with pytest.raises(ValueError, match=message):
        learner.should_stop(X_pool if pool else None)
    assert pickle.dumps(learner) == before


def test_bad_stopping_parameter_is_rejected(task):
    X, y, _, _ = task
    with pytest.raises(ValueError, match="'stopping' parameter"):
        ActiveLearner(LogisticRegression(), stopping=MaxLabels(5)).fit(X, y)
    with pytest.raises(TypeError, match="stopping must hold stopping criteria"):
        ActiveLearner(LogisticRegression(), stopping=[LogisticRegression()]).fit(X, y)


def test_bad_criterion_parameters_are_rejected(task):
    learner, X_pool, _ = _hand_learner(task, [MaxUncertainty(threshold=2.0)])
    with pytest.raises(ValueError, match="'threshold' parameter of MaxUncertainty"):
        learner.should_stop(X_pool)


def test_stop_set_is_seeded_from_the_learner(task):
    X, y, _, _ = task
    criterion = StabilizingPredictions(stop_set_size=50)
    first = _simulation([criterion], budget=40).fit(X, y)
    again = _simulation([criterion], budget=40).fit(X, y)
    assert criterion.random_state is None  # the parameter is untouched
    assert isinstance(first.stopping_[0].random_state, int)
    np.testing.assert_array_equal(
        first.stopping_[0].stop_set_, again.stopping_[0].stop_set_
    )
    assert first.stopping_[0].stop_set_.shape == (50, X.shape[1])


def test_a_criterion_of_ones_own_needs_only_check():
    class EveryOther(StoppingCriterion):
        _parameter_constraints: ClassVar[dict] = {}

        def _check(self, learner, X_pool):
            self.calls_ = getattr(self, "calls_", 0) + 1
            return "even round" if self.calls_ % 2 == 0 else None

    class Empty(StoppingCriterion):
        pass

    learner = Scripted().next_round(0)
    criterion = EveryOther()
    assert [criterion.check(learner) for _ in range(3)] == [None, "even round", None]
    with pytest.raises(TypeError, match=r"abstract method '?_check"):
        Empty()  # fails when it is made, not at its first check


def test_every_criterion_has_a_short_stop_code():
    from skactive.stopping import all_criteria

    names = [name for name, _ in all_criteria()]
    assert names == [
        "MaxLabels",
        "MaxUncertainty",
        "Plateau",
        "StabilizingPredictions",
        "TargetScore",
    ]
    assert MaxLabels(5).stop_code == "max_labels"
    from skactive.stopping import StabilizingPredictions

    assert StabilizingPredictions().stop_code == "stabilizing_predictions"


def test_criteria_declare_their_needs_in_public_tags():
    from skactive.stopping import (
        MaxLabels,
        MaxUncertainty,
        Plateau,
        StabilizingPredictions,
        all_criteria,
        get_criterion_tags,
    )

    assert get_criterion_tags(MaxUncertainty()).tasks == ("classification",)
    assert get_criterion_tags(MaxUncertainty()).needs_pool
    stabilizing = get_criterion_tags(StabilizingPredictions())
    assert stabilizing.tasks == ("classification", "multilabel")
    assert stabilizing.reads_pool_rows
    assert get_criterion_tags(Plateau(X_val=[[0]], y_val=[0])).needs_validation
    assert get_criterion_tags(MaxLabels(10)).tasks == (
        "classification",
        "multilabel",
        "regression",
    )
    assert [name for name, _ in all_criteria("regression")] == [
        "MaxLabels",
        "Plateau",
        "TargetScore",
    ]
    with pytest.raises(ValueError, match="task must be one of"):
        all_criteria("ranking")


def test_check_stopping_validates_every_criterion_before_any_records():
    from skactive.stopping import check_stopping

    learner = Scripted(scores=[0.5, 0.9]).next_round(0)
    plateau = Plateau(patience=1, X_val=np.zeros((2, 2)), y_val=np.zeros(2))
    needs_pool = MaxUncertainty()
    with pytest.raises(ValueError, match="pool"):
        check_stopping([plateau, needs_pool], learner, None)
    assert not hasattr(plateau, "scores_")  # nothing recorded by the failed check
    assert check_stopping([plateau, MaxLabels(10)], learner) == (
        "MaxLabels: 10 samples are labeled (n_labels=10)."
    )
    assert plateau.scores_ == [0.5]  # every criterion recorded the round
    assert check_stopping([], learner) is None


def test_clone_criteria_copies_and_seeds_only_unset_random_states():
    from skactive.stopping import clone_criteria

    given = [StabilizingPredictions(), StabilizingPredictions(random_state=7)]
    first, second = clone_criteria(given, seed=100)
    assert (first.random_state, second.random_state) == (101, 7)
    assert given[0].random_state is None and first is not given[0]
    assert clone_criteria(None) == []
    with pytest.raises(TypeError, match="stopping criteria"):
        clone_criteria(["not a criterion"])


# -- regression and multilabel learners ------------------------------------------


def test_criteria_that_read_class_probabilities_refuse_other_tasks():
    from sklearn.datasets import load_diabetes, make_multilabel_classification
    from sklearn.linear_model import Ridge
    from sklearn.multiclass import OneVsRestClassifier

    from skactive import ActiveRegressor

    X, y = load_diabetes(return_X_y=True)
    for criterion, match in [
        (MaxUncertainty(), "serves classification\\)"),
        (StabilizingPredictions(), "serves classification, multilabel"),
    ]:
        learner = ActiveRegressor(Ridge(), budget=40, stopping=[criterion])
        with pytest.raises(ValueError, match=match):
            learner.fit(X, y)
        assert not hasattr(learner, "history_")
    X, Y = make_multilabel_classification(300, n_classes=4, random_state=0)
    model = OneVsRestClassifier(LogisticRegression(max_iter=500))
    with pytest.raises(ValueError, match="does not serve multilabel"):
        ActiveLearner(model, budget=60, stopping=[MaxUncertainty()]).fit(X, Y)


def test_stabilizing_predictions_of_label_sets_compares_every_label():
    from sklearn.datasets import make_multilabel_classification
    from sklearn.metrics import cohen_kappa_score
    from sklearn.multiclass import OneVsRestClassifier

    X, Y = make_multilabel_classification(400, n_classes=4, random_state=0)
    stop = StabilizingPredictions(stop_set_size=100, window=3, threshold=1.0)
    learner = ActiveLearner(
        OneVsRestClassifier(LogisticRegression(max_iter=500)),
        budget=60,
        stopping=[stop],
        random_state=0,
    ).fit(X, Y)
    criterion = learner.stopping_[0]
    assert len(criterion.kappas_) == len(learner.history_) - 1
    assert criterion.predictions_.shape == (100, 4)
    last = learner.predict(criterion.stop_set_)
    np.testing.assert_array_equal(last, criterion.predictions_)
    assert all(-1 <= kappa <= 1 for kappa in criterion.kappas_)
    assert cohen_kappa_score(last.ravel(), last.ravel()) == 1.0


def test_a_target_score_stops_a_regression_on_r2():
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    from skactive import ActiveRegressor

    X, y = load_diabetes(return_X_y=True)
    stop = TargetScore(0.3, X_val=X[300:], y_val=y[300:])
    learner = ActiveRegressor(Ridge(), budget=200, stopping=[stop], random_state=0).fit(
        X[:300], y[:300]
    )
    scores = learner.stopping_[0].scores_
    assert scores[-1] >= 0.3 > max(scores[:-1])
    assert learner.score(X[300:], y[300:]) == pytest.approx(scores[-1])

"""skactive.evaluation: curves, AULC, labels to reach, reduction ratio."""

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, log_loss

from skactive import ActiveLearner, RandomSampling, UncertaintySampling
from skactive.callbacks import ScoreRecorder
from skactive.evaluation import (
    LearningCurveResult,
    active_learning_curve,
    aulc,
    labels_to_reach,
    reduction_ratio,
)
from skactive.stopping import MaxLabels
from skactive.utils.seeding import draw_seed

# -- aulc ---------------------------------------------------------------------


def test_aulc_is_the_trapezoid_area_over_the_label_range():
    n_labels = [10, 20, 40]
    scores = [0.2, 0.4, 0.8]
    raw = (0.2 + 0.4) / 2 * 10 + (0.4 + 0.8) / 2 * 20
    assert aulc(n_labels, scores, normalize=False) == pytest.approx(raw)
    assert aulc(n_labels, scores) == pytest.approx(raw / 30)


def test_aulc_of_several_repeats_is_one_per_row():
    scores = np.array([[0.5, 0.5, 0.5], [0.2, 0.4, 0.8]])
    areas = aulc([0, 1, 2], scores)
    assert areas.shape == (2,)
    assert areas == pytest.approx([0.5, (0.3 + 0.6) / 2])


@settings(max_examples=50, deadline=None)
@given(
    steps=st.lists(st.integers(1, 50), min_size=1, max_size=12),
    data=st.data(),
)
def test_aulc_of_scores_in_unit_interval_is_in_unit_interval(steps, data):
    n_labels = np.cumsum([5, *steps])
    scores = data.draw(arrays(np.float64, n_labels.shape[0], elements=st.floats(0, 1)))
    area = aulc(n_labels, scores)
    assert scores.min() - 1e-12 <= area <= scores.max() + 1e-12
    # A constant curve's normalized area is the constant.
    assert aulc(n_labels, np.full(n_labels.shape, 0.7)) == pytest.approx(0.7)


@pytest.mark.parametrize(
    ("n_labels", "scores", "message"),
    [
        ([10, 10, 20], [0.1, 0.2, 0.3], "strictly increasing"),
        ([10, 20], [0.1, 0.2, 0.3], "n_steps = len\\(n_labels\\) = 2"),
        ([10], [0.5], "at least two steps"),
        ([[10, 20]], [0.1, 0.2], "must be 1-D"),
    ],
)
def test_aulc_rejects_malformed_curves(n_labels, scores, message):
    with pytest.raises(ValueError, match=message):
        aulc(n_labels, scores)


# -- labels_to_reach and reduction_ratio --------------------------------------


def test_labels_to_reach_is_the_first_step_at_or_above_the_target():
    n_labels = [10, 20, 30, 40]
    assert labels_to_reach(n_labels, [0.5, 0.7, 0.6, 0.9], 0.7) == 20.0
    assert labels_to_reach(n_labels, [0.5, 0.7, 0.6, 0.9], 0.8) == 40.0
    assert labels_to_reach(n_labels, [0.5, 0.7, 0.6, 0.9], 0.95) == np.inf
    per_repeat = labels_to_reach(
        n_labels, [[0.5, 0.7, 0.6, 0.9], [0.8, np.nan, 0.9, 0.9]], 0.85
    )
    np.testing.assert_array_equal(per_repeat, [40.0, 30.0])


def _result():
    return LearningCurveResult(
        [10, 20, 30, 40],
        {
            "random": [[0.5, 0.6, 0.7, 0.8], [0.5, 0.6, 0.7, 0.8]],
            "good": [[0.6, 0.8, 0.85, 0.9], [0.6, 0.8, 0.85, 0.9]],
            "bad": [[0.3, 0.35, 0.4, 0.45], [0.3, 0.35, 0.4, 0.45]],
        },
    )


def test_reduction_ratio_divides_baseline_labels_by_strategy_labels():
    result = _result()
    assert reduction_ratio(result, "good", target=0.8) == 2.0  # 40 / 20
    assert reduction_ratio(result, "random", target=0.8) == 1.0
    # Default target: 95 % of random's best mean score (0.76) -> 40 vs 20.
    assert reduction_ratio(result, "good") == 2.0
    assert result.reduction_ratio("good") == 2.0


def test_reduction_ratio_when_a_curve_never_reaches_the_target():
    result = _result()
    # Only the baseline reaches it: the strategy saves nothing.
    assert reduction_ratio(result, "bad") == 0.0
    # Only the strategy reaches it.
    assert reduction_ratio(result, "good", target=0.85) == np.inf
    # Nobody reaches it.
    assert np.isnan(reduction_ratio(result, "good", target=0.99))
    # And the table says "never" for it.
    assert "| bad |" in result.table() and "never" in result.table()


def test_reduction_ratio_of_an_unknown_strategy_names_the_known_ones():
    with pytest.raises(ValueError, match=r"'margin' is not a strategy.*'good'"):
        reduction_ratio(_result(), "margin")


def test_summary_and_table_agree_with_the_functions():
    result = _result()
    rows = result.summary()
    assert rows["good"]["aulc"] == pytest.approx(
        aulc([10, 20, 30, 40], [0.6, 0.8, 0.85, 0.9])
    )
    assert rows["good"]["labels_to_reach"] == 20.0
    assert rows["good"]["target"] == pytest.approx(0.76)
    table = result.table(checkpoints=[20, 40])
    header, _, *body = table.splitlines()
    assert "accuracy @20" not in header and "score @20" in header
    assert [line.split("|")[1].strip() for line in body] == ["random", "good", "bad"]
    assert "| 0.800 | 0.900 | 0.800 ± 0.000 | 20 | 2.00x |" in body[1]
    with pytest.raises(ValueError, match="not steps of the curve"):
        result.table(checkpoints=[25])


def test_to_frame_is_long_format():
    pytest.importorskip("pandas")
    frame = _result().to_frame()
    assert list(frame.columns) == [
        "strategy",
        "repeat",
        "n_labels",
        "score",
        "fit_time",
        "query_time",
    ]
    assert len(frame) == 3 * 2 * 4
    good = frame[(frame.strategy == "good") & (frame.repeat == 1)]
    assert good.score.tolist() == [0.6, 0.8, 0.85, 0.9]
    assert good.n_labels.tolist() == [10, 20, 30, 40]


# -- active_learning_curve ----------------------------------------------------


@pytest.fixture(scope="module")
def split():
    """Overlapping classes: accuracy moves from round to round and run to run."""
    X, y = make_classification(
        n_samples=200, n_features=6, n_informative=4, n_redundant=0, n_classes=3,
        class_sep=0.7, random_state=0,
    )  # fmt: skip
    return X[::2], y[::2], X[1::2], y[1::2]


def _learner(**params):
    return ActiveLearner(
        LogisticRegression(max_iter=200), budget=25, batch_size=5, **params
    )


MARGIN = {"margin": UncertaintySampling(acquisition_fn="margin")}


def test_curve_shapes_and_the_random_baseline(split):
    result = active_learning_curve(
        _learner(), *split, query_strategies=MARGIN, n_repeats=3, random_state=0
    )
    assert list(result.scores) == ["random", "margin"]
    np.testing.assert_array_equal(result.n_labels, [10, 15, 20, 25])
    for values in (result.scores, result.fit_times, result.query_times):
        assert {name: value.shape for name, value in values.items()} == {
            "random": (3, 4),
            "margin": (3, 4),
        }
    assert np.all(result.query_times["margin"][:, 0] == 0)
    assert np.all(result.query_times["margin"][:, 1:] > 0)
    assert np.all(result.fit_times["random"] > 0)
    assert ((0 <= result.scores["margin"]) & (result.scores["margin"] <= 1)).all()
    # Paired repeats: every strategy starts from the same initial labels.
    np.testing.assert_array_equal(
        result.scores["random"][:, 0], result.scores["margin"][:, 0]
    )
    assert result.stop_reasons["margin"] == ["budget: 25 labels are used."] * 3
    assert "n_repeats=3" in repr(result)


def test_curve_scores_are_those_of_each_rounds_model(split):
    """Replay one run by hand: refit on each labeled prefix and score it."""
    X, y, X_test, y_test = split
    result = active_learning_curve(
        _learner(), X, y, X_test, y_test, query_strategies=MARGIN, n_repeats=2,
        random_state=7,
    )  # fmt: skip
    seed = np.random.RandomState(7).randint(np.iinfo(np.int32).max, size=2)[1]
    run = _learner(query_strategy=MARGIN["margin"], random_state=int(seed)).fit(X, y)
    expected = [
        LogisticRegression(max_iter=200)
        .fit(X[run.labeled_indices_[:n]], y[run.labeled_indices_[:n]])
        .score(X_test, y_test)
        for n in result.n_labels
    ]
    np.testing.assert_allclose(result.scores["margin"][1], expected)


def test_curve_is_reproducible_and_independent_of_n_jobs(split):
    kwargs = {"query_strategies": MARGIN, "n_repeats": 2, "random_state": 3}
    first = active_learning_curve(_learner(), *split, **kwargs)
    again = active_learning_curve(_learner(), *split, **kwargs, n_jobs=2)
    for name in first.scores:
        np.testing.assert_array_equal(first.scores[name], again.scores[name])


def test_curve_accepts_lists_scorers_and_whole_learners(split):
    result = active_learning_curve(
        _learner(),
        *split,
        query_strategies=[
            UncertaintySampling(acquisition_fn="margin"),
            UncertaintySampling(acquisition_fn="margin"),
            _learner(initial_strategy="kmeans"),
        ],
        n_repeats=1,
        scoring="balanced_accuracy",
        random_state=0,
    )
    assert list(result.scores) == [
        "random",
        "margin",
        "margin_2",
        "entropy, kmeans start",
    ]
    assert result.scoring == "balanced_accuracy"
    X, y, X_test, y_test = split
    seed = np.random.RandomState(0).randint(np.iinfo(np.int32).max, size=1)[0]
    run = _learner(initial_strategy="kmeans", random_state=int(seed)).fit(X, y)
    assert result.scores["entropy, kmeans start"][0, -1] == balanced_accuracy_score(
        y_test, run.predict(X_test)
    )


def test_fit_params_follow_their_samples(split):
    X, y, X_test, y_test = split
    weights = np.where(y == 0, 5.0, 1.0)
    result = active_learning_curve(
        _learner(), X, y, X_test, y_test, query_strategies=MARGIN, n_repeats=1,
        scoring="neg_log_loss", random_state=0, params={"sample_weight": weights},
    )  # fmt: skip
    seed = np.random.RandomState(0).randint(np.iinfo(np.int32).max, size=1)[0]
    run = _learner(query_strategy=MARGIN["margin"], random_state=int(seed))
    rows = run.fit(X, y, sample_weight=weights).labeled_indices_

    def loss(**fit_params):
        model = LogisticRegression(max_iter=200).fit(X[rows], y[rows], **fit_params)
        return -log_loss(y_test, model.predict_proba(X_test))

    assert result.scores["margin"][0, -1] == pytest.approx(
        loss(sample_weight=weights[rows]), rel=1e-12
    )
    assert loss() != pytest.approx(loss(sample_weight=weights[rows]), rel=1e-3)


def test_curve_defaults_to_the_learners_own_strategy(split):
    learner = _learner(query_strategy=UncertaintySampling(acquisition_fn="margin"))
    result = active_learning_curve(learner, *split, n_repeats=1, random_state=0)
    assert list(result.scores) == ["random", "margin"]


def test_runs_ended_by_a_stopping_criterion_are_padded_with_nan(split):
    learner = _learner(stopping=[MaxLabels(15)])
    result = active_learning_curve(
        learner,
        *split,
        query_strategies={"long": clone(_learner())},
        n_repeats=2,
        random_state=0,
    )
    np.testing.assert_array_equal(result.n_labels, [10, 15, 20, 25])
    assert np.isnan(result.scores["random"][:, 2:]).all()
    assert np.isfinite(result.scores["long"]).all()
    assert result.stop_reasons["random"][0].startswith("MaxLabels")
    # The stopped runs' AULC is over the labels they used (10 to 15).
    stopped = result.scores["random"][:, :2]
    np.testing.assert_allclose(result.aulc()["random"], stopped.mean(axis=1))


def test_verbose_shows_a_progress_bar(split, capsys):
    active_learning_curve(
        _learner(), *split, query_strategies=MARGIN, n_repeats=1, verbose=True
    )
    assert "2/2" in capsys.readouterr().err


def test_verbose_without_tqdm_names_the_extra(split, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(ImportError, match=r"skactive\[progress\]"):
        active_learning_curve(
            _learner(), *split, query_strategies=MARGIN, n_repeats=1, verbose=True
        )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"query_strategies": {}}, ValueError, "query_strategies is empty"),
        ({"query_strategies": []}, ValueError, "query_strategies is empty"),
        ({"n_repeats": 0}, ValueError, "n_repeats must be an integer >= 1"),
        ({"n_repeats": 2.5}, ValueError, "n_repeats must be an integer >= 1"),
        ({"query_strategies": {"x": LogisticRegression()}}, TypeError, "not a query"),
        (
            {"query_strategies": {"x": ActiveLearner(LogisticRegression())}},
            ValueError,
            "without a budget",
        ),
    ],
)
def test_curve_rejects_bad_arguments(split, kwargs, error, message):
    with pytest.raises(error, match=message):
        active_learning_curve(_learner(), *split, **kwargs)


def test_curve_needs_a_budget(split):
    with pytest.raises(ValueError, match="budget=N"):
        active_learning_curve(ActiveLearner(LogisticRegression()), *split)


def test_test_labels_the_pool_never_has_are_an_error(split):
    X, y, X_test, y_test = split
    y_test = y_test.copy()
    y_test[0] = 9
    with pytest.raises(ValueError, match=r"y_test holds labels \[9\]"):
        active_learning_curve(_learner(), X, y, X_test, y_test)


def test_random_baseline_is_not_duplicated(split):
    result = active_learning_curve(
        _learner(),
        *split,
        query_strategies={"random": RandomSampling(), **MARGIN},
        n_repeats=1,
    )
    assert list(result.scores) == ["random", "margin"]


def test_each_candidate_sits_on_the_label_counts_it_trained_on(split):
    """Candidates with other batch sizes, starts and stops are not read by
    position on one run's axis (which put 20, 60, 100 labels at 20, 30, 40)."""
    X, y, X_test, y_test = split
    base = ActiveLearner(LogisticRegression(max_iter=200), budget=60, batch_size=10)
    candidates = {
        "big batches": clone(base).set_params(batch_size=20),  # 10, 30, 50, 60
        "late start": clone(base).set_params(n_initial=30),  # 30, 40, 50, 60
        "stops": clone(base).set_params(stopping=[MaxLabels(30)]),  # 10, 20, 30
    }
    result = active_learning_curve(
        base, X, y, X_test, y_test, query_strategies=candidates, n_repeats=2,
        random_state=0,
    )  # fmt: skip
    np.testing.assert_array_equal(result.n_labels, [10, 20, 30, 40, 50, 60])
    seeds = np.random.RandomState(0).randint(np.iinfo(np.int32).max, size=2)
    for name, candidate in candidates.items():
        for repeat, seed in enumerate(seeds):
            run = clone(candidate).set_params(
                random_state=int(seed), callbacks=[ScoreRecorder(X_test, y_test)]
            )
            recorder = run.fit(X, y).callbacks_[0]
            own = np.asarray(recorder.n_labels_)
            curve = result.scores[name][repeat]
            # The run's own scores at its own label counts ...
            np.testing.assert_allclose(
                curve[np.searchsorted(result.n_labels, own)], recorder.scores_
            )
            # ... a straight line between them, and nothing outside them.
            inside = (result.n_labels >= own[0]) & (result.n_labels <= own[-1])
            np.testing.assert_allclose(
                curve[inside],
                np.interp(result.n_labels[inside], own, recorder.scores_),
            )
            assert np.isnan(curve[~inside]).all()
            assert result.aulc()[name][repeat] == pytest.approx(
                aulc(own, recorder.scores_)
            )
    assert np.isnan(result.scores["late start"][:, :2]).all()
    assert np.isnan(result.scores["stops"][:, 3:]).all()
    assert np.isnan(result.fit_times["big batches"][:, 1]).all()  # never at 20


def test_curves_under_joblib_threads_equal_the_sequential_ones(split):
    from joblib import parallel_config

    from skactive.nets import TorchMLPClassifier

    net = TorchMLPClassifier((8,), dropout=0.2, max_epochs=8)
    learner = ActiveLearner(net, budget=20, batch_size=5)

    def run(n_jobs):
        return active_learning_curve(
            learner, *split, query_strategies=MARGIN, n_repeats=2, n_jobs=n_jobs,
            random_state=0,
        ).scores  # fmt: skip

    sequential = run(None)
    with parallel_config(backend="threading"):
        threaded = run(2)
    for name, scores in sequential.items():
        np.testing.assert_array_equal(threaded[name], scores)


# -- regression and multilabel curves -------------------------------------------


def _replayed(learner, X, y, X_test, y_test, score):
    """The test score of each round, refitting on the labels round by round."""
    labeled = learner.labeled_indices_
    scores = []
    for entry in learner.history_:
        rows = labeled[: entry["n_labels"]]
        model = clone(learner.estimator).fit(X[rows], y[rows])
        scores.append(score(y_test, model.predict(X_test)))
    return scores


def test_a_regression_curve_scores_r2_and_rmse():
    from sklearn.datasets import make_friedman1
    from sklearn.linear_model import Ridge
    from sklearn.metrics import r2_score, root_mean_squared_error

    from skactive import ActiveRegressor
    from skactive.strategies import GreedySampling

    X, y = make_friedman1(n_samples=300, random_state=0)
    learner = ActiveRegressor(Ridge(), budget=40, batch_size=10, n_initial=10)
    strategies = {"iGS": GreedySampling()}
    data = (X[:200], y[:200], X[200:], y[200:])
    r2 = active_learning_curve(
        learner, *data, query_strategies=strategies, n_repeats=2, random_state=0
    )
    assert r2.scoring == "r2" and list(r2.scores) == ["random", "iGS"]
    rmse = active_learning_curve(
        learner,
        *data,
        query_strategies=strategies,
        n_repeats=2,
        random_state=0,
        scoring="neg_root_mean_squared_error",
    )
    # The first repeat of iGS, replayed by hand from the same seed.
    np.testing.assert_array_equal(rmse.n_labels, r2.n_labels)
    seed = int(draw_seed(0, size=2)[0])  # the curve's seed of repeat 0
    run = clone(learner).set_params(query_strategy=GreedySampling(), random_state=seed)
    run.fit(*data[:2])
    np.testing.assert_allclose(r2.scores["iGS"][0], _replayed(run, *data, r2_score))
    minus = _replayed(run, *data, root_mean_squared_error)
    np.testing.assert_allclose(rmse.scores["iGS"][0], -np.asarray(minus))
    # RMSE is negated: the default target is reachable, 5 % short of the best.
    assert np.isfinite(rmse.reduction_ratio("iGS"))
    assert rmse.reduction_ratio("random") == 1.0


def test_a_regression_curve_equals_its_replayed_runs():
    from sklearn.datasets import make_friedman1
    from sklearn.linear_model import Ridge
    from sklearn.metrics import r2_score

    from skactive import ActiveRegressor
    from skactive.callbacks import ScoreRecorder

    X, y = make_friedman1(n_samples=300, random_state=1)
    recorder = ScoreRecorder(X[200:], y[200:])
    learner = ActiveRegressor(
        Ridge(), budget=40, random_state=3, callbacks=[recorder]
    ).fit(X[:200], y[:200])
    expected = _replayed(learner, X[:200], y[:200], X[200:], y[200:], r2_score)
    np.testing.assert_allclose(learner.callbacks_[0].scores_, expected)


def test_a_multilabel_curve_scores_micro_f1_by_default():
    from sklearn.datasets import make_multilabel_classification
    from sklearn.metrics import f1_score
    from sklearn.multiclass import OneVsRestClassifier

    from skactive.strategies import MMC

    X, Y = make_multilabel_classification(400, n_classes=4, random_state=0)
    learner = ActiveLearner(
        OneVsRestClassifier(LogisticRegression(max_iter=500)), budget=50, n_initial=20
    )
    data = (X[:300], Y[:300], X[300:], Y[300:])
    micro = active_learning_curve(
        learner, *data, query_strategies={"MMC": MMC()}, n_repeats=1, random_state=0
    )
    assert micro.scoring == "f1_micro"
    macro = active_learning_curve(
        learner,
        *data,
        query_strategies={"MMC": MMC()},
        n_repeats=1,
        random_state=0,
        scoring="f1_macro",
    )
    assert macro.scoring == "f1_macro"
    # Same seeds, same runs: only the score differs, and it is F1 on the test set.
    seed = int(draw_seed(0, size=1)[0])
    run = clone(learner).set_params(query_strategy=MMC(), random_state=seed)
    run.fit(X[:300], Y[:300])
    final = f1_score(Y[300:], run.predict(X[300:]), average="micro")
    assert micro.scores["MMC"][0, -1] == pytest.approx(final)
    final = f1_score(Y[300:], run.predict(X[300:]), average="macro")
    assert macro.scores["MMC"][0, -1] == pytest.approx(final)
    assert ((micro.scores["MMC"] > 0) & (micro.scores["MMC"] <= 1)).all()
    assert not np.allclose(micro.scores["MMC"], macro.scores["MMC"])

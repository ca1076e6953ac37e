"""ActiveLearningByLearning: the bandit's rules by hand, its reward, its state."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.multiclass import OneVsRestClassifier

from skactive import ActiveLearner, ActiveRegressor
from skactive.strategies import (
    ALBL,
    ActiveLearningByLearning,
    GreedySampling,
    RandomSampling,
    UncertaintySampling,
)
from skactive.strategies.selection import exp3_probabilities


def _hand_loop(learner, X, y, pool, rounds):
    """Query and teach by hand; the batches and the model of each round."""
    batches, models = [], []
    for _ in range(rounds):
        models.append(learner.estimator_)
        picked = learner.query(X[pool])
        batches.append(pool[picked])
        learner.teach(X[pool[picked]], y[pool[picked]])
        pool = np.delete(pool, picked)
    return batches, models, pool


def _started(seed=0, **params):
    X, y = make_classification(400, 6, n_informative=4, n_classes=3, random_state=seed)
    learner = ActiveLearner(
        LogisticRegression(max_iter=300),
        query_strategy=ALBL(**params),
        batch_size=10,
        random_state=seed,
    )
    first = np.arange(0, 400, 40)
    learner.fit(X[first], y[first])
    return learner, X, y, np.setdiff1d(np.arange(400), first)


def test_exp3_probabilities_by_hand():
    gains = np.array([1.0, 0.0])
    e = np.exp(1.0)
    expected = 0.8 * np.array([e / (e + 1), 1 / (e + 1)]) + 0.1
    np.testing.assert_allclose(exp3_probabilities(gains, 1.0, 0.1), expected)
    # The floor is capped at one over the number of arms: uniform, then.
    np.testing.assert_allclose(exp3_probabilities([5.0, 0, 0], 1.0, 0.9), [1 / 3] * 3)
    # Large gains do not overflow.
    assert np.isfinite(exp3_probabilities([1e6, 0.0], 10.0, 0.0)).all()


def test_the_reward_is_the_paired_gain_on_the_probes_by_hand():
    learner, X, y, pool = _started()
    batches, models, _ = _hand_loop(learner, X, y, pool, rounds=5)
    history = learner.query_strategy_.history_
    n_probes = history[0]["n_probes"]
    assert n_probes == 1
    measured = 0
    for t in range(2, 5):
        # Round t's reward is measured on round t-1's probes, between the
        # model of round t-1 and that of round t-2, neither trained on them.
        probes = batches[t - 1][:n_probes]
        now = (models[t - 1].predict(X[probes]) == y[probes]).mean()
        before = (models[t - 2].predict(X[probes]) == y[probes]).mean()
        assert history[t]["reward"] == pytest.approx(now - before)
        # ... credited to the candidate drawn at round t-2.
        assert history[t]["credited"] == history[t - 2]["strategy"]
        measured += 1
    assert measured == 3


def test_the_gains_are_rewards_over_the_credited_draws_probability():
    learner, X, y, pool = _started(seed=1, probe_share=0.5)
    _hand_loop(learner, X, y, pool, rounds=8)
    selector = learner.query_strategy_
    history = selector.history_
    expected = np.zeros(len(selector.strategies_))
    for t, record in enumerate(history):
        if record["reward"] is not None:
            k = record["credited"]
            expected[k] += record["reward"] / history[t - 2]["probabilities"][k]
    np.testing.assert_allclose(selector.gains_, expected)
    np.testing.assert_allclose(
        selector.weights_,
        exp3_probabilities(expected, selector.learning_rate, 0.1),
    )
    assert selector.weights_.min() >= 0.1 - 1e-12
    assert selector.weights_.sum() == pytest.approx(1.0)


def test_the_importance_weighted_gain_is_unbiased():
    # EXP3's estimate 1[k drawn] g_k / p_k, averaged over seeded draws, is g_k.
    rng = np.random.RandomState(0)
    gains = np.array([0.02, -0.01, 0.05])
    probabilities = exp3_probabilities([0.3, 0.0, -0.2], 5.0, 0.1)
    n = 40_000
    drawn = rng.choice(3, size=n, p=probabilities)
    estimates = np.zeros((n, 3))
    estimates[np.arange(n), drawn] = gains[drawn] / probabilities[drawn]
    mean = estimates.mean(axis=0)
    error = estimates.std(axis=0) / np.sqrt(n)
    assert (np.abs(mean - gains) < 4 * error).all()


def test_the_probes_are_uniform_over_the_pool():
    X = np.random.RandomState(0).normal(size=(50, 2))
    counts = np.zeros(50)
    model = LogisticRegression().fit(X, X[:, 0] > 0)
    selector = ALBL(strategies=[RandomSampling()], probe_share=0.2, estimator=model)
    n = 2000
    for seed in range(n):
        batch = selector.query(X, 10, random_state=seed)
        counts[batch[:2]] += 1  # the probes open the batch
    expected = n * 2 / 50
    # A chi-square statistic for 49 degrees of freedom: 99.9 % below 86.
    assert ((counts - expected) ** 2 / expected).sum() < 86


def test_asking_twice_gives_the_same_batch_and_records_one_round():
    learner, X, y, pool = _started()
    _hand_loop(learner, X, y, pool, rounds=3)
    pool = pool[30:]
    first = learner.query(X[pool])
    n_rounds = len(learner.query_strategy_.history_)
    second = learner.query(X[pool])
    np.testing.assert_array_equal(first, second)
    assert len(learner.query_strategy_.history_) == n_rounds


def test_pickled_mid_run_it_resumes_with_the_same_choices():
    learner, X, y, pool = _started(seed=2)
    _, _, rest = _hand_loop(learner, X, y, pool, rounds=4)
    copy = pickle.loads(pickle.dumps(learner))
    ours, _, _ = _hand_loop(learner, X, y, rest, rounds=4)
    theirs, _, _ = _hand_loop(copy, X, y, rest, rounds=4)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        learner.query_strategy_.weights_, copy.query_strategy_.weights_
    )
    assert [r["strategy"] for r in learner.query_strategy_.history_] == [
        r["strategy"] for r in copy.query_strategy_.history_
    ]


def test_the_parameter_is_left_unfitted_and_the_learner_holds_the_copy():
    X, y = load_iris(return_X_y=True)
    strategy = ActiveLearningByLearning()
    learner = ActiveLearner(
        LogisticRegression(max_iter=500),
        query_strategy=strategy,
        batch_size=5,
        budget=40,
        random_state=0,
    ).fit(X, y)
    assert not hasattr(strategy, "history_")
    selector = learner.query_strategy_
    assert len(selector.history_) == len(learner.history_) - 1
    names = [type(s).__name__ for s in selector.strategies_]
    assert names == ["RandomSampling", "UncertaintySampling", "UncertaintySampling"]
    # Each round asked n_samples, one of them a probe.
    for round_, record in zip(learner.history_[1:], selector.history_):
        assert len(round_["indices"]) == 5
        assert record["n_probes"] == 1


def test_a_simulation_is_reproducible():
    X, y = load_iris(return_X_y=True)

    def run():
        return ActiveLearner(
            LogisticRegression(max_iter=500),
            query_strategy=ALBL(),
            batch_size=5,
            budget=50,
            random_state=3,
        ).fit(X, y)

    a, b = run(), run()
    np.testing.assert_array_equal(a.y_labeled_, b.y_labeled_)
    assert (
        a.query_strategy_.history_[-1]["strategy"]
        == (b.query_strategy_.history_[-1]["strategy"])
    )


def test_it_serves_a_regressor_with_a_squared_error_reward():
    X, y = make_regression(300, 5, noise=10.0, random_state=0)
    learner = ActiveRegressor(
        Ridge(), query_strategy=ALBL(), batch_size=10, random_state=0
    )
    first = np.arange(0, 300, 30)
    learner.fit(X[first], y[first])
    pool = np.setdiff1d(np.arange(300), first)
    batches, models, _ = _hand_loop(learner, X, y, pool, rounds=4)
    selector = learner.query_strategy_
    assert [type(s).__name__ for s in selector.strategies_] == [
        "RandomSampling",
        "GreedySampling",
    ]
    probes = batches[2][:1]
    scale = np.var(learner.y_labeled_[:30])  # the labels of round 2
    now = -((models[2].predict(X[probes]) - y[probes]) ** 2) / scale
    before = -((models[1].predict(X[probes]) - y[probes]) ** 2) / scale
    # Round 3's reward: round 2's probe, the model of round 2 against round 1.
    assert selector.history_[3]["reward"] == pytest.approx(float((now - before)[0]))


def test_it_serves_a_multilabel_learner():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0.3, X[:, 0] + X[:, 2] > 0])
    Y = Y.astype(int)
    learner = ActiveLearner(
        OneVsRestClassifier(LogisticRegression()),
        query_strategy=ALBL(),
        batch_size=8,
        budget=60,
        random_state=0,
    ).fit(X, Y)
    selector = learner.query_strategy_
    assert [type(s).__name__ for s in selector.strategies_] == [
        "RandomSampling",
        "MultilabelUncertainty",
    ]
    rewards = [r["reward"] for r in selector.history_ if r["reward"] is not None]
    assert rewards and all(-1 <= r <= 1 for r in rewards)


def test_random_sampling_is_always_a_candidate():
    selector = ALBL(strategies=[UncertaintySampling()])
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(X[::10], y[::10])
    selector.select(model, X, 6, X_labeled=X[::10], y_labeled=y[::10])
    assert [type(s).__name__ for s in selector.strategies_] == [
        "RandomSampling",
        "UncertaintySampling",
    ]


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"strategies": [LogisticRegression()]}, TypeError, "query strategies"),
        ({"strategies": "margin"}, ValueError, "strategies"),
        ({"probe_share": 1.0}, ValueError, "probe_share"),
        ({"learning_rate": 0.0}, ValueError, "learning_rate"),
        ({"min_probability": -0.1}, ValueError, "min_probability"),
    ],
)
def test_bad_parameters_fail_at_fit_and_change_nothing(params, error, match):
    X, y = load_iris(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(max_iter=500), query_strategy=ALBL(**params)
    )
    with pytest.raises(error, match=match):
        learner.fit(X[::10], y[::10])
    assert not hasattr(learner, "estimator_")


def test_a_candidate_of_another_task_is_refused():
    X, y = make_regression(100, 3, random_state=0)
    learner = ActiveRegressor(
        Ridge(), query_strategy=ALBL(strategies=[UncertaintySampling()])
    )
    learner.fit(X[:10], y[:10])
    with pytest.raises(ValueError, match="does not serve regression"):
        learner.query(X[10:])
    # A failed query leaves the selector as it was: no round recorded.
    assert not hasattr(learner.query_strategy_, "history_")
    learner.set_params(query_strategy=ALBL(strategies=[GreedySampling()]))
    learner.fit(X[:10], y[:10])
    assert learner.query(X[10:]).shape == (10,)


def test_a_new_strategy_parameter_starts_a_new_copy():
    learner, X, y, pool = _started()
    _hand_loop(learner, X, y, pool, rounds=2)
    learned = learner.query_strategy_
    assert len(learned.history_) == 2
    learner.set_params(query_strategy=ALBL(probe_share=0.5))
    learner.query(X[pool[20:]])
    assert learner.query_strategy_ is not learned
    assert learner.query_strategy_.probe_share == 0.5
    assert len(learner.query_strategy_.history_) == 1
    # A strategy that does not learn is used as it is: no copy, and the old
    # one's state is dropped rather than left on the learner, unused.
    learner.set_params(query_strategy=UncertaintySampling())
    assert learner.current_strategy() is learner.query_strategy
    assert not hasattr(learner, "query_strategy_")


def test_in_a_labeling_session_it_measures_rewards_from_the_submitted_labels(
    tmp_path,
):
    from skactive.session import LabelingSession

    X, y = make_classification(300, 5, n_informative=3, random_state=0)
    learner = ActiveLearner(
        LogisticRegression(max_iter=300),
        query_strategy=ALBL(probe_share=0.25),
        batch_size=4,
        random_state=0,
    )
    with LabelingSession(learner, X, f"sqlite:///{tmp_path / 's.db'}") as session:
        for _ in range(6):
            for item in session.next_batch("a"):
                session.submit(item, int(y[int(item)]), "a")
        session.next_batch("a")
        selector = session.fitted_learner().query_strategy_
    # Every round after the second measured its probe: the labels came back
    # through the session's refits and were found among the taught rows.
    rewards = [r["reward"] for r in selector.history_]
    assert len(rewards) >= 5
    assert all(r is not None for r in rewards[2:])
    assert not hasattr(learner.query_strategy, "history_")


def _session_learner():
    return ActiveLearner(
        LogisticRegression(max_iter=300),
        query_strategy=ALBL(probe_share=0.25),
        batch_size=4,
        random_state=0,
    )


def _label(session, y, n_batches):
    for _ in range(n_batches):
        for item in session.next_batch("a"):
            session.submit(item, int(y[int(item)]), "a")


def test_a_reopened_session_goes_on_learning_where_it_stopped(tmp_path):
    """The selector's state is saved with the leases: reopening (a fresh fit
    on the labels) asks for the batch the uninterrupted session asks for, with
    the same weights and history, rather than starting to learn again."""
    from skactive.session import LabelingSession

    X, y = make_classification(300, 5, n_informative=3, random_state=0)
    with LabelingSession(_session_learner(), X, f"sqlite:///{tmp_path / 'a.db'}") as s:
        _label(s, y, 6)
        expected = s.next_batch("a")
        straight = s.learner_.query_strategy_
    url = f"sqlite:///{tmp_path / 'b.db'}"
    for _ in range(3):
        with LabelingSession(_session_learner(), X, url) as session:
            _label(session, y, 2)
    with LabelingSession(_session_learner(), X, url) as session:
        assert session.next_batch("a") == expected
        resumed = session.learner_.query_strategy_
    assert [r["name"] for r in resumed.history_] == [
        r["name"] for r in straight.history_
    ]
    assert len(resumed.history_) == 6
    np.testing.assert_allclose(resumed.gains_, straight.gains_)
    np.testing.assert_allclose(resumed.weights_, straight.weights_)


def test_an_undo_refits_afresh_and_keeps_what_the_selector_learned(tmp_path):
    from skactive.session import LabelingSession

    X, y = make_classification(300, 5, n_informative=3, random_state=0)
    with LabelingSession(_session_learner(), X, f"sqlite:///{tmp_path / 's.db'}") as s:
        _label(s, y, 4)
        before = s.learner_.query_strategy_
        n_rounds = len(before.history_)
        s.undo("a")  # labels changed: a fresh fit, not a teach
        s.next_batch("a")
        after = s.learner_.query_strategy_
    assert after is before and len(after.history_) == n_rounds + 1


def test_a_saved_state_that_cannot_be_read_warns_and_starts_afresh(tmp_path):
    import sqlalchemy as sa

    from skactive.session import LabelingSession
    from skactive.session._store import META

    X, y = make_classification(300, 5, n_informative=3, random_state=0)
    url = f"sqlite:///{tmp_path / 's.db'}"
    with LabelingSession(_session_learner(), X, url) as session:
        _label(session, y, 3)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        where = META.c.key == "learned_strategy"
        connection.execute(
            META.update().where(where).values(value='"bm90IGEgcGlja2xl"')
        )
    engine.dispose()
    with pytest.warns(RuntimeWarning, match="starts learning afresh"):
        session = LabelingSession(_session_learner(), X, url)
    with session:
        assert session.progress()["n_labeled"] == 12
        session.next_batch("a")
        assert len(session.learner_.query_strategy_.history_) == 1


def test_a_saved_state_of_another_strategy_is_not_adopted(tmp_path):
    from skactive.session import LabelingSession

    X, y = make_classification(300, 5, n_informative=3, random_state=0)
    url = f"sqlite:///{tmp_path / 's.db'}"
    with LabelingSession(_session_learner(), X, url) as session:
        _label(session, y, 3)
    other = _session_learner().set_params(query_strategy=ALBL(probe_share=0.5))
    with LabelingSession(other, X, url) as session:
        session.next_batch("a")
        selector = session.learner_.query_strategy_
        assert selector.probe_share == 0.5 and len(selector.history_) == 1

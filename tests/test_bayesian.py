"""Bayesian strategies: BALD, BatchBALD, QBC, variation ratios and mean std."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import logsumexp
from sklearn.datasets import load_digits, make_blobs
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skactive import ActiveLearner, Committee
from skactive.acquisition import (
    bald_acquisition,
    entropy_acquisition,
    kl_to_consensus,
    mean_std,
    variation_ratios,
    vote_entropy,
)
from skactive.models import predict_proba_samples
from skactive.nets import TorchMLPClassifier
from skactive.strategies import (
    BALD,
    BALDAcquisition,
    BatchBALD,
    MeanStd,
    QueryByCommittee,
    RandomSampling,
    VariationRatios,
)


class FixedSamples:
    """A model whose samples are given: row i of X is the position i."""

    def __init__(self, samples):
        self.samples = samples

    def predict_proba_samples(self, X, n_samples=None, random_state=None):
        return self.samples[:, np.asarray(X)[:, 0].astype(int)]


def _positions(n):
    return np.arange(n, dtype=float)[:, None]


def _random_samples(seed, n_members=4, n_rows=12, n_classes=3, sharpness=1.0):
    rng = np.random.RandomState(seed)
    return rng.dirichlet(np.full(n_classes, sharpness), size=(n_members, n_rows))


def _exact_joint_information(samples, batch):
    """I(y_batch; model) by enumerating every label configuration."""
    sub = samples[:, batch]  # (K, b, C)
    n_members, size, n_classes = sub.shape
    log_sub = np.log(sub)
    configurations = np.array(list(itertools.product(range(n_classes), repeat=size)))
    log_likelihood = log_sub[:, np.arange(size), configurations].sum(-1)  # (K, M)
    log_joint = logsumexp(log_likelihood, axis=0) - np.log(n_members)
    joint_entropy = -(np.exp(log_joint) * log_joint).sum()
    conditional = entropy_acquisition(sub).mean(0).sum()
    return joint_entropy - conditional


def _brute_force_greedy(samples, size):
    chosen = []
    for _ in range(size):
        gains = [
            -np.inf if n in chosen else _exact_joint_information(samples, [*chosen, n])
            for n in range(samples.shape[1])
        ]
        chosen.append(int(np.argmax(gains)))
    return chosen


@pytest.mark.parametrize("seed", range(4))
def test_batchbald_exact_equals_a_brute_force_greedy(seed):
    samples = _random_samples(seed)
    model = FixedSamples(samples)
    picks = BatchBALD(max_joint_configs=10**6).select(
        model, _positions(12), 4, random_state=seed
    )
    assert picks.tolist() == _brute_force_greedy(samples, 4)


@pytest.mark.parametrize("seed", range(3))
def test_batchbald_with_sampled_configurations_keeps_the_joint_information(seed):
    samples = _random_samples(seed, n_members=6, n_rows=14, sharpness=0.5)
    model = FixedSamples(samples)
    # Exact up to 3 ** 4 = 81 configurations, then 100 sampled ones.
    sampled = BatchBALD(max_joint_configs=100).select(
        model, _positions(14), 6, random_state=seed
    )
    best = _exact_joint_information(samples, _brute_force_greedy(samples, 6))
    assert _exact_joint_information(samples, sampled) >= 0.97 * best


@pytest.mark.parametrize("seed", range(5))
def test_batchbald_of_one_is_bald(seed):
    X, y = make_blobs(n_samples=300, centers=3, cluster_std=4, random_state=seed)
    forest = RandomForestClassifier(n_estimators=20, random_state=seed).fit(
        X[:30], y[:30]
    )
    net = TorchMLPClassifier((16,), dropout=0.3, max_epochs=10, random_state=seed)
    net.fit(X[:30], y[:30])
    for model in (forest, net):
        bald = BALD().select(model, X[30:], 1, random_state=seed)
        assert (
            BatchBALD().select(model, X[30:], 1, random_state=seed).tolist()
            == bald.tolist()
        )
        assert BatchBALD().select(model, X[30:], 5, random_state=seed)[0] == bald[0]


def test_on_a_pool_of_copies_batchbald_never_takes_two_copies_while_bald_does():
    """The repeated-data experiment of the BatchBALD paper, on digits."""
    X, y = load_digits(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=200, random_state=0).fit(
        X[:60], y[:60]
    )
    distinct = X[60:460]
    pool = np.repeat(distinct, 3, axis=0)  # each point three times in a row
    bald = BALD().select(forest, pool, 10, random_state=0)
    batch = BatchBALD().select(forest, pool, 10, random_state=0)
    assert len(set(bald // 3)) < 10
    assert len(set(batch // 3)) == 10


def test_bald_scores_are_the_mutual_information_of_the_models_samples():
    X, y = make_blobs(n_samples=200, centers=3, cluster_std=3, random_state=0)
    committee = Committee([LogisticRegression()] * 5, random_state=0).fit(
        X[:30], y[:30]
    )
    samples = committee.predict_proba_samples(X)
    np.testing.assert_allclose(
        BALD().score_samples(committee, X), bald_acquisition(samples)
    )
    for strategy, function in [
        (VariationRatios(), variation_ratios),
        (MeanStd(), mean_std),
        (QueryByCommittee(), vote_entropy),
        (QueryByCommittee(disagreement="kl_divergence"), kl_to_consensus),
        (
            QueryByCommittee(disagreement="consensus_entropy"),
            lambda s: entropy_acquisition(committee.predict_proba(X)),
        ),
    ]:
        np.testing.assert_allclose(
            strategy.score_samples(committee, X), function(samples), atol=1e-12
        )


def test_mc_dropout_scores_are_seeded_and_one_draw_covers_every_chunk(monkeypatch):
    import skactive.utils.inputs as rows

    X, y = make_blobs(n_samples=3000, centers=3, cluster_std=3, random_state=0)
    net = TorchMLPClassifier((16,), dropout=0.3, max_epochs=10, random_state=0)
    net.fit(X[:50], y[:50])
    whole = BALD(n_samples=8).score_samples(net, X, random_state=4)
    np.testing.assert_array_equal(
        whole, BALD(n_samples=8).score_samples(net, X, random_state=4)
    )
    monkeypatch.setattr(rows, "_CHUNK_BYTES", 8 * 5 * 1024)  # 1024-row chunks
    chunked = BALD(n_samples=8).score_samples(net, X, random_state=4)
    np.testing.assert_allclose(chunked, whole, atol=1e-6)
    # The strategy draws one seed from its random_state and passes it on.
    seed = np.random.RandomState(4).randint(np.iinfo(np.int32).max)
    samples = predict_proba_samples(net, X, 8, random_state=seed)
    np.testing.assert_allclose(whole, bald_acquisition(samples), atol=1e-6)


def test_bald_n_samples_sets_the_dropout_masks():
    X, y = make_blobs(n_samples=100, centers=3, random_state=0)
    net = TorchMLPClassifier((8,), dropout=0.3, max_epochs=5, random_state=0).fit(X, y)
    calls = []

    class Spy:
        def predict_proba_samples(self, X, n_samples=None, random_state=None):
            calls.append(n_samples)
            return predict_proba_samples(net, X, n_samples or 20, random_state)

    BALD(n_samples=7).select(Spy(), X, 3, random_state=0)
    BALD().select(Spy(), X, 3, random_state=0)
    assert calls == [7, None]


def test_a_model_without_samples_gets_a_type_error():
    X, y = make_blobs(n_samples=50, centers=2, random_state=0)
    model = LogisticRegression().fit(X, y)
    for strategy in (BALD(), BatchBALD(), QueryByCommittee(), VariationRatios()):
        with pytest.raises(TypeError, match="Committee"):
            strategy.select(model, X, 3, random_state=0)


@pytest.mark.parametrize(
    "strategy, match",
    [
        (BALD(n_samples=0), "n_samples"),
        (BatchBALD(max_joint_configs=0), "max_joint_configs"),
        (QueryByCommittee(disagreement="votes"), "disagreement"),
    ],
)
def test_bad_parameters_are_rejected(strategy, match):
    X, y = make_blobs(n_samples=50, centers=2, random_state=0)
    forest = RandomForestClassifier(n_estimators=3).fit(X, y)
    with pytest.raises(ValueError, match=match):
        strategy.select(forest, X, 3)


def test_batchbald_has_no_per_sample_scores():
    X, y = make_blobs(n_samples=50, centers=2, random_state=0)
    forest = RandomForestClassifier(n_estimators=3).fit(X, y)
    with pytest.raises(TypeError, match="whole batches"):
        BatchBALD().score_samples(forest, X)


def test_batchbald_ranks_the_whole_pool_when_the_batch_is_larger():
    samples = _random_samples(0, n_rows=6)
    picks = BatchBALD().select(FixedSamples(samples), _positions(6), 10, random_state=0)
    assert sorted(picks.tolist()) == list(range(6))


def test_the_seed_alias_is_bald():
    assert BALDAcquisition is BALD


def test_learners_with_bayesian_strategies_simulate_reproducibly():
    X, y = make_blobs(n_samples=400, centers=3, cluster_std=3, random_state=0)
    for learner in (
        ActiveLearner(
            TorchMLPClassifier((16,), dropout=0.3, max_epochs=10),
            BatchBALD(n_samples=10),
            budget=40,
            batch_size=10,
            random_state=0,
        ),
        ActiveLearner(
            Committee([LogisticRegression()] * 4),
            QueryByCommittee(),
            budget=40,
            batch_size=10,
            random_state=0,
        ),
    ):
        first = learner.fit(X, y).history_
        second = learner.fit(X, y).history_
        assert [r["n_labels"] for r in first] == [10, 20, 30, 40]
        for a, b in zip(first, second):
            np.testing.assert_array_equal(a["indices"], b["indices"])


def test_grid_search_over_bayesian_strategies():
    X, y = make_blobs(n_samples=300, centers=3, cluster_std=3, random_state=0)
    search = GridSearchCV(
        ActiveLearner(
            RandomForestClassifier(n_estimators=10, random_state=0),
            budget=30,
            batch_size=10,
            random_state=0,
        ),
        {"query_strategy": [RandomSampling(), BALD(), BatchBALD(), QueryByCommittee()]},
        cv=2,
    ).fit(X, y)
    assert len(search.cv_results_["mean_test_score"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


@st.composite
def small_samples(draw):
    n_members = draw(st.integers(1, 4))
    n_rows = draw(st.integers(1, 7))
    n_classes = draw(st.integers(1, 3))
    weights = draw(
        arrays(
            np.float64,
            (n_members, n_rows, n_classes),
            elements=st.floats(1e-3, 1.0, allow_subnormal=False),
        )
    )
    return weights / weights.sum(axis=-1, keepdims=True)


@settings(max_examples=60, deadline=None)
@given(small_samples(), st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_every_exact_batchbald_pick_maximizes_the_joint_information(samples, n, seed):
    """Greedy property, ties allowed: no other row would have added more."""
    n_rows = samples.shape[1]
    picks = BatchBALD(max_joint_configs=10**6).select(
        FixedSamples(samples), _positions(n_rows), n, random_state=seed
    )
    assert picks.dtype == np.int64 and picks.shape == (min(n, n_rows),)
    assert np.unique(picks).shape == picks.shape
    for step, pick in enumerate(picks):
        prefix = picks[:step].tolist()
        best = max(
            _exact_joint_information(samples, [*prefix, row])
            for row in range(n_rows)
            if row not in prefix
        )
        assert _exact_joint_information(samples, [*prefix, pick]) >= best - 1e-5


def test_a_failed_bayesian_query_leaves_the_learner_as_it_was():
    import pickle

    X, y = make_blobs(n_samples=60, centers=3, random_state=0)
    learner = ActiveLearner(LogisticRegression(), BALD(), random_state=0).fit(
        X[:20], y[:20]
    )
    before = pickle.dumps(learner)
    with pytest.raises(TypeError, match="Committee"):
        learner.query(X[20:])
    assert pickle.dumps(learner) == before

"""Query strategies: top-k and ties, chunked scoring, standalone use, bad input."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris, make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from skorch import NeuralNetClassifier

import skactive.utils.inputs as rows_module
from skactive import (
    ActiveLearner,
    RandomSampling,
    UncertaintySampling,
    entropy_acquisition,
    least_confidence_acquisition,
    margin_acquisition,
)
from skactive.strategies import BatchStrategy, PerSampleStrategy, QueryStrategy, top_k


class FirstColumn(PerSampleStrategy):
    """Scores each sample by its first feature: a strategy with known scores."""

    _parameter_constraints: dict = {}  # noqa: RUF012

    def __init__(self, estimator=None):
        self.estimator = estimator

    def _score(self, model, X, random_state):
        return np.asarray(X)[:, 0]


@pytest.fixture
def fitted():
    X, y = make_blobs(n_samples=300, centers=3, n_features=4, random_state=0)
    return LogisticRegression().fit(X[:30], y[:30]), X


@pytest.fixture
def small_chunks(monkeypatch):
    """Score in chunks of 1024 rows, so a pool of a few thousand spans several."""
    monkeypatch.setattr(rows_module, "_MAX_CHUNK_ROWS", 1024)


# -- top-k and ties --------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 60), elements=st.integers(0, 5).map(float)),
    st.integers(1, 70),
    st.integers(0, 2**31 - 1),
)
def test_top_k_returns_the_largest_scores_in_order(scores, k, seed):
    indices = top_k(scores, k, random_state=seed)
    assert indices.dtype == np.int64
    assert indices.shape == (min(k, scores.shape[0]),)
    assert np.unique(indices).shape == indices.shape
    chosen = scores[indices]
    assert np.all(np.diff(chosen) <= 0)  # most informative first
    np.testing.assert_array_equal(chosen, np.sort(scores)[::-1][: indices.shape[0]])


@settings(max_examples=25, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 5000), elements=st.integers(0, 30).map(float)),
    st.integers(1, 300),
    st.integers(0, 2**31 - 1),
)
def test_chunked_selection_picks_the_same_scores_as_a_full_sort(scores, k, seed):
    rows_module_limit = rows_module._MAX_CHUNK_ROWS
    rows_module._MAX_CHUNK_ROWS = 1024  # several chunks (hypothesis forbids fixtures)
    try:
        indices = FirstColumn().select(None, scores[:, None], k, random_state=seed)
    finally:
        rows_module._MAX_CHUNK_ROWS = rows_module_limit
    assert np.unique(indices).shape == indices.shape == (min(k, scores.shape[0]),)
    np.testing.assert_array_equal(
        scores[indices], np.sort(scores)[::-1][: indices.shape[0]]
    )


def test_ties_are_broken_at_random_not_by_position(small_chunks):
    pool = np.zeros((3000, 1))  # every score ties, across three chunks
    counts = np.zeros(pool.shape[0])
    batches = set()
    for seed in range(200):
        indices = FirstColumn().select(None, pool, 5, random_state=seed)
        counts[indices] += 1
        batches.add(tuple(indices))
    assert len(batches) == 200
    assert counts[:5].sum() < 10  # by position these five would be chosen 1000 times
    # Every chunk contributes about its share (1000 of 3000 rows -> ~333 of 1000).
    per_chunk = counts.reshape(3, 1000).sum(axis=1)
    assert np.all((per_chunk > 250) & (per_chunk < 420))


def test_order_among_equal_scores_is_random():
    scores = np.array([1.0, 1.0, 1.0, 0.0])
    orders = {tuple(top_k(scores, 3, random_state=seed)) for seed in range(50)}
    assert len(orders) == 6  # all permutations of the three tied samples


def test_same_seed_same_batch(fitted):
    model, X = fitted
    for strategy in (RandomSampling(), UncertaintySampling(model)):
        first = strategy.query(X, n_samples=10, random_state=3)
        np.testing.assert_array_equal(
            first, strategy.query(X, n_samples=10, random_state=3)
        )


def test_many_ties_stay_linear_in_pruning(small_chunks):
    """All-equal scores keep every candidate; selection still covers every row."""
    pool = np.ones((20_000, 1))
    indices = FirstColumn().select(None, pool, 3, random_state=0)
    assert indices.shape == (3,)


# -- uncertainty sampling -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "function", "sign"),
    [
        ("entropy", entropy_acquisition, -1),
        ("margin", margin_acquisition, 1),
        ("least_confidence", least_confidence_acquisition, 1),
    ],
)
def test_uncertainty_queries_the_extreme_scores(fitted, name, function, sign):
    model, X = fitted
    values = function(model.predict_proba(X))
    expected = np.argsort(sign * values, kind="stable")[:15]
    for acquisition_fn in (name, function):
        indices = UncertaintySampling(model, acquisition_fn=acquisition_fn).query(
            X, n_samples=15, random_state=0
        )
        assert set(indices) == set(expected)
        assert np.all(np.diff(sign * values[indices]) >= 0)


def test_a_custom_function_scores_higher_first(fitted):
    model, X = fitted
    indices = UncertaintySampling(model, acquisition_fn=_first_class).query(X, 5)
    np.testing.assert_array_equal(
        np.sort(indices),
        np.sort(np.argsort(-model.predict_proba(X)[:, 0], kind="stable")[:5]),
    )


def _first_class(probs):
    return probs[:, 0]


def test_custom_function_returning_a_tensor_is_accepted(fitted):
    model, X = fitted
    strategy = UncertaintySampling(
        model, acquisition_fn=lambda p: torch.as_tensor(p[:, 0])
    )
    assert strategy.query(X, 4).shape == (4,)


def test_score_samples_has_one_score_per_sample(fitted, small_chunks):
    model, _ = fitted
    X = np.random.default_rng(0).normal(size=(2500, 4))
    scores = UncertaintySampling().score_samples(model, X)
    np.testing.assert_allclose(
        scores, entropy_acquisition(model.predict_proba(X)), rtol=1e-12
    )


def test_standalone_on_a_torch_module_returning_logits():
    module = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh())
    module.append(torch.nn.Linear(8, 3))
    module.train()
    pool = torch.randn(200, 4, generator=torch.Generator().manual_seed(0))
    indices = UncertaintySampling(module, acquisition_fn=entropy_acquisition).query(
        pool, n_samples=10, random_state=0
    )
    with torch.no_grad():
        probs = torch.softmax(module(pool), dim=1)
    expected = torch.argsort(entropy_acquisition(probs), descending=True)[:10]
    assert set(indices.tolist()) == set(expected.tolist())
    assert module.training  # the mode is restored after scoring
    # the same module accepts a numpy pool, and the pool can be indexed by the result
    assert pool[indices].shape == (10, 4)
    np.testing.assert_array_equal(
        np.sort(UncertaintySampling(module).query(pool.numpy(), 10, random_state=0)),
        np.sort(indices),
    )


class _DigitsNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10)
        )

    def forward(self, X):
        return self.layers(X)


def test_standalone_on_a_plain_skorch_net():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    torch.manual_seed(0)
    net = NeuralNetClassifier(
        _DigitsNet,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=5,
        lr=0.1,
        train_split=None,
        verbose=0,
    ).fit(X[:200].astype(np.float32), y[:200])
    pool = X[200:]  # float64: cast for the net, which trains in float32
    indices = UncertaintySampling(net).query(pool, n_samples=20, random_state=0)
    probs = net.predict_proba(pool.astype(np.float32))
    expected = np.argsort(-entropy_acquisition(probs), kind="stable")[:20]
    assert set(indices) == set(expected)


def test_standalone_on_dataframes_and_sparse_pools(fitted):
    model, X = fitted
    expected = UncertaintySampling(model).query(X, 7, random_state=0)
    np.testing.assert_array_equal(
        UncertaintySampling(model).query(sp.csr_matrix(X), 7, random_state=0),
        expected,
    )
    # Positions, not index labels: the frame's index runs backwards in tens.
    columns = ["a", "b", "c", "d"]
    frame = pd.DataFrame(X, columns=columns, index=np.arange(X.shape[0])[::-1] * 10)
    frame_model = clone(model).fit(
        pd.DataFrame(X[:30], columns=columns), model.predict(X[:30])
    )
    indices = UncertaintySampling(frame_model).query(frame, 7, random_state=0)
    np.testing.assert_array_equal(
        indices, UncertaintySampling(frame_model).query(frame, 7, random_state=0)
    )
    assert frame.iloc[indices].shape == (7, 4)
    values = entropy_acquisition(frame_model.predict_proba(frame))
    assert set(indices) == set(np.argsort(-values, kind="stable")[:7])


def test_batch_larger_than_the_pool_returns_the_whole_pool_ranked(fitted):
    model, X = fitted
    for strategy in (RandomSampling(), UncertaintySampling(model)):
        indices = strategy.query(X[:12], n_samples=50, random_state=0)
        np.testing.assert_array_equal(np.sort(indices), np.arange(12))
    values = entropy_acquisition(model.predict_proba(X[:12]))
    assert np.all(np.diff(values[indices]) <= 0)


def test_an_empty_pool_gives_no_indices(fitted):
    model, X = fitted
    indices = UncertaintySampling(model).query(X[:0], 5)
    assert indices.shape == (0,)
    assert indices.dtype == np.int64


def test_strategies_clone_and_compare_by_parameters():
    strategy = UncertaintySampling(acquisition_fn="margin")
    assert clone(strategy).get_params() == {
        "estimator": None,
        "acquisition_fn": "margin",
    }
    assert clone(RandomSampling()).get_params() == {}


# -- bad input ----------------------------------------------------------------------


def test_a_model_without_predict_proba_names_the_wrapper():
    X, y = make_blobs(n_samples=60, centers=3, random_state=0)
    model = LinearSVC().fit(X, y)
    with pytest.raises(TypeError, match="CalibratedClassifierCV"):
        UncertaintySampling(model).query(X, 5)


def test_query_without_a_model_says_how_to_give_one():
    with pytest.raises(ValueError, match=r"UncertaintySampling\(estimator=model\)"):
        UncertaintySampling().query(np.zeros((5, 2)), 2)
    # RandomSampling needs no model.
    assert RandomSampling().query(np.zeros((5, 2)), 2, random_state=0).shape == (2,)


@pytest.mark.parametrize("n_samples", [0, -3])
def test_non_positive_batch_sizes_are_rejected(fitted, n_samples):
    model, X = fitted
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        UncertaintySampling(model).query(X, n_samples)


@pytest.mark.parametrize("n_samples", [2.5, "10", True])
def test_non_integer_batch_sizes_are_rejected(fitted, n_samples):
    model, X = fitted
    with pytest.raises(TypeError, match="n_samples must be a positive integer"):
        UncertaintySampling(model).query(X, n_samples)


def test_unknown_acquisition_name_is_rejected(fitted):
    model, X = fitted
    with pytest.raises(ValueError, match="acquisition_fn"):
        UncertaintySampling(model, acquisition_fn="variance").query(X, 3)


def test_nan_scores_are_an_error_not_a_silent_choice(fitted):
    model, X = fitted
    strategy = UncertaintySampling(model, acquisition_fn=_nan_scores)
    with pytest.raises(ValueError, match="NaN scores"):
        strategy.query(X, 3)


def _nan_scores(probs):
    return np.full(probs.shape[0], np.nan)


def test_scores_of_the_wrong_shape_are_an_error(fitted):
    model, X = fitted
    with pytest.raises(ValueError, match="one score per sample"):
        UncertaintySampling(model, acquisition_fn=lambda p: p).query(X, 3)


def test_an_incomplete_strategy_fails_when_it_is_made():
    class Empty(PerSampleStrategy):
        pass

    class EmptyBatch(BatchStrategy):
        pass

    class Bare(QueryStrategy):
        pass

    with pytest.raises(TypeError, match=r"abstract method '?_score"):
        Empty()
    with pytest.raises(TypeError, match=r"abstract method '?_select_batch"):
        EmptyBatch()
    with pytest.raises(TypeError, match=r"abstract method '?_choose"):
        Bare()


def test_a_strategy_without_parameters_needs_no_constraints():
    class FirstRows(BatchStrategy):
        def __skactive_tags__(self):
            tags = super().__skactive_tags__()
            tags.requires_model = False
            return tags

        def _select_batch(self, model, X, n_samples, context):
            return np.arange(n_samples)

    np.testing.assert_array_equal(FirstRows().query(np.zeros((5, 2)), 3), [0, 1, 2])
    learner = ActiveLearner(
        LogisticRegression(), query_strategy=FirstRows(), batch_size=2
    )
    X, y = load_iris(return_X_y=True)
    learner.fit(X[::10], y[::10])
    np.testing.assert_array_equal(learner.query(X[1:9]), [0, 1])


# -- the two bases, the context and the tags -------------------------------------


def test_strategy_tags_declare_what_each_strategy_needs():
    from skactive.strategies import (
        BADGE,
        BALD,
        MMC,
        BatchBALD,
        CoreSet,
        ExpectedErrorReduction,
        ExpectedModelChange,
        ExpectedModelChangeRegression,
        GreedySampling,
        InformationDensity,
        KMeansSampling,
        LabelCardinalityInconsistency,
        MultilabelUncertainty,
        PredictiveStd,
        RandomSampling,
        StochasticBatch,
        StrategyTags,
        TypiClust,
        UncertaintySampling,
        get_strategy_tags,
    )

    # Every built-in strategy reads a simulation's pool as an uncopied view.
    label_free = StrategyTags(requires_model=False, reads_pool_rows=True)
    scoring = StrategyTags(per_sample_scores=True, reads_pool_rows=True)
    views = StrategyTags(reads_pool_rows=True)
    # Per-sample strategies, random sampling, CoreSet, the ranked batch and
    # BADGE also take dask pools.
    dask_scoring = StrategyTags(
        per_sample_scores=True, reads_pool_rows=True, reads_dask_pools=True
    )
    dask_label_free = StrategyTags(
        requires_model=False, reads_pool_rows=True, reads_dask_pools=True
    )
    # Strategies that read no class probabilities serve every task.
    both = {"regression": True, "multilabel": True}
    regression = {"classification": False, "regression": True}
    multilabel = {"classification": False, "multilabel": True}
    expected = {
        RandomSampling(): replace(dask_label_free, **both),
        KMeansSampling(): replace(label_free, **both),
        TypiClust(): replace(label_free, **both),
        CoreSet(): replace(dask_label_free, **both),
        UncertaintySampling(): dask_scoring,
        BALD(): dask_scoring,
        ExpectedModelChange(): dask_scoring,
        InformationDensity(): scoring,
        BatchBALD(): views,
        BADGE(): StrategyTags(
            reads_pool_rows=True, reads_dask_pools=True, multilabel=True
        ),
        ExpectedErrorReduction(): StrategyTags(
            requires_labels=True, reads_pool_rows=True
        ),
        StochasticBatch(BALD()): views,
        StochasticBatch(RandomSampling()): replace(label_free, **both),
        PredictiveStd(): replace(dask_scoring, **regression),
        GreedySampling("x"): StrategyTags(
            requires_model=False, reads_pool_rows=True, **regression
        ),
        GreedySampling("xy"): StrategyTags(
            requires_labels=True, reads_pool_rows=True, **regression
        ),
        ExpectedModelChangeRegression(): StrategyTags(
            requires_labels=True, reads_pool_rows=True, **regression
        ),
        MultilabelUncertainty(): replace(dask_scoring, **multilabel),
        MMC(): StrategyTags(requires_labels=True, reads_pool_rows=True, **multilabel),
        LabelCardinalityInconsistency(): StrategyTags(
            requires_labels=True, reads_pool_rows=True, **multilabel
        ),
    }
    for strategy, tags in expected.items():
        assert get_strategy_tags(strategy) == tags, strategy
    # Any object with select works in a learner; it gets the default tags.
    assert get_strategy_tags(object()) == StrategyTags()


def test_a_batch_strategy_gets_the_labeled_set_and_one_random_stream(fitted):
    model, X = fitted
    seen = {}

    class Recording(BatchStrategy):
        _parameter_constraints: dict = {}  # noqa: RUF012

        def _select_batch(self, model, X, n_samples, context):
            seen["context"] = context
            return context.random_state.permutation(X.shape[0])[:n_samples]

    labels = np.arange(7) % 3
    picked = Recording().select(
        model, X, 4, X_labeled=X[:7], y_labeled=labels, random_state=3
    )
    context = seen["context"]
    assert context.n_labeled == 7
    np.testing.assert_array_equal(context.y_labeled, labels)
    np.testing.assert_array_equal(
        picked, np.random.RandomState(3).permutation(X.shape[0])[:4]
    )
    assert picked.dtype == np.int64


@pytest.mark.parametrize(
    "answer",
    [
        lambda n: np.arange(n + 1),  # too many
        lambda n: np.zeros(n, dtype=np.int64),  # repeated
        lambda n: np.arange(n) + 10_000,  # out of range
        lambda n: np.arange(n) + 0.5,  # not integers
    ],
)
def test_a_batch_strategy_that_breaks_the_contract_gets_a_clear_error(fitted, answer):
    model, X = fitted

    class Broken(BatchStrategy):
        _parameter_constraints: dict = {}  # noqa: RUF012

        def _select_batch(self, model, X, n_samples, context):
            return answer(n_samples)

    with pytest.raises(ValueError, match="expected 3 unique integer positions"):
        Broken().select(model, X, 3, random_state=0)


def test_a_per_sample_strategy_draws_one_seed_per_query_for_every_chunk(small_chunks):
    seeds = []

    class SeedEcho(PerSampleStrategy):
        _parameter_constraints: dict = {}  # noqa: RUF012

        def _score(self, model, X, random_state):
            seeds.append(random_state)
            return np.asarray(X)[:, 0]

    X = np.random.default_rng(0).normal(size=(5000, 2))
    SeedEcho().select(None, X, 5, random_state=np.random.RandomState(1))
    assert len(seeds) == 5 and len(set(seeds)) == 1  # five chunks, one seed
    assert seeds[0] == np.random.RandomState(1).randint(np.iinfo(np.int32).max)


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 3000), elements=st.integers(0, 9).map(float)),
    st.integers(1, 50),
    st.integers(1, 700),
    st.integers(0, 2**31 - 1),
)
def test_streamed_top_k_equals_top_k_on_the_whole_array(scores, k, chunk, seed):
    from skactive.utils.ranking import StreamingTopK

    stream = StreamingTopK(k)
    for start in range(0, scores.shape[0], chunk):
        stream.push(start, scores[start : start + chunk])
    streamed = stream.result(np.random.RandomState(seed))
    assert np.unique(streamed).shape == streamed.shape == (min(k, scores.shape[0]),)
    np.testing.assert_array_equal(
        scores[streamed], np.sort(scores)[::-1][: streamed.shape[0]]
    )


# -- validated once, at the door ---------------------------------------------------


def _counting_validation(monkeypatch, cls):
    calls = []
    original = cls._validate_params

    def counted(self):
        calls.append(type(self).__name__)
        return original(self)

    monkeypatch.setattr(cls, "_validate_params", counted)
    return calls


def test_parameters_are_validated_once_per_public_call(monkeypatch):
    from sklearn import config_context

    X, y = load_iris(return_X_y=True)
    calls = _counting_validation(monkeypatch, UncertaintySampling)
    learner = ActiveLearner(
        LogisticRegression(max_iter=500),
        UncertaintySampling(),
        budget=30,
        n_initial=5,
        batch_size=5,
        random_state=0,
    )
    learner.fit(X, y)  # a simulation of 5 queries
    assert learner.n_rounds_ == 5 and len(calls) == 1
    learner.query(X[:50])
    assert len(calls) == 2
    model = learner.estimator_
    UncertaintySampling(model).query(X[:50], 3)
    UncertaintySampling().select(model, X[:50], 3)
    UncertaintySampling().score_samples(model, X[:50])
    assert len(calls) == 5
    # A strategy nested in another is checked with it, once.
    from skactive.strategies import StochasticBatch

    StochasticBatch(UncertaintySampling()).select(model, X[:50], 3, random_state=0)
    assert len(calls) == 6

    with config_context(skip_parameter_validation=True):
        learner.fit(X, y)
        learner.query(X[:50])
        UncertaintySampling(model).query(X[:50], 3)
        UncertaintySampling().select(model, X[:50], 3)
    assert len(calls) == 6


def test_skip_parameter_validation_skips_a_strategys_checks():
    from sklearn import config_context

    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    bogus = UncertaintySampling(acquisition_fn="bogus")
    with pytest.raises(ValueError, match="acquisition_fn"):
        bogus.select(model, X, 3)
    with config_context(skip_parameter_validation=True):
        # Unchecked, the bad name reaches the code that reads it, past the door.
        with pytest.raises(Exception) as raised:
            bogus.select(model, X, 3)
    assert "must be a str among" not in str(raised.value)


# -- the registry ---------------------------------------------------------------


def test_the_registry_lists_every_exported_strategy_by_its_tags():
    import inspect

    import skactive.strategies as strategies
    from skactive.strategies import all_strategies, get_strategy_tags

    exported = {
        name
        for name in strategies.__all__
        if inspect.isclass(getattr(strategies, name))
        and issubclass(getattr(strategies, name), QueryStrategy)
        and not inspect.isabstract(getattr(strategies, name))
        and getattr(strategies, name).__name__ == name  # not an alias
    }
    listed = dict(all_strategies())
    assert set(listed) == exported
    assert list(listed) == sorted(listed)
    for task in ("classification", "regression", "multilabel"):
        names = {name for name, _ in all_strategies(task)}
        assert names == {
            name
            for name, cls in listed.items()
            if getattr(get_strategy_tags(cls()), task)
        }
    assert {"PredictiveStd", "GreedySampling"} <= {
        n for n, _ in all_strategies("regression")
    }
    assert "PredictiveStd" not in dict(all_strategies("classification"))
    dask = {name for name, _ in all_strategies(reads_dask_pools=True)}
    assert {"UncertaintySampling", "CoreSet", "BADGE"} <= dask
    assert "TypiClust" not in dask
    label_free = {name for name, _ in all_strategies(requires_model=False)}
    assert {"RandomSampling", "KMeansSampling", "TypiClust"} <= label_free
    with pytest.raises(ValueError, match="task must be one of"):
        all_strategies("ranking")
    with pytest.raises(TypeError, match="unknown tag filters"):
        all_strategies(reads_zarr=True)


def test_a_new_strategy_class_appears_in_the_messages_without_being_listed():
    from skactive.strategies import all_strategies

    names = {name for name, _ in all_strategies()}
    assert "FirstColumn" not in names  # a test's own class is not skactive's
    X, y = load_iris(return_X_y=True)
    learner = ActiveLearner(LogisticRegression(max_iter=500)).fit(X[::3], y[::3])
    from skactive.strategies import MMC

    learner.set_params(query_strategy=MMC())
    with pytest.raises(ValueError) as raised:
        learner.query(X)
    for name, _ in all_strategies("classification"):
        assert name in str(raised.value)

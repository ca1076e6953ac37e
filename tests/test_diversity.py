"""Embeddings, gradient-embedding factors, CoreSet and BADGE."""

import itertools

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skactive import ActiveLearner
from skactive.models import embed, gradient_embedding_factors
from skactive.nets import TorchMLPClassifier
from skactive.strategies import (
    BADGE,
    CoreSet,
    DiverseUncertainty,
    UncertaintySampling,
)
from skactive.strategies import _greedy as greedy
from skactive.strategies._greedy import LazyKMeansPlusPlus


@pytest.fixture(scope="module")
def data():
    X, y = make_blobs(
        n_samples=300, centers=4, n_features=5, cluster_std=3, random_state=0
    )
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def net(data):
    X, y = data
    return TorchMLPClassifier((12,), max_epochs=20, random_state=0).fit(X[:60], y[:60])


def test_embed_is_the_penultimate_layer_of_a_net(data, net):
    X, _ = data
    with torch.no_grad():
        expected = net.module_.trunk(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(embed(net, X), expected, atol=1e-6)


def test_embed_of_a_pipeline_and_of_other_models(data):
    X, y = data
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    np.testing.assert_allclose(embed(pipe, X), pipe[0].transform(X), rtol=1e-6)
    forest = RandomForestClassifier(n_estimators=3).fit(X, y)
    np.testing.assert_array_equal(embed(forest, X), X)

    class Mine:
        def embed(self, X):
            return np.asarray(X)[:, :2]

    assert embed(Mine(), X).shape == (300, 2)


def test_net_factors_give_the_autograd_gradient_of_the_last_layer(data, net):
    X, _ = data
    residual, features = gradient_embedding_factors(net, X[:8])
    head = net.module_.head
    for i in range(8):
        head.zero_grad()
        with torch.enable_grad():
            logits = net.module_(torch.from_numpy(X[i : i + 1]))
            label = logits.argmax(dim=1)
            torch.nn.functional.cross_entropy(logits, label).backward()
        np.testing.assert_allclose(
            np.outer(residual[i], features[i]), head.weight.grad.numpy(), atol=1e-5
        )
        np.testing.assert_allclose(residual[i], head.bias.grad.numpy(), atol=1e-6)


def test_linear_factors_give_the_log_loss_gradient_with_the_intercept(data):
    X, y = data
    model = LogisticRegression(max_iter=1000).fit(X, y)
    residual, features = gradient_embedding_factors(model, X[:5])
    assert features.shape == (5, 6)
    np.testing.assert_array_equal(features[:, -1], 1)
    weights = torch.tensor(
        np.hstack([model.coef_, model.intercept_[:, None]]), requires_grad=True
    )
    inputs = torch.from_numpy(features)
    for i in range(5):
        weights.grad = None
        logits = inputs[i : i + 1] @ weights.T
        torch.nn.functional.cross_entropy(logits, logits.argmax(dim=1)).backward()
        np.testing.assert_allclose(
            np.outer(residual[i], features[i]), weights.grad.numpy(), rtol=1e-5
        )


def _reference_badge(residual, features, n, rng, patience=greedy._PATIENCE):
    """BADGE's lazy k-means++ on the materialized n x (C * D) gradient embedding,
    one row and one center at a time."""
    g = (residual[:, :, None] * features[:, None, :]).reshape(len(residual), -1)
    norms = (g**2).sum(1)
    best = np.flatnonzero(norms == norms.max())
    chosen = [int(best[0] if len(best) == 1 else rng.choice(best))]
    bound = ((g - g[chosen[0]]) ** 2).sum(1)
    seen = 1
    while len(chosen) < n:
        bound[chosen[-1]] = 0.0
        rejected = 0
        while True:
            cumulative = np.cumsum(bound)
            target = rng.random_sample() * cumulative[-1]
            pick = int(np.searchsorted(cumulative, target, "right"))
            if seen == len(chosen):
                break
            exact = min(
                [bound[pick]] + [((g[pick] - g[c]) ** 2).sum() for c in chosen[seen:]]
            )
            if rng.random_sample() * bound[pick] < exact:
                break
            bound[pick] = exact
            rejected += 1
            if rejected == patience:
                for c in chosen[seen:]:
                    bound = np.minimum(bound, ((g - g[c]) ** 2).sum(1))
                seen = len(chosen)
        chosen.append(pick)
    return chosen


@pytest.mark.parametrize("seed", range(3))
def test_badge_selects_what_the_materialized_embedding_selects(data, net, seed):
    X, y = data
    linear = LogisticRegression(max_iter=1000).fit(X[:60], y[:60])
    for model in (net, linear):
        picks = BADGE().select(model, X[60:], 20, random_state=seed)
        residual, features = gradient_embedding_factors(model, X[60:])
        reference = _reference_badge(
            residual, features.astype(np.float64), 20, np.random.RandomState(seed)
        )
        assert picks.tolist() == reference


def _covering_radius(points, centers):
    distances = np.linalg.norm(points[:, None] - points[None, centers], axis=-1)
    return distances.min(axis=1).max()


@pytest.mark.parametrize("patience", [1, 3, 1000])
def test_lazy_kmeans_plus_plus_draws_with_the_exact_d2_probabilities(patience):
    # Rejection sampling on stale bounds must give k-means++'s law exactly: the
    # frequency of each (second, third) pick against its probability computed by
    # enumeration, on points where the second center changes others' distances.
    rng = np.random.RandomState(0)
    residual = rng.dirichlet(np.ones(2), size=7) - np.eye(2)[rng.randint(0, 2, 7)]
    features = rng.randn(7, 2)
    g = (residual[:, :, None] * features[:, None, :]).reshape(7, -1)
    squared = ((g[:, None] - g[None]) ** 2).sum(-1)
    first = int(np.argmax((g**2).sum(1)))
    expected = np.zeros((7, 7))
    second = squared[first] / squared[first].sum()
    for j in range(7):
        nearest = np.minimum(squared[first], squared[j])
        expected[j] = second[j] * nearest / nearest.sum()
    n_draws = 6000
    counts = np.zeros((7, 7))
    for _ in range(n_draws):
        picks = LazyKMeansPlusPlus(residual, features, patience).select(3, rng)
        assert picks[0] == first
        counts[picks[1], picks[2]] += 1
    frequency = counts / n_draws
    error = np.sqrt(expected * (1 - expected) / n_draws)
    assert np.all(np.abs(frequency - expected) <= 5 * error + 1e-3)


def _spy_candidates(monkeypatch):
    """Record the number of rows each greedy pass of _farthest_first runs on."""
    sizes = []
    original = greedy._greedy_on_rows

    def spy(points, squared_norms, centers, rows, *args):
        sizes.append(rows.shape[0])
        return original(points, squared_norms, centers, rows, *args)

    monkeypatch.setattr(greedy, "_greedy_on_rows", spy)
    return sizes


@pytest.mark.parametrize("n_labeled", [0, 5, 400])
@pytest.mark.parametrize(
    "strategy", [CoreSet(), DiverseUncertainty(None, 0.7)], ids=repr
)
def test_pruned_greedy_picks_what_the_whole_pool_greedy_picks(
    monkeypatch, strategy, n_labeled
):
    X, y = make_blobs(n_samples=4400, centers=5, n_features=6, random_state=1)
    X = X.astype(np.float32)
    model = LogisticRegression(max_iter=500).fit(X[:400], y[:400])
    labeled, pool = X[:n_labeled], X[400:]

    def picks():
        return strategy.select(model, pool, 25, X_labeled=labeled, random_state=3)

    sizes = _spy_candidates(monkeypatch)
    monkeypatch.setattr(greedy, "_CANDIDATE_SHARE", 1.0)
    whole = picks()
    assert sizes == [4000]
    monkeypatch.undo()
    sizes = _spy_candidates(monkeypatch)
    np.testing.assert_array_equal(picks(), whole)  # defaults: a pruned pool
    assert sizes[0] == 800
    if n_labeled == 400:  # labeled rows all over the pool bound it tightly
        assert sizes == [800]
    # A first guess far too small is caught by the bounds, and rerun larger.
    monkeypatch.setattr(greedy, "_CANDIDATES_PER_PICK", 1)
    monkeypatch.setattr(greedy, "_CANDIDATE_SHARE", 0.0)
    sizes.clear()
    np.testing.assert_array_equal(picks(), whole)
    assert sizes[0] == 25 and len(sizes) > 1
    assert len(set(whole.tolist())) == 25


@pytest.mark.parametrize("seed", range(4))
def test_coreset_radius_is_within_twice_the_optimum(seed):
    rng = np.random.RandomState(seed)
    points = rng.randn(11, 2)
    labeled = [0, 1]
    picks = CoreSet().select(
        None, points[2:], 3, X_labeled=points[labeled], random_state=seed
    )
    ours = _covering_radius(points, labeled + (picks + 2).tolist())
    optimum = min(
        _covering_radius(points, labeled + list(subset))
        for subset in itertools.combinations(range(2, 11), 3)
    )
    assert ours <= 2 * optimum + 1e-12


def test_coreset_takes_the_farthest_sample_each_time():
    X = np.array([[0.0], [1.0], [2.0], [10.0], [4.0]])
    picks = CoreSet().select(None, X, 3, X_labeled=np.array([[0.0]]), random_state=0)
    assert picks.tolist() == [3, 4, 2]  # 10 first, then 4 (6 from 10), then 2


@pytest.mark.parametrize("strategy", [CoreSet(), BADGE()], ids=repr)
def test_a_pool_of_copies_gives_a_batch_without_two_copies(data, net, strategy):
    X, _ = data
    pool = np.repeat(X[60:100], 10, axis=0)
    picks = strategy.select(net, pool, 10, X_labeled=X[:60], random_state=0)
    assert len(set(picks // 10)) == 10


@pytest.mark.parametrize("strategy", [CoreSet(), BADGE()], ids=repr)
def test_constant_features_give_unique_picks_and_no_nan(strategy):
    X = np.ones((30, 4))
    model = LogisticRegression().fit(np.vstack([X[:5], -X[:5]]), [0] * 5 + [1] * 5)
    picks = strategy.select(model, X, 12, X_labeled=X[:3], random_state=0)
    assert picks.shape == (12,) and np.unique(picks).shape == (12,)


def test_all_zero_distances_fall_back_to_uniform_draws():
    residual, features = np.zeros((6, 3)), np.ones((6, 2))
    picks = LazyKMeansPlusPlus(residual, features).select(6, np.random.RandomState(0))
    assert sorted(picks.tolist()) == list(range(6))


def test_badge_on_a_model_without_gradients_names_embed(data):
    X, y = data
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    with pytest.raises(TypeError, match="embed="):
        BADGE().select(forest, X, 5, random_state=0)
    picks = BADGE(embed=lambda model, X: np.asarray(X)).select(
        forest, X, 5, random_state=0
    )
    assert np.unique(picks).shape == (5,)


def test_learners_with_diversity_strategies_simulate(data):
    X, y = data
    for strategy in (CoreSet(), BADGE()):
        learner = ActiveLearner(
            make_pipeline(StandardScaler(), LogisticRegression()),
            strategy,
            budget=40,
            batch_size=10,
            random_state=0,
        ).fit(X, y)
        picked = np.concatenate([r["indices"] for r in learner.history_])
        assert np.unique(picked).shape == (40,)


# -- DiverseUncertainty (ranked batch) and diverse_batch_query -----------------


class GivenProba:
    """A model with fixed probabilities: row i of X carries its own in columns 1:."""

    def predict_proba(self, X):
        return np.asarray(X)[:, 1:]


def _reference_ranked_batch(points, uncertainty, labeled, weight, n):
    chosen = []
    for _ in range(n):
        scores = []
        for i in range(len(points)):
            if i in chosen:
                scores.append(-np.inf)
                continue
            others = [*labeled, *[points[c] for c in chosen]]
            distance = min(np.linalg.norm(points[i] - o) for o in others)
            scores.append(
                weight * (1 - 1 / (1 + distance)) + (1 - weight) * uncertainty[i]
            )
        chosen.append(int(np.argmax(scores)))
    return chosen


@pytest.mark.parametrize("weight", [0.25, 0.5, 0.9])
def test_ranked_batch_matches_a_hand_computation(weight):
    rng = np.random.RandomState(0)
    proba = rng.dirichlet(np.ones(3), size=15)
    position = rng.rand(15, 1) * 4
    X = np.hstack([position, proba])  # embedding = raw features = all columns
    labeled = X[:2]
    picks = DiverseUncertainty(diversity_weight=weight, embed=lambda m, X: X).select(
        GivenProba(), X, 5, X_labeled=labeled, random_state=0
    )
    entropy = -(proba * np.log(proba)).sum(1) / np.log(3)
    assert picks.tolist() == _reference_ranked_batch(
        X, entropy, list(labeled), weight, 5
    )


@pytest.mark.parametrize("measure", ["entropy", "margin", "least_confidence"])
def test_zero_diversity_weight_is_uncertainty_top_k(data, measure):
    X, y = data
    model = LogisticRegression(max_iter=1000).fit(X[:40], y[:40])
    picks = DiverseUncertainty(diversity_weight=0.0, measure=measure).select(
        model, X[40:], 15, random_state=0
    )
    expected = UncertaintySampling(acquisition_fn=measure).select(
        model, X[40:], 15, random_state=0
    )
    np.testing.assert_array_equal(picks, expected)


def test_full_diversity_weight_is_farthest_first_like_coreset(data):
    X, y = data
    model = LogisticRegression(max_iter=1000).fit(X[:40], y[:40])
    picks = DiverseUncertainty(diversity_weight=1.0).select(
        model, X[40:], 10, X_labeled=X[:40], random_state=0
    )
    coreset = CoreSet().select(model, X[40:], 10, X_labeled=X[:40], random_state=0)
    np.testing.assert_array_equal(picks, coreset)


def test_a_diverse_batch_of_copies_has_no_two_copies(data):
    X, y = data
    model = LogisticRegression(max_iter=1000).fit(X[:40], y[:40])
    pool = np.repeat(X[40:80], 10, axis=0)
    picks = DiverseUncertainty().select(
        model, pool, 10, X_labeled=X[:40], random_state=0
    )
    assert len(set(picks // 10)) == 10
    # Top-k uncertainty, by contrast, takes the ten copies of the most uncertain.
    top = DiverseUncertainty(diversity_weight=0.0).select(
        model, pool, 10, random_state=0
    )
    assert len(set(top // 10)) == 1


def test_the_guide_call_and_bad_weights(data):
    from skactive import diverse_batch_query

    X, y = data
    model = LogisticRegression(max_iter=1000).fit(X[:40], y[:40])
    indices = diverse_batch_query(model, X[40:], n_samples=100, diversity_weight=0.5)
    assert indices.shape == (100,) and np.unique(indices).shape == (100,)
    for weight in (-0.1, 1.5):
        with pytest.raises(ValueError, match="diversity_weight"):
            diverse_batch_query(model, X[40:], n_samples=5, diversity_weight=weight)
    with pytest.raises(ValueError, match="n_samples"):
        diverse_batch_query(model, X[40:], n_samples=0)
    whole = diverse_batch_query(model, X[40:50], n_samples=100)
    assert sorted(whole.tolist()) == list(range(10))


def test_ranked_batch_on_constant_features_gives_unique_picks():
    X = np.ones((30, 4))
    model = LogisticRegression().fit(np.vstack([X[:5], -X[:5]]), [0] * 5 + [1] * 5)
    picks = DiverseUncertainty().select(model, X, 12, X_labeled=X[:3], random_state=0)
    assert picks.shape == (12,) and np.unique(picks).shape == (12,)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nearest_distances_match_scikit_learn(dtype):
    from sklearn.metrics import pairwise_distances_argmin_min

    rng = np.random.RandomState(0)
    points, centers = rng.randn(3000, 7).astype(dtype), rng.randn(40, 7).astype(dtype)
    _, expected = pairwise_distances_argmin_min(points, centers)
    old = greedy._PAIRWISE_FLOATS
    try:
        greedy._PAIRWISE_FLOATS = 40 * 700  # several blocks
        nearest = greedy.nearest_squared_distances(points, centers)
    finally:
        greedy._PAIRWISE_FLOATS = old
    np.testing.assert_allclose(nearest, expected**2, rtol=1e-4, atol=1e-4)


# -- ClusterMargin --------------------------------------------------------------


def test_cluster_margin_takes_one_low_margin_sample_per_cluster(data):
    from skactive.acquisition import margin_acquisition
    from skactive.strategies import ClusterMargin

    X, y = data
    model = LogisticRegression(max_iter=1000).fit(X[:40], y[:40])
    pool = X[40:]
    picks = ClusterMargin(candidate_factor=4).select(model, pool, 10, random_state=0)
    margin = margin_acquisition(model.predict_proba(pool))
    candidates = np.argsort(margin)[:40]
    assert picks.shape == (10,) and set(picks) <= set(candidates)
    only_margin = ClusterMargin(candidate_factor=1).select(
        model, pool, 10, random_state=0
    )
    np.testing.assert_array_equal(
        only_margin,
        UncertaintySampling(acquisition_fn="margin").select(
            model, pool, 10, random_state=0
        ),
    )


def test_cluster_margin_never_takes_two_copies(data):
    from skactive.strategies import ClusterMargin

    X, y = data
    model = LogisticRegression(max_iter=1000).fit(X[:40], y[:40])
    pool = np.repeat(X[40:100], 10, axis=0)
    picks = ClusterMargin().select(model, pool, 10, random_state=0)
    assert len(set(picks // 10)) == 10


@pytest.mark.parametrize("strategy", [CoreSet(), BADGE(), DiverseUncertainty()])
def test_huge_float32_values_do_not_overflow_the_distances(strategy):
    X, y = make_blobs(n_samples=300, centers=3, n_features=4, random_state=0)
    huge = (X * 1e19).astype(np.float32)  # squares pass float32's 3.4e38
    model = LogisticRegression().fit(huge[:30].astype(np.float64), y[:30])
    picked = strategy.select(model, huge[30:], 10, X_labeled=huge[:30], random_state=0)
    assert np.unique(picked).shape == (10,)
    if isinstance(strategy, CoreSet):  # farthest-first does not see the scale
        small = (X * 1e-3).astype(np.float32)
        np.testing.assert_array_equal(
            picked,
            strategy.select(None, small[30:], 10, X_labeled=small[:30], random_state=0),
        )


def test_string_columns_get_a_type_error_that_says_what_to_do():
    import pandas as pd

    from skactive.strategies import KMeansSampling, TypiClust

    frame = pd.DataFrame({"city": ["a", "b", "c", "d"] * 5, "x": np.arange(20.0)})
    for strategy in (KMeansSampling(), TypiClust()):
        with pytest.raises(TypeError, match="numeric features"):
            strategy.query(frame, 2, random_state=0)

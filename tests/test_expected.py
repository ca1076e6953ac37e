"""Expected model change (expected gradient length) and expected error reduction."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import xlogy
from sklearn.base import clone
from sklearn.datasets import load_iris, make_blobs
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skactive import ActiveLearner
from skactive.nets import TorchMLPClassifier
from skactive.strategies import ExpectedErrorReduction, ExpectedModelChange
from skactive.strategies.expected import _retraining, expected_gradient_length


@pytest.fixture(scope="module")
def data():
    X, y = make_blobs(
        n_samples=300, centers=4, n_features=5, cluster_std=3, random_state=0
    )
    return X.astype(np.float32), y


# -- expected model change ----------------------------------------------------


def test_expected_gradient_length_of_a_net_matches_autograd(data):
    X, y = data
    net = TorchMLPClassifier((12,), max_epochs=20, random_state=0).fit(X[:60], y[:60])
    scores = ExpectedModelChange().score_samples(net, X[:6])
    head = net.module_.head
    for i in range(6):
        with torch.enable_grad():
            logits = net.module_(torch.from_numpy(X[i : i + 1]))
            proba = torch.softmax(logits, dim=1).detach().numpy()[0]
            expected = 0.0
            for label in range(4):
                head.zero_grad()
                loss = torch.nn.functional.cross_entropy(logits, torch.tensor([label]))
                loss.backward(retain_graph=True)
                expected += proba[label] * head.weight.grad.norm().item()
        assert scores[i] == pytest.approx(expected, rel=1e-4)


def test_expected_gradient_length_of_a_linear_model_includes_the_intercept(data):
    X, y = data
    model = LogisticRegression(max_iter=1000).fit(X[:60], y[:60])
    proba = model.predict_proba(X[:5])
    features = np.hstack([X[:5], np.ones((5, 1))])
    expected = [
        sum(
            proba[i, c] * np.linalg.norm(np.outer(proba[i] - np.eye(4)[c], features[i]))
            for c in range(4)
        )
        for i in range(5)
    ]
    np.testing.assert_allclose(
        ExpectedModelChange(model).score_samples(model, X[:5]), expected, rtol=1e-6
    )


def test_expected_model_change_needs_a_gradient_path(data):
    X, y = data
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    with pytest.raises(TypeError, match="embed="):
        ExpectedModelChange(forest).query(X, 5)
    picks = ExpectedModelChange(forest, embed=lambda m, X: X).query(
        X, 5, random_state=0
    )
    assert np.unique(picks).shape == (5,)


_probabilities = arrays(
    np.float64,
    st.tuples(st.integers(1, 6), st.integers(2, 5)),
    elements=st.floats(1e-3, 1.0),
).map(lambda a: a / a.sum(axis=1, keepdims=True))


@settings(max_examples=60, deadline=None)
@given(_probabilities, st.integers(1, 4), st.integers(0, 10**6))
def test_expected_gradient_length_properties(proba, n_dimensions, seed):
    features = np.random.RandomState(seed).randn(proba.shape[0], n_dimensions)
    scores = expected_gradient_length(proba, features)
    feature_norms = np.linalg.norm(features, axis=1)
    eye = np.eye(proba.shape[1])
    brute = [
        sum(p[c] * np.linalg.norm(np.outer(p - eye[c], h)) for c in range(len(p)))
        for p, h in zip(proba, features)
    ]
    np.testing.assert_allclose(scores, brute, rtol=1e-9, atol=1e-12)
    assert np.all(scores >= 0)
    assert np.all(scores <= np.sqrt(2) * feature_norms + 1e-12)
    # A certain prediction moves nothing.
    certain = eye[np.arange(proba.shape[0]) % proba.shape[1]]
    np.testing.assert_allclose(expected_gradient_length(certain, features), 0)


# -- expected error reduction ---------------------------------------------------


def _direct_expected_losses(model, X_labeled, y_labeled, candidates, X_eval, loss):
    """Refit a clone for every candidate and label, the textbook way."""
    losses = []
    for x in candidates:
        proba = model.predict_proba(x[None])[0]
        total = 0.0
        for p, label in zip(proba, model.classes_):
            refit = clone(model).fit(
                np.vstack([X_labeled, x]), np.append(y_labeled, label)
            )
            q = refit.predict_proba(X_eval)
            if loss == "log_loss":
                pool_loss = -xlogy(q, q).sum(axis=1).mean()
            else:
                pool_loss = (1 - q.max(axis=1)).mean()
            total += p * pool_loss
        losses.append(total)
    return np.asarray(losses)


@pytest.mark.parametrize("loss", ["log_loss", "zero_one"])
def test_expected_error_reduction_matches_a_direct_computation(loss):
    X, y = load_iris(return_X_y=True)
    labeled = np.arange(0, 150, 15)
    pool = np.setdiff1d(np.arange(150), labeled)[::10]  # 14 samples
    model = LogisticRegression(max_iter=1000).fit(X[labeled], y[labeled])
    strategy = ExpectedErrorReduction(model, loss=loss, retrain="refit")
    losses = strategy._expected_losses(model, X[pool], X[pool], X[labeled], y[labeled])
    direct = _direct_expected_losses(
        model, X[labeled], y[labeled], X[pool], X[pool], loss
    )
    np.testing.assert_allclose(losses, direct, rtol=1e-10)
    ranking = strategy.query(
        X[pool], 14, X_labeled=X[labeled], y_labeled=y[labeled], random_state=0
    )
    np.testing.assert_array_equal(ranking, np.argsort(direct, kind="stable"))


def test_partial_fit_is_the_exact_refit_for_naive_bayes():
    X, y = load_iris(return_X_y=True)
    labeled = np.arange(0, 150, 10)
    pool = np.arange(3, 150, 7)
    model = MultinomialNB().fit(X[labeled], y[labeled])
    args = (model, X[pool], X[pool], X[labeled], y[labeled])
    assert _retraining(model, "auto") == "partial_fit"
    incremental = ExpectedErrorReduction(retrain="partial_fit")._expected_losses(*args)
    refit = ExpectedErrorReduction(retrain="refit")._expected_losses(*args)
    np.testing.assert_allclose(incremental, refit, rtol=1e-9)


def test_warm_start_converges_to_the_refit_and_auto_chooses_by_capability():
    X, y = load_iris(return_X_y=True)
    labeled = np.arange(0, 150, 10)
    pool = np.arange(3, 150, 9)
    model = LogisticRegression(tol=1e-10, max_iter=5000).fit(X[labeled], y[labeled])
    args = (model, X[pool], X[pool], X[labeled], y[labeled])
    assert _retraining(model, "auto") == "warm_start"
    warm = ExpectedErrorReduction(retrain="warm_start")._expected_losses(*args)
    refit = ExpectedErrorReduction(retrain="refit")._expected_losses(*args)
    np.testing.assert_allclose(warm, refit, rtol=1e-4)
    assert model.warm_start is False  # the fitted model is never touched
    sgd = SGDClassifier(loss="log_loss", random_state=0).fit(X[labeled], y[labeled])
    assert _retraining(sgd, "auto") == "partial_fit"
    forest = RandomForestClassifier(n_estimators=3).fit(X[labeled], y[labeled])
    assert _retraining(forest, "auto") == "refit"  # warm_start adds trees there
    pipeline = make_pipeline(
        StandardScaler(), LogisticRegression(tol=1e-10, max_iter=5000)
    )
    pipeline.fit(X[labeled], y[labeled])
    assert _retraining(pipeline, "auto") == "warm_start"
    args = (pipeline, X[pool[:6]], X[pool], X[labeled], y[labeled])
    warm = ExpectedErrorReduction(retrain="warm_start")._expected_losses(*args)
    refit = ExpectedErrorReduction(retrain="refit")._expected_losses(*args)
    np.testing.assert_allclose(warm, refit, rtol=1e-4)
    assert pipeline[-1].warm_start is False


def test_subsampling_is_seeded_and_parallel_runs_agree():
    X, y = load_iris(return_X_y=True)
    labeled = np.arange(0, 150, 10)
    pool = np.setdiff1d(np.arange(150), labeled)
    model = LogisticRegression(max_iter=1000).fit(X[labeled], y[labeled])

    def picks(**params):
        return ExpectedErrorReduction(model, n_eval=40, **params).query(
            X[pool],
            5,
            X_labeled=X[labeled],
            y_labeled=y[labeled],
            random_state=0,
        )

    drawn = np.random.RandomState(0).choice(pool.shape[0], 5, replace=False)
    np.testing.assert_array_equal(np.sort(picks(n_candidates=5)), np.sort(drawn))
    np.testing.assert_array_equal(picks(n_candidates=12), picks(n_candidates=12))
    np.testing.assert_array_equal(
        picks(n_candidates=12), picks(n_candidates=12, n_jobs=2)
    )
    # At least n_samples candidates, even when fewer are asked for.
    assert np.unique(picks(n_candidates=2)).shape == (5,)


def test_bad_inputs_name_the_argument():
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=1000).fit(X[::10], y[::10])
    with pytest.raises(ValueError, match="y_labeled"):
        ExpectedErrorReduction(model).query(X, 3, X_labeled=X[::10])
    with pytest.raises(ValueError, match="y_labeled must hold one label"):
        ExpectedErrorReduction(model).query(X, 3, X_labeled=X[::10], y_labeled=y[::5])
    with pytest.raises(TypeError, match="retrain='partial_fit'"):
        ExpectedErrorReduction(model, retrain="partial_fit").query(
            X, 3, X_labeled=X[::10], y_labeled=y[::10]
        )
    forest = RandomForestClassifier(n_estimators=3).fit(X[::10], y[::10])
    with pytest.raises(TypeError, match="retrain='warm_start'"):
        ExpectedErrorReduction(forest, retrain="warm_start").query(
            X, 3, X_labeled=X[::10], y_labeled=y[::10]
        )
    for params, name in (({"loss": "hinge"}, "loss"), ({"n_eval": 0}, "n_eval")):
        with pytest.raises(ValueError, match=name):
            ExpectedErrorReduction(model, **params).query(
                X, 3, X_labeled=X[::10], y_labeled=y[::10]
            )


def test_learner_runs_expected_error_reduction_in_both_modes():
    X, y = load_iris(return_X_y=True)
    strategy = ExpectedErrorReduction(n_candidates=15, n_eval=40)
    learner = ActiveLearner(
        LogisticRegression(max_iter=1000),
        strategy,
        budget=30,
        batch_size=5,
        random_state=0,
    ).fit(X, y)
    assert learner.labeled_indices_.shape == (30,)
    assert np.unique(learner.labeled_indices_).shape == (30,)
    assert learner.score(X, y) > 0.8
    manual = ActiveLearner(
        LogisticRegression(max_iter=1000), strategy, random_state=0
    ).fit(X[::10], y[::10])
    picked = manual.query(X, batch_size=4)
    assert np.unique(picked).shape == (4,)
    manual.teach(X[picked], y[picked])
    assert manual.y_labeled_.shape == (19,)


def test_a_verbose_expected_error_reduction_shows_its_progress(capsys):
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=300).fit(X[::10], y[::10])
    quiet = ExpectedErrorReduction(model, n_candidates=12, n_eval=30)
    loud = ExpectedErrorReduction(model, n_candidates=12, n_eval=30, verbose=1)
    kwargs = {"X_labeled": X[::10], "y_labeled": y[::10], "random_state": 0}
    picked = quiet.query(X, 3, **kwargs)
    assert capsys.readouterr().err == ""
    np.testing.assert_array_equal(loud.query(X, 3, **kwargs), picked)
    assert "candidate blocks" in capsys.readouterr().err

"""FunctionStrategy, and what code written for modAL meets: its query
functions as strategies, a regressor in the classifier's learner, a multilabel
model under single-label uncertainty."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, make_blobs, make_multilabel_classification
from sklearn.gaussian_process import GaussianProcessClassifier, GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, WhiteKernel
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.svm import SVC

from skactive import ActiveLearner, ActiveRegressor
from skactive.strategies import FunctionStrategy, UncertaintySampling


# modAL's examples/active_regression.py, its query function as written there.
def GP_regression_std(regressor, X):
    _, std = regressor.predict(X, return_std=True)
    query_idx = np.argmax(std)
    return query_idx, X[query_idx]


def multi_argmax(values, n_instances=1):  # modAL.utils.selection's, in numpy
    return np.argsort(-values, kind="stable")[:n_instances]


# modAL's examples/custom_query_strategies.py: a function of (classifier, X,
# n_instances); its utility here is modAL's classifier_uncertainty.
def custom_query_strategy(classifier, X, n_instances=1):
    utility = 1 - np.max(classifier.predict_proba(X), axis=1)
    return multi_argmax(utility, n_instances=n_instances)


def _gp_data():
    rng = np.random.RandomState(0)
    X = rng.choice(np.linspace(0, 20, 10000), size=200, replace=False).reshape(-1, 1)
    y = np.sin(X).ravel() + rng.normal(scale=0.3, size=200)
    return X, y


def test_modals_regression_example_runs_with_its_own_query_function():
    X, y = _gp_data()
    kernel = RBF(length_scale=1.0, length_scale_bounds=(1e-2, 1e3)) + WhiteKernel(
        noise_level=1, noise_level_bounds=(1e-10, 1e1)
    )
    regressor = ActiveRegressor(
        GaussianProcessRegressor(kernel=kernel),
        query_strategy=GP_regression_std,
        batch_size=1,
        random_state=0,
    )
    initial = np.random.RandomState(1).choice(200, size=3, replace=False)
    regressor.fit(X[initial], y[initial])
    for _ in range(5):
        query_idx = regressor.query(X)
        _, std = regressor.estimator_.predict(X, return_std=True)
        assert query_idx.tolist() == [int(np.argmax(std))]
        regressor.teach(X[query_idx].reshape(1, -1), y[query_idx])
    assert regressor.n_rounds_ == 5 and regressor.X_labeled_.shape == (8, 1)


def test_a_regressor_in_active_learner_names_active_regressor():
    X, y = _gp_data()
    with pytest.raises(TypeError, match="ActiveRegressor"):
        ActiveLearner(GaussianProcessRegressor()).fit(X[:10], y[:10])
    learner = ActiveLearner(GaussianProcessRegressor())
    assert learner.__sklearn_tags__().classifier_tags is not None  # no crash


def test_modals_custom_query_function_serves_active_learner():
    centers = np.asarray([[-2, 3], [0.5, 5], [1, 1.5]])
    X, y = make_blobs(
        n_features=2, n_samples=300, random_state=0, cluster_std=0.7, centers=centers
    )
    learner = ActiveLearner(
        GaussianProcessClassifier(1.0 * RBF(1.0)),
        query_strategy=custom_query_strategy,
        batch_size=2,
        random_state=0,
    )
    learner.fit(X[:20], y[:20])
    for _ in range(3):
        query_idx = learner.query(X)
        expected = custom_query_strategy(learner.estimator_, X, n_instances=2)
        np.testing.assert_array_equal(query_idx, expected)
        assert query_idx.dtype == np.int64
        learner.teach(X[query_idx], y[query_idx])
    assert learner.X_labeled_.shape == (26, 2)
    # A simulation too, with the function wrapped once per public call.
    simulated = ActiveLearner(
        LogisticRegression(), custom_query_strategy, budget=30, random_state=0
    ).fit(X, y)
    assert simulated.labeled_indices_.shape == (30,)


def test_a_function_of_probabilities_scores_like_uncertainty_sampling():
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(X[::10], y[::10])
    wrapped = FunctionStrategy(lambda proba: 1 - proba.max(axis=1))
    reference = UncertaintySampling(acquisition_fn="least_confidence")
    np.testing.assert_array_equal(
        wrapped.select(model, X, 7, random_state=0),
        reference.select(model, X, 7, random_state=0),
    )
    assert wrapped._reads() == "proba"
    assert FunctionStrategy(custom_query_strategy)._reads() == "model"
    assert FunctionStrategy(np.max, takes="proba")._reads() == "proba"
    clone(wrapped)  # an estimator like any other


def test_bad_query_functions_are_refused_clearly():
    X, y = load_iris(return_X_y=True)

    def one_position(classifier, X):  # ignores the batch size, as modAL's may
        return np.argmax(classifier.predict_proba(X)[:, 0]), None

    learner = ActiveLearner(
        LogisticRegression(max_iter=500), one_position, batch_size=3
    ).fit(X[::10], y[::10])
    with pytest.raises(ValueError, match=r"returned 1 position\(s\) for a batch of 3"):
        learner.query(X)
    learner.set_params(query_strategy=lambda model, X: np.array([0, 0, 1]))
    with pytest.raises(ValueError, match="unique integer positions"):
        learner.query(X)
    learner.set_params(query_strategy="margin")
    with pytest.raises(ValueError, match="query_strategy"):
        learner.fit(X[::10], y[::10])
    with pytest.raises(ValueError, match="function"):
        FunctionStrategy().select(learner.estimator_, X, 3)
    with pytest.raises(ValueError, match="takes"):
        FunctionStrategy(np.max, takes="labels").select(learner.estimator_, X, 3)


def test_single_label_uncertainty_on_a_multilabel_model_names_the_multilabel_ones():
    # modAL's examples/multilabel_svm.py model.
    X, Y = make_multilabel_classification(200, n_classes=2, random_state=0)
    model = OneVsRestClassifier(SVC(probability=True)).fit(X[:50], Y[:50])
    with pytest.raises(ValueError, match="use MultilabelUncertainty"):
        UncertaintySampling(model).query(X[50:])

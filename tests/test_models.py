"""Model capabilities: predict_proba over every kind of model skactive accepts."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC
from skorch import NeuralNetClassifier

from skactive.models import predict_proba


@pytest.fixture
def blobs3():
    return make_blobs(n_samples=60, centers=3, n_features=4, random_state=0)


def test_sklearn_classifiers_and_pipelines(blobs3):
    X, y = blobs3
    for model in (
        LogisticRegression(),
        make_pipeline(StandardScaler(), LogisticRegression()),
    ):
        model.fit(X, y)
        np.testing.assert_array_equal(predict_proba(model, X), model.predict_proba(X))


class _TupleModule(torch.nn.Module):
    """Returns (logits, extra), as some modules do."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(4, 3)
        self.dropout = torch.nn.Dropout(0.5)

    def forward(self, X):
        return self.linear(self.dropout(X)), X


def test_a_module_is_run_in_eval_mode_without_gradients(blobs3):
    X, _ = blobs3
    torch.manual_seed(0)
    module = _TupleModule().train()
    first = predict_proba(module, X)
    second = predict_proba(module, torch.as_tensor(X, dtype=torch.float32))
    np.testing.assert_array_equal(first, second)  # dropout off: deterministic
    assert first.dtype == np.float32
    np.testing.assert_allclose(first.sum(axis=1), 1.0, rtol=1e-6)
    assert module.training
    with torch.no_grad():
        expected = torch.softmax(module.linear(torch.as_tensor(X).float()), dim=1)
    np.testing.assert_allclose(first, expected.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(predict_proba(module, sp.csr_matrix(X)), first)


def test_a_skorch_net_gets_float32_input(blobs3):
    X, y = blobs3
    torch.manual_seed(0)
    net = NeuralNetClassifier(
        torch.nn.Linear,
        module__in_features=4,
        module__out_features=3,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=2,
        train_split=None,
    ).fit(X.astype(np.float32), y)
    np.testing.assert_array_equal(
        predict_proba(net, X), net.predict_proba(X.astype(np.float32))
    )


@pytest.mark.parametrize("model", [LinearSVC(), SVC()])
def test_no_predict_proba_is_a_type_error_naming_the_fix(blobs3, model):
    X, y = blobs3
    model.fit(X, y)
    with pytest.raises(
        TypeError, match=rf"{type(model).__name__} has no predict_proba"
    ):
        predict_proba(model, X)
    with pytest.raises(TypeError, match=r"CalibratedClassifierCV.*probability=True"):
        predict_proba(model, X)


# -- predict_proba_samples: committees, ensembles, lists ----------------------


def test_forest_samples_are_its_trees_and_their_mean_its_proba(blobs3):
    from sklearn.ensemble import RandomForestClassifier

    from skactive.models import predict_proba_samples

    X, y = blobs3
    labels = np.array(["a", "b", "c"])[y]
    forest = RandomForestClassifier(n_estimators=4, max_depth=2, random_state=0)
    forest.fit(X, labels)
    samples = predict_proba_samples(forest, X)
    assert samples.shape == (4, 60, 3)
    by_hand = np.stack([tree.predict_proba(X) for tree in forest.estimators_])
    np.testing.assert_allclose(samples, by_hand)
    np.testing.assert_allclose(samples.mean(0), forest.predict_proba(X))


def test_bagging_members_get_their_feature_subsets_and_aligned_columns(blobs3):
    from sklearn.ensemble import BaggingClassifier
    from sklearn.neighbors import KNeighborsClassifier

    from skactive.models import predict_proba_samples

    X, y = blobs3
    # Few rows per member (drawn as rows, as k-NN takes no sample_weight), so
    # some members miss a class; the labels are not 0..C-1.
    bagging = BaggingClassifier(
        KNeighborsClassifier(n_neighbors=1),
        n_estimators=6,
        max_samples=4,
        max_features=0.5,
        random_state=0,
    ).fit(X, y + 10)
    assert any(len(m.classes_) < 3 for m in bagging.estimators_)
    samples = predict_proba_samples(bagging, X)
    np.testing.assert_allclose(samples.sum(-1), 1)
    np.testing.assert_allclose(samples.mean(0), bagging.predict_proba(X))


def test_a_list_of_models_aligns_columns_on_the_union_of_classes(blobs3):
    from sklearn.svm import LinearSVC

    from skactive.models import predict_proba_samples

    X, y = blobs3
    first = LogisticRegression().fit(X[y != 2], y[y != 2])  # classes 0, 1
    second = LogisticRegression().fit(X[y != 0], y[y != 0])  # classes 1, 2
    voter = LinearSVC().fit(X, y)  # no predict_proba: a one-hot vote
    samples = predict_proba_samples([first, second, voter], X)
    assert samples.shape == (3, 60, 3)
    np.testing.assert_allclose(samples[0][:, :2], first.predict_proba(X))
    np.testing.assert_array_equal(samples[0][:, 2], 0)
    np.testing.assert_allclose(samples[1][:, 1:], second.predict_proba(X))
    np.testing.assert_array_equal(samples[1][:, 0], 0)
    np.testing.assert_array_equal(samples[2].argmax(1), voter.predict(X))
    np.testing.assert_array_equal(samples[2].sum(1), 1)


def test_a_class_defining_predict_proba_samples_is_used_as_it_is(blobs3):
    from skactive.models import predict_proba_samples

    class Mine:
        def predict_proba_samples(self, X, n_samples=None, random_state=None):
            return np.full((n_samples or 2, len(X), 2), 0.5)

    X, _ = blobs3
    assert predict_proba_samples(Mine(), X, n_samples=3).shape == (3, 60, 2)


@pytest.mark.parametrize("model", [LogisticRegression(), SVC()])
def test_a_single_model_gets_a_type_error_naming_what_gives_samples(blobs3, model):
    from skactive.models import predict_proba_samples

    X, y = blobs3
    model.fit(X, y)
    with pytest.raises(TypeError, match=r"MCDropout.*Committee.*RandomForest"):
        predict_proba_samples(model, X)


def test_gradient_boosting_is_not_mistaken_for_a_committee(blobs3):
    from sklearn.ensemble import GradientBoostingClassifier

    from skactive.models import predict_proba_samples

    X, y = blobs3
    model = GradientBoostingClassifier(n_estimators=3).fit(X, y)
    with pytest.raises(TypeError, match="Committee"):
        predict_proba_samples(model, X)


@pytest.mark.parametrize("n_samples", [0, -1, 2.5, True])
def test_bad_sample_counts_are_rejected(blobs3, n_samples):
    from sklearn.ensemble import RandomForestClassifier

    from skactive.models import predict_proba_samples

    X, y = blobs3
    forest = RandomForestClassifier(n_estimators=2).fit(X, y)
    with pytest.raises((TypeError, ValueError), match="n_samples"):
        predict_proba_samples(forest, X, n_samples=n_samples)


def test_voting_members_that_are_pipelines_are_not_unpacked(blobs3):
    from sklearn.ensemble import VotingClassifier

    from skactive.models import predict_proba_samples

    X, y = blobs3
    voting = VotingClassifier(
        [
            ("scaled", make_pipeline(StandardScaler(), LogisticRegression())),
            ("strong", make_pipeline(StandardScaler(), LogisticRegression(C=0.01))),
        ],
        voting="soft",
    ).fit(X, y + 5)
    samples = predict_proba_samples(voting, X)
    assert samples.shape == (2, 60, 3)
    np.testing.assert_allclose(samples.mean(0), voting.predict_proba(X))

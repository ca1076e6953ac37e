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

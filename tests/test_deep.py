"""modAL's MC-dropout CNN example, run with only its imports changed.

The example (modAL's examples/pytorch_mc_dropout.py) loads MNIST with
torchvision; nothing can be downloaded here, so scikit-learn's 8 x 8 digits
stand in, and the network's flattened size follows (2 x 2 x 64 instead of
12 x 12 x 64). Every other line is the example's.
"""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from skorch import NeuralNetClassifier
from torch import nn

# The example's imports, changed from modAL to skactive:
from skactive import DeepActiveLearner, mc_dropout_bald


class Torch_Model(nn.Module):
    def __init__(
        self,
    ):
        super(Torch_Model, self).__init__()  # noqa: UP008 - the example's code
        self.convs = nn.Sequential(
            nn.Conv2d(1, 32, 3),
            nn.ReLU(),
            nn.Conv2d(32, 64, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Dropout(0.25),
        )
        self.fcs = nn.Sequential(
            nn.Linear(2 * 2 * 64, 128),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(128, 10),
        )

    def forward(self, x):
        out = x
        out = self.convs(out)
        out = out.view(-1, 2 * 2 * 64)
        out = self.fcs(out)
        return out


def _digits_as_tensors():
    """What the example's MNIST DataLoader gives: float images and labels."""
    X, y = load_digits(return_X_y=True)
    X = torch.from_numpy((X / 16).astype(np.float32)).reshape(-1, 1, 8, 8)
    return X, torch.from_numpy(y)


def test_modals_mc_dropout_example_runs_with_only_the_imports_changed(capsys):
    torch_model = Torch_Model()
    layer_list = list(torch_model.modules())
    device = "cuda" if torch.cuda.is_available() else "cpu"
    classifier = NeuralNetClassifier(
        Torch_Model,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        train_split=None,
        verbose=1,
        device=device,
    )
    X, y = _digits_as_tensors()
    X_train, X_test, y_train, y_test = X[:1400], X[1400:], y[:1400], y[1400:]
    n_initial = 100
    initial_idx = np.random.choice(range(len(X_train)), size=n_initial, replace=False)
    X_initial = X_train[initial_idx]
    y_initial = y_train[initial_idx]
    X_pool = np.delete(X_train, initial_idx, axis=0)[:1000]
    y_pool = np.delete(y_train, initial_idx, axis=0)[:1000]
    learner = DeepActiveLearner(
        estimator=classifier,
        query_strategy=mc_dropout_bald,
    )
    learner.teach(X_initial, y_initial)
    print("Score from sklearn: {}".format(learner.score(X_pool, y_pool)))  # noqa: UP032
    n_queries = 3
    X_teach = X_initial
    y_teach = y_initial
    scores = []
    for idx in range(n_queries):
        print("Query no. %d" % (idx + 1))  # noqa: UP031 - the example's code
        query_idx, metric_values = learner.query(
            X_pool, n_instances=100, dropout_layer_indexes=[7, 11], num_cycles=10
        )
        X_teach = torch.cat((X_teach, X_pool[query_idx]))
        y_teach = torch.cat((y_teach, y_pool[query_idx]))
        learner.teach(X_teach, y_teach)
        X_pool = np.delete(X_pool, query_idx, axis=0)
        y_pool = np.delete(y_pool, query_idx, axis=0)
        scores.append(learner.score(X_test, y_test))
        print("Model score: {}".format(scores[-1]))  # noqa: UP032
        assert query_idx.shape == (100,) and np.unique(query_idx).shape == (100,)
        assert (np.diff(metric_values) <= 0).all()  # most informative first
    assert [type(m).__name__ for m in (layer_list[7], layer_list[11])] == [
        "Dropout",
        "Dropout",
    ]
    assert len(X_teach) == n_initial + 300
    assert scores[-1] > 0.5
    assert capsys.readouterr().out.count("Model score") == 3


def test_mc_dropout_bald_is_seeded_and_checks_its_layers():
    X, y = _digits_as_tensors()
    net = NeuralNetClassifier(
        Torch_Model,
        criterion=torch.nn.CrossEntropyLoss,
        train_split=None,
        max_epochs=2,
        verbose=0,
    )
    learner = DeepActiveLearner(net).teach(X[:200], y[:200])
    first = mc_dropout_bald(learner, X[200:], 20, num_cycles=8, random_state=0)
    again = mc_dropout_bald(learner, X[200:], 20, num_cycles=8, random_state=0)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_allclose(first[1], again[1])
    with pytest.raises(ValueError, match="not a dropout layer"):
        mc_dropout_bald(learner, X[200:], 5, dropout_layer_indexes=[2])
    with pytest.raises(ValueError, match="n_instances"):
        mc_dropout_bald(learner, X[200:], 0)

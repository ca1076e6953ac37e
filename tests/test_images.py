"""Image-shaped inputs: arrays and tensors of shape (n, C, H, W) through the
learner, a skorch CNN and TorchCNNClassifier, and MC dropout on chosen layers."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from skorch import NeuralNetClassifier
from torch import nn

from skactive import ActiveLearner
from skactive.models import predict_proba_samples
from skactive.nets import MCDropout, TorchCNNClassifier
from skactive.strategies import (
    BADGE,
    BALD,
    BatchBALD,
    CoreSet,
    QueryByCommittee,
    RandomSampling,
    UncertaintySampling,
)


class SmallCNN(nn.Module):
    """modAL's MC-dropout CNN, sized for 8 x 8 digits."""

    def __init__(self):
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv2d(1, 16, 3),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Dropout(0.25),
        )
        self.fcs = nn.Sequential(
            nn.Linear(2 * 2 * 32, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 10)
        )

    def forward(self, x):
        return self.fcs(self.convs(x).reshape(x.shape[0], -1))


@pytest.fixture(scope="module")
def images():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32).reshape(-1, 1, 8, 8), y


def _skorch_cnn():
    return NeuralNetClassifier(
        SmallCNN,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=0.01,
        max_epochs=15,
        train_split=None,
        verbose=0,
    )


@pytest.mark.parametrize(
    "strategy",
    [
        UncertaintySampling(),
        BALD(),
        BatchBALD(),
        QueryByCommittee(),
        CoreSet(),
        BADGE(),
        RandomSampling(),
    ],
    ids=repr,
)
def test_a_skorch_cnn_learns_from_image_shaped_pools(images, strategy):
    X, y = images
    learner = ActiveLearner(
        _skorch_cnn(), strategy, budget=60, batch_size=20, random_state=0
    ).fit(X[:600], y[:600])
    assert learner.X_labeled_.shape == (60, 1, 8, 8)
    assert learner.input_shape_ == (1, 8, 8) and learner.n_features_in_ == 64
    assert np.unique(learner.labeled_indices_).shape == (60,)
    assert learner.predict_proba(X[600:610]).shape == (10, 10)


def test_the_hand_loop_takes_tensors_and_checks_shapes(images):
    X, y = images
    learner = ActiveLearner(_skorch_cnn(), BALD(), random_state=0)
    learner.fit(torch.from_numpy(X[:50]), torch.from_numpy(y[:50]))
    picked = learner.query(X[50:], batch_size=10)
    np.testing.assert_array_equal(learner.query(X[50:], batch_size=10), picked)
    again = pickle.loads(pickle.dumps(learner))
    np.testing.assert_array_equal(again.query(X[50:], batch_size=10), picked)
    learner.teach(torch.from_numpy(X[50:][picked]), torch.from_numpy(y[50:][picked]))
    assert learner.X_labeled_.shape == (60, 1, 8, 8)
    before = pickle.dumps(learner)
    with pytest.raises(ValueError, match=r"samples of shape \(1, 4, 16\)"):
        learner.query(X.reshape(-1, 1, 4, 16))
    with pytest.raises(ValueError, match="is 2-D"):
        learner.teach(X[:2].reshape(2, 64), y[:2])
    assert pickle.dumps(learner) == before


def test_the_cnn_classifier_reads_images_and_rows(images):
    X, y = images
    cnn = TorchCNNClassifier(dropout=0.3, max_epochs=30, random_state=0)
    cnn.fit(X[:1200], y[:1200])
    assert cnn.input_shape_ == (1, 8, 8)
    assert cnn.score(X[1200:], y[1200:]) > 0.85
    samples = predict_proba_samples(cnn, X[1200:1210], 5, 0)
    assert samples.shape == (5, 10, 10) and samples.std(axis=0).max() > 0
    flat = TorchCNNClassifier(max_epochs=5, random_state=0).fit(X[:100, 0], y[:100])
    assert flat.input_shape_ == (8, 8)  # (n, H, W): one channel
    with pytest.raises(ValueError, match="channels must hold positive"):
        TorchCNNClassifier(channels=(0,)).fit(X[:20], y[:20])
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(1, 8, 8\)"):
        cnn.predict(X[:3].reshape(3, 64))


def test_mc_dropout_samples_only_the_layers_it_is_told(images):
    X, y = images
    net = _skorch_cnn().fit(X[:300], y[:300])
    modules = list(net.module_.modules())
    indexes = [i for i, m in enumerate(modules) if isinstance(m, nn.Dropout)]
    assert len(indexes) == 2
    both = MCDropout(net, 8, random_state=0).predict_proba_samples(X[300:320])
    second = MCDropout(net, 8, random_state=0, dropout_layers=[indexes[1]])
    by_name = MCDropout(net, 8, random_state=0, dropout_layers=["fcs.2"])
    np.testing.assert_array_equal(
        second.predict_proba_samples(X[300:320]),
        by_name.predict_proba_samples(X[300:320]),
    )
    assert second.predict_proba_samples(X[300:320]).std(axis=0).max() > 0
    assert not np.allclose(both, second.predict_proba_samples(X[300:320]))
    with pytest.raises(ValueError, match="not a dropout layer"):
        MCDropout(net, 4, dropout_layers=[0]).predict_proba_samples(X[:5])

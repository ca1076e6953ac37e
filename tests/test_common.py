"""scikit-learn's estimator checks over every skactive estimator, with no waivers."""

import torch
from sklearn.utils.estimator_checks import parametrize_with_checks

from skactive.nets import NetClassifier, TorchMLPClassifier


class TwoLayerNet(torch.nn.Module):
    """A user's module: sized by the two names NetClassifier passes."""

    def __init__(self, n_features_in, n_classes, width=16):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Linear(n_features_in, width), torch.nn.Tanh()
        )
        self.out = torch.nn.Linear(width, n_classes)

    def forward(self, X):
        return self.out(self.body(X))


ESTIMATORS = [
    TorchMLPClassifier(),
    NetClassifier(TwoLayerNet, lr=0.01, module__width=32),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)

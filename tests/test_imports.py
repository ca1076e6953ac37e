"""Import cost: torch and skorch are imported only by code that uses a net or a
tensor, and the package's names are imported on first use (PEP 562)."""

import json
import subprocess
import sys

import pytest

import skactive

HEAVY = ("torch", "skorch", "sklearn.ensemble", "sklearn.linear_model")


def _loaded_after(code, modules=HEAVY):
    """Which of ``modules`` a fresh interpreter has imported after ``code``."""
    loaded = f"[m for m in {modules!r} if m in sys.modules]"
    report = f"import json, sys; print(json.dumps({loaded}))"
    script = f"{code}\n{report}"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_skactive_imports_none_of_the_heavy_modules():
    assert _loaded_after("import skactive") == []


def test_importing_the_learner_and_strategies_imports_none_of_them():
    code = "from skactive import ActiveLearner, UncertaintySampling, Committee"
    assert _loaded_after(f"{code}\nimport skactive.strategies") == []


def test_a_scikit_learn_user_never_imports_torch():
    # (A DecisionTreeClassifier imports sklearn.linear_model itself.)
    code = """
import numpy as np
from sklearn.tree import DecisionTreeClassifier
from skactive import ActiveLearner, Committee, UncertaintySampling, RandomSampling
from skactive.strategies import BALD, CoreSet, KMeansSampling
from skactive.models import predict_proba, predict_proba_samples
X = np.random.default_rng(0).normal(size=(150, 4))
y = np.repeat([0, 1, 2], 50)
learner = ActiveLearner(DecisionTreeClassifier(random_state=0),
                        query_strategy=UncertaintySampling(), random_state=0)
learner.fit(X[::10], y[::10])
assert learner.query(X, batch_size=3).shape == (3,)
CoreSet().select(learner.estimator_, X, 2, X_labeled=X[::10], random_state=0)
committee = Committee([DecisionTreeClassifier(), DecisionTreeClassifier()]).fit(X, y)
BALD().select(committee, X, 2, random_state=0)
"""
    assert _loaded_after(code, ("torch", "skorch")) == []


def test_the_nets_still_import_torch_when_used():
    assert _loaded_after("from skactive import TorchMLPClassifier") == [
        "torch",
        "skorch",
    ]


def test_the_default_estimator_is_imported_when_the_learner_uses_it():
    code = "from skactive import ActiveLearner\nActiveLearner().__sklearn_tags__()"
    assert "torch" in _loaded_after(code)


def test_every_exported_name_resolves_to_its_module_object():
    import importlib

    for name, module in skactive._EXPORTS.items():
        assert getattr(skactive, name) is getattr(importlib.import_module(module), name)
    assert set(skactive.__all__) == {*skactive._EXPORTS, "__version__"}
    assert set(skactive.__all__) <= set(dir(skactive))


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'ActiveLerner'"):
        skactive.ActiveLerner


def test_star_import_gives_every_public_name():
    namespace = {}
    exec("from skactive import *", namespace)
    assert {"ActiveLearner", "TorchMLPClassifier", "bald_acquisition"} <= set(namespace)

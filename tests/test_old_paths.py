"""Issue 30, points 9 and 10: modules moved to rooms that say what they hold;
the old import paths still name the same objects (users' code and pickles)."""

import importlib
import pickle
import subprocess
import sys

import pytest

MOVED = [
    ("skactive.committee", "Committee", "skactive.models"),
    ("skactive.committee", "CommitteeRegressor", "skactive.models"),
    ("skactive.deep", "DeepActiveLearner", "skactive.modal_compat"),
    ("skactive.deep", "mc_dropout_bald", "skactive.modal_compat"),
    ("skactive.labeling", "find_label_issues", "skactive.label_issues"),
    ("skactive.labeling", "SimulatedOracle", "skactive.oracle"),
    ("skactive.strategies.bayesian", "QueryByCommittee", "skactive.strategies"),
    ("skactive.strategies.committee", "QueryByCommittee", "skactive.strategies"),
]


@pytest.mark.parametrize(("old", "name", "new"), MOVED)
def test_old_path_names_the_same_object(old, name, new):
    moved = getattr(importlib.import_module(new), name)
    assert getattr(importlib.import_module(old), name) is moved


def test_a_missing_name_on_the_old_bayesian_path_is_an_attribute_error():
    bayesian = importlib.import_module("skactive.strategies.bayesian")
    with pytest.raises(AttributeError, match="NoSuchStrategy"):
        bayesian.NoSuchStrategy


def test_label_issues_no_longer_reexports_the_oracle():
    """One room per subject: the label-issue finder holds the finder only."""
    import skactive.label_issues as label_issues

    assert label_issues.__all__ == ["find_label_issues"]
    assert not hasattr(label_issues, "SimulatedOracle")


def test_a_committee_pickled_by_its_old_path_loads():
    from sklearn.linear_model import LogisticRegression

    from skactive.committee import Committee

    committee = Committee([LogisticRegression()] * 2, random_state=0)
    committee.fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    loaded = pickle.loads(pickle.dumps(committee))
    assert type(loaded).__module__ == "skactive.models._committee"
    assert loaded.predict([[0.0], [3.0]]).tolist() == [0, 1]


def test_python_dash_m_skactive_still_runs_the_command_line():
    done = subprocess.run(
        [sys.executable, "-m", "skactive", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert "demo" in done.stdout and "label" in done.stdout

"""skactive.plotting: the learning-curve display."""

import sys

import numpy as np
import pytest

from skactive.evaluation import LearningCurveResult
from skactive.plotting import ActiveLearningCurveDisplay

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture
def result():
    return LearningCurveResult(
        [10, 20, 30],
        {
            "random": [[0.5, 0.6, 0.7], [0.3, 0.6, 0.9]],
            "margin": [[0.6, 0.8, 0.9], [0.6, 0.7, 0.9]],
        },
        scoring="balanced_accuracy",
    )


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_from_result_draws_mean_curves_bands_and_labels(result):
    display = ActiveLearningCurveDisplay.from_result(result)
    assert display.figure_ is display.ax_.figure
    assert list(display.lines_) == ["random", "margin"]
    for name, line in display.lines_.items():
        np.testing.assert_array_equal(line.get_xdata(), [10, 20, 30])
        np.testing.assert_allclose(line.get_ydata(), result.scores[name].mean(axis=0))
    assert display.lines_["random"].get_linestyle() == "--"
    assert display.lines_["margin"].get_linestyle() == "-"
    # The band spans mean ± std: random is 0.4 ± 0.1, 0.6 ± 0, 0.8 ± 0.1.
    band = display.bands_["random"].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(0.3)
    assert band[:, 1].max() == pytest.approx(0.9)
    assert display.ax_.get_xlabel() == "Number of labeled samples"
    assert display.ax_.get_ylabel() == "Test balanced_accuracy"
    labels = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert labels == ["random", "margin"]


def test_plot_on_given_axes_without_bands(result):
    _, ax = plt.subplots()
    display = ActiveLearningCurveDisplay(
        result.n_labels, result.scores, baseline="margin"
    ).plot(ax=ax, std=False, title="t", line_kw={"linewidth": 3})
    assert display.ax_ is ax and display.bands_ == {}
    assert ax.get_title() == "t"
    assert display.lines_["margin"].get_linestyle() == "--"
    assert display.lines_["random"].get_linewidth() == 3


def test_a_single_repeat_has_no_band(result):
    display = ActiveLearningCurveDisplay([1, 2], {"random": [0.1, 0.2]}).plot()
    assert display.bands_ == {}
    np.testing.assert_allclose(display.lines_["random"].get_ydata(), [0.1, 0.2])


def test_result_plot_is_the_display(result):
    display = result.plot(std=False)
    assert isinstance(display, ActiveLearningCurveDisplay)
    assert display.bands_ == {}


def test_missing_matplotlib_names_the_extra(result, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'skactive\[plot\]'"):
        ActiveLearningCurveDisplay.from_result(result)

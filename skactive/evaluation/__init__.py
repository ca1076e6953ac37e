"""Measuring active learning against random sampling on the same data.

:func:`active_learning_curve` runs the learner's simulation for several query
strategies and repeats (random sampling always among them, as the baseline) and
scores each round's model on a test set. The summaries answer the two questions
a user asks:

* how good is a strategy over the whole labeling budget? :func:`aulc`, the area
  under the learning curve, normalized to the label range (the mean score over
  it);
* how many labels does it save? :func:`labels_to_reach` a target score, and
  :func:`reduction_ratio`: the labels random sampling needs divided by the
  labels the strategy needs.
"""

from skactive.evaluation._curve import active_learning_curve
from skactive.evaluation._metrics import aulc, labels_to_reach, reduction_ratio
from skactive.evaluation._result import LearningCurveResult

__all__ = [
    "LearningCurveResult",
    "active_learning_curve",
    "aulc",
    "labels_to_reach",
    "reduction_ratio",
]

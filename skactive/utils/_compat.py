"""The one place that imports scikit-learn's private helpers.

scikit-learn moves its private helpers between releases; importing them here, and
only here, means a new release breaks one file instead of every module.
"""

import sys

from sklearn.base import _fit_context
from sklearn.utils import Tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import validate_data

__all__ = [
    "HasMethods",
    "Interval",
    "StrOptions",
    "Tags",
    "_fit_context",
    "is_linear_classifier",
    "validate_data",
]

_LINEAR_BASE = "sklearn.linear_model._base"


def is_linear_classifier(model):
    """Whether ``model`` is one of scikit-learn's linear classifiers.

    Checked without importing ``sklearn.linear_model`` (a third of a second):
    a linear classifier cannot exist before that module is imported.
    """
    module = sys.modules.get(_LINEAR_BASE)
    return module is not None and isinstance(model, module.LinearClassifierMixin)

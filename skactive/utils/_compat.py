"""The one place that imports scikit-learn's private helpers.

scikit-learn moves its private helpers between releases; importing them here, and
only here, means a new release breaks one file instead of every module.
"""

from sklearn.base import _fit_context
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.utils import Tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import validate_data

__all__ = [
    "HasMethods",
    "Interval",
    "LinearClassifierMixin",
    "StrOptions",
    "Tags",
    "_fit_context",
    "validate_data",
]

"""Old path of the committees: ``skactive.models``.

Kept so that code written against ``skactive.committee`` keeps working; new code imports
from ``skactive.models`` (or from ``skactive``).
"""

from skactive.models import Committee, CommitteeRegressor

__all__ = ["Committee", "CommitteeRegressor"]

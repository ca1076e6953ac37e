"""Old path of the label-quality tools (now label_issues and oracle).

Kept so that code written against ``skactive.labeling`` keeps working; new code
imports :func:`~skactive.label_issues.find_label_issues` from
``skactive.label_issues`` and :class:`~skactive.oracle.SimulatedOracle` from
``skactive.oracle``.
"""

from skactive.label_issues import find_label_issues
from skactive.oracle import SimulatedOracle

__all__ = ["SimulatedOracle", "find_label_issues"]

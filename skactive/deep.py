"""Old path of modAL's deep active learning names: ``skactive.modal_compat``.

Kept so that code written against ``skactive.deep`` keeps working; new code imports
from ``skactive.modal_compat`` (or from ``skactive``).
"""

from skactive.modal_compat import DeepActiveLearner, mc_dropout_bald

__all__ = ["DeepActiveLearner", "mc_dropout_bald"]

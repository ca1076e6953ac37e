"""Labeling sessions: an active-learning loop whose labels survive any crash.

:class:`LabelingSession` stores every label in a database (an SQLite file by
default, PostgreSQL by URL) as it arrives, leases items to annotators, and
resumes where it stopped.
"""

from skactive.session._app import LabelingServer, make_app
from skactive.session._info import session_info
from skactive.session._reading import PageFrame
from skactive.session._session import LabelingSession, RefitWarning

__all__ = [
    "LabelingServer",
    "LabelingSession",
    "PageFrame",
    "RefitWarning",
    "make_app",
    "session_info",
]

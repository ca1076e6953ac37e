"""What a session's database holds, read without its pool or learner."""

import os
import time

from skactive.session._state import LabelState
from skactive.session._store import EVENTS, Store

__all__ = ["session_info"]


def session_info(url):
    """Counts of a session's database: items, labels, annotators, leases, activity.

    Parameters
    ----------
    url : str
        The session's SQLAlchemy URL.

    Returns
    -------
    info : dict
        ``n_items``, ``n_labeled``, ``n_events``, ``n_skipped``, ``n_leased``,
        ``annotators`` (current labels each), ``overlap``,
        ``n_disagreements``, ``kappa`` (Fleiss', over items with ``overlap``
        labels; None when ``overlap`` is 1), ``schema_version`` and
        ``last_activity`` (a Unix time, or None).
    """
    store = Store(url)  # no connection yet: an SQLite file is not created
    parsed = store.engine.url
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, ""):
        if not os.path.exists(parsed.database):  # connecting would create it
            store.close()
            raise ValueError(f"No labeling session at {url}: no such file.")
    try:
        if not store.exists():
            raise ValueError(f"No labeling session at {url}: the database is empty.")
        # A read: an older database is read as it is, never migrated here.
        meta, ids, _ = store.load()
        events = store.events(columns=store.stored_columns(EVENTS))
        with store.reading() as connection:
            n_leased = len(store.active_leases(connection, time.time(), prune=False))
    finally:
        store.close()
    state = LabelState(events)
    overlap = int(meta["config"].get("overlap", 1))
    agreement = state.agreement(overlap)
    return {
        "overlap": overlap,
        "n_disagreements": agreement["n_disagreements"],
        "kappa": agreement["kappa"],
        "n_items": int(ids.shape[0]),
        "n_labeled": len(state.labels),
        "n_events": len(events),
        "n_skipped": state.n_skipped(),
        "n_leased": n_leased,
        "annotators": state.per_annotator(),
        "schema_version": meta["schema_version"],
        "last_activity": state.last_activity,
    }

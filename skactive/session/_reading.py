"""A labeling session's read side: its labels, progress, learning curve, items
as the page shows them, and the page itself (a server, or a notebook frame)."""

import html
import time

import numpy as np

from skactive.session._pool import describe_row
from skactive.utils.inputs import n_rows

__all__ = ["PageFrame", "SessionReading", "choice_reasons"]


class SessionReading:
    """The methods of :class:`LabelingSession` that read its state or serve it."""

    def labels(self):
        """The current labels, in the order given, as a DataFrame: ``item_id``,
        ``label`` (the majority with ``overlap``), ``annotator`` (who gave it
        last), ``n_labels`` (annotators who labeled the item) and
        ``disagreement`` (they gave different labels)."""
        import pandas as pd

        items = self._state.labeled_items()
        current = [self._state.current(i) for i in items]
        votes = [self._state.votes(i) for i in items]
        return pd.DataFrame(
            {
                "item_id": items,
                "label": [label for label, _ in current],
                "annotator": [annotator for _, annotator in current],
                "n_labels": [len(v) for v in votes],
                "disagreement": [len(set(v.values())) > 1 for v in votes],
            }
        )

    def export(self, path):
        """Write :meth:`labels` to ``path``: CSV, or Parquet for ``.parquet``
        (which needs pyarrow). Returns the path."""
        labels = self.labels()
        path = str(path)
        if path.endswith(".parquet"):
            labels.to_parquet(path, index=False)
        elif path.endswith(".csv"):
            labels.to_csv(path, index=False)
        else:
            raise ValueError(f"export writes .csv or .parquet files, got {path!r}.")
        return path

    def progress(self):
        """Counts: items, labeled, leased, skipped, per annotator; the budget."""
        with self._store.reading() as connection:
            leases = self._store.active_leases(connection, time.time(), prune=False)
        return {
            "n_items": n_rows(self.X),
            "n_labeled": len(self._state.labels),
            "n_leased": len(leases),
            "n_skipped": self._state.n_skipped(),
            "budget": self.budget,
            "annotators": self._state.per_annotator(),
            "last_activity": self._state.last_activity,
            # The latest refit's failure (None once one succeeds): the page
            # shows it; the labels are saved and the last good model serves.
            "refit_error": None
            if self.refit_error_ is None
            else repr(self.refit_error_),
            **({} if self.overlap == 1 else self._state.agreement(self.overlap)),
        }

    def history(self, annotator="default"):
        """``annotator``'s labels in force, newest first: ``[{"item_id",
        "label"}]``."""
        return [
            {"item_id": item, "label": label}
            for _, item, label in self._state.history(str(annotator))
        ]

    def learning_curve(self, window=20):
        """Accuracy against labels, estimated from the session's own labels.

        Each label is checked against what the model serving at that moment
        predicted for the item before learning it (test, then train): the
        curve is the share right among the last ``window`` labels, against the
        labels that model was fitted on. Items are chosen because the model is
        unsure of them, so this estimate is pessimistic for the pool as a whole.

        Returns
        -------
        curve : dict
            ``n_labels`` and ``accuracy`` (None where fewer than
            ``min(window, 5)`` predictions exist), ``window``, ``n_checked``.
        """
        if not isinstance(window, int | np.integer) or window < 1:
            raise ValueError(f"window must be a positive integer, not {window!r}")
        rounds, accuracy = self._state.prequential(int(window))
        return {
            "n_labels": rounds.tolist(),
            "accuracy": [None if np.isnan(a) else float(a) for a in accuracy],
            "window": int(window),
            "n_checked": int(rounds.shape[0]),
        }

    def classes(self):
        """The labels the page offers: the learner's ``classes``, or those
        given so far."""
        fixed = getattr(self.learner, "classes", None)
        if fixed is not None:
            return list(np.asarray(fixed).tolist())
        given = {
            label for stack in self._state.labels.values() for _, label, _ in stack
        }
        return sorted(given, key=repr)

    def describe_item(self, item_id):
        """What to show for an item: its id, values and row shape, ``view``
        (how the page renders it) and ``why`` (the strategy that chose it and
        its score, while it is leased)."""
        item_id = self._check_item(item_id)
        position = self._position[item_id]
        why = self._store.why(item_id)
        return {
            "item_id": item_id,
            **describe_row(self.X, position),
            "view": self.view.describe(position),
            "why": None if why is None else {"strategy": why[0], "score": why[1]},
            "label": self._state.current(item_id)[0]
            if item_id in self._state.labels
            else None,
        }

    def item_media(self, item_id):
        """``(path, media type)`` of an item's image file (the ``display`` given
        at creation), or None: a path never comes from a request."""
        return self.view.media(self._position[self._check_item(item_id)])

    def serve(self, host="127.0.0.1", port=0, token=None):
        """Serve the labeling page and its JSON API on uvicorn, in a background
        thread: returns a server with ``.url`` and ``.stop()``.

        Binds the loopback interface; any other ``host`` needs a ``token``
        that every request carries (the page keeps the one in its URL)."""
        from skactive.session._app import LabelingServer

        return LabelingServer(self, host=host, port=port, token=token)

    def widget(self, annotator="default", height=620):
        """The labeling page inside a notebook: a frame on a server in a
        background thread, so the kernel stays free while labels arrive.

        The server starts on first use and is reused; ``.stop()`` on the result
        (or :meth:`close`) stops it.
        """
        server = getattr(self, "_widget_server", None)
        if server is None or not server.running:
            self._widget_server = server = self.serve()
        return PageFrame(server, annotator=annotator, height=height)


class PageFrame:
    """A labeling page shown by a notebook (its ``_repr_html_`` is a frame)."""

    def __init__(self, server, annotator="default", height=620):
        self.server, self.annotator, self.height = server, str(annotator), int(height)

    @property
    def url(self):
        """The page's address, for this annotator."""
        from urllib.parse import urlencode

        query = {"annotator": self.annotator}
        if self.server.token:
            query["token"] = self.server.token
        return f"{self.server.url}/?{urlencode(query)}"

    def _repr_html_(self):
        source = html.escape(self.url, quote=True)
        return (
            f'<iframe src="{source}" width="100%" height="{self.height}" '
            'style="border:1px solid #ddd"></iframe>'
        )

    def __repr__(self):
        return f"PageFrame({self.url!r})"

    def stop(self):
        """Stop the page's server."""
        self.server.stop()


def choice_reasons(learner, rows):
    """``(strategy, score)`` of each chosen row: the strategy's repr, and the
    score that chose it (the query's own random stream; None for strategies
    that choose whole batches)."""
    name = repr(learner.current_strategy())[:255]
    scores = learner.query_scores(rows)
    if scores is None:
        return [(name, None)] * n_rows(rows)
    return [(name, float(score)) for score in np.asarray(scores, dtype=float)]

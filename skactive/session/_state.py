"""The labels a session's events add up to: replayed the same way everywhere."""

import json

__all__ = ["LabelState"]


class LabelState:
    """Active labels, skips and the last event, from events applied in order.

    A label pushes onto its item's stack; an undo removes the label event it
    names (so an item relabeled and then undone shows its earlier label); a skip
    marks the item as skipped by its annotator.
    """

    def __init__(self, events=()):
        self.labels = {}  # item -> [(event, label, annotator)], oldest first
        self.skipped = {}  # annotator -> items
        self.last_event, self.last_activity = 0, None
        for event in events:
            self.apply(event)

    def apply(self, event):
        self.last_event = max(self.last_event, event["event"])
        self.last_activity = event["created_at"]
        item, kind = event["item_id"], event["kind"]
        if kind == "label":
            entry = (event["event"], json.loads(event["label"]), event["annotator"])
            self.labels.setdefault(item, []).append(entry)
        elif kind == "undo":
            stack = self.labels.get(item, [])
            stack[:] = [e for e in stack if e[0] != event["undoes"]]
            if not stack:
                self.labels.pop(item, None)
        else:
            self.skipped.setdefault(event["annotator"], set()).add(item)

    def labeled_items(self):
        """Labeled items in the order of their current label."""
        return sorted(self.labels, key=lambda item: self.labels[item][-1][0])

    def current(self, item):
        """``(label, annotator)`` of an item's current label."""
        _, label, annotator = self.labels[item][-1]
        return label, annotator

    def per_annotator(self):
        """Current labels per annotator."""
        counts = {}
        for stack in self.labels.values():
            counts[stack[-1][2]] = counts.get(stack[-1][2], 0) + 1
        return counts

    def n_skipped(self):
        return len(set().union(*self.skipped.values()))

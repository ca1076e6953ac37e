"""The labels a session's events add up to: replayed the same way everywhere."""

import json

import numpy as np

__all__ = ["LabelState", "fleiss_kappa"]


def fleiss_kappa(votes):
    """Fleiss' kappa of items each labeled by the same number of annotators.

    Parameters
    ----------
    votes : list of list
        The labels of each item (every list of the same length, at least 2).

    Returns
    -------
    kappa : float or None
        1 for perfect agreement, 0 for chance; None without items, or when
        every label is the same class (agreement by chance is then certain).
    """
    if not votes:
        return None
    classes = sorted({label for item in votes for label in item}, key=repr)
    index = {label: j for j, label in enumerate(classes)}
    counts = np.zeros((len(votes), len(classes)))
    for i, item in enumerate(votes):  # a loop over labeled items, not the pool
        np.add.at(counts[i], [index[label] for label in item], 1)
    raters = counts.sum(axis=1)[0]
    agreement = ((counts**2).sum(axis=1) - raters) / (raters * (raters - 1))
    shares = counts.sum(axis=0) / counts.sum()
    chance = float((shares**2).sum())
    if chance >= 1.0:
        return None
    return float((agreement.mean() - chance) / (1.0 - chance))


class LabelState:
    """Active labels, skips and the last event, from events applied in order.

    A label pushes onto its item's stack; an undo removes the label event it
    names (so an item relabeled and then undone shows its earlier label); a skip
    marks the item as skipped by its annotator.
    """

    def __init__(self, events=()):
        self.labels = {}  # item -> [(event, label, annotator)], oldest first
        self.skipped = {}  # annotator -> items
        # label event -> (round, predicted, label): what the serving model said
        # before it learnt the label (labels given without a model are absent).
        self.predictions = {}
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
            if event.get("predicted") is not None:
                predicted = json.loads(event["predicted"])
                self.predictions[event["event"]] = (event["round"], predicted, entry[1])
        elif kind == "undo":
            self.predictions.pop(event["undoes"], None)
            stack = self.labels.get(item, [])
            stack[:] = [e for e in stack if e[0] != event["undoes"]]
            if not stack:
                self.labels.pop(item, None)
        else:
            self.skipped.setdefault(event["annotator"], set()).add(item)

    def labeled_items(self):
        """Labeled items in the order of their latest label."""
        return sorted(self.labels, key=lambda item: self.labels[item][-1][0])

    def votes(self, item):
        """``{annotator: label}``: each annotator's latest label of ``item``."""
        return {annotator: label for _, label, annotator in self.labels.get(item, [])}

    def current(self, item):
        """``(label, annotator)``: the majority of the annotators' latest labels,
        ties going to the label given last (so with one annotator per item the
        latest label wins), and who gave it last."""
        latest = {}
        for event, label, annotator in self.labels[item]:
            latest[annotator] = (event, label)
        counts, last = {}, {}
        for event, label in latest.values():
            counts[label] = counts.get(label, 0) + 1
            last[label] = max(last.get(label, -1), event)
        label = max(counts, key=lambda value: (counts[value], last[value]))
        annotator = max(
            (event, who) for who, (event, value) in latest.items() if value == label
        )[1]
        return label, annotator

    def disagreements(self):
        """Items whose annotators gave different labels, in label order."""
        return [i for i in self.labeled_items() if len(set(self.votes(i).values())) > 1]

    def per_annotator(self):
        """Items each annotator currently has a label on."""
        counts = {}
        for item in self.labels:
            for annotator in self.votes(item):
                counts[annotator] = counts.get(annotator, 0) + 1
        return counts

    def agreement(self, overlap):
        """Items with ``overlap`` labels, disagreements, and Fleiss' kappa over
        the first ``overlap`` labels of each complete item."""
        votes = [list(self.votes(item).values()) for item in self.labels]
        complete = [v[:overlap] for v in votes if len(v) >= overlap]
        return {
            "n_complete": len(complete),
            "n_disagreements": len(self.disagreements()),
            "kappa": fleiss_kappa(complete) if overlap > 1 else None,
        }

    def history(self, annotator):
        """``[(event, item, label)]``: ``annotator``'s labels in force, newest
        first."""
        own = [
            (event, item, label)
            for item, stack in self.labels.items()
            for event, label, who in stack
            if who == annotator
        ]
        return sorted(own, reverse=True)

    def prequential(self, window):
        """Test-then-train accuracy: for the labels in the order given, the
        round each was predicted in and the share of the last ``window``
        predictions that were right (NaN until ``min(window, 5)`` exist)."""
        entries = [self.predictions[e] for e in sorted(self.predictions)]
        rounds = np.array([r for r, _, _ in entries], dtype=np.int64)
        right = np.array([p == y for _, p, y in entries], dtype=np.float64)
        total = np.concatenate([[0.0], np.cumsum(right)])
        ends = np.arange(1, right.shape[0] + 1)
        starts = np.maximum(ends - window, 0)
        accuracy = (total[ends] - total[starts]) / (ends - starts)
        accuracy[ends - starts < min(window, 5)] = np.nan
        return rounds, accuracy

    def n_skipped(self):
        return len(set().union(*self.skipped.values()))

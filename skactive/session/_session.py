"""LabelingSession: an active-learning loop whose every label is durable."""

import copy
import threading
import time
import warnings
from numbers import Real

import numpy as np
from sklearn.base import clone

from skactive._initial import initial_draw
from skactive.session._learned import (
    LEARNED_KEY,
    carry_learned,
    pickled_learned,
    unpickled_learned,
)
from skactive.session._pool import (
    as_class,
    describe_difference,
    item_ids,
    plain_label,
    row_hashes,
)
from skactive.session._reading import SessionReading, choice_reasons
from skactive.session._state import LabelState
from skactive.session._store import Store
from skactive.session._view import ItemView
from skactive.utils.inputs import n_rows, take_rows
from skactive.utils.pools import LocalPool
from skactive.utils.seeding import draw_seed
from skactive.utils.validation import check_positive_int

__all__ = ["LabelingSession", "RefitWarning"]


class RefitWarning(RuntimeWarning):
    """A session's refit failed; its labels are saved, the last model serves."""


DEFAULT_URL = "sqlite:///skactive_session.db"
_NO_VOTE = object()


class LabelingSession(SessionReading):
    """Label a pool with a learner choosing what comes next; every label durable.

    The session keeps the bookkeeping: items handed out are leased to their
    annotator (``lease_seconds``), labeled and leased items never come back in
    another annotator's batch, and each ``submit``, ``skip`` and ``undo`` is one
    committed transaction before it returns. Reopening with the same URL and
    pool restores every label, refits the model and asks for the same next batch
    an uninterrupted session would: the query stream is seeded by the number of
    labels, and a strategy that learns (``ActiveLearningByLearning``) has its
    state saved, pickled, with each batch's leases (so open only databases you
    trust, as with any pickle). The model is refitted on the labels in the
    order they were given, after every ``refit_every`` labels.

    Parameters
    ----------
    learner : ActiveLearner
        Its ``query_strategy`` chooses the batches (a clone is fitted); its
        ``classes``, when set, are the only labels accepted; ``initial_strategy``
        chooses while nothing is labeled.
    X : array-like, sparse matrix or DataFrame
        The pool.
    url : str, default="sqlite:///skactive_session.db"
        SQLAlchemy URL: an SQLite file, or PostgreSQL
        (``postgresql+psycopg://user@host/db``).
    ids : array-like or None, default=None
        One unique id per row; None names rows by position.
    batch_size : int or None, default=None
        Items per ``next_batch``; None uses the learner's ``batch_size``.
    budget : int or None, default=None
        Labels after which ``next_batch`` gives nothing.
    refit_every : int, default=1
        Labels between refits.
    lease_seconds : float, default=600
        How long an item handed out stays reserved for its annotator.
    initial_labels : dict or None, default=None
        ``{item_id: label}`` already known, recorded (annotator ``"import"``)
        when the session is created; ignored when it is reopened.
    overlap : int, default=1
        Labels wanted per item, each from a different annotator: an item is
        handed to up to ``overlap`` annotators, and the model learns the
        majority label (ties: the label given last). ``progress`` then reports
        disagreements and Fleiss' kappa.
    background_refit : bool, default=False
        Refit in a background thread; batches come from the latest model that
        finished meanwhile, so the annotator never waits for a fit (the batches
        then depend on timing; :meth:`wait` joins the running fit).
    display : sequence, ndarray or None, default=None
        What the labeling page shows for each item instead of its pool row:
        texts, image file paths, or an array of images (n, height, width[, 3]).
    image_shape : tuple or None, default=None
        Show each pool row as an image of this shape (digits: ``(8, 8)``).
    """

    def __init__(
        self,
        learner,
        X,
        url=DEFAULT_URL,
        *,
        ids=None,
        batch_size=None,
        budget=None,
        refit_every=1,
        lease_seconds=600.0,
        background_refit=False,
        initial_labels=None,
        overlap=1,
        display=None,
        image_shape=None,
    ):
        if not isinstance(lease_seconds, Real) or not lease_seconds > 0:
            raise ValueError(f"lease_seconds must be positive, not {lease_seconds}")
        self.learner, self.X, self.url = learner, X, url
        batch_size = check_positive_int(batch_size, "batch_size", allow_none=True)
        self.batch_size = batch_size or getattr(learner, "batch_size", 10)
        self.budget = check_positive_int(budget, "budget", allow_none=True)
        self.refit_every = check_positive_int(refit_every, "refit_every")
        self.overlap = check_positive_int(overlap, "overlap")
        self.lease_seconds = float(lease_seconds)
        self.background_refit = bool(background_refit)
        self._model_lock = threading.Lock()
        self._generation = self._fitted_generation = 0
        self._refit_thread, self._refit_error = None, None
        self._next_fit = None
        self.ids = item_ids(X, ids)
        self.view = ItemView(X, display, image_shape)
        self._position = {item: p for p, item in enumerate(self.ids.tolist())}
        self._state = LabelState()
        self._learned = None  # a learning strategy's state, read at reopening
        if initial_labels is not None:
            initial_labels = self._checked_labels(initial_labels)
        self._store = Store(url)
        try:
            self._open_store(row_hashes(X), initial_labels)
        except BaseException:
            self._store.close()
            raise
        self._closed = False
        self._fitted_on, self.learner_, self.refit_error_ = None, None, None
        self._serving_on = (np.zeros(0, dtype=np.int64), [])
        for event in self._store.events():
            self._apply(event)
        self._refit()

    def _open_store(self, hashes, initial_labels):
        """Create the session's tables, or check that they hold this pool."""
        if not self._store.exists():
            config = {"n_items": int(self.ids.shape[0]), "overlap": self.overlap}
            self._store.create(self.ids, hashes, config, initial_labels or {})
            return
        self._store.migrate()
        meta, stored_ids, stored_hashes = self._store.load()
        difference = describe_difference(stored_ids, stored_hashes, self.ids, hashes)
        if difference is not None:
            raise ValueError(
                f"The session at {self.url} was created for another pool: "
                f"{difference}. Open it with the pool it was created with, or use "
                "a new URL for this pool."
            )
        self._learned = unpickled_learned(meta.get(LEARNED_KEY))

    # -- state ----------------------------------------------------------------------

    def _sync(self, connection):
        """Apply what other processes committed since this one last looked."""
        events = self._store.events(connection, after=self._state.last_event)
        for event in events:
            self._apply(event)
        return bool(events)

    def _apply(self, event):
        self._state.apply(event)

    def _labeled(self):
        """``(positions, labels)`` of the labeled items, in the order labeled."""
        items = self._state.labeled_items()
        positions = np.array([self._position[i] for i in items], dtype=np.int64)
        return positions, [self._state.current(i)[0] for i in items]

    def _refit(self):
        """Fit a clone on the first multiple of ``refit_every`` labels."""
        positions, labels = self._labeled()
        n_fit = positions.shape[0] - positions.shape[0] % self.refit_every
        key = tuple(positions[:n_fit].tolist()), tuple(labels[:n_fit])
        if key == self._fitted_on:
            return
        self._fitted_on = key
        self._generation += 1
        args = (self._generation, positions[:n_fit], labels[:n_fit])
        if not self.background_refit or n_fit == 0:
            self._fit(*args)
            return
        # One background fit at a time: labels that arrive meanwhile are fitted
        # together when it ends (fits piling up would slow every one of them).
        with self._model_lock:
            self._next_fit = args
            idle = self._refit_thread is None
            if idle:
                self._refit_thread = threading.Thread(target=self._fits, daemon=True)
                self._refit_thread.start()

    def _fits(self):
        """The background fitter: the latest labels, until none are waiting."""
        while True:
            with self._model_lock:
                args, self._next_fit = self._next_fit, None
                if args is None:
                    self._refit_thread = None
                    return
            self._fit(*args)

    def _prediction(self, item_id):
        """``(round, predicted)``: the labels the serving model was fitted on
        (the round a label is given in), and its prediction for the item (None
        without a model): the test half of the learning curve."""
        with self._model_lock:
            learner = self.learner_
        if learner is None:
            return 0, None
        row = take_rows(self.X, [self._position[item_id]])
        predicted = plain_label(learner.predict(row)[0])
        return n_rows(learner.X_labeled_), predicted

    def _taught(self, positions, labels):
        """The serving learner taught the labels it lacks, when it was fitted on
        a prefix of them (the learner's own ``teach`` path: its rounds, history
        and callbacks follow the session); None when labels were undone or
        changed, and a fresh fit is needed."""
        with self._model_lock:
            learner, (fitted_positions, fitted_labels) = self.learner_, self._serving_on
        n_old = fitted_positions.shape[0]
        if (
            learner is None
            or n_old >= positions.shape[0]
            or not np.array_equal(positions[:n_old], fitted_positions)
            or list(labels[:n_old]) != list(fitted_labels)
        ):
            return None
        # A copy is taught, so the serving learner keeps answering meanwhile;
        # teach replaces the model and the labeled rows (never changes them), so
        # those are shared, and the user's callbacks stay the user's objects.
        shared = [learner.estimator_, learner.X_labeled_, *learner.callbacks_]
        shared += [learner.query_strategy_] if learner._learned_strategy() else []
        learner = copy.deepcopy(learner, memo={id(obj): obj for obj in shared})
        new = positions[n_old:]
        return learner.teach(take_rows(self.X, new), np.asarray(labels[n_old:]))

    def _fit(self, generation, positions, labels):
        """Fit on the given labels; the newest finished fit serves the queries."""
        learner = None
        if positions.shape[0]:
            try:
                learner = self._taught(positions, labels)
                if learner is None:
                    learner = clone(self.learner).set_params(budget=None)
                    learner.fit(take_rows(self.X, positions), np.asarray(labels))
            except Exception as error:
                # The labels are committed already: the failure is reported,
                # never raised out of submit, and the last good model (or the
                # label-free start) keeps serving; reopening always works.
                self.refit_error_ = error
                if self.background_refit:
                    self._refit_error = error
                serving = "the previous model" if self.learner_ else "label-free"
                which = "background refit" if self.background_refit else "refit"
                warnings.warn(
                    f"The {which} on {positions.shape[0]} labels failed ({error!r}); "
                    f"the labels are saved and batches are chosen {serving} "
                    "until a refit succeeds.",
                    RefitWarning,
                    stacklevel=2,
                )
                return
        with self._model_lock:
            if generation > self._fitted_generation:
                if carry_learned(self.learner_, self._learned, learner):
                    self._learned = None
                self._fitted_generation, self.learner_ = generation, learner
                self._serving_on = (positions, list(labels))
                self.refit_error_ = None

    def wait(self):
        """Wait for a background refit to finish (re-raising its error)."""
        thread = self._refit_thread
        if thread is not None:
            thread.join()
        error, self._refit_error = self._refit_error, None
        if error is not None:
            raise error
        return self

    def _check_open(self):
        if self._closed:
            raise ValueError("This LabelingSession is closed; open a new one.")

    def _checked_labels(self, labels):
        """``{item_id: label}`` checked like submitted labels, before any write."""
        if not isinstance(labels, dict):
            raise TypeError(
                f"initial_labels must be a dict {{item_id: label}}, got "
                f"{type(labels).__name__}."
            )
        return {
            self._check_item(item): self._check_label(label)
            for item, label in labels.items()
        }

    def _check_label(self, label):
        """The label as its class: ``1.0`` for integer classes is stored as
        ``1``; a bool is never taken for a number, nor a number for a string."""
        label = plain_label(label)
        classes = getattr(self.learner, "classes", None)
        if classes is not None:
            known = np.asarray(classes).tolist()
        else:  # the kind of the labels given so far
            first = next(iter(self._state.labels.values()), None)
            known = None if first is None else [first[-1][1]]
        return label if known is None else as_class(label, known, classes is None)

    def _check_item(self, item_id):
        item_id = str(item_id)
        if item_id not in self._position:
            raise ValueError(
                f"Unknown item id {item_id!r}: ids come from next_batch (or the ids "
                "the session was created with)."
            )
        return item_id

    # -- the loop ---------------------------------------------------------------------

    def next_batch(self, annotator="default", n=None):
        """Ids of the next items for ``annotator`` to label, leased to them.

        Items already leased to this annotator come first (a reload shows the
        same items); the rest are chosen by the learner among the items nobody
        has labeled, leased or (this annotator) skipped. The model's work (a
        refit after others' labels, scoring the pool) happens before the write
        transaction, so no other annotator waits on it; inside it, the choice is
        checked again against the leases of the moment.
        """
        self._check_open()
        n = self.batch_size if n is None else check_positive_int(n, "n")
        with self._store.reading() as connection:
            if self._sync(connection):
                self._refit()
            leases = self._store.active_leases(connection, time.time(), prune=False)
        mine = self._mine(annotator, leases, n)
        candidates = ([], [])
        if len(mine) < n:
            # Annotators at work now ask for the same top items: enough spares
            # that the ones they take meanwhile are rarely all of them.
            busy = len({who for _, who in leases} - {annotator})
            spares = (n - len(mine)) * (1 + busy) + n
            candidates = self._choose(annotator, self._holders(leases), spares)
        # A strategy that learns changed with that choice: saved with the
        # leases (pickled out here), so a reopened session goes on from it.
        learned = pickled_learned(self.learner_) if len(mine) < n else None
        with self._store.transaction() as connection:
            self._sync(connection)  # the state only: a refit waits for a read
            now = time.time()
            leases = self._store.active_leases(connection, now)
            leased = self._holders(leases)
            mine = self._mine(annotator, leases, n)
            chosen = self._in_progress(annotator, leased, n - len(mine))
            why = [(None, None)] * len(chosen)
            wanted = n - len(mine) - len(chosen)
            if self.budget is not None:  # items started by anyone count against it
                started = set(self._state.labels) | set(leased)
                wanted = min(wanted, self.budget - len(started))
            if wanted > 0:
                new, reasons = self._still_free(annotator, leased, candidates, wanted)
                if len(new) < wanted:  # taken meanwhile: choose again, rarely
                    taken = {**leased, **{item: {annotator} for item in new}}
                    more = self._choose(annotator, taken, wanted - len(new))
                    new, reasons = new + more[0], reasons + more[1]
                    learned = pickled_learned(self.learner_)
                chosen, why = chosen + new, why + reasons
            expires = now + self.lease_seconds
            self._store.lease(connection, chosen, annotator, expires, why)
            if learned is not None:
                self._store.save_value(connection, LEARNED_KEY, learned)
        return mine + chosen

    @staticmethod
    def _holders(leases):
        """``{item: annotators holding it}`` of ``[(item, annotator)]``."""
        leased = {}
        for item, who in leases:
            leased.setdefault(item, set()).add(who)
        return leased

    def _mine(self, annotator, leases, n):
        """The items leased to ``annotator`` that they have not labeled yet."""
        mine = [i for i, who in leases if who == annotator]
        return [i for i in mine if annotator not in self._state.votes(i)][:n]

    def _still_free(self, annotator, leased, candidates, n):
        """The first ``n`` candidates nobody labeled, leased or (``annotator``)
        skipped since they were chosen, with their reasons."""
        skipped = self._state.skipped.get(annotator, set())
        kept = [
            (item, why)
            for item, why in zip(*candidates, strict=True)
            if item not in leased
            and item not in self._state.labels
            and item not in skipped
        ][:n]
        return [item for item, _ in kept], [why for _, why in kept]

    def _in_progress(self, annotator, leased, n):
        """Items that still need a label from another annotator (``overlap``),
        oldest first: labeled or leased by others, never by ``annotator``."""
        if self.overlap == 1 or n <= 0:
            return []
        skipped = self._state.skipped.get(annotator, set())
        started = self._state.labeled_items() + [
            i for i in leased if i not in self._state.labels
        ]
        chosen = []
        for item in started:  # a loop over started items, a session's labels
            votes, holders = self._state.votes(item), leased.get(item, set())
            if annotator in votes or annotator in holders or item in skipped:
                continue
            if len(votes) + len(holders - set(votes)) < self.overlap:
                chosen.append(item)
                if len(chosen) == n:
                    break
        return chosen

    def _choose(self, annotator, leased, n):
        """New items, chosen by the learner among those nobody has started."""
        taken = (
            set(self._state.labels)
            | set(leased)
            | self._state.skipped.get(annotator, set())
        )
        is_free = np.ones(self.ids.shape[0], dtype=bool)
        is_free[[self._position[item] for item in taken]] = False
        free = np.flatnonzero(is_free)
        if free.shape[0] == 0:
            return [], []
        pool = LocalPool(self.X, free)
        n = min(n, free.shape[0])
        with self._model_lock:
            learner = self.learner_
        if learner is None:
            rng = np.random.RandomState(draw_seed(self.learner.random_state))
            initial = getattr(self.learner, "initial_strategy", "random")
            initial = "random" if initial == "stratified" else initial
            picked = initial_draw(initial, pool, None, n, rng)
            why = [(f"{initial} (nothing labeled yet)", None)] * len(picked)
        else:
            picked = learner.query(pool, n)
            why = choice_reasons(learner, LocalPool(self.X, free[picked]))
        chosen = free[np.asarray(picked, dtype=np.int64)]
        return [self.ids[p] for p in chosen], why

    def submit(self, item_id, label, annotator="default"):
        """Record ``label`` for ``item_id``; returns once it is committed."""
        self._check_open()
        item_id, label = self._check_item(item_id), self._check_label(label)
        # The serving model's prediction, outside the write transaction: no
        # other annotator waits on it.
        round, predicted = self._prediction(item_id)
        with self._store.transaction() as connection:
            self._sync(connection)
            if self._state.votes(item_id).get(annotator, _NO_VOTE) == label:
                return  # a retried or double submit: the label is already saved
            holders = {
                who
                for item, who in self._store.active_leases(connection, time.time())
                if item == item_id
            }
            votes = self._state.votes(item_id)
            others = holders - {annotator} - set(votes)
            full = len(set(votes) - {annotator}) + len(others) >= self.overlap
            if annotator not in holders and others and full:
                raise ValueError(
                    f"Item {item_id!r} is leased to {sorted(others)[0]!r} until its "
                    "lease expires; label the items next_batch gave you."
                )
            event = self._store.append(
                connection,
                item_id,
                "label",
                annotator,
                label=label,
                round=round,
                predicted=predicted,
            )
            self._store.release(connection, item_id, annotator)
        self._apply(event)
        self._refit()

    def skip(self, item_id, annotator="default"):
        """Give an item back: it is not offered to ``annotator`` again."""
        self._check_open()
        item_id = self._check_item(item_id)
        with self._store.transaction() as connection:
            self._sync(connection)
            record = self._store.append(connection, item_id, "skip", annotator)
            self._store.release(connection, item_id, annotator)
        self._apply(record)

    def undo(self, annotator="default"):
        """Take back ``annotator``'s latest label; returns its item id (or None)."""
        self._check_open()
        with self._store.transaction() as connection:
            self._sync(connection)
        own = [
            (entry[0], item)
            for item, stack in self._state.labels.items()
            for entry in stack
            if entry[2] == annotator
        ]
        if not own:
            return None
        event, item_id = max(own)
        with self._store.transaction() as connection:
            record = self._store.append(
                connection, item_id, "undo", annotator, undoes=event
            )
            # The item goes back to its annotator, first in their batch: a
            # reload shows it again.
            self._store.release(connection, item_id, annotator)
            now = time.time()
            expires = self._store.first_expiry(connection, annotator, now)
            expires = now + self.lease_seconds if expires is None else expires
            self._store.lease(connection, [item_id], annotator, expires, rank=-1)
        self._apply(record)
        self._refit()
        return item_id

    def should_stop(self):
        """True at the budget, or when the learner's stopping criteria say so
        (those that read the pool get the unlabeled items)."""
        self._check_open()
        if self.budget is not None and len(self._state.labels) >= self.budget:
            return True
        with self._model_lock:
            learner = self.learner_
        if learner is None or not getattr(learner, "stopping", None):
            return False
        unlabeled = np.ones(self.ids.shape[0], dtype=bool)
        unlabeled[[self._position[item] for item in self._state.labels]] = False
        return bool(learner.should_stop(LocalPool(self.X, np.flatnonzero(unlabeled))))

    def fitted_learner(self):
        """The learner fitted on the labels (after any background refit), or
        None while nothing is labeled."""
        self.wait()
        return self.learner_

    def review_batch(self, annotator="default", n=None, label_issues=True):
        """Items to check again, leased to ``annotator``: those whose annotators
        disagree, then (``label_issues``) those :func:`find_label_issues` flags
        in the model's labeled set; never one ``annotator`` labeled. Their new
        label is one more vote."""
        self._check_open()
        n = self.batch_size if n is None else check_positive_int(n, "n")
        flagged = list(self._state.disagreements())
        with self._model_lock:
            learner = self.learner_
        if label_issues and learner is not None:
            from skactive.label_issues import find_label_issues

            positions, _ = self._labeled()
            suspects, _ = find_label_issues(learner)
            flagged += [self.ids[p] for p in positions[suspects]]
        now = time.time()
        with self._store.transaction() as connection:
            leased = {item for item, _ in self._store.active_leases(connection, now)}
            chosen = []
            for item in dict.fromkeys(flagged):  # flagged items, in order, once
                if annotator not in self._state.votes(item) and item not in leased:
                    chosen.append(item)
            chosen = chosen[:n]
            self._store.lease(connection, chosen, annotator, now + self.lease_seconds)
        return chosen

    def close(self):
        """Release the database connections; the labels stay in the database."""
        self._closed = True
        server = getattr(self, "_widget_server", None)
        if server is not None:
            server.stop()
        self._store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

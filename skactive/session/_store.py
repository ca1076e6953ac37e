"""Durable storage of a labeling session, on SQLAlchemy Core.

An SQLite file by default (WAL journal, ``synchronous=FULL``, writers serialised
with ``BEGIN IMMEDIATE``), PostgreSQL by URL (writers serialised on a lock row,
``SELECT ... FOR UPDATE``). Every change is one transaction, committed before the
call returns. Events are append-only: a label, an undo or a skip adds a row and
nothing is ever deleted but expired leases. Reads (:meth:`Store.reading`) take
no write lock: on SQLite's WAL they go on while another process writes. A new
session's tables, items and first labels are created in one transaction, so a
process killed while creating leaves no half-made database behind.
"""

import json
import time
from contextlib import contextmanager

import numpy as np

try:
    import sqlalchemy as sa
except ImportError as error:  # an extra, not a runtime dependency
    raise ImportError(
        "skactive's labeling sessions store labels through SQLAlchemy: install "
        "it with pip install 'skactive[session]' (SQLAlchemy, psycopg, pandas)."
    ) from error

__all__ = ["SCHEMA_VERSION", "Store"]

#: Written at creation; an older database is migrated when it is opened
#: (version 2 added the model's prediction to label events, and the strategy and
#: score that chose an item to its lease).
SCHEMA_VERSION = 2

_META = sa.MetaData()
META = sa.Table(
    "skactive_meta",
    _META,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
ITEMS = sa.Table(
    "skactive_items",
    _META,
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("item_id", sa.String(255), nullable=False, unique=True),
    sa.Column("row_hash", sa.String(16), nullable=False),
)
EVENTS = sa.Table(
    "skactive_events",
    _META,
    sa.Column("event", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.String(255), nullable=False, index=True),
    sa.Column("kind", sa.String(8), nullable=False),  # label | undo | skip
    sa.Column("label", sa.Text, nullable=True),  # JSON
    sa.Column("annotator", sa.String(255), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("undoes", sa.Integer, nullable=True),
    # The round: how many labels the serving model was fitted on at the time.
    sa.Column("round", sa.Integer, nullable=False, default=0),
    # What that model predicted for the item before it learnt the label (JSON).
    sa.Column("predicted", sa.Text, nullable=True),
)
LEASES = sa.Table(
    "skactive_leases",
    _META,
    sa.Column("item_id", sa.String(255), primary_key=True),
    sa.Column("annotator", sa.String(255), primary_key=True),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),  # order within its batch
    # Why the item was chosen: the strategy's name and its score (None for
    # strategies that choose whole batches).
    sa.Column("strategy", sa.String(255), nullable=True),
    sa.Column("score", sa.Float, nullable=True),
)
#: Columns added after version 1, nullable, added by ``Store.migrate``.
_ADDED = {2: [(EVENTS, "predicted"), (LEASES, "strategy"), (LEASES, "score")]}


def _sqlite_engine(url):
    engine = sa.create_engine(url)

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection):
        if connection.get_execution_options().get("skactive_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # one writer at a time
        else:
            connection.exec_driver_sql("BEGIN")  # a read: writers go on

    return engine


class Store:
    """The tables of one session at ``url``."""

    def __init__(self, url):
        self.url = url
        sqlite = sa.engine.make_url(url).get_backend_name() == "sqlite"
        self.engine = _sqlite_engine(url) if sqlite else sa.create_engine(url)
        self._lock_rows = not sqlite

    def close(self):
        self.engine.dispose()

    @contextmanager
    def transaction(self, lock=True):
        """One write transaction, committed on exit (serialised with others;
        ``lock=False`` before the lock row exists).

        A database that refuses it (read-only, gone, full) raises a RuntimeError
        naming the URL; nothing of the transaction is recorded.
        """
        try:
            with (
                (
                    self.engine.connect().execution_options(skactive_write=True)
                ) as connection,
                connection.begin(),
            ):
                if self._lock_rows and lock:
                    row = sa.select(META.c.value).where(META.c.key == "lock")
                    connection.execute(row.with_for_update())
                yield connection
        except sa.exc.OperationalError as error:
            raise RuntimeError(
                f"The session's database at {self.url} refused the change "
                f"({error.orig}); nothing of it was recorded."
            ) from error

    @contextmanager
    def reading(self):
        """A connection for reads: no write lock, so never waiting on a writer."""
        with self.engine.connect() as connection:
            yield connection

    # -- creation and opening -----------------------------------------------------

    def exists(self):
        """Whether a whole session is stored here (a creation that was killed
        before it committed left nothing)."""
        return sa.inspect(self.engine).has_table(META.name)

    def create(self, ids, hashes, config, labels):
        """The tables, the items and ``labels`` (``{item: label}``, annotator
        ``"import"``), all in one transaction: created whole, or not at all."""
        meta = {"schema_version": SCHEMA_VERSION, "lock": 0, "config": config}
        with self.transaction(lock=False) as connection:
            _META.create_all(connection)
            connection.execute(
                META.insert(),
                [{"key": k, "value": json.dumps(v)} for k, v in meta.items()],
            )
            hexes = [f"{int(h):016x}" for h in hashes.tolist()]
            rows = [
                {"position": p, "item_id": i, "row_hash": h}
                for p, (i, h) in enumerate(zip(ids.tolist(), hexes, strict=True))
            ]
            for start in range(0, len(rows), 50_000):
                connection.execute(ITEMS.insert(), rows[start : start + 50_000])
            for item, label in labels.items():
                self.append(connection, item, "label", "import", label=label)

    def migrate(self):
        """Bring a database written by an older release to ``SCHEMA_VERSION``;
        returns the version it had. Columns are added, nothing is rewritten."""
        meta, _, _ = self.load(items=False)
        version = int(meta["schema_version"])
        if version > SCHEMA_VERSION:
            raise ValueError(
                f"The session at {self.url} was written by a newer skactive "
                f"(schema {version}, this one reads {SCHEMA_VERSION}): upgrade."
            )
        if version == SCHEMA_VERSION:
            return version
        dialect = self.engine.dialect
        with self.transaction() as connection:
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for table, name in _ADDED.get(step, []):
                    kind = table.c[name].type.compile(dialect=dialect)
                    connection.exec_driver_sql(
                        f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}"
                    )
            connection.execute(
                META.update()
                .where(META.c.key == "schema_version")
                .values(value=json.dumps(SCHEMA_VERSION))
            )
        return version

    def load(self, items=True):
        """``(meta dict, ids, hashes)`` as stored."""
        with self.reading() as connection:
            meta = {
                key: json.loads(value)
                for key, value in connection.execute(
                    sa.select(META.c.key, META.c.value)
                )
            }
            if not items:
                return meta, None, None
            items = connection.execute(
                sa.select(ITEMS.c.item_id, ITEMS.c.row_hash).order_by(ITEMS.c.position)
            ).all()
        ids = np.array([i for i, _ in items], dtype=object)
        hashes = np.array([int(h, 16) for _, h in items], dtype=np.uint64)
        return meta, ids, hashes

    @staticmethod
    def save_value(connection, key, value):
        """Set ``key`` of the session's meta table to ``value`` (JSON)."""
        stored = json.dumps(value)
        where = META.c.key == key
        if connection.execute(META.update().where(where).values(value=stored)).rowcount:
            return
        connection.execute(META.insert().values(key=key, value=stored))

    # -- events and leases --------------------------------------------------------

    def events(self, connection=None, after=0, columns=None):
        """The events numbered above ``after``, in the order committed;
        ``columns``: only those (a database not migrated lacks newer ones)."""
        table = EVENTS.c if columns is None else [EVENTS.c[c] for c in columns]
        query = sa.select(*table).where(EVENTS.c.event > after)
        query = query.order_by(EVENTS.c.event)
        if connection is not None:
            return [dict(row._mapping) for row in connection.execute(query)]
        with self.reading() as fresh:
            return [dict(row._mapping) for row in fresh.execute(query)]

    def stored_columns(self, table):
        """The names of ``table``'s columns as the database has them."""
        return [c["name"] for c in sa.inspect(self.engine).get_columns(table.name)]

    @staticmethod
    def append(connection, item_id, kind, annotator, label=None, **extra):
        """Insert one event; returns it as stored (with its ``event`` number).

        ``extra``: ``undoes`` (an undo's label event), ``round`` and
        ``predicted`` (a label's model and what it predicted)."""
        predicted = extra.get("predicted")
        event = {
            "round": int(extra.get("round", 0)),
            "predicted": None if predicted is None else json.dumps(predicted),
            "item_id": item_id,
            "kind": kind,
            "label": None if label is None else json.dumps(label),
            "annotator": annotator,
            "created_at": time.time(),
            "undoes": extra.get("undoes"),
        }
        result = connection.execute(EVENTS.insert().values(**event))
        return {"event": result.inserted_primary_key[0], **event}

    @staticmethod
    def active_leases(connection, now, prune=True):
        """``[(item_id, annotator)]`` in the order leased; expired ones are left
        out (and deleted, with ``prune``, inside a write transaction)."""
        if prune:
            connection.execute(LEASES.delete().where(LEASES.c.expires_at <= now))
        order = (LEASES.c.expires_at, LEASES.c.rank)
        query = sa.select(LEASES).where(LEASES.c.expires_at > now).order_by(*order)
        rows = connection.execute(query).all()
        return [(r.item_id, r.annotator) for r in rows]

    @staticmethod
    def first_expiry(connection, annotator, now):
        """When ``annotator``'s first active lease expires (None without one)."""
        query = sa.select(sa.func.min(LEASES.c.expires_at)).where(
            (LEASES.c.annotator == annotator) & (LEASES.c.expires_at > now)
        )
        return connection.execute(query).scalar()

    @staticmethod
    def lease(connection, item_ids, annotator, expires_at, why=None, rank=0):
        """Lease items to ``annotator``, ranked from ``rank`` in the order given;
        ``why``: one ``(strategy, score)`` each."""
        why = why or [(None, None)] * len(item_ids)
        if item_ids:
            connection.execute(
                LEASES.insert(),
                [
                    {"item_id": i, "annotator": annotator, "expires_at": expires_at}
                    | {"rank": rank + k, "strategy": strategy, "score": score}
                    for k, (i, (strategy, score)) in enumerate(
                        zip(item_ids, why, strict=True)
                    )
                ],
            )

    def why(self, item_id):
        """``(strategy, score)`` of the latest lease of an item, or None."""
        query = (
            sa.select(LEASES.c.strategy, LEASES.c.score)
            .where(LEASES.c.item_id == item_id)
            .order_by(LEASES.c.expires_at.desc())
            .limit(1)
        )
        with self.reading() as connection:
            row = connection.execute(query).first()
        return None if row is None else (row.strategy, row.score)

    @staticmethod
    def release(connection, item_id, annotator):
        connection.execute(
            LEASES.delete().where(
                (LEASES.c.item_id == item_id) & (LEASES.c.annotator == annotator)
            )
        )

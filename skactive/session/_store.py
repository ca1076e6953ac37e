"""Durable storage of a labeling session, on SQLAlchemy Core.

An SQLite file by default (WAL journal, ``synchronous=FULL``, writers serialised
with ``BEGIN IMMEDIATE``), PostgreSQL by URL (writers serialised on a lock row,
``SELECT ... FOR UPDATE``). Every change is one transaction, committed before the
call returns. Events are append-only: a label, an undo or a skip adds a row and
nothing is ever deleted but expired leases.
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

#: Written at creation; a later release migrates older versions on open.
SCHEMA_VERSION = 1

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
)
LEASES = sa.Table(
    "skactive_leases",
    _META,
    sa.Column("item_id", sa.String(255), primary_key=True),
    sa.Column("annotator", sa.String(255), primary_key=True),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),  # order within its batch
)


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
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # one writer at a time

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
    def transaction(self):
        """One write transaction, committed on exit (serialised with others).

        A database that refuses it (read-only, gone, full) raises a RuntimeError
        naming the URL; nothing of the transaction is recorded.
        """
        try:
            with self.engine.begin() as connection:
                if self._lock_rows:
                    lock = sa.select(META.c.value).where(META.c.key == "lock")
                    connection.execute(lock.with_for_update())
                yield connection
        except sa.exc.OperationalError as error:
            raise RuntimeError(
                f"The session's database at {self.url} refused the change "
                f"({error.orig}); nothing of it was recorded."
            ) from error

    # -- creation and opening -----------------------------------------------------

    def exists(self):
        return sa.inspect(self.engine).has_table(META.name)

    def create(self, ids, hashes, config, labels):
        """The tables, the items and ``labels`` (``{item: label}``, annotator
        ``"import"``), in one transaction."""
        _META.create_all(self.engine)
        meta = {"schema_version": SCHEMA_VERSION, "lock": 0, "config": config}
        with self.transaction() as connection:
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

    def load(self):
        """``(meta dict, ids, hashes)`` as stored."""
        with self.engine.connect() as connection:
            meta = {
                key: json.loads(value)
                for key, value in connection.execute(
                    sa.select(META.c.key, META.c.value)
                )
            }
            items = connection.execute(
                sa.select(ITEMS.c.item_id, ITEMS.c.row_hash).order_by(ITEMS.c.position)
            ).all()
        ids = np.array([i for i, _ in items], dtype=object)
        hashes = np.array([int(h, 16) for _, h in items], dtype=np.uint64)
        return meta, ids, hashes

    # -- events and leases --------------------------------------------------------

    def events(self, connection=None, after=0):
        """The events numbered above ``after``, in the order committed."""
        query = sa.select(EVENTS).where(EVENTS.c.event > after).order_by(EVENTS.c.event)
        if connection is not None:
            return [dict(row._mapping) for row in connection.execute(query)]
        with self.engine.connect() as fresh:
            return [dict(row._mapping) for row in fresh.execute(query)]

    @staticmethod
    def append(connection, item_id, kind, annotator, label=None, undoes=None, round=0):
        """Insert one event; returns it as stored (with its ``event`` number)."""
        event = {
            "round": int(round),
            "item_id": item_id,
            "kind": kind,
            "label": None if label is None else json.dumps(label),
            "annotator": annotator,
            "created_at": time.time(),
            "undoes": undoes,
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
    def lease(connection, item_ids, annotator, expires_at):
        if item_ids:
            connection.execute(
                LEASES.insert(),
                [
                    {"item_id": i, "annotator": annotator, "expires_at": expires_at}
                    | {"rank": rank}
                    for rank, i in enumerate(item_ids)
                ],
            )

    @staticmethod
    def release(connection, item_id, annotator):
        connection.execute(
            LEASES.delete().where(
                (LEASES.c.item_id == item_id) & (LEASES.c.annotator == annotator)
            )
        )

"""The store: one object over a SQLAlchemy engine, with every query the system makes.

SQLite (the default) runs in WAL mode with ``synchronous=FULL``: a batch is acknowledged only
after its transaction is committed and synced, so an acknowledged reading survives
``kill -9`` of the process (and a power cut). Several processes may share the file; writers
wait for each other (``busy_timeout``). PostgreSQL is used by giving its URL.
"""

from __future__ import annotations

import json
import logging
import secrets
import time as _time
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.pool import StaticPool

from its.conditions import Condition, TimeOfDayProfile
from its.errors import InputError
from its.feeds.readings import Reading
from its.settings import Settings
from its.storage.models import ConditionRow, DayKeyRow, ProfileRow, ReadingRow, RealtimeRow

__all__ = ["Store"]

log = logging.getLogger(__name__)

_READING_COLUMNS = ("feed", "kind", "sensor", "time", "edge", "interval_s", "flow_veh_h", "occupancy_pct", "speed_ms", "lon", "lat")


class Store:
    """Readings, conditions history, profiles, pseudonym keys and real-time transit data.

    Parameters
    ----------
    url
        A SQLAlchemy URL: ``sqlite:///path.db`` (folders are created), ``sqlite://`` for
        memory, or ``postgresql+psycopg://user:pw@host/db``.
    migrate
        Bring the schema to the latest migration on opening (default).
    """

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise InputError(f"database URL {url!r} is not a SQLAlchemy URL (e.g. sqlite:///var/its.db)") from None
        self.url = url
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {}
        if self.dialect == "sqlite":
            database = parsed.database
            if database and database != ":memory:":
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            else:
                kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        try:
            self.engine: Engine = create_engine(url, **kwargs)
        except ImportError as error:
            raise InputError(f"database URL {url!r} needs a driver that is not installed: {error}") from None
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        if migrate:
            self.migrate()

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        return cls(settings.database_url)

    def migrate(self, revision: str = "head") -> None:
        """Run the Alembic migrations shipped in this package up to ``revision``."""
        self._alembic("upgrade", revision)

    def downgrade(self, revision: str) -> None:
        """Undo migrations down to ``revision`` (``"base"``: an empty database)."""
        self._alembic("downgrade", revision)

    def _alembic(self, direction: str, revision: str) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                getattr(command, direction)(config, revision)
        except OperationalError as error:
            raise InputError(f"cannot open the database {self._safe_url()}: {error.orig}") from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- readings -----------------------------------------------------------------------------
    def add_readings(self, readings: Sequence[Reading]) -> int:
        """Store readings in one transaction; returns how many were new.

        A reading already stored (same feed, kind, sensor and time) is skipped, so a batch
        sent twice is stored once. When this returns, the batch is committed to disk.
        """
        if not readings:
            return 0
        now = _time.time()
        with self.engine.begin() as connection:
            if self.dialect == "sqlite":
                # SQLAlchemy's executemany builds a dict per row; for the ingest rate the
                # driver's own executemany with tuples is about twice as fast (same statement)
                cursor = connection.connection.driver_connection.cursor()
                cursor.executemany(
                    "INSERT OR IGNORE INTO readings (feed, kind, sensor, time, edge, interval_s, flow_veh_h, "
                    "occupancy_pct, speed_ms, lon, lat, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    [
                        (r.feed, r.kind, r.sensor, r.time, r.edge, r.interval_s, r.flow_veh_h,
                         r.occupancy_pct, r.speed_ms, r.lon, r.lat, now)
                        for r in readings
                    ],
                )  # fmt: skip
                return int(cursor.rowcount)
            rows = [{**{c: getattr(r, c) for c in _READING_COLUMNS}, "received_at": now} for r in readings]
            # RETURNING gives back only the rows inserted, so duplicates are not counted
            statement = self._insert_ignore(ReadingRow).returning(ReadingRow.id)
            return len(connection.execute(statement, rows).all())

    def readings(
        self,
        *,
        since: float | None = None,
        until: float | None = None,
        feed: str | None = None,
        kind: str | None = None,
        edge: str | None = None,
        limit: int | None = None,
    ) -> list[Reading]:
        """Stored readings in time order, filtered by time window, feed, kind or edge."""
        query = select(*(getattr(ReadingRow, c) for c in _READING_COLUMNS))
        if since is not None:
            query = query.where(ReadingRow.time >= since)
        if until is not None:
            query = query.where(ReadingRow.time < until)
        if feed is not None:
            query = query.where(ReadingRow.feed == feed)
        if kind is not None:
            query = query.where(ReadingRow.kind == kind)
        if edge is not None:
            query = query.where(ReadingRow.edge == edge)
        query = query.order_by(ReadingRow.time, ReadingRow.id)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            return [Reading(*row) for row in connection.execute(query)]

    def count_readings(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(ReadingRow)).scalar_one())

    def latest_reading_time(self) -> float | None:
        with self.engine.connect() as connection:
            return connection.execute(select(func.max(ReadingRow.time))).scalar_one()

    # -- conditions and history ---------------------------------------------------------------
    def add_conditions(self, time: float, conditions: Iterable[Condition]) -> int:
        """Keep a snapshot of conditions at ``time`` (Unix seconds) in the history."""
        rows = [
            {"link": c.link_id, "time": time, "speed_ms": c.speed_ms, "travel_time_s": c.travel_time_s,
             "congestion": c.congestion, "level": c.level, "confidence": c.confidence}
            for c in conditions
        ]  # fmt: skip
        if not rows:
            return 0
        with self.engine.begin() as connection:
            connection.execute(self._insert_ignore(ConditionRow), rows)
        return len(rows)

    def condition_history(self, link: str, *, since: float | None = None, until: float | None = None) -> list[dict[str, Any]]:
        query = select(ConditionRow).where(ConditionRow.link == link).order_by(ConditionRow.time)
        if since is not None:
            query = query.where(ConditionRow.time >= since)
        if until is not None:
            query = query.where(ConditionRow.time < until)
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query.with_only_columns(*ConditionRow.__table__.c))]

    def save_profile(self, profile: TimeOfDayProfile) -> int:
        """Replace the stored time-of-day history with ``profile``'s."""
        rows = [{"link": a, "day_type": b, "bin": c, "speed_sum": d, "count": e} for a, b, c, d, e in profile.rows()]
        with self.engine.begin() as connection:
            connection.execute(delete(ProfileRow))
            if rows:
                connection.execute(insert(ProfileRow), rows)
        return len(rows)

    def load_profile(self, profile: TimeOfDayProfile) -> TimeOfDayProfile:
        """Add the stored history to ``profile`` and return it."""
        with self.engine.connect() as connection:
            profile.load(
                connection.execute(select(ProfileRow.link, ProfileRow.day_type, ProfileRow.bin, ProfileRow.speed_sum, ProfileRow.count))
            )
        return profile

    # -- pseudonym keys -----------------------------------------------------------------------
    def day_key(self, day: date) -> bytes:
        """The random pseudonymisation key of a UTC day, shared by every process using this
        store; keys older than the day before are deleted, so old pseudonyms cannot be redone.
        """
        name = day.isoformat()
        with self.engine.begin() as connection:
            connection.execute(delete(DayKeyRow).where(DayKeyRow.day < (day - timedelta(days=1)).isoformat()))
            connection.execute(self._insert_ignore(DayKeyRow), [{"day": name, "key": secrets.token_bytes(32)}])
            return bytes(connection.execute(select(DayKeyRow.key).where(DayKeyRow.day == name)).scalar_one())

    # -- real-time transit --------------------------------------------------------------------
    def put_realtime(self, kind: str, items: Iterable[Any], *, id_field: str, time_field: str = "timestamp") -> int:
        """Keep the latest message per entity (``kind`` ``trip_update`` or ``alert``); an item
        without ``time_field`` is stamped with the time it was stored.
        """
        now = _time.time()
        rows = [
            {"kind": kind, "entity_id": str(getattr(item, id_field)),
             "timestamp": float(getattr(item, time_field, None) or now), "payload": json.dumps(asdict(item))}
            for item in items
        ]  # fmt: skip
        if not rows:
            return 0
        ids = [row["entity_id"] for row in rows]
        with self.engine.begin() as connection:
            for start in range(0, len(ids), 500):
                connection.execute(
                    delete(RealtimeRow).where(RealtimeRow.kind == kind, RealtimeRow.entity_id.in_(ids[start : start + 500]))
                )
            connection.execute(insert(RealtimeRow), rows)
        return len(rows)

    def realtime(self, kind: str) -> list[dict[str, Any]]:
        """The stored messages of a kind, as the dictionaries they were saved from."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(RealtimeRow.payload).where(RealtimeRow.kind == kind).order_by(RealtimeRow.entity_id))
            return [json.loads(payload) for (payload,) in rows]

    # -- retention ----------------------------------------------------------------------------
    def prune(self, *, retention_s: float, now: float | None = None) -> dict[str, int]:
        """Delete readings, condition snapshots and real-time messages older than the retention."""
        cutoff = (now if now is not None else _time.time()) - retention_s
        with self.engine.begin() as connection:
            readings = connection.execute(delete(ReadingRow).where(ReadingRow.time < cutoff)).rowcount
            history = connection.execute(delete(ConditionRow).where(ConditionRow.time < cutoff)).rowcount
            realtime = connection.execute(delete(RealtimeRow).where(RealtimeRow.timestamp < cutoff)).rowcount
        return {"readings": readings, "condition_history": history, "transit_realtime": realtime}

    # -- helpers ------------------------------------------------------------------------------
    def _insert_ignore(self, model: Any) -> Any:
        if self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        elif self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            raise InputError(f"database {self.dialect!r} is not supported; use SQLite or PostgreSQL")
        return dialect_insert(model).on_conflict_do_nothing()

    def _safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()

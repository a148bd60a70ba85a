"""The tables, as SQLAlchemy declarative models (the migrations in ``migrations/`` create them)."""

from __future__ import annotations

from sqlalchemy import Float, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "ConditionRow", "DayKeyRow", "ProfileRow", "ReadingRow", "RealtimeRow"]


class Base(DeclarativeBase):
    pass


class ReadingRow(Base):
    """A normalised reading (see :class:`its.feeds.readings.Reading`); unique per key."""

    __tablename__ = "readings"
    __table_args__ = (
        # time first: readings arrive roughly in time order, so inserts append to the index,
        # and the same index serves time-window queries and retention
        UniqueConstraint("time", "feed", "kind", "sensor", name="uq_readings_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    feed: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    sensor: Mapped[str] = mapped_column(String(128))
    time: Mapped[float] = mapped_column(Float)
    edge: Mapped[str | None] = mapped_column(String(128))
    interval_s: Mapped[float] = mapped_column(Float, default=0.0)
    flow_veh_h: Mapped[float | None] = mapped_column(Float)
    occupancy_pct: Mapped[float | None] = mapped_column(Float)
    speed_ms: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    received_at: Mapped[float] = mapped_column(Float)


class ConditionRow(Base):
    """A snapshot of one link's condition (the conditions history)."""

    __tablename__ = "condition_history"

    link: Mapped[str] = mapped_column(String(128), primary_key=True)
    time: Mapped[float] = mapped_column(Float, primary_key=True)
    speed_ms: Mapped[float | None] = mapped_column(Float)
    travel_time_s: Mapped[float | None] = mapped_column(Float)
    congestion: Mapped[float | None] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)


class ProfileRow(Base):
    """The time-of-day history: sum and count of speeds per link, day type and bin."""

    __tablename__ = "profiles"

    link: Mapped[str] = mapped_column(String(128), primary_key=True)
    day_type: Mapped[int] = mapped_column(Integer, primary_key=True)
    bin: Mapped[int] = mapped_column(Integer, primary_key=True)
    speed_sum: Mapped[float] = mapped_column(Float)
    count: Mapped[float] = mapped_column(Float)


class DayKeyRow(Base):
    """The random pseudonymisation key of one UTC day (dropped after the next day)."""

    __tablename__ = "pseudonym_keys"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[bytes] = mapped_column(LargeBinary(64))


class RealtimeRow(Base):
    """The latest real-time transit message per entity: trip updates and alerts, as JSON."""

    __tablename__ = "transit_realtime"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    timestamp: Mapped[float] = mapped_column(Float)
    payload: Mapped[str] = mapped_column(Text)

"""The store: deduplication, queries, history, keys, retention, migrations, durability."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect

from its.conditions import ConditionsModel, Link, TimeOfDayProfile
from its.errors import InputError
from its.feeds.probes import Pseudonymiser
from its.feeds.readings import Reading
from its.storage.repository import Store
from its.transit import Alert, StopTimeUpdate, TripUpdate

REPO = Path(__file__).resolve().parents[2]
T0 = 1_741_071_600.0


def _readings(n: int, *, t0: float = T0) -> list[Reading]:
    return [Reading("field", "detector", f"d{i % 7}", t0 + (i // 7) * 60, edge=f"e{i % 7}", interval_s=60, speed_ms=10.0 + i % 5) for i in range(n)]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(f"sqlite:///{tmp_path / 'db' / 'its.db'}") as s:
        yield s


def test_sqlite_is_in_wal_mode_with_full_sync(store: Store):
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_a_reading_sent_twice_is_stored_once(store: Store):
    batch = _readings(50)
    assert store.add_readings(batch) == 50
    assert store.add_readings(batch[:20] + _readings(10, t0=T0 + 86_400)) == 10
    assert store.count_readings() == 60
    assert store.add_readings([]) == 0


def test_reading_queries_come_back_in_time_order(store: Store):
    batch = _readings(70)
    store.add_readings(list(reversed(batch)))
    back = store.readings(since=T0 + 60, until=T0 + 300, edge="e3")
    assert [r.time for r in back] == [T0 + 60 * k for k in range(1, 5)]
    assert back[0] == next(r for r in batch if r.edge == "e3" and r.time == T0 + 60)
    assert len(store.readings(kind="probe")) == 0
    assert store.latest_reading_time() == max(r.time for r in batch)


def test_profiles_and_conditions_history(store: Store):
    profile = TimeOfDayProfile()
    profile.add("e1", T0, 12.0)
    profile.add("e1", T0 + 60, 14.0)
    assert store.save_profile(profile) == 1
    loaded = store.load_profile(TimeOfDayProfile())
    assert loaded.mean("e1", T0) == pytest.approx(13.0)
    model = ConditionsModel({"e1": Link("e1", 100.0, 20.0)})
    model.observe(_readings(7))
    assert store.add_conditions(T0, model.conditions(T0).values()) == 7
    history = store.condition_history("e1")
    assert history[0]["time"] == T0 and history[0]["level"] in {"free", "moderate", "heavy", "stopped"}


def test_day_keys_are_shared_and_old_ones_deleted(store: Store, tmp_path: Path):
    key = store.day_key(date(2025, 3, 4))
    assert len(key) == 32 and store.day_key(date(2025, 3, 4)) == key
    with Store(store.url) as other:  # another process or worker sees the same key
        assert Pseudonymiser(other.day_key)("car-1", T0) == Pseudonymiser(store.day_key)("car-1", T0)
    store.day_key(date(2025, 3, 7))
    assert store.day_key(date(2025, 3, 4)) != key  # forgotten, a fresh one


def test_realtime_items_keep_the_latest_per_entity(store: Store):
    first = TripUpdate("t1", T0, delay_s=60.0, stop_time_updates=(StopTimeUpdate(1, "s1", arrival_delay_s=60.0),))
    store.put_realtime("trip_update", [first, TripUpdate("t2", T0)], id_field="trip_id")
    store.put_realtime("trip_update", [TripUpdate("t1", T0 + 30, delay_s=90.0)], id_field="trip_id")
    stored = {u["trip_id"]: u for u in store.realtime("trip_update")}
    assert stored["t1"]["delay_s"] == 90.0 and set(stored) == {"t1", "t2"}
    store.put_realtime("alert", [Alert("a1", "lift out of order")], id_field="alert_id")
    assert store.realtime("alert")[0]["header"] == "lift out of order"


def test_retention_deletes_what_is_older(store: Store):
    store.add_readings(_readings(70) + _readings(7, t0=T0 + 10 * 86_400))
    store.put_realtime("trip_update", [TripUpdate("old", T0)], id_field="trip_id")
    deleted = store.prune(retention_s=86_400, now=T0 + 10.5 * 86_400)
    assert deleted["readings"] == 70 and deleted["transit_realtime"] == 1
    assert store.count_readings() == 7


def test_migrations_create_the_schema_and_go_back_down(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    with Store(url) as s:
        tables = set(inspect(s.engine).get_table_names())
        assert {"readings", "condition_history", "profiles", "pseudonym_keys", "transit_realtime", "alembic_version"} <= tables
        s.downgrade("base")
        assert set(inspect(s.engine).get_table_names()) <= {"alembic_version"}
        s.migrate()
        assert "readings" in inspect(s.engine).get_table_names()


def test_alembic_command_line_config_is_shipped():
    assert (REPO / "its" / "storage" / "alembic.ini").is_file()
    assert (REPO / "its" / "storage" / "migrations" / "versions" / "0001_initial.py").is_file()


def test_bad_urls_are_input_errors(tmp_path: Path):
    with pytest.raises(InputError, match="not a SQLAlchemy URL"):
        Store("no url at all")
    with pytest.raises(InputError, match="not supported|driver"):
        Store("mysql://u:p@127.0.0.1/x")


def test_acknowledged_readings_survive_kill_9(tmp_path: Path):
    """A writer prints 'ack N' after each committed batch and is killed mid-stream."""
    url = f"sqlite:///{tmp_path / 'durable.db'}"
    script = textwrap.dedent(
        f"""
        import sys
        from its.feeds.readings import Reading
        from its.storage.repository import Store
        store = Store({url!r})
        n = 0
        for batch in range(10_000):
            rows = [Reading("f", "detector", f"d{{i}}", {T0} + batch * 60, speed_ms=10.0) for i in range(200)]
            n += store.add_readings(rows)
            print("ack", n, flush=True)
        """
    )
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=REPO)
    acknowledged = 0
    assert writer.stdout is not None
    for line in writer.stdout:
        acknowledged = int(line.split()[1])
        if acknowledged >= 20 * 200:
            os.kill(writer.pid, signal.SIGKILL)
            break
    writer.wait(10)
    writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL
    with Store(url) as after:
        assert after.count_readings() >= acknowledged


@pytest.mark.skipif(not os.environ.get("ITS_TEST_POSTGRES_URL"), reason="no PostgreSQL server: set ITS_TEST_POSTGRES_URL")
def test_postgresql_store():
    with Store(os.environ["ITS_TEST_POSTGRES_URL"]) as pg:
        pg.prune(retention_s=0, now=T0 + 1e9)
        assert pg.add_readings(_readings(30)) == 30
        assert pg.add_readings(_readings(30)) == 0
        assert [r.time for r in pg.readings(edge="e1")] == sorted(r.time for r in _readings(30) if r.edge == "e1")
        assert len(pg.day_key(date(2025, 3, 4))) == 32
        profile = TimeOfDayProfile()
        profile.add("e1", T0, 12.0)
        pg.save_profile(profile)
        assert pg.load_profile(TimeOfDayProfile()).mean("e1", T0) == 12.0
        pg.put_realtime("trip_update", [TripUpdate("t1", T0 + 1e9 - 10, delay_s=30.0)], id_field="trip_id")
        assert pg.realtime("trip_update")[0]["delay_s"] == 30.0
        pg.prune(retention_s=0, now=T0 + 1e9)
        pg.save_profile(TimeOfDayProfile())

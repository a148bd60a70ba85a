"""The validator: each broken rule gives its notice with file, row and field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import pandas as pd
import pytest

from gtfs.read import read_feed
from gtfs.validate import validate
from gtfs.write import write_feed

TODAY = date(2026, 6, 1)


def _edit(folder, name, change):
    table = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
    table = change(table)
    table.to_csv(folder / name, index=False)


def _notices(folder, code):
    report = validate(read_feed(folder), today=TODAY)
    return [n for n in report.notices if n.code == code]


def test_a_written_feed_is_valid(timetable, tmp_path):
    report = validate(read_feed(write_feed(timetable, tmp_path / "feed.zip")), today=TODAY)
    assert report.valid, [n.as_dict() for n in report.errors]
    assert report.warnings == []


@pytest.mark.parametrize(
    ("name", "change", "code", "row", "field"),
    [
        ("stop_times.txt", lambda t: t.assign(arrival_time=t["arrival_time"].where(t.index != 1, "7:61:00")), "invalid_time", 3, "arrival_time"),
        ("stop_times.txt", lambda t: t.assign(stop_id=t["stop_id"].where(t.index != 2, "nowhere")), "foreign_key_violation", 4, "stop_id"),
        ("trips.txt", lambda t: t.assign(route_id=t["route_id"].where(t.index != 0, "r9")), "foreign_key_violation", 2, "route_id"),
        ("trips.txt", lambda t: t.assign(trip_id=t["trip_id"].where(t.index != 1, "t1")), "duplicate_key", 3, "trip_id"),
        ("stops.txt", lambda t: t.assign(stop_lat=t["stop_lat"].where(t.index != 3, "95")), "number_out_of_range", 5, "stop_lat"),
        ("stops.txt", lambda t: t.assign(parent_station=t["parent_station"].where(t.index != 2, "m")), "station_with_parent_station", 4, "parent_station"),
        ("stops.txt", lambda t: t.assign(parent_station=t["parent_station"].where(t.index != 0, "b")), "wrong_parent_location_type", 2, "parent_station"),
        ("routes.txt", lambda t: t.assign(route_short_name="", route_long_name=""), "route_both_short_and_long_name_missing", 2, None),
        ("routes.txt", lambda t: t.assign(route_color="blue"), "invalid_color", 2, "route_color"),
        ("calendar.txt", lambda t: t.assign(end_date=t["end_date"].where(t.index != 0, "20250101")), "start_and_end_range_out_of_order", 2, "end_date"),
        ("trips.txt", lambda t: t.assign(block_id="same"), "block_trips_with_overlapping_stop_times", None, "block_id"),
        ("stop_times.txt", lambda t: t.assign(arrival_time=t["arrival_time"].where(t.index != 2, "06:00:00")), "stop_time_with_arrival_before_previous_departure_time", 4, "arrival_time"),
        ("stop_times.txt", lambda t: t.assign(departure_time=t["departure_time"].where(t.index != 0, "")), "missing_trip_edge", 2, "departure_time"),
        ("agency.txt", lambda t: t.assign(agency_timezone="Mars/Olympus"), "invalid_timezone", 2, "agency_timezone"),
    ],
)
def test_each_rule_points_at_file_row_and_field(timetable, tmp_path, name, change, code, row, field):
    folder = write_feed(timetable, tmp_path / "feed")
    if code == "block_trips_with_overlapping_stop_times":
        # t1 and t2 overlap once t2 starts earlier
        _edit(folder, "stop_times.txt", lambda t: t.assign(departure_time=t["departure_time"].where(t.index != 3, "07:10:00"), arrival_time=t["arrival_time"].where(t.index != 3, "07:10:00")))
    _edit(folder, name, change)
    found = _notices(folder, code)
    assert found, f"no {code}"
    notice = found[0]
    assert notice.file == name and notice.severity == "error"
    if row is not None:
        assert notice.row == row
    assert notice.field == field


def test_missing_files_and_columns(timetable, tmp_path):
    folder = write_feed(timetable, tmp_path / "feed")
    (folder / "calendar.txt").unlink()
    (folder / "calendar_dates.txt").unlink()
    _edit(folder, "trips.txt", lambda t: t.drop(columns=["service_id"]))
    (folder / "routes.txt").unlink()
    report = validate(read_feed(folder), today=TODAY)
    codes = {n.code for n in report.errors}
    assert {"missing_required_file", "missing_calendar_and_calendar_date_files", "missing_required_column"} <= codes
    assert not report.valid


def test_a_row_longer_than_its_header(timetable, tmp_path):
    folder = write_feed(timetable, tmp_path / "feed")
    text = (folder / "routes.txt").read_text().rstrip("\n") + ",extra\n"
    (folder / "routes.txt").write_text(text)
    notices = _notices(folder, "invalid_row_length")
    assert [(n.file, n.row) for n in notices] == [("routes.txt", 2)]


def test_expired_feed_and_not_utf8(timetable, tmp_path):
    folder = write_feed(timetable, tmp_path / "feed")
    (folder / "stops.txt").write_bytes((folder / "stops.txt").read_text().replace("Middle", "Café").encode("latin-1"))
    report = validate(read_feed(folder), today=date(2030, 1, 1))
    assert {"expired_calendar", "non_utf8_encoding"} <= {n.code for n in report.notices}


def _its(*args):
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("ITS_DEBUG", None)
    return subprocess.run([sys.executable, "-c", "from api.cli import main; main()", *map(str, args)], capture_output=True, text=True, env=env, timeout=120)


def test_cli_reports_a_broken_feed_without_a_traceback(timetable, tmp_path):
    folder = write_feed(timetable, tmp_path / "feed")
    _edit(folder, "stop_times.txt", lambda t: t.assign(stop_id=t["stop_id"].where(t.index != 2, "nowhere")))
    done = _its("gtfs", "validate", folder, "--json")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    assert report["valid"] is False
    assert {"code": "foreign_key_violation", "file": "stop_times.txt", "row": 4, "field": "stop_id"}.items() <= report["notices"][0].items()
    table = _its("gtfs", "validate", folder)
    assert table.returncode == 1 and "foreign_key_violation" in table.stdout


def test_cli_one_line_error_for_something_that_is_no_feed(tmp_path):
    (tmp_path / "x.zip").write_text("hello")
    done = _its("gtfs", "validate", tmp_path / "x.zip")
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error:") and "not a zip archive" in done.stderr
    assert "Traceback" not in done.stderr


def test_any_broken_column_or_cell_gives_a_report(timetable, tmp_path_factory):
    """Whatever is dropped or garbled, validation reports it instead of failing."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from gtfs.write import feed_tables

    tables = feed_tables(timetable)
    choices = [(name, column) for name, table in tables.items() for column in table.columns]

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.sampled_from(choices), st.sampled_from(["drop", "", "x", "-1", "99:99:99", "2.5", "\u00e9"]))
    def check(where, value):
        name, column = where
        folder = tmp_path_factory.mktemp("broken")
        for file, table in tables.items():
            t = table.copy()
            if file == name:
                t = t.drop(columns=[column]) if value == "drop" else t.assign(**{column: value})
            t.to_csv(folder / file, index=False)
        report = validate(read_feed(folder), today=TODAY)  # never raises
        assert all(n.file and n.code and n.severity in ("error", "warning", "info") for n in report.notices)
        if value == "99:99:99" and column.endswith("_time"):
            assert any(n.code == "invalid_time" and n.field == column for n in report.errors)

    check()

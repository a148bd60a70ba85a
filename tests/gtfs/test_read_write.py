"""Reading and writing GTFS: round trips, encodings, frequencies, times past midnight."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest

from gtfs.feed import Feed, active_services, materialized, parse_day, trip_ends
from gtfs.read import read_feed, read_timetable, timetable_of
from gtfs.write import feed_tables, write_feed, write_tables
from its.errors import GTFSError


@pytest.mark.parametrize("name", ["feed", "feed.zip"])
def test_write_then_read_gives_the_same_timetable(timetable, tmp_path, name):
    path = write_feed(timetable, tmp_path / name)
    assert read_timetable(path) == timetable


def test_times_past_midnight_stay_on_the_service_day(timetable, tmp_path):
    path = write_feed(timetable, tmp_path / "feed.zip")
    text = zipfile.ZipFile(path).read("stop_times.txt").decode()
    assert "t3,24:50:00,24:50:00,a1,1" in text
    feed = read_feed(path)
    assert feed.stop_times.loc[feed.stop_times["trip_id"] == "t3", "departure_s"].iloc[0] == 24 * 3600 + 50 * 60


def test_calendar_exceptions_decide_the_running_services(timetable, tmp_path):
    feed = read_feed(write_feed(timetable, tmp_path / "feed"))
    assert active_services(feed, parse_day("20261224")) == {"wk"}
    assert active_services(feed, parse_day("20261225")) == {"we"}  # Christmas runs the weekend service
    assert set(trip_ends(feed, day=parse_day("20261226"))["trip_id"]) == {"t3"}


def test_a_feed_not_in_utf8_is_read(timetable, tmp_path):
    folder = write_feed(timetable, tmp_path / "feed")
    stops = (folder / "stops.txt").read_text(encoding="utf-8").replace("Middle", "Café Müller")
    (folder / "stops.txt").write_bytes(stops.encode("cp1252"))
    feed = read_feed(folder)
    assert feed.files["stops.txt"].encoding == "cp1252"
    assert "Café Müller" in set(feed.table("stops.txt")["stop_name"])


def test_frequencies_are_expanded_to_trips(tmp_path, timetable):
    folder = write_feed(timetable, tmp_path / "feed")
    (folder / "frequencies.txt").write_text("trip_id,start_time,end_time,headway_secs\nt1,06:00:00,07:00:00,1200\n")
    feed = read_feed(folder)
    copies = feed.trips[feed.trips["template_id"] == "t1"]
    assert sorted(copies["trip_id"]) == ["t1@060000", "t1@062000", "t1@064000"]
    times = feed.stop_times[feed.stop_times["trip_id"] == "t1@062000"]
    assert list(times["arrival_s"]) == [6 * 3600 + 1200, 6 * 3600 + 1800, 6 * 3600 + 2400]
    assert "t1" not in set(feed.trips["trip_id"])
    # written out as single trips, the copies read back the same
    tables = materialized(feed, {"t1@062000"})
    again = Feed.from_tables(tables)
    assert sorted(again.trips["trip_id"]) == sorted(feed.trips["trip_id"])
    assert again.table("frequencies.txt").empty


def test_stop_times_without_times_are_interpolated(tmp_path, timetable):
    folder = write_feed(timetable, tmp_path / "feed")
    table = pd.read_csv(folder / "stop_times.txt", dtype=str, keep_default_na=False)
    table.loc[(table["trip_id"] == "t1") & (table["stop_sequence"] == "2"), ["arrival_time", "departure_time"]] = ""
    table.to_csv(folder / "stop_times.txt", index=False)
    calls = timetable_of(read_feed(folder)).trips[0].stop_times
    assert calls[1].arrival_s == 7 * 3600 + 600  # halfway between 07:00 and 07:20


def test_tables_written_back_are_the_tables_read(shared_data, tmp_path):
    feed = read_feed(shared_data / "gtfs" / "trimet-vermont-2018-02-06.zip")
    again = read_feed(write_tables(feed, tmp_path / "copy.zip"))
    assert again.tables.keys() == feed.tables.keys()
    for name, table in feed.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], table, check_dtype=False)


def test_a_real_feed_survives_timetable_round_trip(shared_data, tmp_path):
    timetable = read_timetable(shared_data / "gtfs" / "caltrain-2017-07-24.zip")
    assert read_timetable(write_feed(timetable, tmp_path / "caltrain.zip")) == timetable


def test_feed_tables_name_every_required_file(timetable):
    assert {"agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt", "calendar.txt"} <= set(feed_tables(timetable))


def test_not_a_feed_is_a_clear_error(tmp_path):
    (tmp_path / "x.zip").write_text("not a zip")
    with pytest.raises(GTFSError, match="not a zip archive"):
        read_feed(tmp_path / "x.zip")
    with pytest.raises(GTFSError, match="no such GTFS feed"):
        read_feed(tmp_path / "missing")

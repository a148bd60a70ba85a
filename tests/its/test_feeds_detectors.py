"""Detector batches: JSON, NDJSON, CSV and raw PeMS files through the detector adapter."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from its.errors import FeedError
from its.feeds import detectors


def test_json_keeps_good_rows_and_counts_bad_ones_per_reason():
    batch = detectors.from_json(
        json.dumps(
            {
                "feed": "city",
                "readings": [
                    {"detector": "d1", "time": "2025-03-04T07:00:00Z", "interval_s": 60, "vehicles": 10, "occupancy_pct": 8, "speed_kmh": 36},
                    {"detector": "d2", "time": 1741071600, "flow_veh_h": 900, "speed_ms": 12.5},
                    {"detector": "d3", "time": "yesterday", "flow_veh_h": 900},
                    {"time": "2025-03-04T07:00:00Z", "flow_veh_h": 900},
                    {"detector": "d4", "time": 1741071600, "occupancy_pct": 140},
                    {"detector": "d5", "time": 1741071600, "speed_ms": "fast"},
                    {"detector": "d6", "time": 1741071600},
                    "not an object",
                ],
            }
        ),
        detector_edges={"d1": "e1"},
    )
    assert [r.sensor for r in batch.readings] == ["d1", "d2"]
    first = batch.readings[0]
    assert first.feed == "city" and first.edge == "e1" and first.kind == "detector"
    assert first.flow_veh_h == pytest.approx(600.0)  # 10 vehicles in 60 s
    assert first.speed_ms == pytest.approx(10.0)
    assert first.time == datetime(2025, 3, 4, 7, tzinfo=ZoneInfo("UTC")).timestamp()
    assert batch.rejected == {
        "bad time": 1,
        "missing detector": 1,
        "out of range: occupancy_pct": 1,
        "not a number: speed_ms": 1,
        "no measurement": 1,
        "row is not an object": 1,
    }
    assert batch.examples["bad time"] == "row 3"


def test_ndjson_skips_a_broken_line():
    text = '{"detector": "a", "time": 100, "speed_ms": 10}\n{"detector": "b", "time": \n{"detector": "c", "time": 100, "speed_ms": 11}\n'
    batch = detectors.from_json(text)
    assert [r.sensor for r in batch.readings] == ["a", "c"]
    assert batch.rejected == {"malformed json": 1}


def test_nothing_json_at_all_is_a_feed_error():
    with pytest.raises(FeedError, match="not JSON"):
        detectors.from_json(b"\x00\x01garbage")


def test_csv_rows_and_naive_times_in_the_given_zone():
    text = (
        "detector,time,interval_s,flow_veh_h,occupancy_pct,speed_kmh\n"
        "d1,2025-03-04 07:00:00,300,1200,10,72\n"
        "d1,2025-03-04 07:05:00,300,1100,9,\n"
        "d2,2025-03-04 07:00:00,300,abc,10,50\n"
        "d3,2025-03-04 07:00:00,300\n"
        "d4,2025-03-04 07:00:00,300,-5,10,50\n"
    )
    batch = detectors.from_csv(text, tz="America/Chicago")
    assert len(batch.readings) == 2
    assert batch.readings[0].speed_ms == pytest.approx(20.0)
    assert batch.readings[1].speed_ms is None
    assert batch.readings[0].time == datetime(2025, 3, 4, 7, tzinfo=ZoneInfo("America/Chicago")).timestamp()
    assert batch.rejected == {"not a number: flow_veh_h": 1, "wrong column count": 1, "out of range: flow_veh_h": 1}
    assert batch.examples["wrong column count"] == "line 5"


def test_csv_needs_its_key_columns():
    with pytest.raises(FeedError, match="detector and time"):
        detectors.from_csv("sensor,when\nx,1\n")


def test_real_pems_station_files(shared_data):
    folder = shared_data / "feeds" / "pems_d04"
    path = folder / "d04_text_station_5min_2022_10_04.txt"
    text = path.read_text()
    batch = detectors.from_pems(text + "garbage,line\n10/04/2022 25:00:00,1,2,3,4,5,6,7,8,9,10,11\n")
    stations = {r.sensor for r in batch.readings}
    assert stations <= {"401833", "401834", "404531", "404532", "410094", "410095"}
    assert {"401833", "404532"} <= stations
    mainline = [r for r in batch.readings if r.sensor == "401833"]
    assert len(mainline) == 288  # a day of 5-minute intervals
    # 00:00 local (PDT) on 4 October 2022; 88 vehicles in 5 minutes; 70 mph
    first = mainline[0]
    assert first.time == datetime(2022, 10, 4, tzinfo=ZoneInfo("America/Los_Angeles")).timestamp()
    assert first.flow_veh_h == pytest.approx(88 * 12)
    assert first.speed_ms == pytest.approx(70 * 0.44704)
    assert first.occupancy_pct == pytest.approx(1.29)
    # ramps report no speed; rows without any measurement are counted, not kept
    assert all(r.speed_ms is None for r in batch.readings if r.sensor in {"410094", "410095"})
    assert batch.rejected["no measurement"] > 0
    assert batch.rejected["wrong column count"] == 1
    assert batch.rejected["bad time"] == 1
    # morning peak on US-101 N is slower than the night
    by_hour = {}
    for r in mainline:
        hour = datetime.fromtimestamp(r.time, ZoneInfo("America/Los_Angeles")).hour
        by_hour.setdefault(hour, []).append(r.speed_ms)
    assert min(sum(v) / len(v) for h, v in by_hour.items() if 6 <= h <= 10) < sum(by_hour[2]) / len(by_hour[2])

"""Transit workflows across packages: a generated timetable as the scenario's SUMO buses."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from api import services
from simulation.config import RunConfig

SPEC = """
feed = "{feed}"
[service]
start = 2026-01-05
end = 2026-12-31
[[periods]]
name = "am"
start = "06:30"
end = "08:30"
[standards]
min_headway_min = 4
[layover]
min_min = 3
[[lines]]
name = "1"
demand = {{ "07" = [600, 300] }}
"""


@pytest.fixture
def new_feed(tiny, tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(feed=tiny.gtfs))
    _, summary = services.schedule_spec(spec, out=tmp_path / "new.zip", duties=False, time_limit_s=4)
    assert summary["output_errors"] == 0
    return tmp_path / "new.zip", summary


def test_a_generated_feed_becomes_the_scenarios_buses(tiny, new_feed, tmp_path):
    feed, summary = new_feed
    headway = summary["headways_min"]["1/am"]
    assert headway < 10  # more often than the scenario's own 5-10 minutes at 07:00
    done = services.timetable_buses(tiny, feed, tmp_path / "buses.rou.xml")
    vehicles = ET.parse(tmp_path / "buses.rou.xml").getroot().findall("vehicle")
    assert done["buses"] == len(vehicles) > 0 and done["trips_left_out"] == 0
    stops = {s.get("busStop") for v in vehicles for s in v.findall("stop")}
    assert stops <= {"west_gate", "centre_e", "east_gate", "east_gate_w", "centre_w", "west_gate_w"}
    departs = sorted(float(v.get("depart")) for v in vehicles)
    assert departs[0] >= 7 * 3600 - 60 and departs[-1] < 7 * 3600 + 15 * 60


@pytest.mark.sumo
def test_the_new_timetable_runs_in_sumo_as_a_variant(tiny, new_feed, tmp_path):
    from simulation.run import run

    feed, _ = new_feed
    variant = services.timetable_variant(tiny, feed, tmp_path)
    baseline = run(tiny, RunConfig(seed=1))
    changed = run(tiny, RunConfig(seed=1, variant=variant))
    buses = ET.parse(variant.changes[0].routes).getroot().findall("vehicle")
    assert changed.by_type["bus"]["vehicles"] == len(buses)
    assert changed.by_type["bus"]["vehicles"] != baseline.by_type["bus"]["vehicles"]


@pytest.mark.sumo
def test_its_transit_compare_runs_the_new_timetable_as_a_what_if(tiny, new_feed, tmp_path):
    import json
    import os
    import subprocess
    import sys

    feed, _ = new_feed
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("ITS_DEBUG", None)
    done = subprocess.run(
        [sys.executable, "-c", "from api.cli import main; main()", "transit", "compare", str(tiny.root), "--feed", str(feed), "--seeds", "1", "--out", str(tmp_path / "cmp"), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["changes"][0]["kind"] == "bus-timetable"
    assert (tmp_path / "cmp" / "comparison.md").is_file()

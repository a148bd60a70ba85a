"""Building a scenario from plain sources: deterministic, timetabled buses, GTFS beside it."""

from __future__ import annotations

import csv
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from api.services import build_scenario
from its.errors import ScenarioError
from its.scenario import load

pytestmark = pytest.mark.sumo

REPO = Path(__file__).resolve().parents[2]


def _copy_tiny(target: Path) -> Path:
    shutil.copytree(REPO / "scenarios" / "tiny", target, ignore=shutil.ignore_patterns("build"))
    return target


def test_same_sources_give_the_same_files(tiny, tmp_path, settings):
    other = load(_copy_tiny(tmp_path / "tiny"), settings=settings)
    build_scenario(other)
    for name in ("tiny.net.xml", "routes.rou.xml", "buses.rou.xml", "busstops.add.xml", "detectors.add.xml"):
        mine = (tiny.sumocfg.parent / name).read_bytes()
        theirs = (other.sumocfg.parent / name).read_bytes()
        # netconvert stamps its own file with the output path; compare without that line
        assert _without_comments(mine) == _without_comments(theirs), name


def _without_comments(data: bytes) -> bytes:
    text = data.decode()
    while "<!--" in text:
        start = text.index("<!--")
        text = text[:start] + text[text.index("-->", start) + 3 :]
    return text.encode()


def test_unchanged_sources_skip_the_build(tiny):
    assert build_scenario(tiny).skipped


def test_demand_follows_the_matrix(tiny):
    routes = ET.parse(tiny.sumocfg.parent / "routes.rou.xml").getroot()
    vehicles = routes.findall("vehicle")
    # od.csv holds 2,160 trips per hour; the window is a quarter of an hour
    assert 2160 / 4 * 0.85 < len(vehicles) < 2160 / 4 * 1.05
    trucks = sum(v.get("type") == "truck" for v in vehicles)
    assert 0.05 < trucks / len(vehicles) < 0.15
    departs = [float(v.get("depart")) for v in vehicles]
    assert min(departs) >= 25200 and max(departs) < 26100


def test_buses_follow_the_published_timetable(tiny):
    gtfs = tiny.gtfs
    with (gtfs / "stop_times.txt").open() as handle:
        stop_times = {(r["trip_id"], r["stop_id"]): r["departure_time"] for r in csv.DictReader(handle)}
    buses = ET.parse(tiny.sumocfg.parent / "buses.rou.xml").getroot().findall("vehicle")
    assert buses
    for bus in buses:
        trip = bus.get("id").removeprefix("bus_")
        for stop in bus.findall("stop"):
            hh, mm, ss = map(int, stop_times[(trip, stop.get("busStop"))].split(":"))
            assert float(stop.get("until")) == hh * 3600 + mm * 60 + ss


def test_gtfs_feed_has_stations_and_shapes(tiny):
    with (tiny.gtfs / "stops.txt").open() as handle:
        stops = list(csv.DictReader(handle))
    station = next(s for s in stops if s["stop_id"] == "centre")
    assert station["location_type"] == "1"
    platforms = [s for s in stops if s["parent_station"] == "centre"]
    assert {p["stop_id"] for p in platforms} == {"centre_e", "centre_w"}
    lat, lon = float(station["stop_lat"]), float(station["stop_lon"])
    assert 41.9 < lat < 42.1 and -93.1 < lon < -92.9
    assert (tiny.gtfs / "shapes.txt").read_text().count("\n") > 4
    for name in ("agency.txt", "routes.txt", "trips.txt", "calendar.txt", "feed_info.txt"):
        assert (tiny.gtfs / name).is_file()


def test_broken_sources_name_the_file(tmp_path, settings):
    folder = _copy_tiny(tmp_path / "broken")
    (folder / "sources" / "od.csv").write_text("origin,west\nwest,x\n")
    with pytest.raises(ScenarioError, match=r"od.csv:2: 'x' is not a number"):
        build_scenario(load(folder, settings=settings))
    (folder / "sources" / "od.csv").unlink()
    with pytest.raises(ScenarioError, match="missing source file.*od.csv"):
        build_scenario(load(folder, settings=settings))


def test_unknown_stop_edge_in_lines(tmp_path, settings):
    folder = _copy_tiny(tmp_path / "lines")
    lines = folder / "sources" / "lines.toml"
    lines.write_text(lines.read_text().replace('edge = "WA1"', 'edge = "nowhere"'))
    with pytest.raises(ScenarioError, match="stop 'west_gate': edge 'nowhere' is not in the network"):
        build_scenario(load(folder, settings=settings))


def test_a_loop_line_goes_round_back_to_its_first_stop(tiny):
    import sumolib

    from simulation.lines import plan_lines, read_lines_spec

    source = tiny.root / "sources" / "lines.toml"
    spec = read_lines_spec(source)
    loop = spec.lines[0].model_copy(update={"id": "L", "outbound": ("centre_e", "east_gate", "centre_e"), "inbound": ()})
    spec = spec.model_copy(update={"lines": (loop,)})
    net = sumolib.net.readNet(str(tiny.sumocfg.parent / "tiny.net.xml"))
    plan = plan_lines(spec, net, source=source)
    trip = plan.timetable.trips[0]
    edges = plan.trip_edges[trip.trip_id]
    assert edges[0] == edges[-1] == "A1B1" and len(edges) > 4
    for a, b in zip(edges, edges[1:], strict=False):
        assert net.getEdge(b) in net.getEdge(a).getOutgoing(), (a, b)
    offsets = [st.arrival_s - trip.start_s for st in trip.stop_times]
    assert offsets[0] == 0 < offsets[1] < offsets[2]

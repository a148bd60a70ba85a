"""Saturation flows measured in SUMO, and Webster sizing that takes them."""

from __future__ import annotations

import dataclasses
import gzip

import pytest

from its.errors import InputError
from signals.saturation import _rounds, measure, vehicle_type
from signals.webster import Saturation, size


def test_vehicle_type_is_the_demands_own_with_lane_changing_pinned(tmp_path):
    routes = tmp_path / "demand.rou.xml"
    routes.write_text(
        '<routes><vType id="car" length="4.5" accel="2.9"/><vType id="bus" length="12"/>'
        '<vehicle id="a" type="car" depart="0" route="r"/><vehicle id="b" type="bus" depart="1" route="r"/>'
        '<flow id="f" type="car" begin="0" end="60" number="20" route="r"/></routes>'
    )
    from xml.etree.ElementTree import fromstring

    vtype = fromstring(vehicle_type([routes]))
    assert vtype.get("id") == "its-saturation" and vtype.get("length") == "4.5"
    assert vtype.get("lcStrategic") == "-1" and vtype.get("lcSpeedGain") == "0"
    # gzipped, as SUMO reads it (SUMO's game ships its trips so)
    packed = tmp_path / "demand.trips.xml.gz"
    packed.write_bytes(gzip.compress(routes.read_bytes()))
    assert vehicle_type([packed]) == vehicle_type([routes])
    # no vType defined: SUMO's default car
    bare = tmp_path / "bare.rou.xml"
    bare.write_text('<routes><trip id="t" depart="0" from="a" to="b"/></routes>')
    assert fromstring(vehicle_type([bare])).get("length") is None
    broken = tmp_path / "broken.rou.xml"
    broken.write_text("<routes><vehicle")
    with pytest.raises(InputError, match="broken.rou.xml is not valid XML"):
        vehicle_type([broken])


def test_rounds_hold_one_movement_per_signal_on_disjoint_edges(tiny_signals):
    targets = [(s, link) for s in tiny_signals.signals.values() for link in s.links]
    rounds = _rounds(targets)
    key = lambda m: (m[0].tls_id, m[1].index)  # noqa: E731
    assert sorted((m for r in rounds for m in r), key=key) == sorted(targets, key=key)
    busiest = max(len(s.links) for s in tiny_signals.signals.values())
    assert busiest <= len(rounds) < len(targets)
    for members in rounds:
        assert len({s.tls_id for s, _ in members}) == len(members)
        edges = [e for _, link in members for e in (link.from_edge, link.to_edge)]
        assert len(edges) == len(set(edges))


@pytest.mark.sumo
def test_measured_flows_are_plausible_and_turns_discharge_slower(tiny, tiny_signals):
    signal = tiny_signals.signals["B1"]
    by_direction = {}
    for link in signal.links:
        by_direction.setdefault(link.direction, link)
    picked = [by_direction[d] for d in ("s", "r", "l") if d in by_direction]
    assert len(picked) == 3, "B1 has straight, right and left movements"
    lengths = {lane: g.length for lane, g in tiny_signals.lanes.items()}
    from simulation._tools import run_tool

    movements = [(signal, link) for link in picked]
    measured = measure(
        tiny_signals.net_path, movements, vehicle_type([]), lengths, lambda a: run_tool("sumo", a)
    )
    assert set(measured) == {(link.from_lane, link.to_lane) for link in picked}
    straight, right, left = (measured[(link.from_lane, link.to_lane)] for link in picked)
    assert all(1000 < flow < 2600 for flow in measured.values()), measured
    assert straight > left > right  # tighter turns, lower speeds through the junction


def test_measured_saturation_replaces_the_handbook_for_its_movements(cross):
    flows = (500.0, 50.0, 500.0, 50.0, 300.0, 300.0)
    handbook = size(cross, flows)
    through = cross.links[0]
    slow = Saturation(measured={(through.from_lane, through.to_lane): 900.0})
    assert slow.factor(through, "G") == pytest.approx(0.5)
    assert slow.factor(cross.links[4], "G") == 1.0  # not measured: the handbook's
    assert size(cross, flows, saturation=slow).flow_ratio > handbook.flow_ratio
    # a measured permissive left still yields to oncoming traffic
    left = cross.links[1]
    fast_left = dataclasses.replace(slow, measured={(left.from_lane, left.to_lane): 1800.0})
    assert fast_left.factor(left, "g") == pytest.approx(Saturation().permissive)

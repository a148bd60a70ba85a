"""Flows at the signals from routed demand and from detector counts."""

from __future__ import annotations

import pytest

from its.errors import InputError
from signals._routes import count_movements
from signals.flows import Flows, demand_flows, from_lane_counts, from_movements, require_flows

ROUTES = """<routes>
    <route id="r1" edges="a b c"/>
    <routeDistribution id="d1"><route id="r2" edges="a b" probability="3"/><route id="r3" edges="a d" probability="1"/></routeDistribution>
    <vehicle id="v1" depart="10" route="r1"/>
    <vehicle id="v2" depart="20"><route edges="x b c"/></vehicle>
    <vehicle id="late" depart="5000" route="r1"/>
    <vehicle id="v3" depart="30" route="d1"/>
    <flow id="f1" begin="0" end="1800" vehsPerHour="100" route="r1"/>
    <trip id="t1" depart="40" from="a" to="c"/>
</routes>
"""


def test_counting_movements(tmp_path):
    path = tmp_path / "demand.rou.xml"
    path.write_text(ROUTES)
    counts = count_movements([path], begin=0, end=3600)
    # v1, the flow's 50 vehicles, v3 (3/4 on a-b, 1/4 on a-d); v2 enters at x
    assert counts.pairs[("a", "b")] == pytest.approx(1 + 50 + 0.75)
    assert counts.pairs[("b", "c")] == pytest.approx(1 + 1 + 50)
    assert counts.pairs[("a", "d")] == pytest.approx(0.25)
    assert counts.unrouted == 1


def test_gzipped_route_files_and_sumo_clock_times(tmp_path):
    # SUMO reads route files gzipped, and departures as [D:]H:M:S
    import gzip

    path = tmp_path / "demand.rou.xml.gz"
    text = ROUTES.replace('depart="10"', 'depart="0:0:10"').replace('depart="5000"', 'depart="1:0:0:0"')
    path.write_bytes(gzip.compress(text.encode()))
    counts = count_movements([path], begin=0, end=3600)
    assert counts.pairs[("a", "b")] == pytest.approx(1 + 50 + 0.75)  # "1:0:0:0" is a day later
    assert counts.unrouted == 1


def test_trips_must_be_routed_first(tmp_path, cross):
    from signals.model import SignalNetwork

    path = tmp_path / "demand.rou.xml"
    path.write_text(ROUTES)
    network = SignalNetwork(tmp_path / "x.net.xml", {"X": cross}, {}, {}, {}, {})
    with pytest.raises(InputError, match=r"1 vehicles in the demand have no route \(trips\); route them"):
        demand_flows(network, [path], begin=0, end=3600)


def test_demand_flows_on_tiny(tiny, tiny_signals):
    routes = tiny.sumocfg.parent / "routes.rou.xml"
    flows = demand_flows(tiny_signals, [routes], begin=tiny.begin, end=tiny.end)
    assert flows.source == "demand" and flows.detail.endswith("vehicles departing in the window")
    for tls in tiny_signals.signals:
        assert flows.total(tls) > 100  # veh/h through every junction
    lanes = flows.lane_flows(tiny_signals.signals["B1"])
    assert sum(lanes.values()) == pytest.approx(flows.total("B1"))
    with pytest.raises(InputError, match="no vehicle departing"):
        demand_flows(tiny_signals, [routes], begin=0, end=100)


def test_lane_counts_split_by_turning_shares(cross, tmp_path):
    from signals.model import SignalNetwork

    network = SignalNetwork(tmp_path / "x.net.xml", {"X": cross}, {}, {}, {}, {})
    turning = from_movements(network, {("n_in", "s_out"): 300, ("n_in", "e_out"): 100}, hours=1, window=(0, 3600))
    counted = from_lane_counts(network, {"n_in_0": 800, "e_in_0": 200}, window=(0, 3600), turning=turning)
    assert counted.source == "detectors"
    assert counted.of("X")[0] == pytest.approx(600) and counted.of("X")[1] == pytest.approx(200)
    assert counted.of("X")[4] == pytest.approx(200)
    even = from_lane_counts(network, {"n_in_0": 800}, window=(0, 3600))
    assert even.of("X")[:2] == (400, 400)


def test_no_flows_for_a_junction_is_an_error(cross):
    empty = Flows({"X": (0.0,) * 6}, "demand", (0, 3600))
    with pytest.raises(InputError, match="no flows for junction\\(s\\) X between 0 s and 3600 s"):
        require_flows(empty, [cross])

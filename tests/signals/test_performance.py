"""Delay and level of service per junction (signals.performance)."""

from __future__ import annotations

import pytest

from signals.performance import approach_edges, junction_delays, level_of_service, queue_stretches


@pytest.mark.parametrize(
    ("delay", "letter"), [(0.0, "A"), (10.0, "A"), (10.1, "B"), (35.0, "C"), (54.9, "D"), (80.0, "E"), (80.1, "F")]
)
def test_level_of_service_follows_the_hcm_bands(delay, letter):
    assert level_of_service(delay) == letter


def test_approaches_reach_back_to_the_previous_signal(tiny_signals):
    chains = approach_edges(tiny_signals)
    assert set(chains) == set(tiny_signals.signals)
    # A1's approach from the corner A0 carries on round it to the signal at B0, not beyond
    assert chains["A1"]["A0A1"] == ("A0A1", "B0A0")
    # between two signals an approach is the one edge
    assert chains["B1"]["A1B1"] == ("A1B1",)
    assert set(chains["B1"]) == {"A1B1", "B0B1", "B2B1", "C1B1"}
    assert set(approach_edges(tiny_signals, ["B1"])) == {"B1"}


def test_junction_delay_is_the_time_lost_on_its_approaches_per_vehicle_through():
    chains = {"J": {"north": ("north", "far"), "east": ("east", "far")}, "K": {"west": ("west",)}}
    lost = {"north": 300.0, "far": 100.0, "east": 200.0, "west": 50.0, "elsewhere": 999.0}
    left = {"north": 20.0, "east": 10.0, "far": 40.0}
    delays = junction_delays(chains, lost, left, runs=2)
    j = delays["J"]
    # "far" feeds both approaches: it counts for each, but once for the junction
    assert {a.edge: a.delay_s for a in j.approaches} == {"north": 20.0, "east": 30.0}
    assert j.delay_s == pytest.approx((300 + 100 + 200) / 30) and j.los == "B"
    assert j.vehicles == 15.0  # per run
    assert j.worst is not None and j.worst.edge == "east"
    # a signal nobody crossed has no delay, not a division by zero
    assert delays["K"].delay_s is None and delays["K"].los is None and delays["K"].worst is None
    # a queue still there when the runs ended counts with the time it lost so far: 10
    # vehicles stuck on "east" (and a count below zero, vehicles there from before, none)
    stuck = junction_delays(chains, lost, left, remaining={"east": 10.0, "far": -5.0, "west": 5.0}, runs=2)
    assert {a.edge: a.delay_s for a in stuck["J"].approaches} == {"north": 20.0, "east": 15.0}
    assert stuck["J"].delay_s == pytest.approx(600 / 40) and stuck["J"].vehicles == 15.0
    # the queue nobody got out of has its delay
    assert stuck["K"].delay_s == 10.0 and stuck["K"].vehicles == 0.0


def test_queues_are_measured_back_along_the_lanes_feeding_each_stop_line(tiny_signals):
    stretches = {(q.tls_id, q.lanes[-1]): q for q in queue_stretches(tiny_signals, ["A1", "B1"])}
    # one lane per incoming lane of each signal
    assert set(stretches) == {("A1", lane) for lane in tiny_signals.signals["A1"].incoming_lanes} | {
        ("B1", lane) for lane in tiny_signals.signals["B1"].incoming_lanes
    }
    # round the corner A0 to the signal at B0: two lanes, and the stretch ends at a signal
    corner = stretches["A1", "A0A1_0"]
    assert corner.lanes == ("B0A0_0", "A0A1_0") and corner.to_signal and corner.edge == "A0A1"
    assert corner.length_m == pytest.approx(sum(tiny_signals.lanes[lane].length for lane in corner.lanes))
    # between two signals: the one lane; from the edge of the network: the one lane, no signal
    assert stretches["B1", "A1B1_0"].lanes == ("A1B1_0",) and stretches["B1", "A1B1_0"].to_signal
    assert stretches["A1", "WA1_0"].lanes == ("WA1_0",) and not stretches["A1", "WA1_0"].to_signal
    # a shorter reach stops after the first lane that passes it
    assert all(len(q.lanes) == 1 for q in queue_stretches(tiny_signals, ["A1"], reach_m=100.0))

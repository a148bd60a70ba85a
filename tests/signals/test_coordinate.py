"""Offsets: platoons that meet green cost less, and CP-SAT finds offsets at least as good."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from its.errors import InfeasibleError
from signals.check import faults
from signals.coordinate import Pair, _descend, coordinate, coordinated, offset_costs, pairs
from signals.flows import demand_flows
from signals.phases import Timing


def test_platoon_arriving_on_green_waits_least():
    cycle = 60
    up = np.array([t < 30 for t in range(cycle)])
    down = np.array([t < 30 for t in range(cycle)])
    costs = offset_costs(up, down, travel_s=20, flow_veh_h=600)
    # the platoon leaves upstream in the first half; 20 s later it meets the downstream green
    # that starts 20 s after the upstream one
    assert int(np.argmin(costs)) in range(15, 26)
    assert costs.max() > 3 * costs.min()
    with pytest.raises(InfeasibleError, match="same cycle"):
        offset_costs(up, down[:50], travel_s=20, flow_veh_h=600)


@pytest.fixture(scope="module")
def tiny_flows(tiny, tiny_signals):
    return demand_flows(tiny_signals, [tiny.sumocfg.parent / "routes.rou.xml"], begin=tiny.begin, end=tiny.end)


def test_pairs_of_consecutive_signals(tiny_signals, tiny_flows):
    found = pairs(tiny_signals, tiny_flows, list(tiny_signals.signals))
    ends = {(p.upstream, p.downstream) for p in found}
    assert ("A1", "B1") in ends and ("B1", "A1") in ends and ("B0", "B1") in ends
    centre = next(p for p in found if (p.upstream, p.downstream) == ("A1", "B1"))
    assert centre.length_m == pytest.approx(200, abs=40) and 5 < centre.travel_s < 30


def test_coordinated_plans_share_a_cycle_and_improve_the_platoon_delay(tiny_signals, tiny_flows):
    plans, reports = coordinated(tiny_signals, list(tiny_signals.signals), tiny_flows, Timing())
    assert len({p.cycle_s for p in plans}) == 1 and all(p.program_id == "its-coordinated" for p in plans)
    (report,) = reports
    assert report["pairs"] >= 8
    assert report["delay_after_veh_s_per_cycle"] <= report["delay_before_veh_s_per_cycle"]
    assert any(p.offset > 0 for p in plans)
    for plan in plans:
        assert faults(plan, tiny_signals.signals[plan.tls_id]) == []
    again, _ = coordinate(tiny_signals, plans, tiny_flows)
    assert [p.offset for p in again] == [p.offset for p in plans]  # the optimum is stable


def test_offsets_come_from_best_response_when_the_solver_finds_none(tiny_signals, tiny_flows):
    # on a 144-signal grid (1,056 pairs) CP-SAT found no offsets in its 20 s; a zero time
    # limit makes it find none here, and the best-response offsets must stand in for it
    plans, _ = coordinated(tiny_signals, list(tiny_signals.signals), tiny_flows, Timing())
    plans = [replace(p, offset=0.0) for p in plans]
    solved, by_solver = coordinate(tiny_signals, plans, tiny_flows)
    fallback, report = coordinate(tiny_signals, plans, tiny_flows, time_limit_s=0.0)
    assert report["solver"].startswith("best response") and not report["optimal"]
    assert by_solver["solver"] == "cp-sat, optimal"
    assert report["delay_after_veh_s_per_cycle"] < report["delay_before_veh_s_per_cycle"]
    assert report["delay_after_veh_s_per_cycle"] <= 1.05 * by_solver["delay_after_veh_s_per_cycle"]
    assert any(p.offset > 0 for p in fallback)


def test_best_response_reaches_the_optimum_of_a_chain():
    # three signals in a row; each pair's cost is least at a relative offset of 10 s
    cycle = 40
    table = np.abs(((np.arange(cycle) - 10 + cycle // 2) % cycle) - cycle // 2).astype(float)
    chain = [Pair(a, b, (0,), (0,), 10.0, 600.0, 150.0) for a, b in (("A", "B"), ("B", "C"))]
    offsets = _descend(chain, [table, table], {"A": 0, "B": 0, "C": 0}, cycle)
    assert (offsets["B"] - offsets["A"]) % cycle == 10 and (offsets["C"] - offsets["B"]) % cycle == 10


def test_lightly_loaded_signals_run_twice_in_a_busy_neighbours_cycle(tiny_signals, tiny_flows):
    # B1 three times as busy as counted, the others half: B1's Webster cycle leads the group,
    # and its neighbours, whose own cycles fit in half of it, are double cycled
    links = {k: tuple(f * (3.0 if k == "B1" else 0.5) for f in v) for k, v in tiny_flows.links.items()}
    plans, (report,) = coordinated(tiny_signals, list(tiny_signals.signals), replace(tiny_flows, links=links), Timing())
    cycle = report["cycle_s"]
    by_id = {p.tls_id: p for p in plans}
    assert by_id["B1"].cycle_s == cycle and "B1" not in report["half_cycle"]
    assert sorted(report["half_cycle"]) == ["A1", "B0", "B2", "C1"]
    for tls in report["half_cycle"]:
        assert by_id[tls].cycle_s == cycle / 2 and 0 <= by_id[tls].offset < cycle / 2
    for plan in plans:
        assert faults(plan, tiny_signals.signals[plan.tls_id]) == []
    assert report["delay_after_veh_s_per_cycle"] <= report["delay_before_veh_s_per_cycle"]

"""The signal model read from SUMO networks: links, conflicts, programs, bad names."""

from __future__ import annotations

import pytest

from its.errors import InputError, PlanError
from signals.approach import WATCH_IN, WATCH_UP, approaches
from signals.model import read_signals
from signals.phases import Timing, transition
from signals.webster import Saturation


def test_tiny_signals(tiny_signals):
    assert sorted(tiny_signals.signals) == ["A1", "B0", "B1", "B2", "C1"]
    centre = tiny_signals.signals["B1"]
    assert centre.size == 16 and len(centre.links) == 16
    assert [p.state for p in centre.green_phases()] == ["GGGgrrrrGGGgrrrr", "rrrrGGGgrrrrGGGg"]
    # crossing movements from different approaches conflict; a lane's own links never do
    assert centre.conflicts and all(
        centre.links[i].from_edge != centre.links[j].from_edge for i, j in centre.conflicts
    )
    assert all(link.via and link.via[0].startswith(":B1_") for link in centre.links)


def test_selecting_signals(tiny_signals):
    assert [s.tls_id for s in tiny_signals.select(["C1", "A1"])] == ["C1", "A1"]
    assert len(tiny_signals.select(None)) == 5
    with pytest.raises(PlanError, match="junction 'A0' is not signalised \\(type priority\\)"):
        tiny_signals.select(["A0"])
    with pytest.raises(PlanError, match=r"no traffic light 'Z9' \(its traffic lights: 'A1', 'B0'"):
        tiny_signals.select(["Z9"])


def test_missing_or_broken_network(tmp_path):
    with pytest.raises(InputError, match="no such network file"):
        read_signals(tmp_path / "none.net.xml")
    broken = tmp_path / "broken.net.xml"
    broken.write_text("<net><edge id='a'")
    with pytest.raises(InputError, match="not a readable SUMO network"):
        read_signals(broken)


def test_approaches_reach_back_to_the_previous_signal(tiny_signals):
    centre, corner_fed = approaches(tiny_signals, tiny_signals.select(["B1", "A1"]))
    # every approach of the centre starts at a neighbouring signal: nothing further up
    assert {kind for kind, *_ in centre.watch.values()} >= {WATCH_IN}
    assert all(kind != WATCH_UP for kind, *_ in centre.watch.values())
    assert set(centre.upstream_signals) == {"A1", "B0", "B2", "C1"}
    # A1 is fed over the unsignalised corners: their lanes count, further from the stop line
    upstream = [(lane, offset) for lane, (kind, _, offset, _) in corner_fed.watch.items() if kind == WATCH_UP]
    assert upstream and all(offset > 0 for _, offset in upstream)
    assert "B0" in corner_fed.upstream_signals


def test_real_networks_read_and_their_transitions_are_safe(shared_signals):
    from signals.check import check_states, faults

    for name, count in (("cologne1", 1), ("ingolstadt7", 7), ("arterial4x4", 16)):
        network = shared_signals(name)
        assert len(network.signals) == count
        for signal in network.signals.values():
            assert faults(signal.program, signal) == []
            greens = [p.state for p in signal.green_phases()]
            changes = [p.state for a in greens for b in greens if a != b for p in transition(a, b, Timing())]
            assert check_states(greens + changes, signal) == []


def test_a_network_with_pedestrian_crossings(tmp_path):
    """Signals with crossings (real OSM networks have them): a crossing's connection runs from
    a walking area, an internal lane with no approach to watch. Its character stays in every
    state and in the stages that show it, while approaches, platoons and plans read only the
    vehicle links (reading it as a lane raised KeyError ':A1_w1_0')."""
    from signals.approach import approaches
    from signals.check import faults
    from signals.coordinate import pairs
    from signals.flows import Flows
    from signals.webster import webster
    from simulation._tools import run_tool

    args = ["--grid", "--grid.number", "3", "--grid.length", "200", "--default.lanenumber", "2", "--tls.guess"]
    run_tool("netgenerate", [*args, "--sidewalks.guess", "--crossings.guess", "-o", "ped.net.xml"], cwd=tmp_path)
    network = read_signals(tmp_path / "ped.net.xml")
    signal = network.signals["B1"]
    crossings = set(range(signal.size)) - {link.index for link in signal.links}
    assert crossings and all(not link.from_lane.startswith(":") for link in signal.links)
    assert all(approach.lanes for approach in approaches(network, tuple(network.signals.values())))
    flows = Flows({tls: tuple(200.0 for _ in range(s.size)) for tls, s in network.signals.items()}, "demand", (0.0, 3600.0))
    assert {(p.upstream, p.downstream) for p in pairs(network, flows, list(network.signals))} >= {("A1", "B1")}
    plans, _ = webster(list(network.signals.values()), flows, Timing())
    for plan in plans:
        assert faults(plan, network.signals[plan.tls_id]) == []  # every crossing still gets its green
    (b1,) = [p for p in plans if p.tls_id == "B1"]
    assert all(any(p.state[i] == "G" for p in b1.phases) for i in crossings)


def test_a_network_driving_on_the_left_turns_right_across_oncoming_traffic(tmp_path):
    from simulation._tools import run_tool

    args = ["--grid", "--grid.number", "3", "--grid.length", "200", "--default.lanenumber", "2", "--tls.guess"]
    for side, flag in (("right", []), ("left", ["--lefthand"])):
        run_tool("netgenerate", [*args, *flag, "-o", f"{side}.net.xml"], cwd=tmp_path)
        signal = read_signals(tmp_path / f"{side}.net.xml").signals["B1"]
        turns = {link.direction: link for link in signal.links if link.direction in ("l", "r")}
        across, kerb = ("l", "r") if side == "right" else ("r", "l")
        assert turns[across].crosses_oncoming and not turns[kerb].crosses_oncoming
        sat = Saturation()
        # the turn across oncoming traffic gets the left-turn factor, and the permissive one on a g
        assert sat.factor(turns[across], "G") == sat.left and sat.factor(turns[kerb], "G") == sat.right
        assert sat.factor(turns[across], "g") == sat.left * sat.permissive
        assert sat.factor(turns[kerb], "g") == sat.right

"""Networks as people draw them: hand-written programs that show priority green to
conflicting links, red-yellow before greens, rail signals without programs, and SUMO
refusing a configuration (its own game scenarios, shipped with the eclipse-sumo package)."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import replace
from pathlib import Path

import pytest
import sumo

from its.control import Phase, TimingPlan
from signals.check import check_states
from signals.model import is_green_state, read_signals
from signals.sheets import intergreens_csv

GAME = Path(sumo.SUMO_HOME) / "tools" / "game"
#: Braunschweig's research junction: the links leaving its four cycle lanes
CYCLE_LINKS = {0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32}


def test_conflicting_priority_greens_give_way_by_the_junctions_right_of_way(cross):
    # the north left (1) and the south through (2) both G: the left gives way
    program = TimingPlan("X", "p", (Phase("GGGrrr", 30.0), Phase("yyyrrr", 3.0), Phase("rrrrGG", 30.0), Phase("rrrryy", 3.0)))
    signal = replace(cross, programs=(program,), gives_way=frozenset({(1, 2), (3, 0)}))
    assert check_states(["GGGrrr"], signal)  # as written: unsafe by our rule
    assert [p.state for p in signal.green_phases()] == ["GgGrrr", "rrrrGG"]
    assert check_states([p.state for p in signal.green_phases()], signal) == []
    # without a right of way between them, the later link gives way
    assert replace(signal, gives_way=frozenset()).yielding("GGGrrr") == "GGgrrr"
    assert signal.yielding("GgGgrr") == "GgGgrr"  # nothing to change


def test_red_yellow_states_are_not_stages(cross):
    assert not is_green_state("GGuurr") and is_green_state("GGgrrr")
    program = TimingPlan(
        "X", "p", (Phase("GgGgrr", 30.0), Phase("yyyyuu", 2.0), Phase("rrrrGG", 30.0), Phase("uuuuyy", 2.0))
    )
    assert [p.state for p in replace(cross, programs=(program,)).green_phases()] == ["GgGgrr", "rrrrGG"]


@pytest.mark.sumo
def test_hand_written_programs_become_safe_stages():
    # fkk_in: an Ingolstadt junction drawn in netedit whose program shows G to crossing
    # links; fokr: Braunschweig's research junction under DLR's 46-phase signal plan
    cases = [
        (GAME / "fkk_in" / "ingolstadt.net.xml.gz", []),
        (GAME / "fokr_bs_demo" / "fokr_bs.net.xml.gz", [GAME / "fokr_bs_demo" / "signalPlan.add.xml"]),
    ]
    for net, additionals in cases:
        network = read_signals(net, additionals)
        written = [p.state for s in network.signals.values() for p in s.program.phases if check_states([p.state], s)]
        assert written, net.name  # the programs as written break the rule ...
        for signal in network.signals.values():
            greens = [p.state for p in signal.green_phases()]
            assert greens and check_states(greens, signal) == [], (net.name, signal.tls_id)  # ... our stages do not
            assert all("u" not in g for g in greens)


@pytest.mark.sumo
def test_rail_signals_and_crossings_are_not_ours_to_time():
    # the DRT game's OSM network: rail signals and a rail crossing name a `tl` but run no program
    network = read_signals(GAME / "DRT" / "osm.net.xml")
    assert network.signals and all(s.programs for s in network.signals.values())
    assert network.junction_types["2169462564"] == "rail_signal" and "2169462564" not in network.signals
    assert "cluster_2697454311_2697454312" not in network.signals  # a rail crossing


@pytest.mark.sumo
def test_sumo_refusing_a_configuration_says_why(tiny, tmp_path, settings):
    # an option only sumo-gui knows makes SUMO refuse the whole configuration; the message
    # names it rather than only "could not load configuration"
    from its.errors import SimulationError
    from its.scenario import load
    from simulation._sumocfg import read_sumocfg
    from simulation.config import RunConfig
    from simulation.run import run

    cfg = read_sumocfg(tiny.sumocfg)
    broken = tmp_path / "gui.sumocfg"
    broken.write_text(
        "<configuration><input>"
        f'<net-file value="{cfg.net}"/><route-files value="{",".join(str(r) for r in cfg.routes)}"/>'
        '</input><gui_only><osg-view value="true"/></gui_only></configuration>\n',
        encoding="utf-8",
    )
    with pytest.raises(SimulationError, match="No option with the name 'osg-view' exists"):
        run(load(broken, settings=settings), RunConfig(seed=1))


@pytest.mark.sumo
def test_intergreens_grow_with_the_junction():
    # Braunschweig's research junction (about 50 m across) against small OSM junctions; its
    # worst pair is a cyclist's, about 50 m across at 4 m/s (below)
    big = read_signals(GAME / "fokr_bs_demo" / "fokr_bs.net.xml.gz").signals["38"]
    small = read_signals(GAME / "DRT" / "osm.net.xml").signals.values()
    assert 10.0 < big.intergreens.worst()[2] < 16.0
    worst = sorted(s.intergreens.worst()[2] for s in small if s.intergreens.needs)
    assert len(worst) >= 8 and worst[len(worst) // 2] < 3.0
    # every need is between conflicting links, each pair once per direction
    pairs = {(i, j) for i, j, _ in big.intergreens.needs}
    assert len(pairs) == len(big.intergreens.needs)
    assert all((min(i, j), max(i, j)) in big.conflicts for i, j in pairs)
    # a pair of foes whose paths never come near each other needs none: link 21 goes
    # straight across to lane 1 of edge 5, link 13 turns right into its lane 3
    assert (13, 21) in big.conflicts
    assert not {(21, 13), (13, 21)} & pairs


@pytest.mark.sumo
def test_a_vehicle_clears_a_far_crossing_later_than_the_one_at_its_stop_line():
    signal = read_signals(GAME / "fokr_bs_demo" / "fokr_bs.net.xml.gz").signals["38"]
    walks = {(i, c): s for i, c, s in signal.intergreens.walks}
    crossings = {c.index: c for c in signal.walkways}
    # only vehicle links crossing a crossing's path, each pair once
    assert walks and all(i in crossings[c].foes for i, c in walks)
    assert len(walks) == len(signal.intergreens.walks)
    # link 0 (edge -5.5 into edge 3) crosses its own arm's crossing (38) just past its stop
    # line and the exit arm's (45) across the junction: the far one needs more
    assert walks[(0, 38)] < 2.0 < walks[(0, 45)] < 7.0
    assert max(s for (i, _), s in walks.items() if i not in CYCLE_LINKS) < 6.0
    # the matrix written beside a plan lists them after the vehicle pairs
    rows = list(csv.DictReader(io.StringIO(intergreens_csv([signal]))))
    late = [r for r in rows if r["walk_after_s"]]
    assert len(late) == len(walks) and len(rows) == len(walks) + len(signal.intergreens.needs)
    row = next(r for r in late if (r["clearing_link"], r["entering_link"]) == ("0", "45"))
    assert float(row["walk_after_s"]) == walks[(0, 45)] and row["entering_lanes"] == "crossing :38_c7"


@pytest.mark.sumo
def test_the_last_cyclist_out_of_a_cycle_lane_clears_at_a_cyclists_speed():
    # each arm of Braunschweig's junction has a cycle lane (lane 1, bicycles only, under the
    # road's 13.9 m/s limit) beside its lanes for motor traffic
    signal = read_signals(GAME / "fokr_bs_demo" / "fokr_bs.net.xml.gz").signals["38"]
    assert {link.index for link in signal.links if link.from_lane.endswith("_1")} == CYCLE_LINKS
    needs = {(i, j): s for i, j, s in signal.intergreens.needs}
    walks = {(i, c): s for i, c, s in signal.intergreens.walks}
    motor = max(s for (i, _), s in needs.items() if i not in CYCLE_LINKS)
    assert 2.0 < motor < 4.0
    # straight on across the junction (link 1, from edge -5.5 to edge 1) at 4 m/s: the
    # cyclist clears the far side's left turns (link 30) about 12 s after its yellow, and the
    # exit arm's crossing (43) three times later than the cars going straight beside it
    assert 10.0 < needs[(1, 30)] < 15.0
    assert needs[(1, 30)] > 3 * motor
    assert walks[(1, 43)] > 3 * max(walks[(5, 43)], walks[(6, 43)])
    # a cyclist's right turn just past the stop line still clears its own arm's crossing at once
    assert walks[(0, 38)] < 2.0


@pytest.mark.sumo
def test_auto_all_red_follows_the_conflicts_of_each_change():
    from signals.phases import Timing, transition

    signal = read_signals(GAME / "fokr_bs_demo" / "fokr_bs.net.xml.gz").signals["38"]
    greens = [p.state for p in signal.green_phases()]
    auto = Timing(all_red_auto=True)
    waits = set()
    walks = {c.index for c in signal.walkways}
    for a in greens:
        for b in greens:
            if a == b:
                continue
            phases = transition(a, b, auto, signal.walkways, signal.intergreens)
            needs = signal.intergreens.late_start_s(a, b)
            all_red = next((p.duration for p in phases if p.name == "all-red"), 0.0)
            names = [p.name for p in phases]
            if "yellow" not in names:  # no vehicle link loses its green
                assert not needs
                continue
            # when each link gaining green first shows it, in seconds after the common yellow
            first: dict[int, float] = {}
            elapsed = -auto.yellow_s
            for p in phases[names.index("yellow") :]:
                first.update({k: elapsed for k, c in enumerate(p.state) if c in "Gg" and a[k] not in "Gg" and k not in first})
                elapsed += p.duration
            for k, c in enumerate(b):
                if c in "Gg" and a[k] not in "Gg" and k not in walks:
                    start = first.get(k, elapsed)
                    # never before its conflicts have cleared, and no later
                    assert start == max(all_red, math.ceil(needs.get(k, 0.0) - 1e-9))
                    waits.add(start)
            # the change ends when its worst conflict has cleared, as one all-red would
            assert elapsed == math.ceil(signal.intergreens.all_red_s(a, b) - 1e-9)
            # every vehicle link here crosses a pedestrian crossing, where a vehicle may
            # stand for walkers inside the junction: none keeps its green past the yellow
            assert "late end" not in names
            losing = [k for k in range(len(a)) if a[k] in "Gg" and b[k] not in "Gg" and k not in walks]
            assert all(p.state[k] in "yr" for p in phases if p.name == "yellow" for k in losing)
    assert len(waits) > 2 and max(waits) <= math.ceil(signal.intergreens.worst()[2])
    for a in greens:
        for b in greens:
            if a != b:
                # without auto, the timing's own all-red (none by default)
                assert all(p.name != "all-red" for p in transition(a, b, Timing(), signal.walkways, signal.intergreens))

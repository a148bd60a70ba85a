"""Plans as SUMO additional files: written, read back, checked against the network, and run
by SUMO unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from its.control import Phase, TimingPlan
from its.errors import InputError, PlanError
from signals.model import Intergreens
from signals.plans import (
    as_actuated,
    network_plans,
    read_plans,
    switch_points,
    switchable,
    write_plans,
)

PLAN = TimingPlan(
    "B1",
    "its-test",
    (Phase("GGGgrrrrGGGgrrrr", 31, 5, None, "stage 1"), Phase("yyyyrrrryyyyrrrr", 3), Phase("rrrrGGGgrrrrGGGg", 19), Phase("rrrryyyyrrrryyyy", 3)),
    offset=7,
)


def test_round_trip(tmp_path, tiny_signals):
    path = write_plans([PLAN], tmp_path / "plan.add.xml", comment="a test -- with dashes")
    (back,) = read_plans(path, tiny_signals)
    assert back == PLAN
    assert "programID=\"its-test\"" in path.read_text()


def test_a_gzipped_plan_file_reads_as_plain(tmp_path, tiny_signals):
    import gzip

    path = write_plans([PLAN], tmp_path / "plan.add.xml")
    packed = tmp_path / "plan.add.xml.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    assert read_plans(packed, tiny_signals) == (PLAN,)


def test_time_of_day_schedule_is_written_as_a_waut(tmp_path):
    second = TimingPlan("B1", "its-test-2", PLAN.phases)
    path = write_plans([PLAN, second], tmp_path / "tod.add.xml", schedules=[("B1", [(0.0, "its-test"), (3600.0, "its-test-2")])])
    text = path.read_text()
    assert '<wautSwitch time="3600" to="its-test-2"/>' in text and 'junctionID="B1"' in text
    assert len(read_plans(path)) == 2


NS, EW = PLAN.phases[0].state, PLAN.phases[2].state


def _program(program_id, *stages, offset=0.0):
    """A fixed-time program of B1 through ``stages`` ((state, green s)), each with a 3 s yellow."""
    phases = []
    for state, green in stages:
        phases += [Phase(state, green, 5, None, "stage"), Phase(state.replace("G", "y").replace("g", "y"), 3)]
    return TimingPlan("B1", program_id, tuple(phases), offset=offset)


def test_switch_points_meet_at_a_green_both_programs_show():
    first = _program("a", (NS, 31), (EW, 19))
    turned = _program("b", (EW, 20), (NS, 25))  # the other stage first
    assert switch_points([first, turned]) == (34.0, 0.0)  # east-west's green in both
    wider = NS[:4] + "G" + NS[5:]  # north-south with one more link, which does not conflict with it
    assert switch_points([first, _program("c", (wider, 30), (EW, 20))]) == (0.0, 0.0)
    assert switch_points([first, turned, first]) == (0.0, 23.0, 0.0)  # north-south throughout
    # the chain can leave a program only where it entered it
    split = _program("d", ("GGGGrrrrrrrrrrrr", 20), ("rrrrrrrrGGGGrrrr", 20), (EW, 20))
    assert switch_points([first, split]) == (34.0, 46.0)
    # north's own green is part of north-south's: the links joining it start as it starts
    north = _program("e", ("GGGGrrrrrrrrrrrr", 20), ("rrrrrrrrGGGGrrrr", 20))
    assert switch_points([split, north, first]) == (0.0, 0.0, 0.0)
    with pytest.raises(PlanError, match="B1: no safe point to switch from program 'e' to 'f'"):
        switch_points([split, north, _program("f", (EW, 30))])


def test_a_wider_green_waits_for_the_all_red_its_added_links_need():
    """Under ``--all-red auto`` a switch into a wider green must leave the added links the
    all-red the intergreen matrix asks after the links that last had green."""
    first = _program("a", (NS, 31), (EW, 19))
    split = _program("d", ("GGGGrrrrrrrrrrrr", 20), ("rrrrrrrrGGGGrrrr", 20), (EW, 20))
    assert switch_points([split, first]) == (0.0, 0.0)  # fixed all-red: north's start, south joining
    # south's link 8 needs 2 s after east-west's link 4, whose yellow ends as north starts
    south_after_east = Intergreens(needs=((4, 8, 2.0),))
    assert switch_points([split, first], south_after_east) == (23.0, 0.0)  # south's start, north joining
    # east-west's yellow ended 23 s before south's start: north may join unless it needs more
    assert switch_points([split, first], Intergreens(needs=((4, 8, 2.0), (4, 0, 2.0)))) == (23.0, 0.0)
    longer = Intergreens(needs=((4, 8, 2.0), (4, 0, 24.0)))
    assert switch_points([split, first], longer) == (46.0, 34.0)  # only east-west's own green is left
    assert not switchable([split, _program("f", (NS, 30))], longer)
    # a 2 s all-red before north's green clears it
    cleared = TimingPlan("B1", "d", (*split.phases, Phase("r" * 16, 2)))
    assert switch_points([cleared, first], south_after_east) == (0.0, 0.0)


def test_a_time_of_day_chart_draws_each_schedule(tmp_path):
    from signals.diagram import time_of_day_chart

    first, turned = _program("a", (NS, 31), (EW, 19)), _program("b", (EW, 20), (NS, 25))
    schedule = [("B1", [(25200.0, "a"), (27000.0, "b")])]
    path = time_of_day_chart([first, turned], schedule, tmp_path / "tod.png", end=28800.0)
    assert path.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(InputError, match="B1: the schedule names program 'z'"):
        time_of_day_chart([first], [("B1", [(25200.0, "a"), (27000.0, "z")])], tmp_path / "bad.png", end=28800.0)
    assert not (tmp_path / "bad.png").exists()


def test_a_schedule_switches_at_its_points(tmp_path):
    first, turned = _program("a", (NS, 31), (EW, 19)), _program("b", (EW, 20), (NS, 25))
    text = write_plans([first, turned], tmp_path / "tod.add.xml", schedules=[("B1", [(0.0, "a"), (600.0, "b")])]).read_text()
    assert text.count('<param key="GSP" value="34"/>') == 1 and text.count('<param key="GSP" value="0"/>') == 1
    assert 'junctionID="B1" procedure="GSP" synchron="true"' in text
    with pytest.raises(PlanError, match="switches to program 'z', which is not among the plans"):
        write_plans([first], tmp_path / "bad.add.xml", schedules=[("B1", [(0.0, "a"), (600.0, "z")])])
    assert not (tmp_path / "bad.add.xml").exists()



def test_bad_plan_files(tmp_path, tiny_signals):
    broken = tmp_path / "broken.add.xml"
    broken.write_text("<additional><tlLogic id='B1'>\n")
    with pytest.raises(PlanError, match="broken.add.xml:2:0: malformed XML"):
        read_plans(broken)
    empty = tmp_path / "empty.add.xml"
    empty.write_text("<additional/>")
    with pytest.raises(PlanError, match="holds no tlLogic"):
        read_plans(empty)
    other = write_plans([TimingPlan("Q7", "x", (Phase("GGrr", 30),))], tmp_path / "other.add.xml")
    with pytest.raises(PlanError, match="traffic light 'Q7' is not in"):
        read_plans(other, tiny_signals)
    # signals of another network are named once, with the ones this network has
    others = write_plans([TimingPlan(t, "x", (Phase("GGrr", 30),)) for t in ("Q7", "Q8")], tmp_path / "others.add.xml")
    with pytest.raises(PlanError, match=r"traffic lights 'Q7', 'Q8' are not in tiny.net.xml \(its traffic lights: 'A1', "):
        read_plans(others, tiny_signals)
    wrong = write_plans([TimingPlan("B1", "x", (Phase("GGrr", 30), Phase("yyrr", 3)))], tmp_path / "wrong.add.xml")
    with pytest.raises(PlanError, match="states have 4 signals but the junction controls 16"):
        read_plans(wrong, tiny_signals)
    bad_time = tmp_path / "time.add.xml"
    bad_time.write_text('<additional><tlLogic id="B1"><phase duration="soon" state="G"/></tlLogic></additional>')
    with pytest.raises(PlanError, match="duration must be a number"):
        read_plans(bad_time)
    nema = tmp_path / "nema.add.xml"
    nema.write_text('<additional><tlLogic id="B1" type="NEMA"><phase duration="30" state="G"/></tlLogic></additional>')
    with pytest.raises(PlanError, match="nema.add.xml: tlLogic 'B1' program '0' has type 'NEMA'; a plan is static"):
        read_plans(nema)


def test_write_is_atomic(tmp_path):
    path = write_plans([PLAN], tmp_path / "plan.add.xml")
    before = path.read_text()
    with pytest.raises(PlanError):
        write_plans([], path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["plan.add.xml"]
    (tmp_path / "usual.txt").write_text("")
    assert path.stat().st_mode == (tmp_path / "usual.txt").stat().st_mode  # not mkstemp's 0600


def test_actuated_program_keeps_order_and_bounds(tiny_signals):
    (shipped,) = network_plans(tiny_signals, ["B1"])
    actuated = as_actuated(shipped)
    assert actuated.type == "actuated" and [p.state for p in actuated.phases] == [p.state for p in shipped.phases]
    greens = [p for p in actuated.phases if "G" in p.state]
    assert all(p.min_dur == 5 and p.max_dur >= p.duration for p in greens)


class ProgramProbe:
    """Records, inside the simulation, the program SUMO runs at each signal."""

    interval_s = 30.0

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: list[list[object]] = []

    def start(self, sim) -> None:
        """Nothing to set up: it only records what it sees in ``act``."""

    def act(self, sim) -> None:
        for tls in ("B1", "A1"):
            logic = [lg for lg in sim.apply("trafficlight", "getAllProgramLogics", tls) if lg.programID == sim.apply("trafficlight", "getProgram", tls)][0]
            self.seen.append([sim.time(), tls, logic.programID, [[p.duration, p.state] for p in logic.phases]])

    def finish(self, sim) -> None:
        self.path.write_text(json.dumps(self.seen))


class StateProbe(ProgramProbe):
    """Records, every second inside the simulation, the program and state of B1."""

    interval_s = 1.0

    def act(self, sim) -> None:
        shown = sim.apply("trafficlight", "getRedYellowGreenState", "B1")
        self.seen.append([sim.time(), sim.apply("trafficlight", "getProgram", "B1"), shown])


@pytest.mark.sumo
def test_sumo_runs_a_written_plan_unchanged(tiny, tmp_path):
    from simulation.config import RunConfig
    from simulation.run import run

    path = write_plans([PLAN], tmp_path / "plan.add.xml")
    probe = tmp_path / "probe.json"
    result = run(tiny, RunConfig(seed=1, end=25500, additional_files=(path,), controllers=(ProgramProbe(probe),)))
    assert result.kpis["vehicles_arrived"] > 0
    seen = json.loads(probe.read_text())
    centre = [s for s in seen if s[1] == "B1"]
    assert all(s[2] == "its-test" for s in centre)
    assert centre[0][3] == [[p.duration, p.state] for p in PLAN.phases]
    assert all(s[2] == "0" for s in seen if s[1] == "A1")  # the others keep their program


def test_programs_an_additional_file_loads_are_the_ones_shipped(tmp_path, tiny, tiny_signals):
    # SUMO runs the program it loads last: a scenario's own plan in an additional file
    from signals.model import read_signals
    from simulation._sumocfg import read_sumocfg

    net = read_sumocfg(tiny.sumocfg).net
    signal = next(iter(tiny_signals.signals.values()))
    greens = [p for p in signal.program.phases if "G" in p.state]
    own = TimingPlan(signal.tls_id, "field", tuple(Phase(p.state, 17.0) for p in signal.program.phases))
    path = write_plans([own], tmp_path / "field.add.xml")
    types = tmp_path / "types.add.xml"
    types.write_text("<additional><vType id='car'/></additional>")
    loaded = read_signals(net, [types, path]).signals[signal.tls_id]
    assert loaded.program.program_id == "field" and loaded.program.phases[0].duration == 17.0
    assert [p.program_id for p in loaded.programs] == ["field", *(p.program_id for p in signal.programs)]
    assert len(loaded.green_phases()) == len({p.state for p in greens})
    short = TimingPlan(signal.tls_id, "short", (Phase("G", 30.0),))
    with pytest.raises(PlanError, match="program 'short' has states of 1 signals"):
        read_signals(net, [write_plans([short], tmp_path / "short.add.xml")])
    stranger = TimingPlan("atlantis", "0", own.phases)
    with pytest.raises(PlanError, match="tlLogic 'atlantis' is not a traffic light of"):
        read_signals(net, [write_plans([stranger], tmp_path / "stranger.add.xml")])


@pytest.mark.sumo
def test_a_time_of_day_switch_gives_every_ending_green_its_yellow(tiny, tmp_path):
    from simulation.config import RunConfig
    from simulation.run import run

    # at 07:00:36 the first program (a 56 s cycle) is 2 s into its east-west green, where
    # the second's clock (a 51 s cycle) stands 19 s into its north-south green: switching
    # there at once would turn east-west red with no yellow and north-south green across it
    first, turned = _program("a", (NS, 31), (EW, 19)), _program("b", (EW, 20), (NS, 25))
    path = write_plans([first, turned], tmp_path / "tod.add.xml", schedules=[("B1", [(25200.0, "a"), (25236.0, "b")])])
    probe = tmp_path / "states.json"
    run(tiny, RunConfig(seed=1, begin=25200, end=25500, additional_files=(path,), controllers=(StateProbe(probe),)))
    seen = json.loads(probe.read_text())
    assert {program for _, program, _ in seen[:30]} == {"a"} and seen[-1][1] == "b"
    for (_, _, before), (t, _, after) in zip(seen, seen[1:], strict=False):
        cut = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a in "Gg" and b in "rs"]
        assert not cut, f"{t}: links {cut} went from green to red with no yellow"
    switched = next(t for t, program, _ in seen if program == "b")
    assert switched >= 25236

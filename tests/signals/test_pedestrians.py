"""Pedestrian crossings: the clearance after a walk, the checker's rule for it, SUMO's own
clearance phases not taken for stages, and adaptive controllers that show a walk only on a
call and never cut a pedestrian's clearance short (on a netgenerate grid with crossings)."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from its.control import Phase, TimingPlan
from signals.check import faults
from signals.model import GREEN, PEDESTRIAN_CLEARANCE, Crossing, Signal, is_stage
from signals.phases import Stage, Timing, build_plan, clearance_s, green_stages, transition
from signals.sheets import sheet_csv, sheet_markdown
from tests.signals._fakes import WalkSim

#: Index 6 walks across the north arm, 12 m: the north approach's through (0) and left (1)
#: and the south approach's through (2), which leaves by the north arm, cross its path.
WALK = Crossing(6, 12.0, frozenset({0, 1, 2}), ":X_c0", (":X_w0", ":X_w1"))
NS, EW = "GgGgrrr", "rrrrGGG"


@pytest.fixture(scope="module")
def walk_cross(cross) -> Signal:
    """The hand-made crossroads with the crossing, under a program as netconvert writes one:
    the crossing turns red 5 s before the yellow, its vehicles still green."""
    program = TimingPlan(
        "X",
        "0",
        (
            Phase(NS, 30.0),
            Phase("yyyyrrr", 3.0),
            Phase(EW, 30.0),
            Phase("rrrrGGr", 5.0),
            Phase("rrrryyr", 3.0),
        ),
    )
    conflicts = cross.conflicts | {(0, 6), (1, 6), (2, 6)}
    return Signal("X", cross.links, 7, conflicts, (program,), ("X",), crossings=frozenset({6}), walkways=(WALK,))


def test_a_walk_ending_is_cleared_for_the_crossing_length():
    # 12 m at 1.2 m/s is 10 s: 3 s of yellow cover part, 7 s come first with the
    # crossing red and its vehicles still green; a pedestrian signal shows no yellow
    phases = transition(EW, NS, Timing(), (WALK,))
    assert [(p.state, p.duration, p.name) for p in phases] == [
        ("rrrrGGr", 7.0, PEDESTRIAN_CLEARANCE),
        ("rrrryyr", 3.0, "yellow"),
    ]
    assert clearance_s(EW, NS, Timing(), (WALK,)) == 10.0
    # MUTCD's 3.5 ft/s: 12 / 1.07 = 11.2 s, 9 s of it before the yellow (whole seconds, up)
    assert transition(EW, NS, Timing(walking_speed_ms=1.07), (WALK,))[0].duration == 9.0
    # an all-red covers its share too
    assert transition(EW, NS, Timing(all_red_s=2.0), (WALK,))[0].duration == 5.0


def test_no_clearance_without_a_walk_shown_or_a_vehicle_crossing_its_path():
    # the walk was not shown (no pedestrian called): yellow only
    assert [p.state for p in transition("rrrrGGr", NS, Timing(), (WALK,))] == ["rrrryyr"]
    # nothing that crosses the pedestrians' path turns green: the crossing just turns red
    assert [p.state for p in transition(EW, "rrrrGrr", Timing(), (WALK,))] == ["rrrrGyr"]
    # ... but in a fixed-time plan it may once the next green has had its 5 s minimum:
    # the 10 s less that and the 3 s of yellow come first
    fixed = transition(EW, "rrrrGrr", Timing(), (WALK,), late_walks=True)
    assert [(p.state, p.duration) for p in fixed] == [("rrrrGGr", 2.0), ("rrrrGyr", 3.0)]
    longer = transition(EW, "rrrrGrr", Timing(min_green_s=7.0), (WALK,), late_walks=True)
    assert [p.state for p in longer] == ["rrrrGyr"]
    # without the crossing's geometry the old transition (crossing yellow like a lane)
    assert [p.state for p in transition(EW, NS, Timing())] == ["rrrryyy"]


def test_plans_built_with_crossings_pass_the_checker(walk_cross):
    plan = build_plan("X", [Stage(NS, 20), Stage(EW, 15)], Timing(), program_id="p", walkways=(WALK,))
    assert [p.name for p in plan.phases] == ["stage 1", "yellow", "stage 2", PEDESTRIAN_CLEARANCE, "yellow"]
    assert faults(plan, walk_cross) == []
    # the clearance is not a stage: methods that read stages back see two
    assert [s.green_s for s in green_stages(plan)] == [20, 15]
    assert [is_stage(p) for p in plan.phases] == [True, False, True, False, False]
    assert "| 4 | pedestrian clearance | 38 | 7 |" in sheet_markdown(plan, walk_cross)
    assert "pedestrian crossing, 12.0 m" in sheet_markdown(plan, walk_cross)
    assert ",pedestrian clearance," in sheet_csv([plan])


def test_the_checker_catches_a_clearance_too_short(walk_cross):
    # netconvert's 5 s + 3 s of yellow: 8 s, where 12 m need 10 s
    found = faults(walk_cross.program, walk_cross)
    assert [(f.kind, f.phase) for f in found] == [("pedestrian-clearance", 2)]  # the walk ends with phase 2
    assert "crossing 6 (12.0 m) is red 8 s before link 0" in found[0].message
    assert "needs 10.0 s" in found[0].message
    # at 1.5 m/s the same program is fine; and a crossing turning red without yellow is
    # not a missing yellow (pedestrian signals have none)
    assert faults(walk_cross.program, walk_cross, Timing(walking_speed_ms=1.5)) == []
    # a walk ended straight into the conflicting green
    abrupt = TimingPlan("X", "a", (Phase(NS, 30.0), Phase("yyyyrrr", 3.0), Phase(EW, 30.0), Phase("rrrryyr", 3.0)))
    kinds = [f.kind for f in faults(abrupt, walk_cross)]
    assert kinds == ["pedestrian-clearance"]


def test_sumo_clearance_phases_are_not_stages(walk_cross):
    # the program's 5 s phase serves the same vehicles as the green before it with the
    # crossing red: a controller choosing it would never let anyone cross
    assert [p.state for p in walk_cross.green_phases()] == [NS, EW]


# -- on a real SUMO grid ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def grid(crossings_cfg):
    from signals.model import read_signals

    return read_signals(crossings_cfg.parent / "net.net.xml")


@pytest.mark.sumo
def test_crossings_are_read_with_length_foes_and_ends(grid):
    centre = grid.signals["B1"]
    assert len(centre.walkways) == 4 == len(centre.crossings)
    for crossing in centre.walkways:
        assert 10.0 < crossing.length_m < 20.0  # two lanes each way
        assert crossing.foes and crossing.foes <= {link.index for link in centre.links}
        assert crossing.edge.startswith(":B1_c") and len(crossing.sides) == 2
    # netconvert's programs end each walk with a 5 s clearance phase: not a stage
    assert len(centre.green_phases()) == 2


@pytest.mark.sumo
def test_webster_times_the_clearance_of_every_crossing(crossings_cfg, settings):
    from api.services.signals import signal_plans, signal_window
    from its.scenario import load

    window = signal_window(load(crossings_cfg, settings=settings))
    outcome = signal_plans(window, "webster")
    timing = Timing()
    for plan in outcome.plans:
        signal = window.network.signals[plan.tls_id]
        assert faults(plan, signal, timing) == []
        if signal.walkways and len(green_stages(plan)) > 1:
            clearances = [p for p in plan.phases if p.name == PEDESTRIAN_CLEARANCE]
            longest = max(c.length_m for c in signal.walkways)
            assert clearances and max(p.duration for p in clearances) == math.ceil(
                longest / timing.walking_speed_ms - timing.intergreen_s
            )
    # a walk starting as a vehicle crossing its path has just lost green starts late, and
    # the checker sizing intergreens from the geometry finds none too early; US practice
    # (late_walks off) starts it with the green
    from signals.model import LATE_WALK

    late = [p for plan in outcome.plans for p in plan.phases if p.name == LATE_WALK]
    assert late and all(1.0 <= p.duration <= 3.0 for p in late)
    auto = Timing(all_red_auto=True)
    for plan in signal_plans(window, "webster", timing=auto).plans:
        assert [f for f in faults(plan, window.network.signals[plan.tls_id], auto) if f.kind == "early-walk"] == []
    us = signal_plans(window, "webster", timing=Timing(late_walks=False)).plans
    assert not [p for plan in us for p in plan.phases if p.name == LATE_WALK]


@pytest.mark.sumo
@pytest.mark.parametrize("name, timing", [("lookahead", Timing(min_walk_s=7.0)), ("max-pressure", Timing())])
def test_adaptive_control_walks_on_call_and_clears_every_walk(name, timing, crossings_cfg, settings, grid, tmp_path):
    from its.scenario import load
    from signals.controllers import make_controller
    from simulation.config import RunConfig
    from simulation.run import run

    log = tmp_path / "states.jsonl"
    controller = make_controller(name, grid, timing=timing, log=log)
    kpis = run(load(crossings_cfg, settings=settings), RunConfig(seed=1, controllers=(controller,))).kpis
    assert kpis["persons_arrived"] == 60 and kpis["vehicles_arrived"] == 120
    assert kpis["mean_person_waiting_time_s"] < timing.max_pedestrian_wait_s
    sequences: dict[str, list[tuple[float, str]]] = {}
    for t, tls, shown, _ in (json.loads(line) for line in log.read_text().splitlines()):
        sequences.setdefault(tls, []).append((t, shown))
    walks: dict[str, int] = {}
    for tls, sequence in sequences.items():
        for crossing in grid.signals[tls].walkways:
            k, needed = crossing.index, crossing.length_m / timing.walking_speed_ms
            lit = None
            for (_, before), (t_end, after) in zip(sequence, sequence[1:], strict=False):
                if before[k] not in GREEN and after[k] in GREEN:
                    walks[tls] = walks.get(tls, 0) + 1
                    lit = t_end
                if before[k] in GREEN and after[k] not in GREEN:
                    # a walk seen starting lasted its minimum (7 s for lookahead here)
                    assert lit is None or t_end - lit >= timing.walk_s - 1e-6, (tls, k, lit, t_end)
                    # the first later state giving a vehicle crossing the path priority green
                    starts = [t for t, s in sequence if t >= t_end and any(s[f] == "G" for f in crossing.foes)]
                    assert not starts or starts[0] - t_end >= needed - 1e-6, (tls, k, t_end, starts[:1])
    # the walkers cross at the centre only: elsewhere no walk starts (beyond the one the
    # programs show as the run begins)
    assert walks.get("B1", 0) > 0 and set(walks) == {"B1"}


def test_split_phases_walk_the_crossings_they_do_not_cross(walk_cross):
    from dataclasses import replace

    from signals.phases import split_greens

    # a program with protected lefts, so each approach may run alone; the crossing here
    # walks the south arm (crossed by the south approach's links 2 and 3)
    program = TimingPlan(
        "X", "p", (Phase("GgGgrrr", 30.0), Phase("yyyyrrr", 3.0), Phase("rGrGrrr", 10.0), Phase("ryryrrr", 3.0),
                   Phase("rrrrGGG", 30.0), Phase("rrrryyr", 3.0)),
    )  # fmt: skip
    south = Crossing(6, 12.0, frozenset({2, 3}), ":X_c0", (":X_w0", ":X_w1"))
    signal = replace(walk_cross, programs=(program,), walkways=(south,))
    splits = split_greens(signal)
    assert "GGrrrrG" in splits  # the north approach alone, and the crossing it does not cross
    for state in splits:
        crossed = any(state[f] in GREEN for f in south.foes)
        assert (state[6] in GREEN) is not crossed, state


def test_webster_counts_a_pedestrian_clearance_as_its_vehicles_green(walk_cross):
    from signals.webster import size

    # a 60 s cycle: two 3 s yellows are lost; the 7 s after the east-west walk ends are not,
    # the east-west vehicles are still green then
    sizing = size(walk_cross, [300.0, 60.0, 300.0, 60.0, 500.0, 500.0, 0.0], Timing(), cycle_s=60)
    assert sizing.lost_s == pytest.approx(6.0)
    stages = [Stage(s, g) for s, g in zip(sizing.stages, sizing.greens_s, strict=True)]
    plan = build_plan("X", stages, Timing(), program_id="p", walkways=(WALK,))
    assert plan.cycle_s == 60.0 and faults(plan, walk_cross) == []
    # east-west carries more per lane (500 against 360 veh/h), but its 7 s of clearance
    # serve it too: north-south gets the longer walk phase (counted as lost, the clearance
    # left north-south 21 s against east-west's 26 s)
    green = dict(zip(sizing.stages, sizing.greens_s, strict=True))
    assert green[NS] > green[EW] >= Timing().min_green_s


def test_a_fixed_plan_starts_a_walk_once_the_last_vehicle_across_it_is_past():
    from signals.model import LATE_WALK, Intergreens

    # north-south's through (0) and left (1) cross the north-arm crossing (6) 4.4 and
    # 1.5 s after their yellow ends; a second crossing (7) only the left, 1.5 s
    walks = Intergreens(walks=((0, 6, 4.4), (1, 6, 1.5), (1, 7, 1.5)))
    ns, ew = "GgGgrrrr", "rrrrGGGG"
    phases = transition(ns, ew, Timing(), (), walks, late_walks=True)
    assert [(p.state, p.duration, p.name) for p in phases] == [
        ("yyyyrrrr", 3.0, "yellow"),
        ("rrrrGGrr", 2.0, LATE_WALK),  # east-west's vehicles go, neither walk yet
        ("rrrrGGrG", 3.0, LATE_WALK),  # crossing 7's walk after 2 s, crossing 6's after 5 s
    ]
    # an all-red covers its share; adaptive control (no late_walks) holds walks itself
    assert [p.duration for p in transition(ns, ew, Timing(all_red_s=2.0), (), walks, late_walks=True)] == [3.0, 2.0, 3.0]
    assert [p.name for p in transition(ns, ew, Timing(), (), walks)] == ["yellow"]
    # only a walk that starts waits, and only for a link that loses its green
    assert transition(ew, ns, Timing(), (), walks, late_walks=True)[-1].name == "yellow"


def test_the_checker_catches_a_walk_starting_before_the_last_vehicle_across_it_is_past(walk_cross):
    from dataclasses import replace

    from signals.model import Intergreens

    signal = replace(walk_cross, intergreens=Intergreens(walks=((0, 6, 4.4),)))
    auto = Timing(all_red_auto=True)
    # east-west walks the north-arm crossing as soon as north-south's yellow ends
    early = build_plan("X", [Stage(NS, 30), Stage(EW, 30)], auto, program_id="p", walkways=(WALK,))
    found = [f for f in faults(early, signal, auto) if f.kind == "early-walk"]
    assert [f.phase for f in found] == [0]
    assert "link 0 (n_in_0 -> s_out_0) has 3 s after its green before pedestrian crossing 6" in str(found[0])
    assert "needs 7.4 s" in str(found[0])
    assert not [f for f in faults(early, signal) if f.kind == "early-walk"]  # only when the timing sizes intergreens
    # built with the matrix, the walk starts late enough
    late = build_plan("X", [Stage(NS, 30), Stage(EW, 30)], auto, program_id="p", walkways=(WALK,), intergreens=signal.intergreens)
    assert faults(late, signal, auto) == []


def test_a_leading_walk_holds_the_vehicles_crossing_it_after_the_walk_starts(walk_cross):
    from signals.model import LATE_WALK, LEADING_WALK, Intergreens

    # east-west walks the north-arm crossing (6); its through (4) and right turn (5) do not
    # cross it, so a leading walk holds nobody there; north-south's links 0-2 do
    lead = Timing(leading_walk_s=3.0)
    assert [p.name for p in transition(NS, EW, lead, (WALK,), Intergreens(), late_walks=True)] == ["yellow"]
    crossing_ns = "ggggrrrG"  # a stage walking the crossing its north-south links give way to
    walk = Crossing(7, 12.0, frozenset({0, 1, 2}), ":X_c1")
    phases = transition("rrrrGGGr", crossing_ns, lead, (walk,), Intergreens(walks=((4, 7, 1.5),)), late_walks=True)
    assert [(p.state, p.duration, p.name) for p in phases] == [
        ("rrrryyyr", 3.0, "yellow"),
        ("rrrgrrrr", 2.0, LATE_WALK),  # the walk waits for east-west's last vehicle ...
        ("rrrgrrrG", 3.0, LEADING_WALK),  # ... then leads north-south's links across it
    ]
    # only in fixed-time plans, and not by default
    assert [p.name for p in transition("rrrrGGGr", crossing_ns, lead, (walk,), late_walks=False)] == ["yellow"]
    assert LEADING_WALK not in {p.name for p in transition("rrrrGGGr", crossing_ns, Timing(), (walk,), late_walks=True)}
    # a plan with them passes the checker, and the timing sheet names them
    from dataclasses import replace

    program = TimingPlan("X", "0", (Phase("rrrrGGGr", 30.0), Phase("rrrryyyr", 3.0), Phase(crossing_ns, 30.0), Phase("yyyyrrrr", 3.0)))
    signal = replace(
        walk_cross,
        size=8,
        programs=(program,),
        conflicts=walk_cross.conflicts | {(0, 7), (1, 7), (2, 7)},
        crossings=frozenset({6, 7}),
        walkways=(WALK, walk),
    )
    plan = build_plan("X", [Stage("rrrrGGGr", 20), Stage(crossing_ns, 20)], lead, program_id="p", walkways=signal.walkways)
    assert [p.name for p in plan.phases].count(LEADING_WALK) == 1 and faults(plan, signal, lead) == []
    assert "| leading walk |" in sheet_markdown(plan, signal)


def test_webster_counts_a_late_walk_as_its_vehicles_green(walk_cross):
    from dataclasses import replace

    from signals.flows import Flows
    from signals.model import LATE_WALK, Intergreens
    from signals.webster import webster

    # the north-south through crosses the north-arm crossing 4.4 s after its yellow: the
    # east-west walk starts 5 s into east-west's green, its vehicles green all along
    signal = replace(walk_cross, intergreens=Intergreens(walks=((0, 6, 4.4),)))
    flows = Flows({"X": (300.0, 60.0, 300.0, 60.0, 500.0, 500.0, 0.0)}, "demand", (0.0, 3600.0))
    (plan,), (sizing,) = webster([signal], flows, Timing(), cycle_s=60)
    late = [p for p in plan.phases if p.name == LATE_WALK]
    assert [(p.state, p.duration) for p in late] == [("rrrrGGr", 5.0)]
    assert sizing.lost_s == pytest.approx(6.0)  # two yellows, as without the late walk
    assert plan.cycle_s == 60.0 and faults(plan, signal) == []
    # the walk itself still lasts its minimum
    walk = next(p for p in plan.phases if p.state == EW)
    assert walk.duration >= Timing().walk_s
    # the timing sheet names it
    assert "| late walk |" in sheet_markdown(plan, signal)
    assert LATE_WALK in {r["kind"] for r in csv.DictReader(io.StringIO(sheet_csv([plan])))}


def test_a_minimum_walk_longer_than_the_minimum_green(walk_cross):
    from signals.webster import size

    seven = Timing(min_walk_s=7.0)
    assert seven.walk_s == 7.0 and Timing().walk_s == Timing().min_green_s
    assert seven.stage_min_s(EW, walk_cross.crossings) == 7.0  # east-west walks the crossing
    assert seven.stage_min_s(NS, walk_cross.crossings) == seven.min_green_s
    # the checker: a 5 s walk is too short for it, a 5 s green without a walk is not
    plan = build_plan("X", [Stage(NS, 30), Stage(EW, 5)], Timing(), program_id="p", walkways=(WALK,))
    assert faults(plan, walk_cross) == []
    found = faults(plan, walk_cross, seven)
    assert [f.kind for f in found] == ["short-green"] and "walk of 5 s is shorter than the minimum walk 7 s" in str(found[0])
    # Webster keeps it: nearly no east-west traffic, its stage still walks 7 s
    sizing = size(walk_cross, [600.0, 60.0, 600.0, 60.0, 20.0, 20.0, 0.0], seven, cycle_s=60)
    green = dict(zip(sizing.stages, sizing.greens_s, strict=True))
    assert green[EW] == 7.0
    assert size(walk_cross, [600.0, 60.0, 600.0, 60.0, 20.0, 20.0, 0.0], Timing(), cycle_s=60).greens_s[1] == 5.0


class _SwitchAt:
    """Serves green 0, then asks for green ``target`` from ``at`` on."""

    decide_every_s = 1.0

    def __init__(self, target: int, at: float) -> None:
        self.target, self.at = target, at

    def choose(self, approach, obs, state, timing):
        return self.target if obs.time >= self.at else state.current


@pytest.mark.sumo
def test_a_walk_waits_for_vehicles_still_crossing_its_path(grid):
    from signals.adaptive import AdaptiveController
    from signals.approach import WATCH_BOX, approaches

    (approach,) = approaches(grid, (grid.signals["B1"],))
    # a change that ends the green of a link crossing a walk the next green starts
    first, target, crossing, foe = next(
        (approach.greens[0], b, c, f)
        for b, state in enumerate(approach.greens)
        for c in approach.walkways
        if state[c.index] in GREEN and approach.greens[0][c.index] not in GREEN
        for f in sorted(c.foes)
        if approach.greens[0][f] in GREEN and state[f] not in GREEN
    )
    lane = next(name for name, (kind, k, _, _) in approach.watch.items() if kind == WATCH_BOX and k == foe)
    second = approach.greens[target]
    walks = {c.index for c in approach.walkways}

    def walk_at(inside) -> tuple[float, float]:
        """When the vehicles' new green starts, and when the walk does."""
        sim = WalkSim(first, lane, inside, 3.0, crossing.edge)  # moving: the vehicles' green is not held
        controller = AdaptiveController((approach,), _SwitchAt(target, 10.0), Timing())
        controller.start(sim)
        green = None
        while sim.now < 60:
            sim.now += 1.0
            controller.act(sim)
            vehicles = [k for k, c in enumerate(second) if c in GREEN and k not in walks]
            if green is None and all(sim.shown[k] in GREEN for k in vehicles) and sim.shown != first:
                green = sim.now
            if sim.shown[crossing.index] in GREEN:
                return green, sim.now
        raise AssertionError("the walk never came")

    start, walk = walk_at(lambda t: False)
    assert walk == start  # nobody inside: the walk starts with the vehicles' green
    # a vehicle of the ended green still crossing 5 s into the new one (moving, so the
    # vehicles' green is not held for it): the walk waits until it is out
    green, walk = walk_at(lambda t: t < start + 4.5)
    assert green == start and walk == start + 5.0
    green, walk = walk_at(lambda t: True)  # stuck: the walk comes after the longest hold
    assert green == start and walk == start + Timing().max_clearance_extension_s


@pytest.mark.sumo
def test_lookahead_sees_who_waits_at_each_crossing(grid):
    from signals.adaptive import AdaptiveController
    from signals.approach import approaches
    from signals.lookahead import Lookahead

    (approach,) = approaches(grid, (grid.signals["B1"],))
    crossing = approach.walkways[0]
    # one walker waiting 1 s at each end of every crossing, bound for ``crossing``
    sim = WalkSim(approach.greens[0], "", lambda t: False, 0.0, crossing.edge)
    controller = AdaptiveController((approach,), Lookahead(), Timing())
    controller.start(sim)
    assert controller.observe(sim, approach, 0.0).walkers == [(crossing.index, 1.0)] * len(crossing.sides)
    # a policy that does not weigh them does not read them
    ignoring = AdaptiveController((approach,), Lookahead(pedestrian_weight=0.0), Timing())
    ignoring.start(sim)
    assert ignoring.observe(sim, approach, 0.0).walkers == []


def test_a_plan_deployed_into_a_running_signal_starts_its_walk_late_too():
    import libsumo

    from signals.deploy import PlanSwitch
    from signals.model import Intergreens
    from tests.signals._fakes import FakeSim

    class Running(FakeSim):
        """North-south green, the old program at its last phase then back at phase 0."""

        api = libsumo

        def apply(self, domain, command, *args):
            if command == "getPhase":
                return 0 if self.now >= 1 else 1
            if command == "getProgram":
                return "0"
            if command == "setProgram":
                self.installed = self.now
            return super().apply(domain, command, *args)

    plan = build_plan("X", [Stage(EW, 30), Stage(NS, 30)], Timing(), program_id="new", walkways=(WALK,))
    switch = PlanSwitch(
        [plan], walkways={"X": (WALK,)}, intergreens={"X": Intergreens(walks=((0, 6, 4.4),))}
    )
    sim = Running(NS)
    switch.start(sim)
    shown = []
    while sim.now < 20 and not hasattr(sim, "installed"):
        switch.act(sim)
        shown.append((sim.now, sim.shown))
        sim.now += 1.0
    # at the boundary (t = 1): the yellow, then east-west's vehicles without the walk, 5 s
    assert [s for t, s in shown if t in (1.0, 4.0, 8.0)] == ["yyyyrrr", "rrrrGGr", "rrrrGGr"]
    assert sim.installed == 9.0  # the new plan, walking, 3 + 5 s after the boundary


def test_a_walk_ending_before_a_short_green_is_cleared_for_the_green_after_it(walk_cross):
    # east-west with the walk across the north arm (its vehicles do not cross it), then
    # east-west alone for its 5 s minimum, then north-south, whose throughs cross it: the
    # walk's 10 s clearance must run before those get their green, so 5 s of it come
    # before the short green (the checker refused such a plan: 5 + 3 s of yellow < 10 s)
    stages = [Stage("rrrrGGG", 20), Stage("rrrrGGr", 5), Stage(NS, 20)]
    plan = build_plan("X", stages, Timing(), program_id="p", walkways=walk_cross.walkways)
    assert [(p.state, p.duration, p.name) for p in plan.phases[:3]] == [
        ("rrrrGGG", 20.0, "stage 1"),
        ("rrrrGGr", 5.0, PEDESTRIAN_CLEARANCE),
        ("rrrrGGr", 5.0, "stage 2"),
    ]
    assert faults(plan, walk_cross) == []


@pytest.mark.sumo
def test_webster_keeps_a_junction_with_crossings_to_a_walkable_cycle(grid):
    from signals.webster import size

    centre = grid.signals["B1"]
    flows = tuple(0.0 if i in centre.crossings else 500.0 for i in range(centre.size))
    # busy enough that the cars alone take a long cycle (no cap by default); walkers would
    # wait nearly all of it
    uncapped = size(centre, flows, Timing()).cycle_s
    assert uncapped > 100 and Timing().max_walk_cycle_s == math.inf
    assert size(centre, flows, Timing(max_walk_cycle_s=90)).cycle_s == 90
    # a cap no cycle serving every lane fits is passed over, not an error
    assert size(centre, flows, Timing(max_walk_cycle_s=31)).cycle_s == uncapped
    # a junction without crossings is not capped
    bare = replace(centre, crossings=frozenset())
    assert size(bare, flows, Timing(max_walk_cycle_s=90)).cycle_s > 90


def test_a_walkable_cycle_cap_leaves_a_choice_already_under_it_alone():
    # Braunschweig's junction (SUMO's game), flows drawn at random: unconstrained, Webster
    # picks 90 s with two stages; a search over 30-90 s alone compares other stage sets and
    # picked three at 88 s, so the cap changed a choice it did not bind
    import random

    import sumo

    from signals.model import read_signals
    from signals.webster import size

    net = Path(sumo.SUMO_HOME) / "tools" / "game" / "fokr_bs_demo" / "fokr_bs.net.xml.gz"
    (signal,) = (s for s in read_signals(net).signals.values() if s.crossings)
    draw = random.Random(3)
    flows = tuple(0.0 if i in signal.crossings else float(draw.choice([0, 50, 100, 200, 300, 400])) for i in range(signal.size))
    free = size(signal, flows, Timing())
    assert free.cycle_s <= 90
    assert size(signal, flows, Timing(max_walk_cycle_s=90)) == free


def test_walkers_wait_for_the_walk_as_hcm_counts_it(walk_cross):
    from signals.performance import LOS_BOUNDS, WALK_LOS_BOUNDS, level_of_service, walk_waits

    # the shipped program walks the crossing in its 30 s east-west green of a 71 s cycle:
    # a walker arriving at random waits (C - g)^2 / 2C
    program = walk_cross.program
    assert walk_waits(program, walk_cross) == {6: pytest.approx(41.0**2 / (2 * 71.0))}
    assert "pedestrian crossing, 12.0 m, mean wait 12 s (B)" in sheet_markdown(program, walk_cross)
    # walked twice a cycle, a walker waits for the next walk, not a whole cycle's red
    twice = TimingPlan("X", "w", tuple(Phase(state, s) for state, s in [("rrrrrrG", 10), ("rrrrrrr", 20)] * 2))
    assert walk_waits(twice, walk_cross) == {6: pytest.approx((20.0**2 + 20.0**2) / 120.0)}
    never = TimingPlan("X", "n", (Phase(NS, 30.0), Phase("yyyyrrr", 3.0)))
    assert walk_waits(never, walk_cross) == {6: math.inf}
    # an actuated plan's walkers wait as the calls come: no figure from the plan
    assert walk_waits(replace(program, type="actuated"), walk_cross) == {}
    # walkers' levels of service are stricter than vehicles' (HCM 2000 Exhibit 18-9)
    assert level_of_service(35.0, WALK_LOS_BOUNDS) == "D" and level_of_service(35.0, LOS_BOUNDS) == "C"
    assert level_of_service(61.0, WALK_LOS_BOUNDS) == "F"

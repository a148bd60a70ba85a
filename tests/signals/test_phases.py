"""Transitions between greens and fixed-time programs built from stages."""

from __future__ import annotations

from dataclasses import replace

from its.control import Phase, TimingPlan
from signals.check import check_states
from signals.phases import (
    Stage,
    Timing,
    build_plan,
    clearance_s,
    green_stages,
    split_greens,
    transition,
)


def test_links_losing_green_show_yellow_then_red():
    phases = transition("GGgrr", "rrrGG", Timing(yellow_s=3, all_red_s=2))
    assert [(p.state, p.duration) for p in phases] == [("yyyrr", 3), ("rrrrr", 2)]


def test_links_green_in_both_stay_green():
    phases = transition("GGgrr", "GrrGG", Timing(all_red_s=1))
    assert [p.state for p in phases] == ["Gyyrr", "Grrrr"]
    assert transition("GGrr", "GGGG", Timing()) == ()
    assert transition("gGrr", "GGGG", Timing()) == ()  # permissive to protected: no clearance
    assert clearance_s("GGgrr", "GrrGG", Timing(all_red_s=1)) == 4


def test_build_plan_cycles_through_stages():
    timing = Timing(all_red_s=1)
    plan = build_plan("J", [Stage("GGrr", 20), Stage("rrGG", 10)], timing, program_id="p", offset=50)
    assert [p.state for p in plan.phases] == ["GGrr", "yyrr", "rrrr", "rrGG", "rryy", "rrrr"]
    assert plan.cycle_s == 38 and plan.offset == 12
    assert [s.green_s for s in green_stages(plan)] == [20, 10]


def _with_program(signal, *states):
    phases = []
    for state in states:
        phases += [Phase(state, 20.0), Phase(state.replace("G", "y").replace("g", "y"), 3.0)]
    return replace(signal, programs=(TimingPlan(signal.tls_id, "1", tuple(phases)),))


def test_split_greens_protect_each_approach(cross):
    """With the lefts protected somewhere in the program, north and south each get a split
    phase (through and left together, protected); east and west together are already a
    program green, so nothing is added for them. ``s`` links stay ``s``."""
    signal = _with_program(cross, "GgGgrs", "rGrGrs", "rrrrGs")
    splits = split_greens(signal)
    assert splits == ("GGrrrs", "rrGGrs")
    assert check_states(splits, signal) == []


def test_split_greens_never_protect_what_the_program_does_not(cross):
    """The lefts only ever yield in the shipped program (they may yield to something the
    conflict table does not show): no split gives them priority, and a split no richer than
    a program green is not added."""
    assert split_greens(cross) == ()

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


def test_protected_turn_becoming_permissive_shows_yellow():
    phases = transition("GGrr", "GgGr", Timing(all_red_s=1))
    assert [p.state for p in phases] == ["Gyrr", "Grrr"]
    assert clearance_s("GGgrr", "GrrGG", Timing(all_red_s=1)) == 4


def test_build_plan_cycles_through_stages():
    timing = Timing(all_red_s=1)
    plan = build_plan("J", [Stage("GGrr", 20), Stage("rrGG", 10)], timing, program_id="p", offset=50)
    assert [p.state for p in plan.phases] == ["GGrr", "yyrr", "rrrr", "rrGG", "rryy", "rrrr"]
    assert plan.cycle_s == 38 and plan.offset == 12
    assert [s.green_s for s in green_stages(plan)] == [20, 10]


def test_split_greens_protect_each_approach(cross):
    """North and south each get a split phase with their left turn protected; east and west
    together are already a program green, so nothing is added for them."""
    splits = split_greens(cross)
    assert splits == ("GGrrrr", "rrGGrr")
    assert check_states(splits, cross) == []


def test_split_greens_keep_unexplained_yielding_and_stop_go(cross):
    """North's left yields in a stage where none of its known foes is green (to something the
    conflict table does not show): no split gives it priority, while south's left, yielding
    only to north's through, gets its protected split. ``s`` links stay ``s``."""
    program = TimingPlan(
        "X",
        "1",
        (Phase("GgGgrs", 30.0), Phase("yyyyrs", 3.0), Phase("Ggrrrs", 9.0), Phase("yyrrrs", 3.0), Phase("rrrrGs", 20.0)),
    )
    signal = replace(cross, programs=(program,))
    assert split_greens(signal) == ("rrGGrs",)

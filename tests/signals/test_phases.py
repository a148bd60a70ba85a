"""Transitions between greens and fixed-time programs built from stages."""

from __future__ import annotations

from signals.phases import Stage, Timing, build_plan, clearance_s, green_stages, transition


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

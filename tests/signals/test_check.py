"""The plan checker catches each fault, and plans built the usual way pass it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from its.control import Phase, TimingPlan
from its.errors import PlanError
from signals.check import faults, require_safe
from signals.model import Intergreens
from signals.phases import Stage, Timing, build_plan

SAFE = TimingPlan("X", "p", (Phase("GgGgrr", 30), Phase("yyyyrr", 3), Phase("rrrrGG", 30), Phase("rrrryy", 3)))


def kinds(plan, signal, timing=Timing()):
    return {f.kind for f in faults(plan, signal, timing)}


def test_the_shipped_program_is_safe(cross):
    assert faults(SAFE, cross) == []


def test_conflicting_greens(cross):
    plan = replace(SAFE, phases=(Phase("GrrrGr", 30), Phase("yrrryr", 3), Phase("rrGrrG", 30), Phase("rryrry", 3)))
    found = faults(plan, cross)
    assert {f.kind for f in found} == {"conflict", "unserved"}  # the lefts are never green either
    assert "links 0 (n_in_0 -> s_out_0) and 4 (e_in_0 -> w_out_0)" in str(found[0])


def test_a_movement_never_green(cross):
    # the north left (1) is green only in the shipped program's first stage; a plan whose
    # stages leave it out would hold its vehicles (and the single lane behind them) for good
    plan = replace(SAFE, phases=(Phase("GrGrrr", 30), Phase("yryrrr", 3), *SAFE.phases[2:]))
    found = faults(plan, cross)
    assert [f.kind for f in found] == ["unserved"]
    assert "links 1 (n_in_0 -> e_out_0), 3 (s_in_0 -> w_out_0) never green" in str(found[0])


def test_permissive_green_beside_a_priority_green_is_allowed(cross):
    # the left turn (1) yields on 'g' while the opposing through (2) has priority
    assert "conflict" not in kinds(SAFE, cross)
    unsafe = replace(SAFE, phases=(Phase("GGGgrr", 30), *SAFE.phases[1:]))
    assert "conflict" in kinds(unsafe, cross)


def test_green_shorter_than_the_minimum(cross):
    short = replace(SAFE, phases=(Phase("GgGgrr", 4), *SAFE.phases[1:]))
    assert kinds(short, cross) == {"short-green"}
    own_minimum = replace(SAFE, phases=(Phase("GgGgrr", 8, min_dur=10), *SAFE.phases[1:]))
    assert kinds(own_minimum, cross) == {"short-green"}


def test_a_green_kept_through_an_all_red_counts_its_whole_run(cross):
    # the north through (0) stays green from one stage to the next, through the yellow and
    # the 1 s all-red of the links that change: one long green, not a 1 s one
    timing = Timing(all_red_s=1.0)
    plan = build_plan("X", [Stage("GrGrrr", 20), Stage("GGrrrr", 10), Stage("rrrrGG", 20)], timing, program_id="p")
    assert [p.state for p in plan.phases][:3] == ["GrGrrr", "Gryrrr", "Grrrrr"]
    timed = [f for f in faults(plan, cross, timing) if f.kind != "unserved"]  # (the south left is left out)
    assert timed == []
    # but a link that turns green for 2 s is caught, wherever its phase sits
    flash = (*plan.phases[:3], Phase("GrGrrr", 2), Phase("Gryrrr", 3), *plan.phases[3:])
    found = faults(replace(plan, phases=flash), cross, timing)
    assert [(f.kind, f.phase) for f in found if f.kind != "unserved"] == [("short-green", 3)]


def test_missing_yellow(cross):
    plan = replace(SAFE, phases=(Phase("GgGgrr", 30), Phase("rrrrGG", 30), Phase("rrrryy", 3)))
    found = faults(plan, cross)
    assert [f.kind for f in found] == ["missing-yellow"]
    assert found[0].phase == 0


def test_yellow_too_short(cross):
    plan = replace(SAFE, phases=(Phase("GgGgrr", 30), Phase("yyyyrr", 1), *SAFE.phases[2:]))
    assert kinds(plan, cross) == {"short-yellow"}


def test_cycle_outside_bounds(cross):
    long = replace(SAFE, phases=(Phase("GgGgrr", 150), *SAFE.phases[1:]))
    assert kinds(long, cross) == {"cycle"}
    assert kinds(long, cross, Timing(max_cycle_s=240)) == set()
    # an actuated program has no fixed cycle to bound
    assert kinds(replace(long, type="actuated"), cross) == set()


def test_plan_for_another_junction(cross):
    plan = replace(SAFE, phases=(Phase("GgGg", 30), Phase("yyyy", 3)))
    assert kinds(plan, cross) == {"size"}
    assert kinds(replace(SAFE, phases=(Phase("GgGgrX", 30),)), cross) == {"alphabet"}


def test_require_safe_names_every_fault(cross, tmp_path):
    from signals.model import SignalNetwork

    network = SignalNetwork(tmp_path / "x.net.xml", {"X": cross}, {}, {}, {}, {})
    bad = replace(SAFE, phases=(Phase("GgGgrr", 4), Phase("rrrrGG", 30), Phase("rrrryy", 3)))
    with pytest.raises(PlanError, match="short-green|shorter than the minimum") as caught:
        require_safe([bad, replace(SAFE, tls_id="Y")], network)
    assert "without yellow" in str(caught.value)
    assert "Y: no such traffic light" in str(caught.value)
    require_safe([SAFE], network)


@given(
    greens=st.lists(st.integers(min_value=12, max_value=80), min_size=2, max_size=2),
    all_red=st.sampled_from([0.0, 1.0, 2.0]),
)
def test_plans_built_from_safe_stages_always_pass(cross, greens, all_red):
    timing = Timing(all_red_s=all_red)
    plan = build_plan("X", [Stage("GgGgrr", greens[0]), Stage("rrrrGG", greens[1])], timing, program_id="t", offset=17)
    assert faults(plan, cross, timing) == []
    assert plan.cycle_s == sum(greens) + 2 * (3 + all_red)
    assert 0 <= plan.offset < plan.cycle_s


def test_a_conflict_names_the_links_that_are_foes(cross, tiny_signals):
    # an index may serve several links: the message names the pair that conflicts
    plan = replace(SAFE, phases=(Phase("GrrrGr", 30), Phase("yrrryr", 3), Phase("rrGrrG", 30), Phase("rryrry", 3)))
    named = replace(cross, conflict_lanes={(0, 4): ("n_in_1 -> e_out_0", "e_in_0 -> w_out_0")})
    assert "links 0 (n_in_1 -> e_out_0) and 4 (e_in_0 -> w_out_0)" in str(faults(plan, named)[0])
    # read from a network, every conflicting pair has its foes named, links of those indices
    for signal in tiny_signals.signals.values():
        lanes = {index: set() for index in range(signal.size)}
        for link in signal.links:
            lanes[link.index].add(f"{link.from_lane} -> {link.to_lane}")
        assert signal.conflicts and set(signal.conflict_lanes) == set(signal.conflicts)
        for (i, j), (a, b) in signal.conflict_lanes.items():
            assert a in lanes[i] and b in lanes[j]


def test_an_intergreen_shorter_than_the_geometry_needs(cross):
    # the north through (0) needs 2.4 s of all-red before the east through (4) turns green
    signal = replace(cross, intergreens=Intergreens(((0, 4, 2.4), (4, 0, 1.2))))
    auto = Timing(all_red_auto=True)
    found = faults(SAFE, signal, auto)
    assert [(f.kind, f.phase) for f in found] == [("short-intergreen", 0), ("short-intergreen", 2)]
    assert "link 0 (n_in_0 -> s_out_0) has 3 s after its green before conflicting link 4" in str(found[0])
    assert "needs 5.4 s" in str(found[0])
    assert faults(SAFE, signal) == []  # checked only when the timing sizes the all-red
    # a plan built with that timing holds each link gaining green for its own conflicts
    # only: link 5 conflicts with none of them and goes at once, link 4 three seconds later
    plan = build_plan("X", [Stage("GgGgrr", 30), Stage("rrrrGG", 30)], auto, program_id="p", intergreens=signal.intergreens)
    changes = [(p.state, p.duration) for p in plan.phases if p.name in ("all-red", "late start")]
    assert changes == [("rrrrrG", 3.0), ("rgGgrr", 2.0)]
    assert faults(plan, signal, auto) == []
    # green phases between count at their minimum
    actuated = replace(plan, phases=(plan.phases[0], replace(plan.phases[1], duration=2.0), *plan.phases[2:]))
    assert kinds(actuated, signal, auto) == {"short-intergreen", "short-yellow"}


def test_links_clearing_soon_keep_their_green_while_a_slow_one_clears(cross):
    # the north through (0) clears slowly (a cyclist's 6 s), the other north-south links in
    # 1 s: under auto they keep their green while it clears (a late end), and east-west
    # starts no later than a single all-red for the worst pair would let it
    slow = ((0, 4, 6.0), (0, 5, 6.0))
    soon = tuple((i, j, 1.0) for i in (1, 2, 3) for j in (4, 5) if (min(i, j), max(i, j)) in cross.conflicts)
    signal = replace(cross, intergreens=Intergreens(slow + soon, conflicts=cross.conflicts))
    auto = Timing(all_red_auto=True)
    plan = build_plan("X", [Stage("GgGgrr", 30), Stage("rrrrGG", 30)], auto, program_id="p", intergreens=signal.intergreens)
    change = [(p.state, p.duration, p.name) for p in plan.phases[1:5]]
    assert change == [
        ("ygGgrr", 3.0, "yellow"),
        ("rgGgrr", 2.0, "late end"),
        ("ryyyrr", 3.0, "yellow"),
        ("rrrrrr", 1.0, "all-red"),
    ]
    assert plan.phases[5].state == "rrrrGG"
    assert faults(plan, signal, auto) == []
    # without the conflict table no link may outlast the common yellow
    blind = replace(signal, intergreens=Intergreens(slow + soon))
    plan = build_plan("X", [Stage("GgGgrr", 30), Stage("rrrrGG", 30)], auto, program_id="p", intergreens=blind.intergreens)
    assert [(p.state, p.duration) for p in plan.phases[1:3]] == [("yyyyrr", 3.0), ("rrrrrr", 6.0)]
    # a late end that outlasts its intergreen is a fault
    short = replace(plan, phases=(plan.phases[0], Phase("ygGgrr", 3.0), Phase("rgGgrr", 4.0), Phase("ryyyrr", 3.0), *plan.phases[3:]))
    assert "short-intergreen" in kinds(short, signal, auto)

"""Fixed-time and time-of-day plans derived from an adaptive controller's log."""

from __future__ import annotations

from dataclasses import replace

import pytest

from its.control import Phase, TimingPlan
from its.errors import InputError
from signals.check import faults
from signals.derive import derive, served, time_of_day
from signals.model import Signal, is_stage
from signals.phases import Timing


def log(period_a: float, period_b: float, start: float, end: float):
    records, t = [], start
    while t < end:
        records += [(t, "X", "GgGgrr"), (t + period_a, "X", "yyyyrr"), (t + period_a + 3, "X", "rrrrGG")]
        records.append((t + period_a + 3 + period_b, "X", "rrrryy"))
        t += period_a + period_b + 6
    return records


def test_derived_plan_reproduces_the_split(cross):
    greens = served(log(30, 15, 0, 3600), end=3600)
    plan = derive(cross, greens, Timing(), begin=0, end=3600)
    main, side = (p.duration for p in plan.phases if p.state in ("GgGgrr", "rrrrGG"))
    assert main == pytest.approx(30, abs=1) and side == pytest.approx(15, abs=1)
    assert plan.cycle_s == pytest.approx(51, abs=2)
    assert faults(plan, cross) == []


def test_a_stage_never_served_in_the_period_still_runs_at_its_minimum(cross):
    # no east-west vehicle came, so the controller held north-south green all along; the
    # fixed plan cannot wait for a call, and east-west is served only by its own stage
    greens = served([(0.0, "X", "GgGgrr")], end=3600)
    plan = derive(cross, greens, Timing(), begin=0, end=3600)
    assert [p.duration for p in plan.phases if p.state == "rrrrGG"] == [Timing().min_green_s]
    assert faults(plan, cross) == []
    # greens and cycle stay whole seconds when the period does not divide evenly
    odd = derive(cross, served(log(20, 17, 0, 3600), end=3600), Timing(), begin=0, end=3600)
    assert all(p.duration == int(p.duration) for p in odd.phases), [p.duration for p in odd.phases]


def test_time_of_day_follows_the_periods(cross):
    records = log(20, 20, 0, 1800) + log(40, 10, 1800, 3600)
    tod = time_of_day(cross, served(records, end=3600), Timing(), begin=0, end=3600, period_s=1800)
    assert tod.switches == (0, 1800)
    first, second = ([p.duration for p in plan.phases if "G" in p.state] for plan in tod.plans)
    assert first[0] == pytest.approx(first[1], abs=1) and second[0] > 3 * second[1]
    assert [p.program_id for p in tod.plans] == ["its-tod-1", "its-tod-2"]


NORTH = "GGrrrr"


def _with_north_stage(cross):
    """The crossroads with a protected north stage (its through and left turn) beside
    north-south with permissive lefts, and an hour of a controller showing it every cycle."""
    program = TimingPlan(
        "X", "0", (Phase("GgGgrr", 20), Phase("yyyyrr", 3), Phase(NORTH, 10), Phase("yyrrrr", 3), Phase("rrrrGG", 20), Phase("rrrryy", 3))
    )
    records, t = [], 0.0
    while t < 3600:
        records += [(t, "X", "GgGgrr"), (t + 20, "X", "yyyyrr"), (t + 23, "X", NORTH), (t + 33, "X", "yyrrrr")]
        records += [(t + 36, "X", "rrrrGG"), (t + 56, "X", "rrrryy")]
        t += 59
    return replace(cross, programs=(program,)), served(records, end=3600)


def test_merging_keeps_each_movements_green_in_fewer_stages(cross):
    # the controller shows the north stage every cycle, so it stays unless merged
    signal, greens = _with_north_stage(cross)
    north = NORTH
    kept = derive(signal, greens, Timing(), begin=0, end=3600)
    assert [p.state for p in kept.phases if is_stage(p)] == ["GgGgrr", north, "rrrrGG"]
    merged = derive(signal, greens, Timing(), begin=0, end=3600, merge="served")
    stages = {p.state: p.duration for p in merged.phases if is_stage(p)}
    # north's through and left had 30 s a cycle, now all in north-south's green
    assert list(stages) == ["GgGgrr", "rrrrGG"]
    assert stages["GgGgrr"] == pytest.approx(30, abs=1) and stages["rrrrGG"] == pytest.approx(20, abs=1)
    # on the controller's cycle, the change no longer needed is green time
    green = sum(p.duration for p in kept.phases if is_stage(p))
    assert merged.cycle_s == kept.cycle_s and sum(stages.values()) == green + 3
    assert faults(merged, signal) == []


def test_merging_by_cost_keeps_a_stage_serving_two_others_movements(cross):
    # north's own stage runs both its through and its left turn; without it the through
    # stage and the protected-left stage would each need its green
    through, lefts, north, east_west = "GrGrrr", "rGrGrr", "GGrrrr", "rrrrGG"
    phases = []
    for state in (through, lefts, north, east_west):
        phases += [Phase(state, 10), Phase("".join("y" if c == "G" else c for c in state), 3)]
    signal = replace(cross, programs=(TimingPlan("X", "0", tuple(phases)),))
    records, t = [], 0.0
    while t < 3600:
        for state, green in ((through, 15), (lefts, 5), (north, 15), (east_west, 20)):
            records += [(t, "X", state), (t + green, "X", "".join("y" if c == "G" else c for c in state))]
            t += green + 3
    greens = served(records, end=3600)

    def stages(merge):
        plan = derive(signal, greens, Timing(), begin=0, end=3600, merge=merge)
        assert faults(plan, signal) == []
        return {p.state: p.duration for p in plan.phases if is_stage(p)}

    assert list(stages("cost")) == [through, lefts, north, east_west]
    merged = stages("served")
    assert list(merged) == [through, lefts, east_west]
    # north's 15 s went to both: its through to the through stage, its left to the lefts'
    assert merged[through] == pytest.approx(30, abs=2) and merged[lefts] == pytest.approx(20, abs=2)


def test_the_best_derived_plan_is_the_one_the_delay_model_expects_least_of(cross):
    from signals.derive import best_derived
    from signals.webster import estimated_delay

    signal, greens = _with_north_stage(cross)
    north = NORTH
    # without flows, the controller's own stages
    plan, merged = best_derived(signal, greens, Timing(), begin=0, end=3600)
    assert not merged and plan == derive(signal, greens, Timing(), begin=0, end=3600)
    # north's left turn has little traffic: its own stage is not worth its change
    flows = (500.0, 30.0, 450.0, 20.0, 300.0, 300.0)
    plan, merged = best_derived(signal, greens, Timing(), begin=0, end=3600, link_flows=flows)
    others = [derive(signal, greens, Timing(), begin=0, end=3600, merge=m) for m in (None, "served", "cost")]
    assert merged and north not in {p.state for p in plan.phases}
    assert estimated_delay(signal, plan, flows) <= min(estimated_delay(signal, o, flows) for o in others) + 1e-9
    tod = time_of_day(signal, greens, Timing(), begin=0, end=3600, period_s=1800, flows_of=lambda b, e: flows)
    assert tod.merged and all(north not in {p.state for p in plan.phases} for plan in tod.plans)


def test_no_service_in_the_period(cross):
    with pytest.raises(InputError, match="served no green"):
        derive(cross, [], Timing(), begin=0, end=600)


def test_a_green_with_links_held_red_is_still_that_green(cross, tmp_path):
    """Exit blockage holds link 0 red inside north-south's green from 10 s to 20 s: the log
    shows other states, but the green served, and so the derived split, is unchanged."""
    import json

    from signals.derive import read_log

    held = []
    for t, tls, state in log(30, 15, 0, 3600):
        green = state if "G" in state and "y" not in state else ""
        held.append((t, tls, state, green))
        if state == "GgGgrr":
            held += [(t + 10, tls, "ygGgrr", green), (t + 13, tls, "rgGgrr", green), (t + 20, tls, state, green)]
    path = tmp_path / "states.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in held))
    greens = served(read_log(path), end=3600)
    assert greens == served(log(30, 15, 0, 3600), end=3600)
    assert {g.state for g in greens} == {"GgGgrr", "rrrrGG"} and greens[0].end - greens[0].begin == 30
    plan = derive(cross, greens, Timing(), begin=0, end=3600)
    main, side = (p.duration for p in plan.phases if p.state in ("GgGgrr", "rrrrGG"))
    assert main == pytest.approx(30, abs=1) and side == pytest.approx(15, abs=1)


def test_greens_follow_the_time_each_stage_got_and_split_phases_count_to_theirs(cross):
    from signals.derive import Served

    # north-south 30 s every cycle; east-west 20 s, half the cycles through a split phase
    # of east alone ("rrrrGr" is no stage of the program)
    greens, t = [], 0.0
    for k in range(60):
        greens.append(Served("X", "GgGgrr", t, t + 30))
        greens.append(Served("X", "rrrrGG" if k % 2 else "rrrrGr", t + 33, t + 53))
        t += 56
    plan = derive(cross, greens, Timing(), begin=0, end=t)
    main, side = (p.duration for p in plan.phases if p.state in ("GgGgrr", "rrrrGG"))
    assert plan.cycle_s == pytest.approx(56, abs=1)  # sixty services, not thirty
    assert main == pytest.approx(30, abs=1) and side == pytest.approx(20, abs=1)
    # a stage the controller served in only some cycles gets its time's share of a cycle
    sparse = [g for k, g in enumerate(greens) if g.state == "GgGgrr" or k % 4 == 1]
    main, side = (p.duration for p in derive(cross, sparse, Timing(), begin=0, end=t).phases if "G" in p.state)
    assert side < main / 2


def test_a_floor_lengthens_the_cycle_and_keeps_the_split(cross):
    greens = served(log(30, 15, 0, 3600), end=3600)
    plan = derive(cross, greens, Timing(), begin=0, end=3600, min_cycle_s=90)
    main, side = (p.duration for p in plan.phases if p.state in ("GgGgrr", "rrrrGG"))
    assert plan.cycle_s == pytest.approx(90, abs=1) and main == pytest.approx(2 * side, abs=2)


def _with_program(signal: Signal, *states: str) -> Signal:
    phases = tuple(p for s in states for p in (Phase(s, 20.0), Phase(s.replace("G", "y").replace("g", "y"), 3.0)))
    return replace(signal, programs=(TimingPlan(signal.tls_id, "0", phases),))


def _cycles(*greens: tuple[str, float], start: float = 0.0, end: float = 3600.0, every: int = 1, rare: tuple[str, float] | None = None):
    records, t, k = [], start, 0
    while t < end:
        for state, green in (*greens, *((rare,) if rare and k % every == 0 else ())):
            records += [(t, "X", state), (t + green, "X", state.replace("G", "y").replace("g", "y"))]
            t += green + 3
        k += 1
    return served(records, end=end)


def test_a_seldom_shown_stage_whose_movements_have_green_elsewhere_is_left_out(cross):
    # the protected lefts (1, 3 on G) come once in ten cycles; they also turn on g in the
    # main stage, so a fixed plan leaves their stage out and keeps the main split
    signal = _with_program(cross, "GgGgrr", "rGrGrr", "rrrrGG")
    greens = _cycles(("GgGgrr", 30), ("rrrrGG", 15), every=10, rare=("rGrGrr", 5))
    plan = derive(signal, greens, Timing(), begin=0, end=3600)
    assert [p.state for p in plan.phases if is_stage(p)] == ["GgGgrr", "rrrrGG"]
    main, side = (p.duration for p in plan.phases if is_stage(p))
    assert main == pytest.approx(30, abs=1) and side == pytest.approx(15, abs=1)
    # shown in every cycle, it stays
    every = derive(signal, _cycles(("GgGgrr", 30), ("rGrGrr", 5), ("rrrrGG", 15)), Timing(), begin=0, end=3600)
    assert [p.state for p in every.phases if is_stage(p)] == ["GgGgrr", "rGrGrr", "rrrrGG"]
    assert faults(every, signal) == []


def test_a_stage_lifted_to_its_minimum_lengthens_the_cycle_not_cutting_the_others(cross):
    # east-west (only in its own stage) gets 4 s once in four cycles: 1 s a cycle on
    # average, lifted to the 5 s minimum; the main road keeps its 30 s
    greens = _cycles(("GgGgrr", 30), every=4, rare=("rrrrGG", 4))
    plan = derive(cross, greens, Timing(), begin=0, end=3600)
    main, side = (p.duration for p in plan.phases if is_stage(p))
    assert side == Timing().min_green_s and main == pytest.approx(30, abs=1.5)
    assert faults(plan, cross) == []


def test_a_movement_the_controller_let_go_in_a_split_green_keeps_that_time_in_its_own_stage(cross):
    # each cycle: the main stage 20 s, then a split green showing it with east's through
    # (4) for 15 s more, then east-west 5 s; the split counts to the main stage, and its
    # 15 s of east's green to the east-west stage, the one stage that shows 4 (ingolstadt7's
    # gneJ143: a side road's right turn let go with the cross street, 69.3 -> 53.8 s)
    greens = _cycles(("GgGgrr", 20), ("GgGgGr", 15), ("rrrrGG", 5))
    plan = derive(cross, greens, Timing(), begin=0, end=3600)
    main, side = (p.duration for p in plan.phases if is_stage(p))
    assert main == pytest.approx(35, abs=1.5) and side == pytest.approx(20, abs=1.5)
    assert faults(plan, cross) == []

"""Lookahead's horizon: 30 s in light traffic, longer while the standing queues need it
(up to ``max_horizon_s``, 60 s by default)."""

from __future__ import annotations

import numpy as np

from signals.adaptive import Observation, SignalState
from signals.lookahead import Lookahead
from signals.phases import Timing
from tests.signals._handmade import SIDE_BAY, TWO_WAY

APPROACH = TWO_WAY
LONG = Lookahead(max_horizon_s=60.0, clearing_factor=1.5)
SHORT = Lookahead(max_horizon_s=30.0)


def _steps(policy: Lookahead, main: float, side: float) -> int:
    arrivals = np.zeros((60, 2))
    arrivals[0] = (main, side)  # standing queues
    capacity = np.array([[1.0 / 1.7, 0.0], [0.0, 1.0 / 1.7]])  # vehicles per 1 s step
    return policy._steps(APPROACH, arrivals, capacity, (0, 1), Timing())


def test_light_queues_keep_the_short_horizon():
    assert _steps(LONG, 3, 2) == 30


def test_long_queues_stretch_the_horizon_up_to_its_limit():
    # 8 and 6 vehicles: 13.6 + 10.2 s of service and two 5 s changes (3 s yellow, 2 s
    # start-up), more than 30 s; 6 and 5 take 28.7 s, within it
    assert _steps(LONG, 8, 6) == int(np.ceil(1.5 * (13.6 + 10.2 + 2 * 5.0)))
    assert _steps(LONG, 6, 5) == 30
    assert _steps(LONG, 40, 40) == 60
    assert _steps(SHORT, 40, 40) == 30  # off
    assert _steps(Lookahead(), 8, 6) == int(np.ceil(13.6 + 10.2 + 2 * 5.0))  # the defaults: factor 1
    assert _steps(Lookahead(), 40, 40) == 60


def _observation(main: list[tuple[float, float, float]], side: list[tuple[float, float, float]]) -> Observation:
    """What TWO_WAY sees at t = 100 s with these vehicles (distance, speed, wait) on its lanes."""
    return Observation(time=100.0, lanes=[main, side], upstream=[[], []], outgoing=[[], []], pending=[0, 0], out_jam=[0, 0])


def _standing(vehicles: int, wait: float) -> list[tuple[float, float, float]]:
    return [(2.0 + 7.5 * n, 0.0, wait) for n in range(vehicles)]


def _seen(queue: int) -> Observation:
    return _observation(_standing(queue, 10.0), _standing(queue + 1, 40.0))


def test_in_light_traffic_decisions_are_those_of_the_30_s_horizon():
    state = SignalState(current=0, green_since=90.0)
    for queue in range(6):
        assert LONG.choose(APPROACH, _seen(queue), state, Timing()) == SHORT.choose(
            APPROACH, _seen(queue), state, Timing()
        )


def _queue(lane: int, vehicles: int, wait: float = 0.0) -> Observation:
    queue = _standing(vehicles, wait)
    return _observation(queue, []) if lane == 0 else _observation([], queue)


def _released(shown: int, remaining: float) -> np.ndarray:
    """What TWO_WAY, upstream with 10 vehicles queued on its main lane, sends to lane 0 of a
    signal 20 s downstream of its main link, over a 60 s horizon."""
    out = np.zeros((60, 2))
    Lookahead()._released(out, (0,), (APPROACH, _queue(0, 10), shown, remaining), (0,), 20.0)
    return out[:, 0]


def test_an_upstream_green_releases_its_queue_at_the_saturation_headway_after_the_start_up():
    arrivals = _released(shown=0, remaining=float("inf"))
    assert arrivals.sum() == 10
    # the first leaves after the 2 s start-up and 2.7 s run up to 13.9 m/s, then one each 1.7 s
    first = 20.0 + 2.0 + 13.9 / (2 * 2.6)
    assert np.flatnonzero(arrivals)[0] == int(first)
    assert np.flatnonzero(arrivals)[-1] == int(first + 9 * 1.7)


def test_only_what_leaves_before_the_planned_end_of_the_upstream_green_arrives():
    # leaving at 4.67 + 1.7 n s: four vehicles within a green planned to end in 10 s
    assert _released(shown=0, remaining=10.0).sum() == 4
    assert _released(shown=0, remaining=0.0).sum() == 0
    assert _released(shown=1, remaining=float("inf")).sum() == 0  # the main link is red
    assert _released(shown=-1, remaining=float("inf")).sum() == 0  # changing


def test_choose_records_when_it_plans_to_end_the_green():
    timing = Timing()
    state = SignalState(current=0, green_since=90.0)
    # a long-waiting side queue and nothing on the main road: switch, and hold the side
    # green at least its minimum after the change
    assert Lookahead().choose(APPROACH, _queue(1, 8, wait=60.0), state, timing) == 1
    assert 100.0 + timing.yellow_s + timing.min_green_s <= state.planned_until <= 160.0
    # a main queue and one side vehicle just arrived: keep the green, for a while only
    state = SignalState(current=0, green_since=99.0)
    seen = _queue(0, 8)
    seen.lanes[1] = [(2.0, 0.0, 1.0)]
    assert Lookahead().choose(APPROACH, seen, state, timing) == 0
    assert 100.0 < state.planned_until <= 160.0
    # nothing else waits: the green stays with no end planned
    assert Lookahead().choose(APPROACH, _queue(0, 3), state, timing) == 0
    assert state.planned_until == float("inf")


def _held_behind_side_queue(wait: float, feeds: tuple[int, ...]) -> Observation:
    """Main traffic rolling in under the main green, and a vehicle standing 200 m up the side
    road, beyond its (empty) queue, giving way there to traffic released by links ``feeds``."""
    seen = _observation([(150.0 - 30.0 * n, 13.9, 0.0) for n in range(4)], [])
    seen.upstream[1] = [(200.0, 0.0, wait)]
    seen.yielding = [(1, 200.0, wait, feeds)]
    return seen


def test_a_vehicle_stuck_giving_way_forces_a_change_only_if_this_signal_releases_its_foes():
    timing = Timing()
    # it gives way to what the main link releases: stopping that stream opens its gap
    state = SignalState(current=0, green_since=90.0)
    assert Lookahead(yield_feeds=True).choose(APPROACH, _held_behind_side_queue(70.0, (0,)), state, timing) == 1
    # it gives way to what the side link releases, red now: a change would not help it
    state = SignalState(current=0, green_since=90.0)
    assert Lookahead(yield_feeds=True).choose(APPROACH, _held_behind_side_queue(70.0, (1,)), state, timing) == 0
    # without ``yield_feeds`` (the default) any change might help it
    state = SignalState(current=0, green_since=90.0)
    assert Lookahead().choose(APPROACH, _held_behind_side_queue(70.0, (1,)), state, timing) == 1


def test_held_up_vehicles_wait_until_none_of_the_links_feeding_their_foes_is_green():
    from signals.lookahead import _until_red

    greens = ("GrG", "rGG", "rGr")
    n = len(greens)
    change = [n + a * n + b for a in range(n) for b in range(n)]
    plans = np.array(
        [
            [0, 0, 0, 0, 0],
            [0, 0, change[0 * n + 1], 1, 1],  # link 0 loses its green at the change
            [0, change[0 * n + 1], 1, change[1 * n + 2], 2],  # link 2 keeps it through the first change
            [2, 2, 2, 2, 2],
        ]
    )
    assert _until_red(greens, plans, (0,)).tolist() == [5, 2, 1, 0]
    assert _until_red(greens, plans, (2,)).tolist() == [5, 5, 3, 0]


# -- turning intents: a single-lane road widening into turning lanes just before the signal
RIGHT, LEFT = 1, 2


def _side_arrivals(policy: Lookahead, vehicles: list[tuple[float, float, str, int]]) -> np.ndarray:
    """Standing vehicles counted now on each lane, for side-road vehicles given as (distance,
    speed, watched lane, incoming lane of their link) with no waiting time."""
    return policy._arrivals(SIDE_BAY, _intent_seen(vehicles), 30)[0]


def test_upstream_vehicles_count_in_the_lane_their_route_takes_and_not_at_all_if_it_turns_off():
    from signals.adaptive import NOT_HERE, UNKNOWN

    policy = Lookahead(turn_intent=True)
    queue = [(12.0, 0.0, "up_1", RIGHT), (19.5, 0.0, "up_1", NOT_HERE), (27.0, 0.0, "up_1", UNKNOWN)]
    assert _side_arrivals(policy, queue).tolist() == [0.0, 1.5, 0.5]
    # without intents every upstream vehicle is shared among the edge's lanes
    assert _side_arrivals(Lookahead(turn_intent=False), queue).tolist() == [0.0, 1.5, 1.5]


def test_on_a_single_lane_a_vehicle_behind_one_waiting_for_a_red_link_counts_in_its_lane():
    policy = Lookahead(turn_intent=True)
    # a left turn stands at the head: the right turns behind it wait for the left's green
    held = [(12.0, 0.0, "up_0", LEFT), (19.5, 0.0, "up_0", RIGHT), (27.0, 0.0, "up_0", RIGHT)]
    assert _side_arrivals(policy, held).tolist() == [0.0, 0.0, 3.0]
    assert _side_arrivals(Lookahead(turn_intent=True, fifo=False), held).tolist() == [0.0, 2.0, 1.0]
    # a right turn at the head does not hold up a left turn (served by fewer greens) behind it
    assert _side_arrivals(policy, [(12.0, 0.0, "up_0", RIGHT), (19.5, 0.0, "up_0", LEFT)]).tolist() == [0.0, 1.0, 1.0]
    # where vehicles may pass (a lane that is not its edge's only one), nobody is held up
    passing = [(12.0, 0.0, "up_1", LEFT), (19.5, 0.0, "up_1", RIGHT)]
    assert _side_arrivals(policy, passing).tolist() == [0.0, 1.0, 1.0]
    # nor behind a vehicle still moving
    moving = [(120.0, 10.0, "up_0", LEFT), (150.0, 10.0, "up_0", RIGHT)]
    arrivals = Lookahead(turn_intent=True)._arrivals(SIDE_BAY, _intent_seen(moving), 30)
    assert arrivals[:, RIGHT].sum() == 1.0 and arrivals[:, LEFT].sum() == 1.0


def test_a_vehicle_yet_to_change_lanes_counts_in_the_lane_its_route_takes():
    from signals.adaptive import NOT_HERE, UNKNOWN

    # on the side road's right-turn lane: a left turn waiting to change lanes, a right turn,
    # one whose route ends before the stop line, and one whose link cannot be told
    seen = Observation(time=100.0, lanes=[[], [], []], upstream=[[], []], outgoing=[[], [], []], pending=[0, 0], out_jam=[0, 0, 0])
    seen.lanes[RIGHT] = [(2.0, 0.0, 0.0), (9.0, 0.0, 0.0), (16.0, 0.0, 0.0), (23.0, 0.0, 0.0)]
    seen.lane_intent = [[], [LEFT, RIGHT, NOT_HERE, UNKNOWN], []]
    assert Lookahead(lane_changes=True)._arrivals(SIDE_BAY, seen, 30)[0].tolist() == [0.0, 2.0, 1.0]
    # by default (and without intents) each counts in the lane it is on
    assert Lookahead()._arrivals(SIDE_BAY, seen, 30)[0].tolist() == [0.0, 4.0, 0.0]
    assert Lookahead(turn_intent=False, lane_changes=True)._arrivals(SIDE_BAY, seen, 30)[0].tolist() == [0.0, 4.0, 0.0]


def _intent_seen(vehicles: list[tuple[float, float, str, int]]) -> Observation:
    seen = Observation(time=100.0, lanes=[[], [], []], upstream=[[], []], outgoing=[[], [], []], pending=[0, 0], out_jam=[0, 0, 0])
    seen.upstream[1] = [(d, v, 0.0) for d, v, _, _ in vehicles]
    seen.intent = [[], [(lane, target) for _, _, lane, target in vehicles]]
    return seen


def test_walkers_waiting_at_a_crossing_call_the_green_that_walks_it():
    from dataclasses import replace

    from signals.lookahead import _until_green

    # the side road's green also walks a crossing (index 2); the main street's green has
    # served its queue, nobody drives on the side road, three walkers wait to cross
    walking = replace(APPROACH, greens=("Grr", "rGG"))
    state = SignalState(current=0, green_since=80.0)
    seen = _observation([], [])
    assert Lookahead().choose(walking, seen, state, Timing()) == 0  # nobody waits: the green stays
    seen.walkers = [(2, 20.0), (2, 5.0), (2, 0.5)]
    assert Lookahead().choose(walking, seen, state, Timing()) == 1
    assert Lookahead(pedestrian_weight=0.0).choose(walking, seen, state, Timing()) == 0
    # with vehicles queued on the main street, they are served first, not for ever
    busy = _observation(_standing(4, 10.0), [])
    busy.walkers = seen.walkers
    assert Lookahead().choose(walking, busy, state, Timing()) == 0 and state.planned_until < 100.0 + 30.0
    # the steps until a plan shows a green walking the crossing: 0 when it does at once, the
    # horizon when never; a change (pseudo-phase 2 + a * 2 + b) shows none
    plans = np.array([[1, 1, 1], [0, 3, 1], [0, 0, 0]])
    assert _until_green(walking.greens, plans, 2).tolist() == [0, 2, 3]

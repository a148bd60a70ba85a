"""The max-pressure baseline weighs the queue waiting to join an exit against the queue on
the exit: vehicles standing on it anywhere, and vehicles within the same reach beyond the
junction, not the traffic moving away down it."""

from __future__ import annotations

from signals.adaptive import Observation, SignalState
from signals.baselines import MaxPressure
from signals.phases import Timing
from tests.signals._handmade import TWO_WAY

APPROACH = TWO_WAY


def _seen(main_exit: list[tuple[float, float]]) -> Observation:
    main_queue = [(2.0 + 7.5 * n, 0.0, 20.0) for n in range(3)]
    side_queue = [(2.0 + 7.5 * n, 0.0, 30.0) for n in range(2)]
    return Observation(
        time=100.0,
        lanes=[main_queue, side_queue],
        upstream=[[], []],
        outgoing=[main_exit, []],
        pending=[0, 0],
    )


def test_traffic_moving_away_down_a_long_exit_does_not_count_against_the_queue():
    state = SignalState(current=1, green_since=50.0)
    moving_away = [(120.0 + 45.0 * n, 13.9) for n in range(8)]  # 8 vehicles 120-435 m down the exit
    assert MaxPressure(reach_m=100.0).choose(APPROACH, _seen(moving_away), state, Timing()) == 0
    # counted as far as they are, they would (3 - 8 < 2) keep the side road green
    assert MaxPressure(reach_m=500.0).choose(APPROACH, _seen(moving_away), state, Timing()) == 1


def test_a_queue_standing_just_beyond_the_junction_does_count():
    state = SignalState(current=1, green_since=50.0)
    standing = [(5.0 + 7.5 * n, 0.0) for n in range(4)]
    assert MaxPressure(reach_m=100.0).choose(APPROACH, _seen(standing), state, Timing()) == 1
    assert MaxPressure(reach_m=100.0, halting_only=True).choose(APPROACH, _seen(standing), state, Timing()) == 1


def test_a_queue_standing_far_down_the_exit_counts():
    state = SignalState(current=1, green_since=50.0)
    backed_up = [(300.0 + 7.5 * n, 0.0) for n in range(4)]  # the exit's queue, 300 m down
    assert MaxPressure(reach_m=100.0).choose(APPROACH, _seen(backed_up), state, Timing()) == 1
    moving = [(d, 13.9) for d, _ in backed_up]
    assert MaxPressure(reach_m=100.0).choose(APPROACH, _seen(moving), state, Timing()) == 0

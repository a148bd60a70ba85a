"""Lookahead's horizon: 30 s in light traffic, longer while the standing queues need it
(up to ``max_horizon_s``, 60 s by default)."""

from __future__ import annotations

import numpy as np

from signals.adaptive import SignalState
from signals.lookahead import Lookahead
from signals.phases import Timing
from tests.signals._handmade import TWO_WAY

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


def _seen(queue: int):
    from signals.adaptive import Observation

    return Observation(
        time=100.0,
        lanes=[[(2.0 + 7.5 * n, 0.0, 10.0) for n in range(queue)], [(2.0 + 7.5 * n, 0.0, 40.0) for n in range(queue + 1)]],
        upstream=[[], []],
        outgoing=[[], []],
        pending=[0, 0],
        out_jam=[0, 0],
    )


def test_in_light_traffic_decisions_are_those_of_the_30_s_horizon():
    state = SignalState(current=0, green_since=90.0)
    for queue in range(6):
        assert LONG.choose(APPROACH, _seen(queue), state, Timing()) == SHORT.choose(
            APPROACH, _seen(queue), state, Timing()
        )

"""Hand-made signals for the policies' unit tests: a main street (green 0) and a side road
(green 1), one 300 m lane each, each onto its own exit; and a side road widening into
turning lanes just before the stop line."""

from __future__ import annotations

from signals.approach import WATCH_IN, WATCH_UP, Approach

TWO_WAY = Approach(
    tls_id="J",
    junction="J",
    radius_m=500.0,
    greens=("Gr", "rG"),
    lanes=("main_0", "side_0"),
    lane_length=(300.0, 300.0),
    lane_speed=(13.9, 13.9),
    lane_edge=(0, 1),
    lane_phases=((0,), (1,)),
    edges=("main", "side"),
    edge_lanes=((0,), (1,)),
    outgoing=("main_out_0", "side_out_0"),
    out_capacity=(40.0, 40.0),
    links=((0, 0, 0), (1, 1, 1)),
    watch={},
    sources=(),
    approach_length=(300.0, 300.0),
    out_room=(40.0, 40.0),
    junction_m=(float("inf"), float("inf")),
)


#: A side road whose single lane (``up_0``, 190 m) widens into a right-turn and a left-turn
#: lane 10 m before the stop line; its right turn runs with both greens, its left with the
#: second; ``up_1`` is a watched lane where vehicles may pass.
SIDE_BAY = Approach(
    tls_id="J",
    junction="J",
    radius_m=500.0,
    greens=("GGr", "rGG"),
    lanes=("main_0", "side_0", "side_1"),
    lane_length=(300.0, 10.0, 10.0),
    lane_speed=(13.9, 13.9, 13.9),
    lane_edge=(0, 1, 1),
    lane_phases=((0,), (0, 1), (1,)),
    edges=("main", "side"),
    edge_lanes=((0,), (1, 2)),
    outgoing=("o_0", "o_1", "o_2"),
    out_capacity=(40.0, 40.0, 40.0),
    links=((0, 0, 0), (1, 1, 1), (2, 2, 2)),
    watch={
        "main_0": (WATCH_IN, 0, 0.0, 300.0),
        "side_0": (WATCH_IN, 1, 0.0, 10.0),
        "side_1": (WATCH_IN, 2, 0.0, 10.0),
        "up_0": (WATCH_UP, 1, 10.0, 190.0),
        "up_1": (WATCH_UP, 1, 10.0, 190.0),
    },
    sources=(),
    approach_length=(300.0, 200.0),
    out_room=(40.0, 40.0, 40.0),
    junction_m=(float("inf"), float("inf")),
    fifo=frozenset({"up_0"}),
)

"""A hand-made signal for the policies' unit tests: a main street (green 0) and a side road
(green 1), one 300 m lane each, each onto its own exit."""

from __future__ import annotations

from signals.approach import Approach

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

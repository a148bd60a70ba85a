"""Our gap-based actuated controller on a hand-made junction: calls and extensions come from
the whole approach chain, not only the last (possibly 1 m long) edge."""

from __future__ import annotations

from signals.actuated import Actuated
from signals.adaptive import Observation, SignalState
from signals.approach import Approach
from signals.phases import Timing

# two approaches, one lane each: main street (green 0) and a side road (green 1) whose last
# edge before the stop line is 1 m long, as on ingolstadt7
APPROACH = Approach(
    tls_id="J",
    junction="J",
    radius_m=10.0,
    greens=("Gr", "rG"),
    lanes=("main_0", "stub_0"),
    lane_length=(200.0, 1.0),
    lane_speed=(13.9, 13.9),
    lane_edge=(0, 1),
    lane_phases=((0,), (1,)),
    edges=("main", "stub"),
    edge_lanes=((0,), (1,)),
    outgoing=("out_0",),
    out_capacity=(40.0,),
    links=((0, 0, 0), (1, 0, 1)),
    watch={},
    sources=(),
)


def _observation(side_upstream: list[tuple[float, float, float]], main: list[tuple[float, float, float]]) -> Observation:
    return Observation(
        time=100.0,
        lanes=[main, []],
        upstream=[[], side_upstream],
        outgoing=[[]],
        pending=[0, 0],
    )


def test_a_queue_standing_before_a_one_metre_edge_calls_its_green():
    policy = Actuated()
    state = SignalState(current=0, green_since=70.0)
    # main street empty; the side road's queue stands 2-20 m back, on the edge before the stub
    queue = [(2.0, 0.0, 25.0), (9.5, 0.0, 20.0), (17.0, 0.0, 12.0)]
    assert policy.choose(APPROACH, _observation(queue, []), state, Timing()) == 1
    # nobody there: the green stays
    assert policy.choose(APPROACH, _observation([], []), state, Timing()) == 0


def test_vehicles_approaching_up_the_chain_extend_the_green():
    policy = Actuated()
    state = SignalState(current=1, green_since=90.0)  # the side road green for 10 s
    waiting_main = [(5.0, 0.0, 30.0)]
    arriving = [(20.0, 12.0, 0.0)]  # 1.7 s from the stop line, on the edge before the stub
    assert policy.choose(APPROACH, _observation(arriving, waiting_main), state, Timing()) == 1
    gone = [(60.0, 12.0, 0.0)]  # beyond the detection zone: gap out, main street gets its call
    assert policy.choose(APPROACH, _observation(gone, waiting_main), state, Timing()) == 0

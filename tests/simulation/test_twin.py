"""The live twin: SUMO stepping in paced real time, emitting detectors, probes and buses."""

from __future__ import annotations

import threading
import time

import pytest

from its.errors import InputError
from simulation.twin import TwinConfig, TwinFrame, run_twin


def test_config_is_checked():
    with pytest.raises(InputError, match="speed"):
        TwinConfig(speed=-1)
    with pytest.raises(InputError, match="probe share"):
        TwinConfig(probe_share=2)


@pytest.mark.sumo
def test_the_twin_emits_detectors_probes_and_buses(tiny):
    frames: list[TwinFrame] = []
    begin = tiny.begin or 0.0
    summary = run_twin(tiny, TwinConfig(speed=0, end=begin + 600, emit_every_s=20, detector_period_s=60, probe_share=0.3), frames.append)
    assert summary.sim_end == begin + 600 and not summary.stopped
    counted = [f for f in frames if f.detectors]
    assert len(counted) == 10  # one per detector period
    assert [f.detectors[0]["time"] for f in counted] == [begin + 60 * k for k in range(10)]
    assert sum(row["vehicles"] for f in counted for row in f.detectors) > 50
    probes = [p for f in frames for p in f.probes]
    assert probes and all(p["vehicle"].startswith(("car_",)) for p in probes)
    assert all(-93.1 < p["lon"] < -92.9 and 41.9 < p["lat"] < 42.1 for p in probes)
    buses = [b for f in frames for b in f.buses]
    assert buses and {b.line for b in buses} == {"1"}
    served = [b for b in buses if b.last_stop is not None]
    assert served and all(b.last_arrival_s is not None for b in served)


@pytest.mark.sumo
def test_the_twin_keeps_pace_and_stops_on_request(tiny):
    begin = tiny.begin or 0.0
    started = time.monotonic()
    run_twin(tiny, TwinConfig(speed=120, end=begin + 120, emit_every_s=30, probe_share=0.0), lambda f: None)
    assert time.monotonic() - started >= 0.9  # 120 simulated seconds at 120x take a second
    stop = threading.Event()
    seen: list[float] = []

    def on_frame(frame: TwinFrame) -> None:
        seen.append(frame.sim_time)
        if len(seen) == 3:
            stop.set()

    summary = run_twin(tiny, TwinConfig(speed=0, emit_every_s=10), on_frame, stop=stop)
    assert summary.stopped and len(seen) == 3


@pytest.mark.sumo
def test_a_what_if_variant_shows_in_the_feed(tiny):
    """The tiny scenario's centre-closed variant closes C1B1 from 07:03 to 07:12 (buses of the
    line that serves a stop there may still pass).
    """
    frames: list[TwinFrame] = []
    begin = tiny.begin or 0.0
    config = TwinConfig(speed=0, end=begin + 660, emit_every_s=30, variant=tiny.variant("centre-closed"))
    run_twin(tiny, config, frames.append)
    rows = [row for f in frames for row in f.detectors if row["detector"].startswith("det_C1B1")]
    before = sum(row["vehicles"] for row in rows if row["time"] < begin + 180)
    closed = sum(row["vehicles"] for row in rows if begin + 300 <= row["time"] < begin + 660)
    assert before >= 8 and closed <= 2  # about 5 vehicles a minute before, none but buses during

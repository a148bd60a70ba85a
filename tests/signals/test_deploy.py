"""A plan swapped into a running simulation at a cycle boundary, its offset reached."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from its.control import Phase, TimingPlan
from signals.deploy import PlanSwitch

pytestmark = pytest.mark.sumo

NEW = TimingPlan(
    "B1",
    "its-new",
    (Phase("rrrrGGGgrrrrGGGg", 20), Phase("rrrryyyyrrrryyyy", 3), Phase("GGGgrrrrGGGgrrrr", 24), Phase("yyyyrrrryyyyrrrr", 3)),
    offset=17,
)


class PhaseProbe:
    """Records program and phase of B1 every second (inside the worker process)."""

    interval_s = 1.0

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[tuple[float, str, int]] = []

    def start(self, sim) -> None:
        """Nothing to set up: it only records what it sees in ``act``."""

    def act(self, sim) -> None:
        self.rows.append((sim.time(), sim.apply("trafficlight", "getProgram", "B1"), sim.apply("trafficlight", "getPhase", "B1")))

    def finish(self, sim) -> None:
        self.path.write_text(json.dumps(self.rows))


def test_plan_swapped_at_the_next_cycle_boundary(tiny, tmp_path):
    from simulation.config import RunConfig
    from simulation.run import run

    at = tiny.begin + 100
    switch_log, probe_log = tmp_path / "switch.json", tmp_path / "probe.json"
    switch = PlanSwitch([NEW], at_s=at, log=switch_log)
    run(tiny, RunConfig(seed=1, end=tiny.begin + 400, controllers=(switch, PhaseProbe(probe_log))))
    (record,) = json.loads(switch_log.read_text())
    # the shipped program has a 60 s cycle from time 0: its next start after `at` is at 25320
    assert record["boundary_s"] == pytest.approx(25321, abs=1)
    # phase 0 of the old program is the new plan's second stage: a yellow first, then install
    assert record["installed_s"] == pytest.approx(record["boundary_s"] + 3, abs=1)
    rows = json.loads(probe_log.read_text())
    assert {p for t, p, _ in rows if t < record["boundary_s"]} == {"0"}
    after = [(t, phase) for t, p, phase in rows if t > record["installed_s"] + 1]
    assert after and all(p == "its-new" for t, p, _ in rows if t > record["installed_s"] + 1)
    starts = [t for (t, phase), (_, before) in zip(after[1:], after, strict=False) if phase == 0 and before != 0]
    assert starts and all((t - 1 - NEW.offset) % NEW.cycle_s == 0 for t in starts)


def test_change_over_clears_for_the_intergreen_matrix_when_asked(tiny, tiny_signals, tmp_path):
    from signals.phases import Timing
    from simulation.config import RunConfig
    from simulation.run import run

    signal = tiny_signals.signals["B1"]
    shown = signal.program.phases[0].state  # what B1 shows at the cycle boundary
    red = math.ceil(signal.intergreens.all_red_s(shown, NEW.phases[0].state) - 1e-9)
    assert red >= 1  # the tiny junction's geometry asks for some
    switch_log = tmp_path / "switch.json"
    switch = PlanSwitch(
        [NEW],
        at_s=tiny.begin + 100,
        timing=Timing(all_red_auto=True),
        intergreens={"B1": signal.intergreens},
        log=switch_log,
    )
    run(tiny, RunConfig(seed=1, end=tiny.begin + 200, controllers=(switch,)))
    (record,) = json.loads(switch_log.read_text())
    # the yellow, then the all-red the matrix asks, then the new plan
    assert record["installed_s"] == pytest.approx(record["boundary_s"] + 3 + red, abs=1)

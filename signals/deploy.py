"""Deploying plans into a running simulation at a cycle boundary.

:class:`PlanSwitch` is a :class:`its.control.Controller`: from ``at_s`` on it waits, per
signal, for the running program to start its cycle again (phase 0 begins), shows the yellow
(and all-red) needed to reach the new plan's first stage when the two differ, installs the new
program and stretches or shortens its first green (by at most half a cycle) so its offset holds
from the next cycle on. Signals under an adaptive controller have no cycle, so there the plan is
installed at once, through the same transition.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from its.control import SimHandle, TimingPlan
from its.errors import SimulationError
from signals.model import Crossing, Intergreens
from signals.phases import Timing, transition

__all__ = ["PlanSwitch", "SwitchRecord"]

_TYPES = {"static": 0, "actuated": 3, "delay_based": 5}


@dataclass
class SwitchRecord:
    """When and how one signal changed over to its new plan."""

    tls_id: str
    requested_s: float
    boundary_s: float | None = None
    installed_s: float | None = None
    first_green_s: float | None = None


@dataclass
class _Pending:
    plan: TimingPlan
    record: SwitchRecord
    last_phase: int = -1
    transition: list[tuple[str, float]] = field(default_factory=list)


class PlanSwitch:
    """Swap ``plans`` into the simulation at each signal's next cycle boundary after ``at_s``
    (at once when ``at_s`` is None). ``records`` says what happened, per signal; with ``log``
    they are also written there as JSON when the run ends. ``walkways`` (per signal, its
    pedestrian crossings) times the pedestrian clearance of the change-over, ``intergreens``
    (per signal, :attr:`signals.model.Signal.intergreens`) its all-red when ``timing``
    sizes it from geometry, and the late walk of a crossing the new plan starts walking."""

    interval_s = 1.0

    def __init__(
        self,
        plans: Sequence[TimingPlan],
        *,
        at_s: float | None = None,
        timing: Timing = Timing(),
        log: Path | None = None,
        walkways: Mapping[str, tuple[Crossing, ...]] | None = None,
        intergreens: Mapping[str, Intergreens] | None = None,
    ) -> None:
        self.plans = tuple(plans)
        self.walkways = dict(walkways or {})
        self.intergreens = dict(intergreens or {})
        self.at_s = at_s
        self.timing = timing
        self.log = log
        self.records: list[SwitchRecord] = []
        self._pending: dict[str, _Pending] = {}

    def start(self, sim: SimHandle) -> None:
        now = sim.time()
        self._pending = {}
        for plan in self.plans:
            record = SwitchRecord(plan.tls_id, requested_s=self.at_s if self.at_s is not None else now)
            self.records.append(record)
            self._pending[plan.tls_id] = _Pending(plan, record)

    def act(self, sim: SimHandle) -> None:
        now = sim.time()
        if self.at_s is not None and now < self.at_s:
            for tls_id, pending in self._pending.items():
                pending.last_phase = int(sim.apply("trafficlight", "getPhase", tls_id))
            return
        for tls_id in list(self._pending):
            pending = self._pending[tls_id]
            if pending.transition:
                if now + 1e-6 >= pending.transition[0][1]:
                    pending.transition.pop(0)
                    if pending.transition:
                        sim.apply("trafficlight", "setRedYellowGreenState", tls_id, pending.transition[0][0])
                    else:
                        self._install(sim, pending, now)
                        del self._pending[tls_id]
                continue
            phase = int(sim.apply("trafficlight", "getPhase", tls_id))
            program = str(sim.apply("trafficlight", "getProgram", tls_id))
            boundary = program == "online" or (phase == 0 and pending.last_phase not in (-1, 0))
            pending.last_phase = phase
            if not boundary:
                continue
            pending.record.boundary_s = now
            shown = str(sim.apply("trafficlight", "getRedYellowGreenState", tls_id))
            phases = (
                transition(
                    shown,
                    pending.plan.phases[0].state,
                    self.timing,
                    self.walkways.get(tls_id, ()),
                    self.intergreens.get(tls_id, Intergreens()),
                    late_walks=True,  # into a fixed-time plan
                )
                if _is_green(shown)
                else ()
            )
            if phases:
                end = now
                for p in phases:
                    end += p.duration
                    pending.transition.append((p.state, end))
                sim.apply("trafficlight", "setRedYellowGreenState", tls_id, phases[0].state)
            else:
                self._install(sim, pending, now)
                del self._pending[tls_id]

    @property
    def done(self) -> bool:
        """Whether every plan is installed."""
        return bool(self.records) and not self._pending

    def _install(self, sim: SimHandle, pending: _Pending, now: float) -> None:
        api = getattr(sim, "api", None)
        if api is None:
            raise SimulationError("deploying a plan needs the libsumo backend (its 'api' module)")
        plan = pending.plan
        phases = [api.trafficlight.Phase(p.duration, p.state, p.min_dur or -1, p.max_dur or -1) for p in plan.phases]
        cycle = plan.cycle_s
        delta = (plan.offset - now) % cycle if cycle > 0 else 0.0
        first = phases[0].duration
        if delta <= cycle / 2 or first - (cycle - delta) < self.timing.min_green_s:
            first_green = first + delta
        else:
            first_green = first - (cycle - delta)
        logic = api.trafficlight.Logic(plan.program_id, _TYPES.get(plan.type, 0), 0, phases)
        sim.apply("trafficlight", "setProgramLogic", plan.tls_id, logic)
        sim.apply("trafficlight", "setProgram", plan.tls_id, plan.program_id)
        sim.apply("trafficlight", "setPhase", plan.tls_id, 0)
        sim.apply("trafficlight", "setPhaseDuration", plan.tls_id, first_green)
        pending.record.installed_s = now
        pending.record.first_green_s = first_green

    def finish(self, sim: SimHandle) -> None:
        """Write the records to ``log`` (if given)."""
        if self.log is not None:
            self.log.write_text(json.dumps([asdict(r) for r in self.records], indent=1), encoding="utf-8")


def _is_green(state: str) -> bool:
    return any(c in "Gg" for c in state)

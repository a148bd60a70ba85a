"""The step loop: advance a backend to the end of the window, stepping controllers on time.

Without controllers SUMO runs in long strides (only progress reports break them up), so a
run costs what the plain ``sumo`` binary costs; with controllers it stops every control
interval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from simulation.backend import SimulationBackend

__all__ = ["run_loop"]


def run_loop(
    backend: SimulationBackend,
    *,
    begin: float,
    end: float | None,
    controllers: Sequence[Any] = (),
    progress: Callable[[float], None] | None = None,
    report_every_s: float | None = None,
) -> float:
    """Step ``backend`` (already started) from ``begin`` to ``end``; returns the final time.

    With no ``end`` the run lasts until no vehicle is running or waiting to be inserted.
    ``progress(sim_time)`` is called at least every ``report_every_s`` simulated seconds
    (default: 1/200 of the window, at least 60 s; 300 s when the end is open). A controller
    with a ``finish(sim)`` method has it called once at the end, before SUMO closes.
    """
    for controller in controllers:
        controller.start(backend)
    open_end = end is None
    stop = float("inf") if end is None else end
    every = report_every_s or (300.0 if open_end else max(60.0, (stop - begin) / 200.0))
    next_report = begin + every
    due = [begin + c.interval_s for c in controllers]
    now = backend.time()
    while now < stop - 1e-9:
        if open_end and now > begin and backend.expected() == 0:
            break
        target = min([stop, next_report, *due])
        now = backend.step(target)
        for i, controller in enumerate(controllers):
            if now >= due[i] - 1e-9:
                controller.act(backend)
                while due[i] <= now + 1e-9:
                    due[i] += controller.interval_s
        if now >= next_report - 1e-9:
            if progress is not None:
                progress(now)
            next_report = now + every
    for controller in controllers:
        finish = getattr(controller, "finish", None)  # optional: a controller's last word
        if finish is not None:
            finish(backend)
    if progress is not None:
        progress(now)
    return now

"""What-if comparison: baseline and variant over several seeds, in parallel, with statistics.

Every (variant, seed) run is one job of the project's job runner, so the runs spread over
local worker processes or a Dask cluster alike. Each KPI is reported as the mean with a 95%
confidence interval on both sides, the difference, and whether it is significant (a paired
t-test: both sides run the same seeds).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from its.changes import Variant
from its.jobs import JobRunner
from its.kpi import Difference, Summary, difference, summarize
from its.scenario import Scenario
from simulation.config import RunConfig
from simulation.result import SimResult
from simulation.run import prepare, run

__all__ = ["COMPARED_KPIS", "Comparison", "KpiRow", "check_variant", "compare"]

#: KPIs compared, in report order; ``True`` where lower is better, None where neither is.
COMPARED_KPIS: dict[str, bool | None] = {
    "vehicles_inserted": None,
    "vehicles_arrived": False,
    "vehicles_running": True,
    "vehicles_never_inserted": True,
    "teleports": True,
    "mean_time_loss_s": True,
    "p95_time_loss_s": True,
    "mean_trip_duration_s": True,
    "p95_trip_duration_s": True,
    "mean_waiting_time_s": True,
    "mean_depart_delay_s": True,
    "delay_s": True,
    "throughput_veh_h": False,
    "vehicle_km": None,
    "vehicle_hours": True,
    "mean_speed_kmh": False,
    "co2_kg": True,
    "nox_kg": True,
    "conflicts": True,
}


@dataclass(frozen=True)
class KpiRow:
    """One KPI of a comparison: both sides summarised over seeds and their difference."""

    name: str
    baseline: Summary
    variant: Summary
    change: Difference
    lower_is_better: bool | None

    @property
    def verdict(self) -> str:
        """``better``, ``worse``, ``higher``/``lower`` (neutral KPIs) or ``not significant``."""
        if not self.change.significant:
            return "not significant"
        if self.lower_is_better is None:
            return "higher" if self.change.delta > 0 else "lower"
        improved = (self.change.delta < 0) == self.lower_is_better
        return "better" if improved else "worse"


@dataclass(frozen=True)
class Comparison:
    scenario: str
    variant: Variant
    seeds: tuple[int, ...]
    baseline_runs: tuple[SimResult, ...]
    variant_runs: tuple[SimResult, ...]
    rows: tuple[KpiRow, ...]

    def speed_change(self) -> pd.Series:
        """Change in mean speed per edge (m/s), variant minus baseline, averaged over seeds.

        An edge that carried traffic in the baseline but none in the variant (a closure) is NaN.
        """
        def mean_over(runs: Sequence[SimResult]) -> pd.Series:
            series = [r.edge_mean_speed() for r in runs]
            series = [s for s in series if not s.empty]
            return pd.concat(series, axis=1).mean(axis=1) if series else pd.Series(dtype=float)

        base, var = mean_over(self.baseline_runs), mean_over(self.variant_runs)
        base = base.dropna()
        return var.reindex(base.index) - base


RunProgress = Callable[[int, float], None]


@dataclass(frozen=True)
class _Job:
    scenario: Scenario
    config: RunConfig
    out_dir: Path | None


def _execute(job: _Job, progress: Callable[[float], None] | None = None) -> SimResult:
    return run(job.scenario, job.config, out_dir=job.out_dir, progress=progress)


def check_variant(scenario: Scenario, variant: Variant, base: RunConfig = RunConfig()) -> None:
    """Prepare the variant's input files in a scratch folder, so that a change that does not
    fit the scenario (a missing plan file, an unknown edge) fails before any run, not after
    the baseline's.

    Raises
    ------
    VariantError, InputError, ScenarioError
        As :func:`simulation.run.prepare` does for the variant's run.
    """
    with tempfile.TemporaryDirectory(prefix="its-variant-check-") as scratch:
        prepare(scenario, replace(base, variant=variant), Path(scratch))


def compare(
    scenario: Scenario,
    variant: Variant,
    *,
    seeds: Sequence[int],
    base: RunConfig = RunConfig(),
    runner: JobRunner,
    out_dir: Path | None = None,
    progress: RunProgress | None = None,
    check: bool = True,
) -> Comparison:
    """Run baseline and ``variant`` on every seed and compare their KPIs.

    ``progress(job_index, sim_time)`` reports each run's simulated time when the runner runs
    jobs in this process (threads); jobs are ordered baseline seeds first, then variant seeds.
    The variant is checked first (:func:`check_variant`) unless ``check`` is off, for a caller
    that has just done so.
    """
    if check:
        check_variant(scenario, variant, base)
    jobs = []
    for side, var in (("baseline", None), (variant.name, variant)):
        for seed in seeds:
            folder = out_dir / "runs" / f"{_slug(side)}-seed{seed}" if out_dir else None
            jobs.append(_Job(scenario, replace(base, seed=seed, variant=var), folder))

    if progress is not None and runner.in_process:
        def work(indexed: tuple[int, _Job]) -> SimResult:
            index, job = indexed
            return _execute(job, lambda t: progress(index, t))

        results = runner.map(work, list(enumerate(jobs)))
    else:
        results = runner.map(_execute, jobs)
    n = len(seeds)
    baseline_runs, variant_runs = tuple(results[:n]), tuple(results[n:])
    rows = []
    for name, lower in COMPARED_KPIS.items():
        a = [r.kpis.get(name) for r in baseline_runs]
        b = [r.kpis.get(name) for r in variant_runs]
        if all(v is None for v in a + b):
            continue  # not measured in these runs (e.g. emissions off)
        # both sides run the same seeds: each seed's change is what is tested (paired)
        rows.append(KpiRow(name, summarize(a), summarize(b), difference(a, b, paired=True), lower))
    return Comparison(scenario.name, variant, tuple(seeds), baseline_runs, variant_runs, tuple(rows))


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:60]

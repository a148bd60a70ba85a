"""The result of one simulation run: its KPIs and the per-edge and per-detector series."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["SimResult"]


@dataclass(frozen=True)
class SimResult:
    """KPIs of one run (see the README's KPI table) with the series behind them.

    ``edges`` has a row per edge and interval (speed m/s, flow veh/h, density veh/km,
    occupancy %); ``detectors`` a row per loop and interval; either is None when switched off.
    ``lane_areas`` has a row per lane-area detector the run laid and interval (the longest
    queue in it, metres), None when it laid none.
    ``out_dir`` holds SUMO's own output files when the run was asked to keep them.
    """

    scenario: str
    variant: str
    seed: int
    begin: float
    end: float
    kpis: dict[str, Any]
    by_type: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: pd.DataFrame | None = None
    detectors: pd.DataFrame | None = None
    lane_areas: pd.DataFrame | None = None
    out_dir: Path | None = None
    sumo_version: str = ""

    def to_json(self) -> dict[str, Any]:
        """One flat JSON object: the KPIs, then what run it was."""
        return {
            **self.kpis,
            "scenario": self.scenario,
            "variant": self.variant,
            "seed": self.seed,
            "begin_s": self.begin,
            "end_s": self.end,
            "sumo_version": self.sumo_version,
            "out_dir": str(self.out_dir) if self.out_dir else None,
            "by_type": self.by_type,
        }

    def write_json(self, path: Path) -> Path:
        """Write :meth:`to_json` to ``path`` (NaN as null)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(_finite(self.to_json()), indent=2) + "\n", encoding="utf-8")
        return path

    def edge_mean_speed(self) -> pd.Series:
        """Mean speed per edge over the run (m/s), weighted by vehicle-seconds on the edge."""
        if self.edges is None or self.edges.empty:
            return pd.Series(dtype=float)
        frame = self.edges.dropna(subset=["speed_ms"])
        weights = frame["sampled_s"].fillna(0)
        total = (frame["speed_ms"] * weights).groupby(frame["edge"]).sum()
        return total / weights.groupby(frame["edge"]).sum().replace(0, float("nan"))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value

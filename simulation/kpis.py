"""KPIs of one run, computed from SUMO's own outputs (pure: tables in, numbers out).

Every key is documented in the README's KPI table. Vehicles whose type starts with ``its_``
(the stopped vehicle of an incident) are the system's own devices and are left out.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from its.kpi import percentile

__all__ = ["REQUIRED_KEYS", "by_type", "run_kpis"]

#: Keys every run's KPI object carries (None when the output that feeds them is switched off).
REQUIRED_KEYS = (
    "vehicles_loaded",
    "vehicles_inserted",
    "vehicles_arrived",
    "vehicles_running",
    "vehicles_never_inserted",
    "teleports",
    "mean_time_loss_s",
    "mean_trip_duration_s",
    "mean_waiting_time_s",
    "delay_s",
    "co2_kg",
    "conflicts",
    "wall_time_s",
)


def _mean(values: pd.Series) -> float:
    return float(values.mean()) if len(values) else float("nan")


def run_kpis(
    trips: pd.DataFrame,
    statistics: Mapping[str, Mapping[str, float]],
    *,
    begin: float,
    end: float,
    conflicts: int | None,
    emissions: bool,
    exclude_prefix: str = "its_",
    persons: pd.DataFrame | None = None,
) -> dict[str, float | int | None]:
    """The KPI object of one run.

    ``trips`` is the tripinfo table with unfinished and never-inserted vehicles; ``delay_s``
    follows the RESCO benchmark: the mean over all vehicles of time loss plus depart delay,
    where a vehicle never inserted counts the time from its planned departure to the end.
    ``persons`` is the personinfo table (pedestrians and passengers), counted apart from the
    vehicles; its KPIs are None when it is not given or empty.
    """
    trips = trips[~trips["vtype"].str.startswith(exclude_prefix)]
    inserted = trips[trips["depart"] >= 0]
    arrived = inserted[inserted["arrival"] >= 0]
    teleports = statistics.get("teleports", {})
    safety = statistics.get("safety", {})
    hours = max(end - begin, 1e-9) / 3600.0
    vehicle_km = float(inserted["route_length"].sum()) / 1000.0
    vehicle_h = float(inserted["duration"].sum()) / 3600.0
    kpis: dict[str, float | int | None] = {
        "vehicles_loaded": int(len(trips)),
        "vehicles_inserted": int(len(inserted)),
        "vehicles_arrived": int(len(arrived)),
        "vehicles_running": int(len(inserted) - len(arrived)),
        "vehicles_never_inserted": int(len(trips) - len(inserted)),
        "teleports": int(teleports.get("total", 0)),
        "teleports_jam": int(teleports.get("jam", 0)),
        "teleports_yield": int(teleports.get("yield", 0)),
        "teleports_wrong_lane": int(teleports.get("wrongLane", 0)),
        "collisions": int(safety.get("collisions", 0)),
        "emergency_stops": int(safety.get("emergencyStops", 0)),
        "mean_time_loss_s": _mean(arrived["time_loss"]),
        "p95_time_loss_s": percentile(arrived["time_loss"].to_numpy(), 95),
        "mean_trip_duration_s": _mean(arrived["duration"]),
        "p95_trip_duration_s": percentile(arrived["duration"].to_numpy(), 95),
        "mean_waiting_time_s": _mean(arrived["waiting_time"]),
        "p95_waiting_time_s": percentile(arrived["waiting_time"].to_numpy(), 95),
        "mean_depart_delay_s": _mean(inserted["depart_delay"]),
        "p95_depart_delay_s": percentile(inserted["depart_delay"].to_numpy(), 95),
        "delay_s": _mean(trips["time_loss"] + trips["depart_delay"]),
        "throughput_veh_h": len(arrived) / hours,
        "vehicle_km": vehicle_km,
        "vehicle_hours": vehicle_h,
        "mean_speed_kmh": vehicle_km / vehicle_h if vehicle_h > 0 else float("nan"),
        "co2_kg": None,
        "nox_kg": None,
        "pmx_g": None,
        "fuel_kg": None,
        "conflicts": conflicts,
        **_person_kpis(persons),
    }
    if emissions and "co2_mg" in trips.columns:
        kpis["co2_kg"] = float(trips["co2_mg"].sum()) / 1e6
        kpis["nox_kg"] = float(trips["nox_mg"].sum()) / 1e6
        kpis["pmx_g"] = float(trips["pmx_mg"].sum()) / 1e3
        kpis["fuel_kg"] = float(trips["fuel_mg"].sum()) / 1e6
    return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in kpis.items()}


def _person_kpis(persons: pd.DataFrame | None) -> dict[str, float | int | None]:
    """Pedestrians and passengers: how many, how many arrived, and their mean time loss and
    waiting (at crossings, for a ride) over those arrived (SUMO reports no time loss for a
    person still on the way)."""
    if persons is None or persons.empty:
        return {"persons": None, "persons_arrived": None, "mean_person_time_loss_s": None, "mean_person_waiting_time_s": None}
    arrived = persons[persons["duration"] >= 0]
    return {
        "persons": int(len(persons)),
        "persons_arrived": int(len(arrived)),
        "mean_person_time_loss_s": _mean(arrived["time_loss"]),
        "mean_person_waiting_time_s": _mean(arrived["waiting_time"]),
    }


def by_type(trips: pd.DataFrame, *, exclude_prefix: str = "its_") -> dict[str, dict[str, float | int | None]]:
    """Counts and mean times per vehicle type (cars, trucks, buses, ...)."""
    out: dict[str, dict[str, float | int | None]] = {}
    trips = trips[~trips["vtype"].str.startswith(exclude_prefix)]
    for vtype, group in trips.groupby("vtype", sort=True):
        arrived = group[(group["depart"] >= 0) & (group["arrival"] >= 0)]
        values: dict[str, float | int | None] = {
            "vehicles": int(len(group)),
            "arrived": int(len(arrived)),
            "mean_time_loss_s": _mean(arrived["time_loss"]),
            "mean_trip_duration_s": _mean(arrived["duration"]),
            "mean_waiting_time_s": _mean(arrived["waiting_time"]),
        }
        out[str(vtype)] = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in values.items()}
    return out

"""Reading SUMO's own output files (tripinfo, personinfo, statistics, edgeData, loops,
lane-area detectors, SSM) into tables.

SUMO writes tripinfo, edgeData and loop output as semicolon-separated CSV when the file name
ends in ``.csv`` (its column formats), which pandas reads far faster than XML; the statistics
and SSM outputs are nested and stay XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd

from its.errors import SimulationError

__all__ = [
    "read_conflicts",
    "read_detectors",
    "read_edgedata",
    "read_lane_areas",
    "read_personinfo",
    "read_statistics",
    "read_tripinfo",
]

_TRIP_COLUMNS = {
    "tripinfo_id": "id",
    "tripinfo_depart": "depart",
    "tripinfo_departDelay": "depart_delay",
    "tripinfo_arrival": "arrival",
    "tripinfo_duration": "duration",
    "tripinfo_routeLength": "route_length",
    "tripinfo_waitingTime": "waiting_time",
    "tripinfo_timeLoss": "time_loss",
    "tripinfo_vType": "vtype",
    "tripinfo_vaporized": "vaporized",
    "emissions_CO2_abs": "co2_mg",
    "emissions_NOx_abs": "nox_mg",
    "emissions_PMx_abs": "pmx_mg",
    "emissions_fuel_abs": "fuel_mg",
}


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    if not path.is_file() or path.stat().st_size == 0:
        raise SimulationError(f"SUMO wrote no {what} ({path.name}); see {path.parent / 'sumo.log'}")
    try:
        return pd.read_csv(path, sep=";", low_memory=False)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def read_tripinfo(path: Path) -> pd.DataFrame:
    """One row per vehicle: arrived, still running (arrival -1) and never inserted (depart -1)."""
    frame = _read_csv(path, "trip output")
    if frame.empty:
        return pd.DataFrame(columns=list(_TRIP_COLUMNS.values()))
    frame = frame[[c for c in _TRIP_COLUMNS if c in frame.columns]].rename(columns=_TRIP_COLUMNS)
    frame["id"] = frame["id"].astype(str)
    frame["vtype"] = frame["vtype"].astype(str)
    return frame


_PERSON_COLUMNS = {
    "personinfo_id": "id",
    "personinfo_depart": "depart",
    "personinfo_duration": "duration",
    "personinfo_waitingTime": "waiting_time",
    "personinfo_timeLoss": "time_loss",
}


def read_personinfo(path: Path) -> pd.DataFrame:
    """One row per person (pedestrian, passenger): duration -1 while still on the way.

    Runs write persons here (``--personinfo-output``), not into the trip output: there
    SUMO's CSV writer puts every person after the first under the vehicle columns, so a
    scenario with pedestrians read as vehicles with nonsense times."""
    columns = list(_PERSON_COLUMNS.values())
    if not path.is_file() or path.stat().st_size == 0:
        return pd.DataFrame(columns=columns)
    try:
        frame = pd.read_csv(path, sep=";", low_memory=False)
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=columns)
    if "personinfo_id" not in frame.columns:
        return pd.DataFrame(columns=columns)
    # one row per person: a plan with several stages writes the later ones on rows of their own
    frame = frame[frame["personinfo_id"].notna()]
    frame = frame[[c for c in _PERSON_COLUMNS if c in frame.columns]].rename(columns=_PERSON_COLUMNS)
    frame["id"] = frame["id"].astype(str)
    return frame.reset_index(drop=True)


def read_statistics(path: Path) -> dict[str, dict[str, float]]:
    """SUMO's ``--statistic-output``: element → attribute → number."""
    if not path.is_file():
        raise SimulationError(f"SUMO wrote no statistics ({path.name}); see {path.parent / 'sumo.log'}")
    root = ET.parse(path).getroot()
    out: dict[str, dict[str, float]] = {}
    for element in root:
        values = {}
        for key, value in element.attrib.items():
            try:
                values[key] = float(value)
            except ValueError:
                continue
        out[element.tag] = values
    return out


def read_edgedata(path: Path) -> pd.DataFrame:
    """Per edge and interval: speed (m/s), flow (veh/h), density (veh/km), occupancy (%),
    the time lost on it (s, summed over vehicles), the vehicles that left it onwards and
    the change in the vehicles on it (entered or departed on it, less left, arrived or
    teleported away: summed over a run, those still on it at the end)."""
    frame = _read_csv(path, "edge data")
    columns = [
        "begin", "end", "edge", "speed_ms", "flow_veh_h", "density_veh_km", "occupancy_pct", "sampled_s",
        "travel_time_s", "time_loss_s", "vehicles_left", "vehicles_added",
    ]  # fmt: skip
    if frame.empty:
        return pd.DataFrame(columns=columns)

    def col(name: str) -> pd.Series:
        return frame[name] if name in frame.columns else pd.Series(np.nan, index=frame.index)

    period = (frame["interval_end"] - frame["interval_begin"]).replace(0, np.nan)
    out = pd.DataFrame(
        {
            "begin": frame["interval_begin"],
            "end": frame["interval_end"],
            "edge": frame["edge_id"].astype(str),
            "speed_ms": col("edge_speed"),
            # SUMO's flow is density times space-mean speed (q = k v), in veh/h; older SUMO
            # versions lack it, so fall back to the vehicles entering per hour.
            "flow_veh_h": col("edge_flow")
            if "edge_flow" in frame.columns
            else (col("edge_entered").fillna(0) + col("edge_departed").fillna(0)) * 3600.0 / period,
            "density_veh_km": col("edge_density"),
            "occupancy_pct": col("edge_occupancy"),
            "sampled_s": col("edge_sampledSeconds"),
            "travel_time_s": col("edge_traveltime"),
            "time_loss_s": col("edge_timeLoss"),
            "vehicles_left": col("edge_left"),
            "vehicles_added": sum(col(f"edge_{k}").fillna(0) for k in ("entered", "departed"))
            - sum(col(f"edge_{k}").fillna(0) for k in ("left", "arrived", "teleported")),
        }
    )
    return out


def read_lane_areas(path: Path) -> pd.DataFrame:
    """Per lane-area detector and interval: the longest queue (jam) in it, metres."""
    frame = _read_csv(path, "lane-area detector output")
    if frame.empty:
        return pd.DataFrame(columns=["begin", "end", "detector", "max_jam_m"])
    return _per_interval(frame, max_jam_m=frame["interval_maxJamLengthInMeters"])


def _per_interval(frame: pd.DataFrame, **values: pd.Series) -> pd.DataFrame:
    """A detector output's interval begin and end and detector id, with ``values``."""
    return pd.DataFrame(
        {
            "begin": frame["interval_begin"],
            "end": frame["interval_end"],
            "detector": frame["interval_id"].astype(str),
            **values,
        }
    )


def read_detectors(path: Path) -> pd.DataFrame:
    """Per loop and interval: vehicles, flow (veh/h), occupancy (%), speed (m/s, NaN when empty)."""
    frame = _read_csv(path, "detector output")
    if frame.empty:
        return pd.DataFrame(columns=["begin", "end", "detector", "vehicles", "flow_veh_h", "occupancy_pct", "speed_ms"])
    speed = frame["interval_speed"].where(frame["interval_speed"] >= 0)
    return _per_interval(
        frame,
        vehicles=frame["interval_nVehContrib"],
        flow_veh_h=frame["interval_flow"],
        occupancy_pct=frame["interval_occupancy"],
        speed_ms=speed,
    )


def read_conflicts(path: Path, *, ttc_threshold_s: float) -> int:
    """Distinct conflicts whose minimum time-to-collision is below the threshold.

    A conflict seen by both vehicles' SSM devices is counted once.
    """
    if not path.is_file():
        raise SimulationError(f"SUMO wrote no SSM output ({path.name}); see {path.parent / 'sumo.log'}")
    seen: set[tuple[str, str, str]] = set()
    for _, element in ET.iterparse(path, events=("end",)):
        if element.tag != "conflict":
            continue
        ttc = element.find("minTTC")
        if ttc is not None:
            try:
                value = float(ttc.get("value", "nan"))
            except ValueError:
                value = float("nan")
            if value < ttc_threshold_s:
                ego, foe = sorted((element.get("ego", ""), element.get("foe", "")))
                seen.add((ego, foe, ttc.get("time", "")))
        element.clear()
    return len(seen)

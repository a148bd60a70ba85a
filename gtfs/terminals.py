"""Where trips start and end, and which line a trip belongs to.

A vehicle can continue from one trip to the next only at the same *terminal*, so the ends of
trips are matched by place, never by raw ``stop_id``: first by parent station (the platforms
of a station carry different stop ids), then by distance (feeds without stations give each
platform its own stop a few metres apart). A *line* is what riders and planners call a line:
its name, with the patterns (station sequences) its trips run; some feeds give each direction
or variant its own ``route_id``, so the route id alone does not identify it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

__all__ = ["EARTH_RADIUS_M", "Place", "Terminals", "haversine_m", "line_names", "match_terminals", "station_of"]

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Place:
    """A terminal (or a depot): where vehicles start, end and wait; ``lon``/``lat`` degrees."""

    place_id: str
    name: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Terminals:
    """Terminals found for a set of stops: ``place_of`` maps a stop id to an index into ``places``."""

    places: tuple[Place, ...]
    place_of: Mapping[str, int]


def haversine_m(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Great-circle distance in metres (arrays broadcast)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def station_of(stops: pd.DataFrame) -> dict[str, str]:
    """Each stop's station: its ``parent_station`` when that stop exists, else itself.

    ``stops`` is stops.txt as text (``stop_id`` and, if present, ``parent_station``).
    Boarding areas (whose parent is a platform) climb to the platform's station.
    """
    ids = stops["stop_id"].tolist()
    parents = stops["parent_station"].tolist() if "parent_station" in stops.columns else [""] * len(ids)
    parent = {s: p for s, p in zip(ids, parents, strict=True) if p and p != s}
    known = set(ids)
    result: dict[str, str] = {}
    for stop in ids:
        station, seen = stop, {stop}
        while station in parent and parent[station] in known and parent[station] not in seen:
            station = parent[station]
            seen.add(station)
        result[stop] = station
    return result


def match_terminals(
    stop_ids: Sequence[str],
    stops: pd.DataFrame,
    *,
    radius_m: float = 150.0,
) -> Terminals:
    """Group the stops where trips start or end into terminals.

    Stops of one station are one terminal; stations (or stops without one) closer than
    ``radius_m`` metres to each other are one terminal too (single linkage over the
    terminal stops only, so a street of stops is never merged). A terminal is named after
    its station and placed at the mean of its members' coordinates.

    Parameters
    ----------
    stop_ids
        The stops to group (first and last stops of the trips to block).
    stops
        stops.txt as text: ``stop_id``, ``stop_name``, ``stop_lat``, ``stop_lon`` and
        optionally ``parent_station``.
    radius_m
        Distance under which two stations are the same terminal, metres.
    """
    station = station_of(stops)
    table = stops.set_index("stop_id", drop=False)
    lon = pd.to_numeric(table.get("stop_lon"), errors="coerce")
    lat = pd.to_numeric(table.get("stop_lat"), errors="coerce")
    names = table["stop_name"] if "stop_name" in table.columns else table["stop_id"]
    wanted = sorted({station.get(s, s) for s in stop_ids})
    coords = np.array([[lon.get(s, np.nan), lat.get(s, np.nan)] for s in wanted], dtype=float)
    # a station without coordinates takes the mean of its members'
    for k, s in enumerate(wanted):
        if np.isnan(coords[k]).any():
            members = [m for m, st in station.items() if st == s and m in lon.index]
            coords[k] = [np.nanmean([lon[m] for m in members] or [np.nan]), np.nanmean([lat[m] for m in members] or [np.nan])]
    n = len(wanted)
    labels = np.arange(n)
    valid = ~np.isnan(coords).any(axis=1)
    if n and valid.any() and radius_m > 0:
        lat0 = np.radians(np.nanmean(coords[valid, 1]))
        xy = np.column_stack([np.radians(coords[:, 0]) * np.cos(lat0), np.radians(coords[:, 1])]) * EARTH_RADIUS_M
        index = np.flatnonzero(valid)
        pairs = cKDTree(xy[index]).query_pairs(radius_m, output_type="ndarray")
        if len(pairs):
            graph = coo_matrix((np.ones(len(pairs)), (index[pairs[:, 0]], index[pairs[:, 1]])), shape=(n, n))
            _, labels = connected_components(graph, directed=False)
    places: list[Place] = []
    place_of_station: dict[str, int] = {}
    for label in dict.fromkeys(labels.tolist()):
        members = [k for k in range(n) if labels[k] == label]
        first = wanted[members[0]]
        places.append(
            Place(
                "+".join(wanted[k] for k in members),
                str(names.get(first, first)),
                float(np.nanmean(coords[members, 0])) if valid[members].any() else float("nan"),
                float(np.nanmean(coords[members, 1])) if valid[members].any() else float("nan"),
            )
        )
        for k in members:
            place_of_station[wanted[k]] = len(places) - 1
    return Terminals(tuple(places), {s: place_of_station[station.get(s, s)] for s in stop_ids})


def line_names(routes: pd.DataFrame) -> dict[str, str]:
    """Each route id's line name: ``route_short_name``, else ``route_long_name``, else the id.

    Routes that share a name (one per direction or variant, as some feeds do) are one line.
    """
    result: dict[str, str] = {}
    for row in routes.to_dict("records"):
        name = (row.get("route_short_name") or "").strip() or (row.get("route_long_name") or "").strip()
        agency = (row.get("agency_id") or "").strip()
        label = name or row["route_id"]
        result[row["route_id"]] = f"{agency}:{label}" if agency and _agencies(routes) > 1 else label
    return result


def _agencies(routes: pd.DataFrame) -> int:
    if "agency_id" not in routes.columns:
        return 1
    return len({a for a in routes["agency_id"] if a})

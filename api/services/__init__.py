"""Workflows that need more than one domain package, composed here so the packages stay
independent of each other (see DESIGN.md: api → {simulation, signals, gtfs, routing} → its).

One module per audience: ``scenarios`` (building), ``signals`` (timing plans and their
evaluation), ``live`` (feeds, conditions, routing, the
twin), ``transit`` (feeds, scheduling, timetables in the simulation). Names are also reachable
here (``services.route_car``); a module loads on first use, so a command pays only for its own.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOME = {
    "ADAPTIVE_METHODS": "signals",
    "IngestResult": "live",
    "PLAN_METHODS": "signals",
    "PERIODIC_METHODS": "signals",
    "require_periodic": "signals",
    "Place": "live",
    "PlanOutcome": "signals",
    "RoadAnswer": "live",
    "SIGNAL_KPIS": "signals",
    "PERSON_KPIS": "signals",
    "SignalWindow": "signals",
    "TransitAnswer": "live",
    "as_of": "live",
    "build_scenario": "scenarios",
    "check_evaluation": "signals",
    "conditions_model": "live",
    "detector_edges": "live",
    "detector_lanes": "live",
    "ensure_built": "scenarios",
    "evaluate_signals": "signals",
    "junction_comparison": "signals",
    "lane_areas": "signals",
    "fetch_gtfs_rt": "live",
    "ingest_detectors": "live",
    "ingest_gtfs_rt": "live",
    "ingest_probes": "live",
    "local_epoch": "live",
    "materialize_timetables": "transit",
    "next_departures": "live",
    "open_store": "live",
    "plan_switch": "signals",
    "poll_gtfs_rt": "live",
    "reblock_feed": "transit",
    "resolve_place": "live",
    "road_travel": "transit",
    "route_car": "live",
    "route_transit": "live",
    "routed_demand": "signals",
    "run_live_twin": "live",
    "scenario_network": "live",
    "scenario_timetable": "live",
    "schedule_charts": "transit",
    "schedule_spec": "transit",
    "segment_conditions": "live",
    "signal_capacity": "signals",
    "signal_flows": "signals",
    "signal_plans": "signals",
    "signal_saturation": "signals",
    "signal_window": "signals",
    "start_plans": "signals",
    "stored_trip_updates": "live",
    "timetable_buses": "transit",
    "timetable_variant": "transit",
    "transit_router": "live",
    "tune_controller": "signals",
    "validate_feed": "transit",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Benchmark: feed ingest into the store, reading-to-conditions latency, forecast error.

Prints (lines containing "ratio" compare with a baseline measured in the same run):

(a) ingest: detector readings per second into the store (SQLite, WAL, synchronous=FULL, a
    committed transaction per batch) against SQLAlchemy Core's own executemany of the same
    rows (goal: >= 50,000 readings/s);
(b) latency: from a detector batch's JSON bytes to updated conditions (parse, store and
    commit, fuse, answer), median and p99;
(c) forecasts on the real PeMS data (six US-101 stations, ten Tuesdays): the first seven
    days build the time-of-day history, the last three are forecast 15 and 60 minutes ahead
    every 5 minutes; the speed MAE (km/h) of ours against persistence (the last reading)
    and the time-of-day mean.

Usage: python bench/feeds.py [--readings 200000] [--batch 10000] [--pems ../shared/data/feeds/pems_d04]
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import json
import statistics
import tempfile
import time

import numpy as np

from its.conditions import ConditionsModel, Link, TimeOfDayProfile
from its.feeds import detectors
from its.feeds.readings import Reading
from its.storage.models import ReadingRow
from its.storage.repository import Store

REPO = Path(__file__).resolve().parent.parent
T0 = 1_741_071_600.0


def _readings(n: int, *, sensors: int = 2000, t0: float = T0) -> list[Reading]:
    rng = np.random.default_rng(1)
    speeds = rng.uniform(3, 30, n).tolist()
    flows = rng.uniform(0, 1800, n).tolist()
    return [
        Reading("field", "detector", f"det_{i % sensors}", t0 + (i // sensors) * 60.0, edge=f"edge_{i % sensors}",
                interval_s=60.0, flow_veh_h=flows[i], occupancy_pct=10.0, speed_ms=speeds[i])
        for i in range(n)
    ]  # fmt: skip


def ingest(total: int, batch: int, folder: Path) -> None:
    readings = _readings(total)
    with Store(f"sqlite:///{folder / 'ours.db'}") as store:
        started = time.perf_counter()
        for k in range(0, total, batch):
            store.add_readings(readings[k : k + batch])
        ours = time.perf_counter() - started
        assert store.count_readings() == total
        again = time.perf_counter()
        assert store.add_readings(readings[:batch]) == 0
        duplicate = time.perf_counter() - again
    with Store(f"sqlite:///{folder / 'core.db'}") as store:
        statement = store._insert_ignore(ReadingRow)
        now = time.time()
        started = time.perf_counter()
        for k in range(0, total, batch):
            rows = [
                {"feed": r.feed, "kind": r.kind, "sensor": r.sensor, "time": r.time, "edge": r.edge, "interval_s": r.interval_s,
                 "flow_veh_h": r.flow_veh_h, "occupancy_pct": r.occupancy_pct, "speed_ms": r.speed_ms, "lon": r.lon,
                 "lat": r.lat, "received_at": now}
                for r in readings[k : k + batch]
            ]  # fmt: skip
            with store.engine.begin() as connection:
                connection.execute(statement, rows)
        core = time.perf_counter() - started
        assert store.count_readings() == total
    print(f"ingest: {total:,} detector readings in batches of {batch:,} (SQLite WAL, synchronous=FULL, one commit per batch)")
    print(f"  ours                       {total / ours:,.0f} readings/s   (goal >= 50,000)")
    print(f"  SQLAlchemy Core executemany {total / core:,.0f} readings/s")
    print(f"  a batch sent twice: {batch:,} duplicates skipped in {duplicate * 1e3:.0f} ms")
    print(f"  ratio ours/Core executemany: {core / ours:.2f}x")


def latency(folder: Path, rounds: int = 50, detectors_per_batch: int = 100) -> None:
    links = {f"edge_{i}": Link(f"edge_{i}", 200.0, 15.0) for i in range(detectors_per_batch)}
    model = ConditionsModel(links)
    edges = {f"det_{i}": f"edge_{i}" for i in range(detectors_per_batch)}
    costs, parse_only = [], []
    with Store(f"sqlite:///{folder / 'latency.db'}") as store:
        for k in range(rounds):
            t = T0 + 60.0 * k
            body = json.dumps(
                {"readings": [{"detector": f"det_{i}", "time": t, "interval_s": 60, "flow_veh_h": 900, "occupancy_pct": 12, "speed_ms": 8.0 + (i % 5)} for i in range(detectors_per_batch)]}
            ).encode()
            started = time.perf_counter()
            batch = detectors.from_json(body, detector_edges=edges)
            parsed = time.perf_counter()
            store.add_readings(batch.readings)
            touched = model.observe(batch.readings)
            answers = [model.condition(link, t) for link in touched]
            costs.append(time.perf_counter() - started)
            parse_only.append(parsed - started)
            assert len(answers) == detectors_per_batch and answers[0].observed_at == t
    print(f"reading to conditions: a batch of {detectors_per_batch} detector readings as JSON -> parsed, stored (committed), fused, answered; {rounds} rounds")
    print(f"  median {statistics.median(costs) * 1e3:.1f} ms   p99 {np.percentile(costs, 99) * 1e3:.1f} ms   (parsing alone {statistics.median(parse_only) * 1e3:.1f} ms)")
    print(f"  ratio whole path/parsing alone: {statistics.median(costs) / statistics.median(parse_only):.1f}x")


def _evaluate(days: list[list[Reading]], profile: TimeOfDayProfile, decay_s: float, horizons: tuple[float, ...]) -> dict[float, dict[str, list[float]]]:
    """Forecast every 5 minutes of ``days`` from the readings so far and ``profile``."""
    errors: dict[float, dict[str, list[float]]] = {h: {"ours": [], "persistence": [], "time-of-day mean": []} for h in horizons}
    for day in days:
        model = ConditionsModel(profile=profile, half_life_s=120.0, anomaly_decay_s=decay_s)  # one reading per 5 minutes
        actual = {(r.sensor, r.time): r.speed_ms for r in day}
        by_time: dict[float, list[Reading]] = {}
        for r in day:
            by_time.setdefault(r.time, []).append(r)
        for t in sorted(by_time):
            model.observe(by_time[t], history=False)
            for r in by_time[t]:
                link = f"pems:{r.sensor}"
                for h in horizons:
                    truth = actual.get((r.sensor, t + h))
                    mean = profile.mean(link, t + h)
                    if truth is None or mean is None or r.speed_ms is None:
                        continue
                    ours = model.forecast_speed(link, t, h)
                    assert ours is not None
                    errors[h]["ours"].append(abs(ours - truth))
                    errors[h]["persistence"].append(abs(r.speed_ms - truth))
                    errors[h]["time-of-day mean"].append(abs(mean - truth))
    return errors


def _profile(days: list[list[Reading]]) -> TimeOfDayProfile:
    profile = TimeOfDayProfile(tz="America/Los_Angeles", bin_s=900)
    ConditionsModel(profile=profile).observe(r for day in days for r in day)
    return profile


def forecasts(folder: Path, train_days: int = 7) -> None:
    files = sorted(folder.glob("d04_text_station_5min_*.txt"))
    if not files:
        print(f"forecast: skipped (no PeMS files in {folder})")
        return
    days = [[r for r in detectors.from_pems(f.read_text()).readings if r.speed_ms is not None] for f in files]
    horizons = (900.0, 3600.0)
    # the forecast's one parameter, the anomaly's time constant, is fitted on the training
    # days only: a history of the first five, judged on the next two
    fit_profile = _profile(days[: train_days - 2])
    scores = {}
    for decay in (1800.0, 3600.0, 5400.0, 7200.0, 10800.0):
        e = _evaluate(days[train_days - 2 : train_days], fit_profile, decay, horizons)
        scores[decay] = sum(float(np.mean(e[h]["ours"])) for h in horizons)
    decay = min(scores, key=scores.__getitem__)
    errors = _evaluate(days[train_days:], _profile(days[:train_days]), decay, horizons)
    stations = len({r.sensor for day in days for r in day})
    print(
        f"forecast: PeMS D04, {stations} stations with speeds, {train_days} days of history, {len(days) - train_days} days "
        f"forecast every 5 minutes (anomaly time constant {decay:g} s, fitted on the history days)"
    )
    for h in horizons:
        e = {k: 3.6 * float(np.mean(v)) for k, v in errors[h].items()}
        n = len(errors[h]["ours"])
        print(f"  {int(h // 60)} min ahead ({n:,} forecasts): MAE ours {e['ours']:.2f} km/h, persistence {e['persistence']:.2f}, time-of-day mean {e['time-of-day mean']:.2f}")
        print(f"  {int(h // 60)} min ahead: ratio MAE persistence/ours {e['persistence'] / e['ours']:.2f}x, time-of-day mean/ours {e['time-of-day mean'] / e['ours']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readings", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--pems", type=Path, default=REPO.parent / "shared" / "data" / "feeds" / "pems_d04")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="its-bench-feeds-") as tmp:
        ingest(args.readings, args.batch, Path(tmp))
        latency(Path(tmp))
    forecasts(args.pems)


if __name__ == "__main__":
    main()

"""The live side end to end: the twin through the real adapters into the store, and the
``its route``, ``its feeds``, ``its conditions`` and ``its twin`` commands.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from api import services
from gtfs.realtime import decode
from its.settings import Settings
from simulation.twin import TwinConfig

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def live(tiny, tmp_path_factory):
    """The tiny scenario's twin run for ten minutes into a fresh store."""
    folder = tmp_path_factory.mktemp("live")
    settings = Settings(scenarios_dir=tiny.root.parent, database_url=f"sqlite:///{folder / 'its.db'}")
    with services.open_store(settings) as store:
        begin = tiny.begin or 0.0
        summary = services.run_live_twin(
            tiny, TwinConfig(speed=0, end=begin + 600, emit_every_s=15, probe_share=0.3), store, settings, out_dir=folder / "rt"
        )
    return settings, folder, summary


def _its(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "ITS_SCENARIOS_DIR": str(settings.scenarios_dir), "ITS_DATABASE_URL": settings.database_url}
    env.pop("ITS_DEBUG", None)
    command = [sys.executable, "-c", "from api.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env, timeout=300)


@pytest.mark.sumo
def test_twin_readings_go_through_every_adapter(live, tiny):
    settings, folder, summary = live
    with services.open_store(settings) as store:
        kinds = {(r.feed, r.kind) for r in store.readings()}
        assert {("twin", "detector"), ("twin", "probe"), ("twin-gtfs-rt", "transit")} <= kinds
        network = services.scenario_network(tiny)
        assert all(r.edge in network.edges for r in store.readings(kind="probe"))
        assert all(r.sensor.startswith("v") and "car" not in r.sensor for r in store.readings(kind="probe"))
        updates = services.stored_trip_updates(store)
        assert updates and all(u.trip_id.startswith("1_") for u in updates)
        assert store.condition_history(next(iter(services.detector_edges(tiny).values())))
    published = decode((folder / "rt" / "vehiclepositions.pb").read_bytes())
    assert published.vehicles and all(v.trip_id for v in published.vehicles)
    assert decode((folder / "rt" / "tripupdates.pb").read_bytes()).trip_updates
    assert json.loads((folder / "rt" / "twin.json").read_text())["frames"] == summary.frames


@pytest.mark.sumo
def test_conditions_and_routes_from_the_command_line(live):
    settings, _, _ = live
    shown = _its(settings, "conditions", "show", "tiny", "--json")
    assert shown.returncode == 0, shown.stderr
    conditions = json.loads(shown.stdout)["conditions"]
    assert conditions and {"detector"} <= {s for c in conditions for s in c["sources"]}
    car = _its(settings, "route", "West Gate", "East Gate", "--scenario", "tiny", "--json")
    assert car.returncode == 0, car.stderr
    answer = json.loads(car.stdout)
    assert answer["mode"] == "car" and answer["live_edges"] > 0 and answer["routes"][0]["edges"]
    times = [r["duration_s"] for r in answer["routes"]]
    assert times[0] == min(times)
    transit = _its(settings, "route", "west_gate", "East Gate", "--mode", "transit", "--depart", "07:02", "--scenario", "tiny", "--json")
    assert transit.returncode == 0, transit.stderr
    journeys = json.loads(transit.stdout)["journeys"]
    ride = next(j for j in journeys if any(leg["mode"] == "ride" for leg in j["legs"]))
    assert ride["legs"][0]["from"] == "west_gate"
    board = _its(settings, "departures", "Centre", "--at", "07:00", "--scenario", "tiny", "--limit", "4", "--json")
    assert board.returncode == 0, board.stderr
    departures = json.loads(board.stdout)["departures"]
    assert len(departures) == 4 and {d["stop"] for d in departures} <= {"centre_e", "centre_w"}
    assert [d["expected"] for d in departures] == sorted(d["expected"] for d in departures)
    bad = _its(settings, "route", "Atlantis", "East Gate", "--scenario", "tiny")
    assert bad.returncode == 2 and bad.stderr.startswith("error:") and "Traceback" not in bad.stderr


def test_feeds_ingest_counts_bad_rows_and_stores_once(tmp_path, shared_data):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'its.db'}")
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps({"readings": [{"detector": "d1", "time": 1_700_000_000, "speed_kmh": 50}, {"detector": "d2", "time": "never"}]}))
    first = _its(settings, "feeds", "ingest", "detectors", str(batch), "--json")
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)[str(batch)]
    assert result["accepted"] == 1 and result["stored"] == 1 and result["rejected"] == {"bad time": 1}
    again = json.loads(_its(settings, "feeds", "ingest", "detectors", str(batch), "--json").stdout)[str(batch)]
    assert again["stored"] == 0
    rt = _its(settings, "feeds", "ingest", "gtfs-rt", str(shared_data / "feeds" / "gtfs_rt_mbta" / "tripupdates.pb"), str(shared_data / "feeds" / "gtfs_rt_mbta" / "alerts.pb"), "--json")
    assert rt.returncode == 0, rt.stderr
    assert json.loads(rt.stdout)["all files"]["trip_updates"] == 49
    pems = _its(settings, "feeds", "ingest", "detectors", str(shared_data / "feeds" / "pems_d04" / "d04_text_station_5min_2022_10_04.txt"), "--json")
    assert json.loads(pems.stdout)[next(iter(json.loads(pems.stdout)))]["stored"] > 1000
    status = json.loads(_its(settings, "feeds", "status", "--json").stdout)
    assert {f["feed"] for f in status["feeds"]} == {"field", "pems"} and status["trip_updates"] == 49
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{{{")
    failed = _its(settings, "feeds", "ingest", "detectors", str(garbage))
    assert failed.returncode == 2 and "not JSON" in failed.stderr
    unknown = _its(settings, "feeds", "ingest", "weather", str(garbage))
    assert unknown.returncode == 2 and "unknown feed kind" in unknown.stderr


def test_polling_a_gtfs_rt_url_into_the_store(tmp_path, shared_data):
    import httpx

    bodies = [(shared_data / "feeds" / "gtfs_rt_mbta" / f"{name}.pb").read_bytes() for name in ("vehiclepositions", "tripupdates")]
    bodies.append(b"not protobuf")
    served = []

    def agency(request: httpx.Request) -> httpx.Response:
        served.append(request.url.path)
        if len(served) == 4:
            return httpx.Response(500)
        return httpx.Response(200, content=bodies[(len(served) - 1) % len(bodies)])

    errors, results = [], []
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'poll.db'}")
    with services.open_store(settings) as store, httpx.Client(transport=httpx.MockTransport(agency)) as client:
        handled = services.poll_gtfs_rt(
            store, client, "https://agency.example/rt", interval_s=0.0, rounds=4, on_result=results.append, on_error=errors.append
        )
        assert handled == 3 and len(served) == 4
        assert store.count_readings() == 48 and len(services.stored_trip_updates(store)) == 49
    assert [r.extra["vehicles"] for r in results] == [48, 0, 0]
    assert any("malformed" in str(e) for e in errors) and any("HTTP 500" in str(e) for e in errors)


@pytest.mark.sumo
def test_twin_and_forecast_commands(live, tiny):
    settings, _, _ = live
    ran = _its(settings, "twin", "run", "tiny", "--speed", "0", "--duration", "2min", "--json")
    assert ran.returncode == 0, ran.stderr
    summary = json.loads(ran.stdout)
    assert summary["sim_end"] == "07:02:00" and summary["emitted"]["detectors"] > 0
    edge = next(iter(services.detector_edges(tiny).values()))
    forecast = _its(settings, "conditions", "forecast", edge, "--scenario", "tiny", "--json")
    assert forecast.returncode == 0, forecast.stderr
    assert set(json.loads(forecast.stdout)["forecast"]) == {"15min", "30min", "60min"}
    history = json.loads(_its(settings, "conditions", "history", edge, "--json").stdout)["history"]
    assert history and all(row["link"] == edge for row in history)
    missing = _its(settings, "conditions", "forecast", "no-such-edge", "--scenario", "tiny")
    assert missing.returncode == 2 and "neither an edge" in missing.stderr

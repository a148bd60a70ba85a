"""Runs of the tiny scenario through SUMO (libsumo in a worker process)."""

from __future__ import annotations

import os
import signal
import time
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from its.changes import Variant, parse_changes
from its.errors import InputError, ScenarioError, SimulationError, VariantError
from simulation.config import RunConfig
from simulation.kpis import REQUIRED_KEYS
from simulation.run import prepare, run, run_plan

pytestmark = pytest.mark.sumo


def _variant(*texts: str) -> Variant:
    return Variant("test", parse_changes(list(texts)))


@pytest.fixture(scope="module")
def baseline(tiny):
    return run(tiny, RunConfig(seed=1))


def test_baseline_kpis_come_from_sumo(baseline):
    k = baseline.kpis
    assert set(REQUIRED_KEYS) <= set(k)
    assert k["vehicles_inserted"] > 400 and k["vehicles_arrived"] > 300
    assert k["vehicles_inserted"] == k["vehicles_arrived"] + k["vehicles_running"]
    assert k["teleports"] == 0
    assert 10 < k["mean_time_loss_s"] < 200
    assert k["wall_time_s"] > 0 and k["co2_kg"] is None
    assert {"car", "truck", "bus"} <= set(baseline.by_type)
    assert not baseline.edges.empty and baseline.edges["speed_ms"].max() > 5
    # a loop on every lane entering the five signals (6 + 6 + 8 + 6 + 6 lanes), with counts
    assert baseline.detectors["detector"].nunique() == 32
    assert baseline.detectors["vehicles"].sum() > 500


def test_same_seed_same_result_other_seed_differs(tiny, baseline):
    again = run(tiny, RunConfig(seed=1))
    other = run(tiny, RunConfig(seed=2))
    assert again.kpis["mean_time_loss_s"] == baseline.kpis["mean_time_loss_s"]
    assert other.kpis["mean_time_loss_s"] != baseline.kpis["mean_time_loss_s"]


def test_costly_kpis_are_switched_on_per_run(tiny):
    result = run(tiny, RunConfig(seed=1, kpis=tiny.kpis.with_(emissions=True, ssm=True, ssm_probability=1.0)))
    assert result.kpis["co2_kg"] > 1 and result.kpis["nox_kg"] > 0
    assert result.kpis["conflicts"] is not None and result.kpis["conflicts"] >= 0


def test_outputs_stay_in_out_dir(tiny, tmp_path):
    result = run(tiny, RunConfig(seed=1, end=25500), out_dir=tmp_path)
    assert result.out_dir == tmp_path.resolve() and result.end == 25500
    assert {"tripinfo.csv", "statistics.xml", "edgedata.csv", "detectors.csv"} <= {p.name for p in tmp_path.iterdir()}


def test_closed_edge_carries_no_traffic_in_its_window(tiny, baseline):
    result = run(tiny, RunConfig(seed=1, variant=tiny.variant("centre-closed")))
    # buses whose stop lies on the closed edge still serve it rather than getting stuck
    assert result.by_type["bus"]["arrived"] == baseline.by_type["bus"]["arrived"]
    assert result.kpis["teleports"] == 0
    edges = result.edges
    inside = edges[(edges["edge"] == "C1B1") & (edges["begin"] >= 25200 + 300) & (edges["end"] <= 25200 + 600)]
    # Only a bus whose timetabled stop lies on the closed edge still passes (SUMO warns).
    assert (inside["flow_veh_h"].fillna(0) <= 12).all()
    before = edges[(edges["edge"] == "C1B1") & (edges["begin"] == 25200)]
    assert before["flow_veh_h"].iloc[0] > 100


def test_speed_limit_holds_on_its_edges(tiny, baseline):
    result = run(tiny, RunConfig(seed=1, variant=_variant("speed-limit:edges=WA1,speed_kmh=20")))
    speed = result.edge_mean_speed()["WA1"]
    assert speed <= 20 / 3.6 * 1.25 < baseline.edge_mean_speed()["WA1"]


def test_incident_blocks_its_lane_and_is_not_counted(tiny, baseline):
    result = run(tiny, RunConfig(seed=1, variant=_variant("incident:lane=WA1_1,pos=250,begin=07:00,duration=900")))
    assert not any(t.startswith("its_") for t in result.by_type)
    assert result.edge_mean_speed()["WA1"] < baseline.edge_mean_speed()["WA1"]


def test_scale_demand_leaves_buses_alone(tiny, baseline):
    result = run(tiny, RunConfig(seed=1, variant=_variant("scale-demand:factor=1.5")))
    assert result.by_type["bus"]["vehicles"] == baseline.by_type["bus"]["vehicles"]
    assert result.by_type["car"]["vehicles"] == pytest.approx(1.5 * baseline.by_type["car"]["vehicles"], rel=0.05)


def test_bus_frequency_doubles_the_line(tiny, baseline):
    result = run(tiny, RunConfig(seed=1, variant=_variant("bus-frequency:line=1,factor=2")))
    assert result.by_type["bus"]["vehicles"] == 2 * baseline.by_type["bus"]["vehicles"]


def test_signal_program_variant_is_the_one_sumo_runs(tiny, baseline, tmp_path):
    net = ET.parse(tiny.sumocfg.parent / "tiny.net.xml").getroot()
    logic = next(t for t in net.iter("tlLogic") if t.get("id") == "B1")
    logic.set("programID", "starve_east_west")
    for phase in logic.iter("phase"):
        # The east-west greens get 5 s, north-south 60 s.
        ew_green = phase.get("state")[0] in "Gg"
        if "y" not in phase.get("state"):
            phase.set("duration", "5" if ew_green else "60")
    plan = tmp_path / "plan.add.xml"
    plan.write_text("<additional>" + ET.tostring(logic, encoding="unicode") + "</additional>")
    result = run(tiny, RunConfig(seed=1, variant=_variant(f"signal-program:file={plan}")))
    assert result.kpis["mean_time_loss_s"] > baseline.kpis["mean_time_loss_s"] * 1.2


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ("close-edge:edges=nowhere", ScenarioError, "edge.*not in the network: nowhere"),
        ("close-lane:lanes=WA1_7", ScenarioError, "lane.*not in the network: WA1_7"),
        ("incident:lane=WA1_0,pos=9999,begin=07:00,duration=60", VariantError, "beyond the end of lane"),
        ("signal-program:file=missing.add.xml", VariantError, "no such file"),
        ("bus-frequency:line=99,factor=2", VariantError, "no route file .* line '99'"),
    ],
)
def test_variants_that_do_not_fit_fail_before_sumo_starts(tiny, tmp_path, change, error, message):
    with pytest.raises(error, match=message):
        prepare(tiny, RunConfig(variant=_variant(change)), tmp_path)


def test_end_before_begin(tiny, tmp_path):
    with pytest.raises(InputError, match="end time .* is not after begin"):
        prepare(tiny, RunConfig(begin=26000, end=25300), tmp_path)


class Crash:
    interval_s = 10.0

    def start(self, sim) -> None: ...

    def act(self, sim) -> None:
        os.kill(os.getpid(), signal.SIGSEGV)


class Hang:
    interval_s = 10.0

    def start(self, sim) -> None: ...

    def act(self, sim) -> None:
        time.sleep(3600)


class BadCommand:
    interval_s = 10.0

    def start(self, sim) -> None: ...

    def act(self, sim) -> None:
        sim.apply("trafficlight", "setPhase", "no-such-signal", 0)


def test_a_sumo_crash_fails_the_run_not_the_caller(tiny, tmp_path):
    plan = prepare(tiny, RunConfig(controllers=(Crash(),)), tmp_path)
    with pytest.raises(SimulationError, match=r"crashed \(signal SIGSEGV\) at simulation time"):
        run_plan(plan)


def test_a_hung_run_is_stopped(tiny, tmp_path):
    plan = prepare(tiny, RunConfig(controllers=(Hang(),)), tmp_path)
    started = time.monotonic()
    with pytest.raises(SimulationError, match="no progress for 3 s"):
        run_plan(plan, stall_s=3)
    assert time.monotonic() - started < 30


def test_sumo_errors_become_one_clear_message(tiny, tmp_path):
    plan = prepare(tiny, RunConfig(controllers=(BadCommand(),)), tmp_path)
    with pytest.raises(SimulationError, match="SUMO stopped: .*no-such-signal"):
        run_plan(plan)
    # and the caller carries on: the next run works
    ok = run_plan(replace(plan, controllers=()))
    assert ok.kpis["vehicles_arrived"] > 0


def test_pedestrians_are_counted_apart_from_vehicles(crossings_cfg, settings):
    # SUMO's trip output as CSV puts persons under the vehicle columns; they must not
    # count as vehicles (nor bend the vehicles' means)
    from its.scenario import load

    result = run(load(crossings_cfg, settings=settings), RunConfig(seed=1))
    k = result.kpis
    assert k["vehicles_loaded"] == 120 and k["vehicles_arrived"] == 120
    assert set(result.by_type) == {"DEFAULT_VEHTYPE"}
    assert k["persons"] == 60 and k["persons_arrived"] == 60
    assert k["mean_person_time_loss_s"] > 0 and k["mean_person_waiting_time_s"] >= 0
    # walking across the centre takes minutes; the cars' trips well under that
    assert k["mean_trip_duration_s"] < 120


def test_runs_without_pedestrians_report_none_for_persons(baseline):
    k = baseline.kpis
    assert k["persons"] is None and k["mean_person_time_loss_s"] is None

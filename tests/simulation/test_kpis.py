"""KPIs from SUMO's outputs: the arithmetic on hand-made tables and the output readers."""

import pandas as pd
import pytest

from simulation import _outputs
from simulation.kpis import REQUIRED_KEYS, by_type, run_kpis

TRIPS = pd.DataFrame(
    {
        # arrived, arrived, still running, never inserted, the incident blocker
        "id": ["a", "b", "c", "d", "its_incident0"],
        "depart": [0.0, 100.0, 200.0, -1.0, 50.0],
        "depart_delay": [0.0, 10.0, 2.0, 300.0, 0.0],
        "arrival": [120.0, 300.0, -1.0, -1.0, -1.0],
        "duration": [120.0, 190.0, 400.0, 0.0, 550.0],
        "route_length": [1000.0, 2000.0, 500.0, 0.0, 0.0],
        "waiting_time": [10.0, 30.0, 200.0, 0.0, 0.0],
        "time_loss": [20.0, 60.0, 350.0, 0.0, 600.0],
        "vtype": ["car", "truck", "car", "car", "its_incident0"],
        "co2_mg": [1e6, 3e6, 2e6, 0.0, 0.0],
        "nox_mg": [1e3, 2e3, 1e3, 0.0, 0.0],
        "pmx_mg": [10.0, 20.0, 10.0, 0.0, 0.0],
        "fuel_mg": [3e5, 9e5, 6e5, 0.0, 0.0],
    }
)
STATS = {"teleports": {"total": 3, "jam": 2, "yield": 1, "wrongLane": 0}, "safety": {"collisions": 1, "emergencyStops": 0}}


def test_counts_and_means_follow_the_definitions():
    k = run_kpis(TRIPS, STATS, begin=0, end=3600, conflicts=7, emissions=True)
    assert set(REQUIRED_KEYS) - {"wall_time_s"} <= set(k)
    assert (k["vehicles_loaded"], k["vehicles_inserted"], k["vehicles_arrived"]) == (4, 3, 2)
    assert (k["vehicles_running"], k["vehicles_never_inserted"]) == (1, 1)
    assert k["teleports"] == 3 and k["collisions"] == 1 and k["conflicts"] == 7
    assert k["mean_time_loss_s"] == pytest.approx(40.0)  # arrived only
    assert k["mean_trip_duration_s"] == pytest.approx(155.0)
    assert k["mean_waiting_time_s"] == pytest.approx(20.0)
    assert k["mean_depart_delay_s"] == pytest.approx(4.0)  # inserted only
    assert k["throughput_veh_h"] == pytest.approx(2.0)
    assert k["co2_kg"] == pytest.approx(6.0)
    assert k["vehicle_km"] == pytest.approx(3.5)


def test_benchmark_delay_counts_unfinished_and_never_inserted():
    # RESCO: mean over all vehicles of time loss + depart delay; a vehicle never inserted
    # carries the wait from its planned departure to the end as depart delay.
    k = run_kpis(TRIPS, STATS, begin=0, end=3600, conflicts=None, emissions=False)
    assert k["delay_s"] == pytest.approx((20 + 0 + 60 + 10 + 350 + 2 + 0 + 300) / 4)
    assert k["co2_kg"] is None and k["conflicts"] is None


def test_empty_run_gives_none_not_nan():
    k = run_kpis(TRIPS.iloc[0:0], {}, begin=0, end=60, conflicts=None, emissions=False)
    assert k["vehicles_loaded"] == 0 and k["mean_time_loss_s"] is None


def test_by_type():
    t = by_type(TRIPS)
    assert set(t) == {"car", "truck"}
    assert t["car"]["vehicles"] == 3 and t["car"]["arrived"] == 1


def test_readers_parse_sumo_csv_and_xml(tmp_path):
    (tmp_path / "ti.csv").write_text(
        "tripinfo_id;tripinfo_depart;tripinfo_departDelay;tripinfo_arrival;tripinfo_duration;tripinfo_routeLength;"
        "tripinfo_waitingTime;tripinfo_timeLoss;tripinfo_vType;tripinfo_vaporized\n"
        "7;10.00;1.00;70.00;60.00;500.00;5.00;12.00;car;\n"
        "8;-1;300.00;-1.00;0.00;0.00;0.00;0.00;car;end\n"
    )
    trips = _outputs.read_tripinfo(tmp_path / "ti.csv")
    assert list(trips["id"]) == ["7", "8"] and trips["time_loss"].iloc[0] == 12.0
    assert trips["depart"].iloc[1] == -1 and trips["depart_delay"].iloc[1] == 300.0
    (tmp_path / "stats.xml").write_text(
        '<statistics><vehicles loaded="2" inserted="1"/><teleports total="4" jam="4"/></statistics>'
    )
    assert _outputs.read_statistics(tmp_path / "stats.xml")["teleports"]["total"] == 4
    (tmp_path / "ssm.xml").write_text(
        "<SSMLog>"
        '<conflict begin="1" end="3" ego="a" foe="b"><minTTC time="2.00" value="0.90"/></conflict>'
        '<conflict begin="1" end="3" ego="b" foe="a"><minTTC time="2.00" value="0.90"/></conflict>'
        '<conflict begin="5" end="6" ego="c" foe="d"><minTTC time="5.00" value="2.40"/></conflict>'
        '<conflict begin="7" end="8" ego="c" foe="e"><minTTC time="7.00" value="NA"/></conflict>'
        "</SSMLog>"
    )
    # the pair seen by both devices counts once; TTC above the threshold and NA do not count
    assert _outputs.read_conflicts(tmp_path / "ssm.xml", ttc_threshold_s=1.5) == 1


def test_person_kpis_count_arrived_and_average_them(tmp_path):
    (tmp_path / "pi.csv").write_text(
        "personinfo_id;personinfo_depart;personinfo_type;personinfo_duration;personinfo_waitingTime;"
        "personinfo_timeLoss;walk_depart;walk_duration\n"
        "p0;0.00;ped;61.00;4.00;5.50;0.00;61.00\n"
        "p1;6.00;ped;133.00;36.00;46.50;6.00;133.00\n"
        "p2;12.00;ped;-1;12.00;0.00;12.00;40.00\n"
        # a later stage of p1's plan on a row of its own
        ";;;;;;100.00;20.00\n"
    )
    persons = _outputs.read_personinfo(tmp_path / "pi.csv")
    assert list(persons["id"]) == ["p0", "p1", "p2"]
    k = run_kpis(TRIPS, STATS, begin=0, end=3600, conflicts=None, emissions=False, persons=persons)
    assert (k["persons"], k["persons_arrived"]) == (3, 2)
    assert k["mean_person_time_loss_s"] == pytest.approx(26.0)
    assert k["mean_person_waiting_time_s"] == pytest.approx(20.0)
    # the vehicles' figures do not move
    assert k["vehicles_loaded"] == 4 and k["mean_time_loss_s"] == pytest.approx(40.0)
    assert _outputs.read_personinfo(tmp_path / "missing.csv").empty

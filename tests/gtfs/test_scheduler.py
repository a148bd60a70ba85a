"""Each scheduler step on small cases known by hand, the spec end to end, and bad specs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from gtfs.blocks import Block, BlockTrip
from gtfs.duties import DriverRules, cut_duties
from gtfs.headways import LineDemand, Period, ServiceStandards, choose_headways
from gtfs.timetabling import Direction, Transfer, departures
from its.errors import InfeasibleError

HOUR = [Period("peak", 7 * 3600, 8 * 3600)]


def test_headway_meets_demand_with_the_fewest_vehicles():
    # 400 an hour at 60 places x 0.85 needs 7.8 buses an hour: 7.5 min (8 buses on a
    # 60 min cycle) rather than 7 min (9 buses)
    line = LineDemand("1", {"peak": 400}, {"peak": 3600})
    assert choose_headways([line], HOUR, ServiceStandards(min_headway_min=5)) == {("1", "peak"): 7.5}
    quiet = LineDemand("1", {"peak": 20}, {"peak": 3600})
    assert choose_headways([quiet], HOUR, ServiceStandards(policy_headway_min=20)) == {("1", "peak"): 20}


def test_demand_beyond_the_minimum_headway_names_line_and_period():
    line = LineDemand("7", {"peak": 1000}, {"peak": 3600})
    with pytest.raises(InfeasibleError, match=r"line 7, period peak: 1,000 passengers an hour .* minimum headway of 5 min"):
        choose_headways([line], HOUR, ServiceStandards(min_headway_min=5))


def test_a_fleet_limit_below_need_names_the_period():
    line = LineDemand("1", {"peak": 400}, {"peak": 3600})
    with pytest.raises(InfeasibleError, match=r"period peak: the lines need at least 8 vehicles .* fleet limit is 5"):
        choose_headways([line], HOUR, ServiceStandards(min_headway_min=5), fleet_limit=5)


def test_departures_are_even_within_periods_and_smooth_between():
    periods = [Period("a", 6 * 3600, 7 * 3600), Period("b", 7 * 3600, 9 * 3600)]
    direction = Direction("1/0", "1", {"a": 30, "b": 10}, {"a": 1200, "b": 1200}, {})
    times = departures([direction], periods)["1/0"]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 2 + 12
    assert gaps[0] == 1800 and set(gaps[2:]) == {600}
    assert 600 <= gaps[1] <= 1800  # the change between periods is no shorter or longer than either headway


def test_timed_transfers_meet_at_the_hub():
    periods = [Period("p", 7 * 3600, 8 * 3600)]
    feeder = Direction("A/0", "A", {"p": 15}, {"p": 1200}, {"hub": {"p": 600}})
    trunk = Direction("B/0", "B", {"p": 15}, {"p": 1200}, {"hub": {"p": 0}})
    times = departures([feeder, trunk], periods, transfers=[Transfer("hub", "A/0", "B/0", 120, 300)])
    for a, b in zip(times["A/0"], times["B/0"], strict=True):
        assert 120 <= (b + 0) - (a + 600) <= 300 or 120 <= (b + 900) - (a + 600) <= 300


def _block(trips: list[tuple[float, float]]) -> tuple[list[Block], list[BlockTrip]]:
    block_trips = [BlockTrip(f"t{k}", "1", a * 3600, b * 3600, 0, 0) for k, (a, b) in enumerate(trips)]
    block = Block("b1", tuple(t.trip_id for t in block_trips), trips[0][0] * 3600, trips[-1][1] * 3600, 0.0)
    return [block], block_trips


def test_duties_known_by_hand():
    rules = DriverRules(max_driving_s=4.5 * 3600, max_duty_s=9 * 3600, break_s=1800, sign_on_s=0, sign_off_s=0, min_duty_s=0)
    # eight hours of driving with ten-minute layovers: no rest, so two drivers
    blocks, trips = _block([(6 + k, 6 + k + 50 / 60) for k in range(8)])
    rostering = cut_duties(blocks, trips, rules, time_limit_s=5)
    assert len(rostering.duties) == 2
    assert all(p.end_s - p.start_s <= 4.5 * 3600 for d in rostering.duties for p in d.pieces)
    # a forty-minute layover at 10:00 is a rest: one driver works the whole block
    with_rest = [(6 + k, 6 + k + 50 / 60) for k in range(4)] + [(10.5 + k, 10.5 + k + 50 / 60) for k in range(4)]
    blocks, trips = _block(with_rest)
    assert len(cut_duties(blocks, trips, rules, time_limit_s=5).duties) == 1


def test_a_trip_longer_than_the_driving_limit_is_named():
    blocks, trips = _block([(6, 11.5)])
    with pytest.raises(InfeasibleError, match="trip t0 of block b1 cannot be driven by any duty"):
        cut_duties(blocks, trips, DriverRules(), time_limit_s=5)


SPEC = """
feed = "{feed}"
[service]
id = "weekday"
start = 2026-01-05
end = 2026-12-31
[[periods]]
name = "early"
start = "06:00"
end = "07:00"
[[periods]]
name = "peak"
start = "07:00"
end = "08:30"
[standards]
policy_headway_min = 30
min_headway_min = {min_headway}
[layover]
min_min = 3
[blocking]
max_block_h = 12
[[depots]]
id = "garage"
stop = "centre_e"
[[lines]]
name = "1"
demand = {{ "06" = [40, 20], "07" = [300, 120], "08" = [200, 100] }}
"""


@pytest.fixture
def spec_file(tiny, tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text(SPEC.format(feed=tiny.gtfs, min_headway=5))
    return path


def test_a_spec_becomes_a_valid_feed_that_reads_back_unchanged(spec_file, tmp_path):
    from api import services
    from gtfs.read import read_feed
    from gtfs.validate import validate

    result, summary = services.schedule_spec(spec_file, out=tmp_path / "out.zip", time_limit_s=4)
    assert summary["output_errors"] == 0 and summary["round_trip"] is True
    assert summary["headways_min"]["1/peak"] == 10  # 300 an hour needs 5.9 buses: 10 min
    assert summary["fleet"] >= summary["lower_bound"] > 0
    feed = read_feed(tmp_path / "out.zip")
    assert (feed.table("trips.txt")["block_id"] != "").all()
    assert not validate(feed).errors
    assert result.rostering is not None and len(result.rostering.duties) >= summary["fleet"]


def test_charts_are_drawn(spec_file, tmp_path):
    from api import services

    result, _ = services.schedule_spec(spec_file, duties=True, time_limit_s=4)
    paths = services.schedule_charts(result, tmp_path / "charts")
    assert {p.name for p in paths} == {"stringline_line_1.png", "blocks.png", "duties.png"}
    assert all(p.stat().st_size > 5_000 and p.read_bytes()[:4] == b"\x89PNG" for p in paths)


def _its(*args):
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("ITS_DEBUG", None)
    return subprocess.run([sys.executable, "-c", "from api.cli import main; main()", *map(str, args)], capture_output=True, text=True, env=env, timeout=300)


def test_an_infeasible_spec_says_which_line_and_period(tiny, tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC.format(feed=tiny.gtfs, min_headway=15).replace('"07" = [300, 120]', '"07" = [900, 120]'))
    done = _its("transit", "schedule", spec, "--out", tmp_path / "x.zip")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "error: line 1, period peak: 900 passengers an hour" in done.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(SPEC.format(feed=tiny.gtfs, min_headway=5).replace('name = "peak"', 'name = "early"'))
    done = _its("transit", "schedule", bad, "--out", tmp_path / "x.zip")
    assert done.returncode == 2 and "period names must be unique" in done.stderr


def test_reblocking_a_real_feed_beats_the_agency(shared_data, tmp_path):
    out = tmp_path / "trimet.zip"
    done = _its("transit", "block", shared_data / "gtfs" / "trimet-vermont-2018-02-06.zip", "--date", "20180206", "--as-agency", "--pareto", "--duty-time", "5", "--out", out, "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    for key in ("trips", "fleet", "blocks", "lower_bound", "platform_hours", "deadhead_hours", "pull_outs", "duties", "solve_time_s"):
        assert key in summary
    assert summary["trips"] == 26
    assert summary["fleet"] <= summary["agency_fleet"] and summary["blocks"] <= summary["agency_blocks"]
    assert summary["platform_hours"] < summary["agency_platform_hours"]
    assert summary["output_new_errors"] == [] and summary["pareto"]

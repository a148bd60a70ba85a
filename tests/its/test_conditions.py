"""Conditions: fusion across sources, decay toward the time-of-day profile, forecasts."""

from __future__ import annotations

import pytest

from its.conditions import ConditionsModel, Link, TimeOfDayProfile, level_of
from its.feeds.readings import Reading

T0 = 1_741_071_600.0  # a Tuesday, 07:00 UTC


def _model(**options):
    links = {"e1": Link("e1", 500.0, 20.0, "Main Street"), "e2": Link("e2", 250.0, 20.0, "Main Street")}
    return ConditionsModel(links, **options)


def det(speed, t=T0, edge="e1", sensor="d1"):
    return Reading("field", "detector", sensor, t, edge=edge, interval_s=60, speed_ms=speed)


def probe(speed, t=T0, edge="e1", sensor="p1"):
    return Reading("probes", "probe", sensor, t, edge=edge, speed_ms=speed)


def test_no_data_is_free_flow_with_zero_confidence():
    c = _model().condition("e1", T0)
    assert c.speed_ms == pytest.approx(20.0) and c.confidence == 0.0 and c.sources == () and c.level == "free"
    assert c.travel_time_s == pytest.approx(25.0) and c.free_flow_time_s == pytest.approx(25.0)


def test_detectors_outweigh_a_single_probe():
    model = _model(prior_weight=0.0)
    model.observe([det(8.0), det(8.0, sensor="d2"), probe(16.0)])
    c = model.condition("e1", T0)
    weights = 2 * 1.0, 0.35
    expected = (8.0 * weights[0] + 16.0 * weights[1]) / sum(weights)
    assert c.speed_ms == pytest.approx(expected)
    assert c.sources == ("detector", "probe")
    assert c.travel_time_s == pytest.approx(500.0 / expected)
    assert c.level == level_of(expected, 20.0) == "heavy"
    assert c.observed_at == T0


def test_stale_data_decays_toward_the_profile_and_loses_confidence():
    model = _model(half_life_s=600)
    model.observe([det(5.0) for _ in range(1)] + [det(5.0, sensor=f"d{i}") for i in range(2, 6)], history=False)
    fresh = model.condition("e1", T0)
    later = model.condition("e1", T0 + 3600)
    much_later = model.condition("e1", T0 + 6 * 3600)
    assert fresh.speed_ms < 7.0 and fresh.confidence > 0.9
    assert fresh.speed_ms < later.speed_ms < much_later.speed_ms <= 20.0
    assert much_later.speed_ms == pytest.approx(20.0, abs=0.05)
    assert fresh.confidence > later.confidence > much_later.confidence


def test_the_profile_is_the_prior_when_it_exists():
    profile = TimeOfDayProfile(tz="UTC")
    for week in range(4):
        profile.add("e1", T0 - week * 7 * 86_400, 10.0)
    model = _model(profile=profile)
    assert model.condition("e1", T0).speed_ms == pytest.approx(10.0)
    assert model.condition("e1", T0 + 7 * 86_400 + 600).speed_ms == pytest.approx(10.0)  # same bin next week
    assert model.condition("e1", T0 + 4 * 3600).speed_ms == pytest.approx(20.0)  # no history at 11:00


def test_late_readings_count_as_old_as_they_are():
    model = _model(prior_weight=0.0)
    model.observe([det(10.0, t=T0)])
    model.observe([det(20.0, t=T0 - 1800, sensor="d2")])
    assert model.condition("e1", T0).speed_ms < 12.0


def test_forecast_returns_to_the_profile_with_the_horizon():
    profile = TimeOfDayProfile(tz="UTC")
    for minutes in range(-60, 120, 15):
        profile.add("e1", T0 + minutes * 60, 15.0)
    model = _model(profile=profile, anomaly_decay_s=1800, prior_weight=0.0)
    model.observe([det(6.0, sensor=f"d{i}") for i in range(10)], history=False)
    now = model.condition("e1", T0).speed_ms
    ahead = model.forecast("e1", T0)
    speeds = [ahead[h].speed_ms for h in (900, 1800, 3600)]
    assert now == pytest.approx(6.0)
    assert now < speeds[0] < speeds[1] < speeds[2] < 15.0
    assert speeds[2] == pytest.approx(15.0 + (6.0 - 15.0) * 2.718281828 ** -2, rel=1e-6)
    # without readings the forecast is the history; without history, persistence
    assert model.forecast_speed("e2", T0, 900) == pytest.approx(20.0)
    bare = _model(prior_weight=0.0)
    bare.observe([det(7.0)])
    assert bare.forecast_speed("e1", T0, 3600) == pytest.approx(7.0)


def test_speed_from_flow_and_occupancy_when_a_loop_has_no_speed():
    model = _model(prior_weight=0.0)
    model.observe([Reading("f", "detector", "d1", T0, edge="e1", interval_s=60, flow_veh_h=1200.0, occupancy_pct=10.0)])
    # density 0.1 / 6.5 m -> 15.4 veh/km; 1200 veh/h / 15.4 veh/km = 78 km/h
    assert model.condition("e1", T0).speed_ms == pytest.approx(1200 / 3600 / (0.1 / 6.5))


def test_unknown_sensor_becomes_its_own_link_with_a_learned_free_flow():
    model = ConditionsModel()
    model.observe([Reading("pems", "detector", "401833", T0 + i * 300, speed_ms=30.0 - i) for i in range(10)])
    assert "pems:401833" in model.links
    c = model.condition("pems:401833", T0 + 2700)
    assert c.free_flow_speed_ms is not None and c.travel_time_s is None and c.speed_ms is not None


def test_named_segment_adds_travel_times():
    model = _model(prior_weight=0.0)
    model.observe([det(10.0, edge="e1"), det(5.0, edge="e2", sensor="d2")])
    seg = model.segment("Main Street", ["e1", "e2"], T0)
    assert seg.travel_time_s == pytest.approx(50.0 + 50.0)
    assert seg.speed_ms == pytest.approx(750.0 / 100.0)
    assert seg.free_flow_time_s == pytest.approx(37.5)


def test_profile_rows_round_trip():
    profile = TimeOfDayProfile(tz="America/Chicago")
    profile.add("e1", T0, 12.0)
    copy = TimeOfDayProfile(tz="America/Chicago")
    copy.load(profile.rows())
    assert copy.mean("e1", T0) == 12.0

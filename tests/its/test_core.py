"""The job runner, the registry, transit timetables and geometry."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from its.errors import InputError
from its.geo import Projection
from its.jobs import JobRunner
from its.registry import Registry
from its.transit import clockface_departures


def _square(x: int) -> int:
    return x * x


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x


@pytest.mark.parametrize("processes", [False, True])
def test_runner_keeps_input_order(processes):
    with JobRunner.local(2, processes=processes) as runner:
        assert runner.map(_square, range(8)) == [x * x for x in range(8)]


def test_runner_raises_the_jobs_error():
    with JobRunner.local(2) as runner, pytest.raises(ValueError, match="three"):
        runner.map(_fail_on_three, range(6))


def test_registry_refuses_duplicates_and_names_known():
    registry: Registry[int] = Registry("thing")
    registry.register("a", 1)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("a", 2)
    with pytest.raises(InputError, match="unknown thing 'b'; known: a"):
        registry["b"]


def test_clockface_departures_follow_each_period():
    deps = clockface_departures([(6 * 3600, 7 * 3600, 1800), (7 * 3600, 8 * 3600, 900)])
    assert [d / 60 for d in deps] == [360, 390, 420, 435, 450, 465]


@given(
    st.lists(
        st.tuples(st.integers(0, 20), st.integers(1, 6), st.sampled_from([300, 600, 900, 1200, 1800])),
        min_size=1,
        max_size=4,
    )
)
def test_clockface_gaps_never_below_the_shorter_headway(spec):
    periods, t = [], 5 * 3600
    for gap, hours, headway in spec:
        start = t + gap * 60
        periods.append((start, start + hours * 3600, headway))
        t = start + hours * 3600
    deps = clockface_departures(periods)
    assert deps == sorted(deps)
    shortest = min(h for _, _, h in periods)
    assert all(b - a >= shortest - 1e-6 for a, b in zip(deps, deps[1:], strict=False))


def test_projection_round_trip():
    projection = Projection("+proj=utm +zone=15 +ellps=WGS84 +datum=WGS84 +units=m +no_defs", -500000.0, -4650000.0)
    lon, lat = projection.lonlat(0.0, 0.0)
    assert lon == pytest.approx(-93.0, abs=0.01) and lat == pytest.approx(42.0, abs=0.05)
    x, y = projection.xy(lon, lat)
    assert float(x) == pytest.approx(0.0, abs=1e-3) and float(y) == pytest.approx(0.0, abs=1e-3)

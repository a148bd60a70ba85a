import pytest
from hypothesis import given
from hypothesis import strategies as st

from its.errors import InputError
from its.units import clock, parse_duration, parse_time


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("07:30", 27000), ("07:30:15", 27015), ("25:10:00", 90600), ("900", 900), (3600, 3600), ("0", 0)],
)
def test_parse_time(text, seconds):
    assert parse_time(text) == seconds


@pytest.mark.parametrize("bad", ["7h", "07:61", "", "abc", -5, "-10", True])
def test_parse_time_rejects_with_field_name(bad):
    with pytest.raises(InputError, match="--begin"):
        parse_time(bad, field="--begin")


@pytest.mark.parametrize(("text", "seconds"), [("15min", 900), ("1.5h", 5400), ("90s", 90), (120, 120), ("00:20", 1200)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@given(st.integers(min_value=0, max_value=48 * 3600))
def test_clock_round_trips(seconds):
    assert parse_time(clock(seconds)) == seconds

from pathlib import Path

import pytest

from its.changes import CloseEdge, Incident, ScaleDemand, SpeedLimit, parse_change, parse_changes
from its.errors import VariantError


def test_text_changes_parse_to_typed_changes():
    close, incident, scale, speed = parse_changes(
        [
            "close-edge:edges=a+b,begin=07:00,end=08:30",
            "incident:lane=a_0,pos=120,begin=07:30,duration=15min",
            "scale-demand:factor=1.2",
            "speed-limit:edges=x,speed_kmh=30",
        ]
    )
    assert close == CloseEdge(edges=("a", "b"), begin=25200, end=30600)
    assert incident == Incident(lane="a_0", pos=120, begin=27000, duration=900)
    assert scale == ScaleDemand(factor=1.2)
    assert speed.speed_kmh == 30 and isinstance(speed, SpeedLimit)


def test_timetable_change_names_a_feed():
    (change,) = parse_changes(["bus-timetable:feed=winter.zip"])
    assert change.feed == Path("winter.zip") and change.routes is None


def test_mapping_changes_parse_like_scenario_files():
    change = parse_change({"kind": "close-edge", "edges": ["e1"], "begin": "07:00"})
    assert change.edges == ("e1",) and change.end is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("teleport:x=1", "unknown change kind 'teleport'"),
        ("scale-demand:factor=-1", "factor"),
        ("scale-demand:factor", "expected key=value"),
        ("close-edge:edges=a,begin=09:00,end=08:00", "end .* must be after begin"),
        ("incident:lane=a_0,pos=5,begin=07:00", "duration"),
        ("close-edge:edges=a,colour=red", "colour"),
        ("speed-limit:edges=a,speed_kmh=fast", "speed_kmh"),
        ("bus-timetable:", "either feed .* or routes"),
        ("bus-timetable:feed=a.zip,routes=b.rou.xml", "either feed .* or routes"),
    ],
)
def test_bad_changes_say_what_is_wrong(text, message):
    with pytest.raises(VariantError, match=message):
        parse_changes([text])

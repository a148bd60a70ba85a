"""Reading a SUMO configuration's window in SUMO's own time syntax."""

from __future__ import annotations

import pytest

from its.errors import ScenarioError
from simulation._sumocfg import read_sumocfg


def _cfg(tmp_path, begin: str, end: str = "3600"):
    (tmp_path / "a.net.xml").write_text("<net/>")
    path = tmp_path / "a.sumocfg"
    path.write_text(
        "<configuration><input><net-file value='a.net.xml'/></input>"
        f"<time><begin value='{begin}'/><end value='{end}'/></time></configuration>"
    )
    return path


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("54000", 54000.0), ("15:0:0", 54000.0), ("07:30:00", 27000.0), ("1:00:00:30", 86430.0), ("7.5", 7.5)],
)
def test_begin_in_sumo_time_syntax(tmp_path, text, seconds):
    assert read_sumocfg(_cfg(tmp_path, text, "2:0:0:0")).begin == seconds


@pytest.mark.parametrize("text", ["later", "", "-5", "inf", "15:00"])  # SUMO refuses M:S too
def test_a_begin_that_is_not_a_time_names_file_and_field(tmp_path, text):
    with pytest.raises(ScenarioError, match=r"a\.sumocfg begin: .* is not a time"):
        read_sumocfg(_cfg(tmp_path, text))


def test_demand_comes_from_route_files_and_additional_files_with_vehicles(tmp_path):
    from simulation._sumocfg import demand_files

    (tmp_path / "a.net.xml").write_text("<net/>")
    (tmp_path / "r.rou.xml").write_text("<routes><vehicle id='v' depart='0' route='x'/></routes>")
    (tmp_path / "types.add.xml").write_text("<additional><vType id='car'/></additional>")
    (tmp_path / "cars.add.xml").write_text("<additional><flow id='f' begin='0' end='9' number='3'/></additional>")
    path = tmp_path / "a.sumocfg"
    path.write_text(
        "<configuration><input><net-file value='a.net.xml'/><route-files value='r.rou.xml'/>"
        "<additional-files value='types.add.xml,cars.add.xml'/></input></configuration>"
    )
    assert [p.name for p in demand_files(read_sumocfg(path))] == ["r.rou.xml", "cars.add.xml"]
